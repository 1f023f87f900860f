"""The audit chain anchored outside itself: removing the newest events, or all of
them (with the append-only triggers dropped, as a database editor would), is
found by ``desk audit verify``; several processes writing never give a false
alarm; a restore verifies against the backup's own head and re-anchors; a copied
database has an anchor of its own."""

from __future__ import annotations

import multiprocessing as mp
import sqlite3
import time

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from desk.__main__ import main
from desk.domain.errors import StoreUnavailable
from desk.services import open_desk
from desk.store import anchor
from desk.store.backup import backup, head_path, recorded_head, restore
from tests.reliability.test_crash_and_corruption import NOW, save_visit, seed, writer_desk

FORK = mp.get_context("fork")


def verify(url: str):
    result = CliRunner().invoke(main, ["--db", url, "audit", "verify"], catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def tamper(url: str, where: str) -> None:
    """Drop the append-only triggers and delete ``where`` from the log."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_no_delete")
            else:
                conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
            conn.exec_driver_sql(f"DELETE FROM audit_event WHERE {where}")
    finally:
        engine.dispose()


def last_id(url: str) -> int:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return conn.exec_driver_sql("SELECT max(id) FROM audit_event").scalar() or 0
    finally:
        engine.dispose()


def walk_ins(shop, n: int) -> None:
    for i in range(n):
        shop.desk.booking.walk_in(
            shop.sa,
            customer_id=shop.customer,
            vehicle_id=shop.vehicle,
            concerns=shop.desk.booking.concerns([f"noise {i}"]),
        )


def test_deleting_the_last_events_is_found(shop, db_url):
    walk_ins(shop, 8)
    assert anchor.flush()
    before = verify(db_url)
    assert before.exit_code == 0 and "audit log intact" in before.output, before.output
    head = last_id(db_url)
    tamper(db_url, f"id > {head - 5}")
    result = verify(db_url)
    assert result.exit_code == 2, result.output
    assert f"event {head}: the log ends at event {head - 5}" in result.output
    assert "the newest events were removed" in result.output


def test_an_event_whose_text_is_not_utf8_any_more_is_named(tmp_path, monkeypatch):
    """A damaged page left bytes that are not UTF-8 in an event: verify stopped
    with "Could not decode to UTF-8 column 'after'", naming no event (third
    breaking test of issue 24); it names the event now. (SQLite only: PostgreSQL
    never stores text that is not UTF-8.)"""
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "shop.db"
    db_url = f"sqlite:///{path}"
    seed(db_url)
    assert anchor.flush()
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        victim = conn.execute("SELECT max(id) - 1 FROM audit_event").fetchone()[0]
        conn.execute("UPDATE audit_event SET after = CAST(X'7B22FF22' AS TEXT) WHERE id = ?", (victim,))
    result = verify(db_url)
    assert result.exit_code == 2, result.output
    assert f"event {victim}: content changed" in result.output, result.output


def test_deleting_every_event_is_found(shop, db_url):
    walk_ins(shop, 3)
    assert anchor.flush()
    head = last_id(db_url)
    tamper(db_url, "1 = 1")
    result = verify(db_url)
    assert result.exit_code == 2, result.output
    assert f"event {head}: the log is empty" in result.output and "all its events were removed" in result.output


def test_events_removed_and_others_written_in_their_place_are_found(shop, db_url):
    """The newest events removed, then more saves: the anchor does not move past
    the cut (its head is no longer in the log), so verify still finds it."""
    walk_ins(shop, 6)
    assert anchor.flush()
    head = last_id(db_url)
    tamper(db_url, f"id > {head - 4}")
    walk_ins(shop, 10)  # the log grows past the anchored id again, as a valid chain
    assert anchor.flush()
    result = verify(db_url)
    assert result.exit_code == 2, result.output
    assert f"event {head}:" in result.output


def test_a_fresh_database_verifies_and_says_when_it_has_no_anchor(tmp_path, clock):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    open_desk(url, clock=clock).ctx.engine.dispose()
    result = verify(url)
    assert result.exit_code == 0 and "audit log intact (0 events)" in result.output, result.output
    # events written by a program that does not anchor (an older desk): a note, not an alarm
    seed(url)
    assert anchor.flush()
    shop_id, key, found, _ = anchor.read_for(open_desk(url, clock=clock, migrate=False).ctx.engine)
    anchor.anchor_path(shop_id, key).unlink()
    result = verify(url)
    assert result.exit_code == 0 and "no anchor outside the database yet" in result.output, result.output


def _writer(url: str, ids, count: int, ack) -> None:
    desk = writer_desk(url)
    for n in range(count):
        save_visit(desk, *ids, n)
    desk.ctx.engine.dispose()
    anchor.flush()
    ack.send("done")


def test_several_processes_writing_never_give_a_false_alarm(tmp_path):
    """Three writer processes save while this one verifies again and again: the
    anchor only moves forward, and is never ahead of what a verify reads."""
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    ids = seed(url)
    receive, send = FORK.Pipe(duplex=False)
    procs = [FORK.Process(target=_writer, args=(url, ids, 25, send)) for _ in range(3)]
    for p in procs:
        p.start()
    verified = 0
    try:
        deadline = time.monotonic() + 120
        while any(p.is_alive() for p in procs) and time.monotonic() < deadline:
            result = verify(url)
            assert result.exit_code == 0, result.output
            verified += 1
    finally:
        for p in procs:
            p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    assert verified >= 2
    final = verify(url)
    assert final.exit_code == 0 and "audit log intact (" in final.output, final.output
    desk = open_desk(url, clock=lambda: NOW, migrate=False)
    try:
        shop_id, key, found, _ = anchor.read_for(desk.ctx.engine)
    finally:
        desk.ctx.engine.dispose()
    assert found is not None and found.id == last_id(url)  # every process anchored its last commit


def test_a_restored_backup_verifies_against_its_own_head(tmp_path, clock):
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    ids = seed(url)
    older = backup(url, tmp_path / "older.db")
    head = recorded_head(older)
    assert head is not None and head["id"] == last_id(f"sqlite:///{older}")
    desk = writer_desk(url)
    for n in range(5):  # the live log (and its anchor) moves past the backup
        save_visit(desk, *ids, n)
    desk.ctx.engine.dispose()
    assert anchor.flush()
    report = restore(older, url, confirmed=True)
    assert report.ok and report.anchored and report.backup_head["id"] == head["id"]
    result = verify(url)
    assert result.exit_code == 0, result.output
    with sqlite3.connect(path) as conn:
        (action,) = conn.execute("SELECT action FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    assert action == "store.restore"  # the restore is audited in the restored log


def test_a_backup_cut_short_after_it_was_made_is_named_on_restore(tmp_path):
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    seed(url)
    made = backup(url, tmp_path / "b.db")
    head = recorded_head(made)
    tamper(f"sqlite:///{made}", f"id > {head['id'] - 2}")
    with pytest.raises(StoreUnavailable, match=f"event {head['id']}: .*Nothing was restored"):
        restore(made, url, confirmed=True)  # it restored, then anchored the cut log (breaking test)
    report = restore(made, url, confirmed=True, despite_audit=True)
    assert not report.ok
    assert [p.event_id for p in report.audit_problems] == [head["id"]]
    assert str(head_path(made)) in report.audit_problems[0].problem


def test_a_copied_database_has_an_anchor_of_its_own(tmp_path):
    """Same shop id, another path: each file's saves anchor that file only."""
    first = tmp_path / "a.db"
    ids = seed(f"sqlite:///{first}")
    second = tmp_path / "b.db"
    with sqlite3.connect(first) as src, sqlite3.connect(second) as dst:
        src.backup(dst)
    for path, n in ((first, 3), (second, 7)):
        desk = writer_desk(f"sqlite:///{path}")
        for i in range(n):
            save_visit(desk, *ids, i)
        desk.ctx.engine.dispose()
    assert anchor.flush()
    for path in (first, second):
        result = verify(f"sqlite:///{path}")
        assert result.exit_code == 0 and "no anchor" not in result.output, result.output


def test_an_edited_shop_id_is_named_and_re_anchoring_is_audited(tmp_path):
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    seed(url)
    assert anchor.flush()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE shop_meta SET value = 'aaaaaaaa-0000-0000-0000-000000000000' WHERE key = 'shop_id'")
    result = verify(url)
    assert result.exit_code == 2 and "shop id" in result.output, result.output
    again = CliRunner().invoke(main, ["--db", url, "audit", "verify", "--re-anchor"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert verify(url).exit_code == 0
    with sqlite3.connect(path) as conn:
        (action,) = conn.execute("SELECT action FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
    assert action == "audit.re_anchor"


@pytest.mark.slow
def test_a_save_costs_the_same_with_the_anchor(tmp_path, capsys, monkeypatch):
    """Interleaved blocks of walk-ins with the anchor's note on and off (a no-op):
    the anchor is written off the committing thread, so the medians match."""
    import statistics

    url = f"sqlite:///{tmp_path / 'bench.db'}"
    ids = seed(url)
    desk = writer_desk(url)
    real = anchor.note
    times: dict[str, list[float]] = {"on": [], "off": []}
    try:
        for _block in range(10):
            for mode in ("on", "off"):
                monkeypatch.setattr(anchor, "note", real if mode == "on" else (lambda *a, **k: None))
                for n in range(15):
                    started = time.perf_counter()
                    save_visit(desk, *ids, n)
                    times[mode].append((time.perf_counter() - started) * 1000)
                anchor.flush()
    finally:
        desk.ctx.engine.dispose()
    on, off = (statistics.median(times[m]) for m in ("on", "off"))
    p90 = {m: sorted(times[m])[int(len(times[m]) * 0.9)] for m in times}
    with capsys.disabled():
        print(
            f"\n[anchor] 150 saves each, interleaved: median {on:.1f} ms with the anchor, {off:.1f} ms "
            f"without; p90 {p90['on']:.1f} / {p90['off']:.1f} ms"
        )
    assert on <= off * 1.25 + 2.0, f"saves are slower with the anchor: {on:.1f} vs {off:.1f} ms"
