"""Restore that keeps everything: the replaced file is kept whole (what its WAL or
hot journal holds included), a restore is refused while another process has the
database open, only a desk database of a known schema is accepted, two restores
in one second keep both old files, and the checks run on the restored file."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from desk.domain.errors import StoreBusy, StoreNotAShop, StoreUnavailable
from desk.services import open_desk
from desk.store import health
from desk.store.backup import backup, restore
from tests.reliability.test_crash_and_corruption import NOW, _drain, _start_writer, seed

FORK = mp.get_context("fork")


def visits(path: Path) -> set[int]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM visit")}
    finally:
        conn.close()


def _kill_writer_after(url, ids, saves: int) -> set[int]:
    """A writer process saves, then is killed mid-save: the acknowledged ids."""
    proc, receive = _start_writer(url, ids)
    acknowledged: set[int] = set()
    assert receive.poll(30) and receive.recv() == "ready"
    while len(acknowledged) < saves:
        assert receive.poll(30)
        acknowledged.add(receive.recv())
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    _drain(receive, acknowledged)
    receive.close()
    return acknowledged


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_restore_after_a_crash_keeps_every_acknowledged_row(tmp_path, monkeypatch, journal):
    """A writer is killed with its last commits still in the WAL (a fixed
    library keeps WAL) or a hot journal beside the file (the rollback journal);
    the restore keeps the replaced file whole: every acknowledged save is in the
    kept copy, which opens as an intact desk database on its own."""
    monkeypatch.setattr(health, "sqlite_version_ok", lambda *a, **k: journal == "wal")
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    ids = seed(url)
    older = backup(url, tmp_path / "older.db")
    acknowledged = _kill_writer_after(url, ids, 25)
    if journal == "wal":
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0  # the saves live in the WAL, not yet in the file
    report = restore(older, url, confirmed=True)
    assert report.kept is not None and report.kept.exists()
    assert not list(tmp_path.glob(f"{report.kept.name}-*"))  # one self-contained file
    kept = visits(report.kept)
    assert acknowledged <= kept, f"acknowledged saves lost: {sorted(acknowledged - kept)[:5]}"
    assert visits(path) == visits(older)  # and the backup is what is live now
    assert report.integrity_ok and report.audit_problems == [] and report.audit_events > 0
    again = open_desk(f"sqlite:///{report.kept}", clock=lambda: NOW, migrate=False)
    try:
        assert again.reports.verify_audit() == []
    finally:
        again.ctx.engine.dispose()


def test_restore_is_refused_while_another_process_writes(tmp_path):
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    ids = seed(url)
    older = backup(url, tmp_path / "older.db")
    proc, receive = _start_writer(url, ids)
    acknowledged: set[int] = set()
    assert receive.poll(30) and receive.recv() == "ready"
    for _ in range(10):
        assert receive.poll(30)
        acknowledged.add(receive.recv())
    try:
        with pytest.raises(StoreBusy) as refused:
            restore(older, url, confirmed=True)
        assert f"pid {proc.pid}" in str(refused.value), str(refused.value)  # says who has it open
        assert not list(tmp_path.glob("shop-before-restore-*"))  # nothing was touched
        time.sleep(0.2)  # the writer carries on
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        _drain(receive, acknowledged)
        receive.close()
    assert acknowledged <= visits(path)  # every acknowledged write is still in the live file
    report = restore(older, url, confirmed=True)  # alone now: it goes ahead
    assert acknowledged <= visits(report.kept)


def test_an_open_service_desk_in_this_process_counts_too(tmp_path):
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    seed(url)
    older = backup(url, tmp_path / "older.db")
    live = open_desk(url, clock=lambda: NOW)
    live.people.users()
    try:
        with pytest.raises(StoreBusy, match="open elsewhere"):
            restore(older, url, confirmed=True)
    finally:
        live.ctx.engine.dispose()
    assert restore(older, url, confirmed=True).kept is not None


def _sqlite_with(path: Path, sql: str) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.close()
    return path


def test_only_a_desk_database_of_a_known_schema_is_accepted(tmp_path):
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    seed(url)
    before = visits(path)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    text = tmp_path / "notes.db"
    text.write_text("these are my notes, not a database\n" * 50)
    foreign = _sqlite_with(tmp_path / "photos.db", "CREATE TABLE album (id INTEGER PRIMARY KEY, title TEXT);")
    bare = _sqlite_with(tmp_path / "bare.db", "PRAGMA user_version = 1;")
    newer = tmp_path / "newer.db"
    newer.write_bytes(path.read_bytes())
    _sqlite_with(newer, "UPDATE alembic_version SET version_num = '9999_future';")
    cases = {
        empty: "empty (0 bytes)",
        text: "not a SQLite file",
        foreign: "another program's SQLite database (tables: album)",
        bare: "SQLite database without tables",
        newer: "newer version of desk (schema 9999_future)",
    }
    for src, said in cases.items():
        with pytest.raises(StoreNotAShop) as refused:
            restore(src, url, confirmed=True)
        assert said in str(refused.value), (src.name, str(refused.value))
    assert visits(path) == before  # the shop was never touched
    assert not list(tmp_path.glob("shop-before-restore-*"))


def test_two_restores_in_one_second_keep_both_old_files(tmp_path, monkeypatch):
    from desk.store import backup as backups

    monkeypatch.setattr(backups, "_stamp", lambda now=None: "20261123-090000")  # the same second, surely
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    ids = seed(url)
    first_backup = backup(url, tmp_path / "a.db")
    from tests.reliability.test_crash_and_corruption import save_visit, writer_desk

    d = writer_desk(url)
    original = {save_visit(d, *ids, n) for n in range(3)}
    d.ctx.engine.dispose()
    one = restore(first_backup, url, confirmed=True)
    two = restore(first_backup, url, confirmed=True)
    assert one.kept != two.kept and one.kept.exists() and two.kept.exists()
    assert original <= visits(one.kept)  # the shop as it was, kept by the first restore
    assert visits(two.kept) == visits(first_backup)


def test_a_changed_audit_event_in_the_backup_is_shown_after_the_restore(tmp_path):
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    seed(url)
    tampered = backup(url, tmp_path / "tampered.db")
    _sqlite_with(
        tampered,
        "DROP TRIGGER IF EXISTS audit_event_no_update;UPDATE audit_event SET user_name = 'someone else' WHERE id = 1;",
    )
    before = path.read_bytes()
    with pytest.raises(StoreUnavailable, match="audit log does not hold: event 1: content changed"):
        restore(tampered, url, confirmed=True)
    assert path.read_bytes() == before  # nothing restored
    report = restore(tampered, url, confirmed=True, despite_audit=True)
    assert report.integrity_ok and not report.ok
    assert [p.event_id for p in report.audit_problems] == [1]
    with sqlite3.connect(path) as conn:
        after = conn.execute("SELECT after FROM audit_event WHERE action = 'store.restore'").fetchone()[0]
    assert "event 1: content changed" in after  # the anchor took a changed log, said so


def test_a_backup_whose_newest_events_were_removed_is_not_restored(tmp_path):
    """The third breaking test: the newest audit events deleted from a backup (its
    head recorded beside it); the restore said so but restored it and anchored its
    head, after which `audit verify` said intact."""
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    seed(url)
    cut = backup(url, tmp_path / "cut.db")
    _sqlite_with(
        cut,
        "DROP TRIGGER IF EXISTS audit_event_no_delete;"
        "DELETE FROM audit_event WHERE id > (SELECT max(id) - 3 FROM audit_event);",
    )
    with pytest.raises(StoreUnavailable, match="events were removed. Nothing was restored"):
        restore(cut, url, confirmed=True)


def test_restore_never_overwrites_unasked_and_never_onto_itself(tmp_path):
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    seed(url)
    older = backup(url, tmp_path / "older.db")
    with pytest.raises(StoreUnavailable, match="confirm"):
        restore(older, url, confirmed=False)
    with pytest.raises(StoreUnavailable, match="the database itself"):
        restore(path, url, confirmed=True)
