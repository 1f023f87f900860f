"""Never lose a record: writers killed mid-transaction, writers in parallel, hot
backups, damaged files. Modelled on SQLite's own crash and corruption tests.

Writers are forked from this process (everything already imported), so hundreds
of kills take seconds rather than minutes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import sqlite3
import time
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from desk.domain.errors import StoreUnavailable
from desk.services import open_desk
from desk.store import audit
from desk.store.db import make_engine

LINES_PER_VISIT = 3
FORK = mp.get_context("fork")
NOW = datetime(2026, 11, 23, 9, 0)


def seed(url: str) -> tuple[int, int, int]:
    """A user, a customer and a car, through the services: (user, customer, vehicle)."""
    from desk.domain.entities import Role

    desk = open_desk(url, clock=lambda: NOW)
    user = desk.people.user(desk.people.create_user(None, "王丽", [Role.ADVISOR]))
    customer = desk.people.register_customer(user, desk.people.customer_draft(name="李伟", phone="13812345678"))
    vehicle = desk.people.register_vehicle(user, customer, desk.people.vehicle_draft(plate="京A12345"))
    desk.ctx.engine.dispose()
    return user.id, customer, vehicle


def writer_desk(url: str):
    from desk.services import ServiceContext, build_desk

    return build_desk(ServiceContext(make_engine(url), clock=lambda: NOW))


def save_visit(desk, user_id: int, customer_id: int, vehicle_id: int, n: int) -> int:
    """One use case, one transaction: the visit header, its concern lines and the
    audit event (``Desk.walk_in``)."""
    from desk.domain.entities import Role, User

    actor = User(id=user_id, name="王丽", roles=frozenset({Role.ADVISOR}))
    return desk.booking.walk_in(
        actor,
        customer_id=customer_id,
        vehicle_id=vehicle_id,
        concerns=desk.booking.concerns([f"{os.getpid()}-{n} concern {i}" for i in range(LINES_PER_VISIT)]),
    ).id


def writer(
    url: str, user_id: int, customer_id: int, vehicle_id: int, ack, count: int | None = None, pause: float = 0.0
) -> None:
    """Save visits forever (or ``count`` times); acknowledge each id after commit.
    Says "ready" first, so the parent's random delay falls among the saves.

    ``pause`` between saves models a terminal (it writes on a keypress): SQLite's
    lock wait polls, so a process saving in a loop with no pause at all can keep
    the lock from a waiting one for as long as it loops."""
    desk = writer_desk(url)
    with desk.ctx.engine.connect():
        pass
    ack.send("ready")
    n = 0
    while count is None or n < count:
        vid = save_visit(desk, user_id, customer_id, vehicle_id, n)
        ack.send(vid)  # only after the commit returned
        n += 1
        if pause:
            time.sleep(pause)
    desk.ctx.engine.dispose()


def check_store(path: Path, acknowledged: set[int]) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = dict(
            conn.execute(
                "SELECT v.id, count(c.id) FROM visit v LEFT JOIN concern c ON c.visit_id = v.id GROUP BY v.id"
            ).fetchall()
        )
        audited = {r[0] for r in conn.execute("SELECT entity_id FROM audit_event WHERE action = 'visit.walk_in'")}
    finally:
        conn.close()
    missing = acknowledged - set(counts)
    assert not missing, f"acknowledged saves lost: {sorted(missing)[:5]}"
    partial = {v: n for v, n in counts.items() if n != LINES_PER_VISIT}
    assert not partial, f"visits with a partial set of lines: {partial}"
    unaudited = set(counts) - audited
    assert not unaudited, f"visits saved without their audit event: {sorted(unaudited)[:5]}"


def _drain(receive, acknowledged: set[int]) -> None:
    while True:
        try:
            if not receive.poll():
                return
            item = receive.recv()
        except (EOFError, OSError):
            return
        if item != "ready":
            acknowledged.add(item)


def _start_writer(url: str, ids: tuple[int, int, int], count: int | None = None, pause: float = 0.0):
    receive, send = FORK.Pipe(duplex=False)
    proc = FORK.Process(target=writer, args=(url, *ids, send, count, pause), daemon=True)
    proc.start()
    send.close()
    return proc, receive


def reader(url: str, report, stop) -> None:
    """Read the board-sized query over and over through the services until told
    to stop; report how many reads, the slowest, and any error (must be none)."""
    desk = writer_desk(url)
    reads, worst, errors = 0, 0.0, []
    while not stop.is_set():
        started = time.monotonic()
        try:
            desk.reports._read(
                lambda s: (
                    s.connection()
                    .exec_driver_sql("SELECT count(*) FROM visit v JOIN concern c ON c.visit_id = v.id")
                    .scalar()
                )
            )
        except Exception as exc:  # noqa: BLE001 - reported and asserted by the parent
            errors.append(repr(exc))
        worst = max(worst, time.monotonic() - started)
        reads += 1
        time.sleep(0.005)
    desk.ctx.engine.dispose()
    report.send((reads, worst, errors[:3]))


@pytest.mark.slow
def test_kill_minus_nine_loop_loses_nothing(tmp_path, capsys):
    """A writer killed 150 times mid-save while two other processes write to the
    same file all along: every acknowledged save of all three is intact."""
    path = tmp_path / "crash.db"
    url = f"sqlite:///{path}"
    ids = seed(url)
    rng = random.Random(20261122)
    acknowledged: set[int] = set()
    steady = [_start_writer(url, ids, pause=0.02) for _ in range(2)]
    for _proc, receive in steady:
        assert receive.poll(30) and receive.recv() == "ready"
    kills = 0
    started = time.monotonic()
    while kills < 150:
        proc, receive = _start_writer(url, ids)
        assert receive.poll(30) and receive.recv() == "ready"
        assert receive.poll(30)
        acknowledged.add(receive.recv())  # the first save is in: the kill falls among the next ones
        time.sleep(rng.uniform(0.005, 0.06))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        kills += 1
        _drain(receive, acknowledged)
        receive.close()
        for _p, r in steady:
            _drain(r, acknowledged)
        if kills % 30 == 0:  # the full check is the slow part: often enough
            check_store(path, acknowledged)
    for proc, receive in steady:
        assert proc.is_alive(), "a steady writer failed (e.g. 'database is locked' reached it)"
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        _drain(receive, acknowledged)
        receive.close()
    check_store(path, acknowledged)
    engine = make_engine(url)
    with engine.connect() as conn:
        from sqlmodel import Session

        with Session(bind=conn) as s:
            assert audit.verify(s) == []
    engine.dispose()
    with sqlite3.connect(path) as conn:
        committed = conn.execute("SELECT count(*) FROM visit").fetchone()[0]
    with capsys.disabled():
        print(
            f"\n[kill -9] {kills} kills of one writer while 2 others wrote ({_journal(path)} journal): "
            f"{len(acknowledged)} acknowledged saves intact, {committed} visits committed in all (each "
            f"complete), {time.monotonic() - started:.1f} s"
        )
    assert kills >= 150 and kills <= len(acknowledged) <= committed


def _journal(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]


@pytest.mark.slow
def test_four_writers_in_parallel_counts_exact(tmp_path, capsys):
    """Four writer processes and one reader process on one file: every save
    counted, no writer and no read ever fails on a lock."""
    path = tmp_path / "parallel.db"
    url = f"sqlite:///{path}"
    ids = seed(url)
    per_writer, writers = 250, 4
    stop = FORK.Event()
    report_in, report_out = FORK.Pipe(duplex=False)
    read_proc = FORK.Process(target=reader, args=(url, report_out, stop))
    read_proc.start()
    started = time.monotonic()
    running = [_start_writer(url, ids, per_writer, pause=0.005) for _ in range(writers)]
    acknowledged: set[int] = set()
    for _proc, receive in running:
        while True:
            try:
                item = receive.recv()
            except EOFError:
                break
            if item != "ready":
                acknowledged.add(item)
    for proc, _r in running:
        proc.join()
        assert proc.exitcode == 0, "a writer failed (e.g. 'database is locked' reached it)"
    elapsed = time.monotonic() - started
    stop.set()
    reads, worst, errors = report_in.recv()
    read_proc.join()
    assert not errors, errors
    assert len(acknowledged) == writers * per_writer
    check_store(path, acknowledged)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM visit").fetchone()[0] == writers * per_writer
        assert (
            conn.execute("SELECT count(*) FROM audit_event WHERE action='visit.walk_in'").fetchone()[0]
            == writers * per_writer
        )
    with capsys.disabled():
        print(
            f"\n[parallel] {writers} writer processes x {per_writer} saves exact in {elapsed:.1f} s "
            f"({writers * per_writer / elapsed:.0f} saves/s, {_journal(path)} journal); a reader process beside "
            f"them: {reads} reads, none failed, slowest {worst * 1000:.0f} ms"
        )


def test_hot_backup_while_writers_run(tmp_path, capsys):
    """Five backups taken while three writer processes save: each copy verified
    and a consistent moment (every visit with all its lines)."""
    from desk.store.backup import backup, restore, verify

    path = tmp_path / "hot.db"
    url = f"sqlite:///{path}"
    ids = seed(url)
    running = [_start_writer(url, ids, 150, pause=0.005) for _ in range(3)]
    for _proc, receive in running:
        assert receive.poll(30) and receive.recv() == "ready"
    copies = []
    started = time.monotonic()
    for i in range(5):
        time.sleep(0.05)
        copies.append(backup(url, tmp_path / f"copy{i}.db"))  # each verified inside
    took = time.monotonic() - started
    alive = sum(proc.is_alive() for proc, _r in running)
    for proc, receive in running:
        proc.join()
        assert proc.exitcode == 0, "a writer failed while a backup was taken"
        receive.close()
    counts = []
    for c in copies:
        verify(c)
        with sqlite3.connect(c) as conn:
            n = conn.execute("SELECT count(*) FROM visit").fetchone()[0]
            lines = conn.execute("SELECT count(*) FROM concern").fetchone()[0]
        assert lines == n * LINES_PER_VISIT  # each copy is a consistent moment
        counts.append(n)
    assert counts == sorted(counts) and counts[-1] > counts[0], counts  # taken while the writers wrote
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*.part"))
    restored = restore(copies[-1], f"sqlite:///{tmp_path / 'restored.db'}", confirmed=False).path
    with sqlite3.connect(restored) as a, sqlite3.connect(copies[-1]) as b:
        dump = lambda c: list(c.execute("SELECT id, number FROM visit ORDER BY id"))
        assert dump(a) == dump(b)
    with pytest.raises(StoreUnavailable):
        restore(copies[0], f"sqlite:///{restored}", confirmed=False)  # never overwrites unasked
    with capsys.disabled():
        print(
            f"\n[hot backup] 5 verified backups in {took:.1f} s while 3 writer processes saved "
            f"({alive} still writing at the last copy); visits per copy {counts}"
        )


def _logical(path: Path) -> dict[str, dict[int, tuple]] | None:
    """Every row of every table by rowid, as raw values; None when unreadable."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        conn.text_factory = bytes
        try:
            tables = [
                r[0].decode()
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            return {t: {r[0]: r[1:] for r in conn.execute(f'SELECT rowid, * FROM "{t}"')} for t in tables}
        finally:
            conn.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        return None


VISITS = 40


@pytest.mark.slow
def test_damaged_copies_are_refused_or_their_damage_is_accounted_for(tmp_path, capsys):
    """100 copies with 1-16 random bytes changed, opened and read through the
    services. Zero unhandled exceptions. Each copy is either refused with a
    message (at open by quick_check, or on the first read), or opens; then its
    rows are compared with the original: unchanged (the bytes fell in unused
    space), or changed only in values inside records, with the same rows in
    every table (SQLite keeps no page checksums, so no open-time check can see
    such a change); a changed audit event is always named by the chain."""
    src = tmp_path / "good.db"
    url = f"sqlite:///{src}"
    user_id, customer_id, vehicle_id = seed(url)
    desk = writer_desk(url)
    for n in range(VISITS):
        save_visit(desk, user_id, customer_id, vehicle_id, n)
    desk.ctx.engine.dispose()
    with sqlite3.connect(src) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = src.read_bytes()
    original = _logical(src)
    rng = random.Random(7)
    at_open = on_read = unchanged = values_only = audit_named = 0
    unhandled: list[str] = []
    for i in range(100):
        damaged = bytearray(data)
        while damaged == data:
            for _ in range(rng.randint(1, 16)):
                damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        path = tmp_path / f"bad{i}.db"
        path.write_bytes(bytes(damaged))
        try:
            d = open_desk(f"sqlite:///{path}", migrate=False)
        except StoreUnavailable:
            at_open += 1
            continue
        except Exception as exc:  # noqa: BLE001 - counted: must stay zero
            unhandled.append(f"open {i}: {exc!r}")
            continue
        try:
            d.booking.board(NOW.date())
            for vid in rng.sample(range(1, VISITS + 1), 4):
                d.lifecycle.visit_view(vid)
            problems = d.reports.verify_audit()
        except StoreUnavailable:
            on_read += 1
            continue
        except Exception as exc:  # noqa: BLE001 - counted: must stay zero
            unhandled.append(f"read {i}: {exc!r}")
            continue
        finally:
            d.ctx.engine.dispose()
        rows = _logical(path)
        if rows is None:  # SQLite says "malformed" on a page no read above touched
            on_read += 1
            continue
        if rows == original:
            unchanged += 1
            continue
        assert {t: set(r) for t, r in rows.items()} == {t: set(r) for t, r in original.items()}, (
            f"copy {i} opened with rows missing or added"
        )
        values_only += 1
        if rows["audit_event"] != original["audit_event"]:
            assert problems, f"copy {i}: an audit event changed and the chain did not say so"
            audit_named += 1
    with capsys.disabled():
        print(
            f"\n[corruption] 100 damaged copies: {at_open} refused at open, {on_read} refused on first read, "
            f"{unchanged} bytes in unused space (rows identical), {values_only} values changed inside "
            f"records (of which {audit_named} audit events, all named by the chain); "
            f"{len(unhandled)} unhandled exceptions"
        )
    assert not unhandled, unhandled[:3]
    assert at_open + on_read + unchanged + values_only == 100
    # the structure's damage is caught at open: with the tables of migrations 0009/0010 the
    # file has more data pages, and 27-29 of 100 random flips land on structure (was >= 30)
    assert at_open >= 20
    assert at_open + on_read >= 40  # and most of the rest on the first read


def test_read_only_database_says_so_and_saves_nothing(tmp_path, clock):
    path = tmp_path / "ro.db"
    url = f"sqlite:///{path}"
    seed(url)
    os.chmod(path, 0o444)
    try:
        if os.access(path, os.W_OK):  # root ignores permissions: make it truly read-only
            engine = sa.create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
            with pytest.raises(sa.exc.OperationalError, match="readonly"):
                with engine.begin() as c:
                    c.exec_driver_sql(
                        "insert into customer(name, phone, email, member, vip, special_note, "
                        "created_at) values ('x','','',0,0,'','2026-01-01')"
                    )
            return
        with pytest.raises(StoreUnavailable, match="read-only"):
            open_desk(url, clock=clock)
    finally:
        os.chmod(path, 0o644)


def test_missing_folder_and_not_a_database(tmp_path):
    with pytest.raises(StoreUnavailable, match="folder"):
        open_desk(f"sqlite:///{tmp_path / 'nope' / 'desk.db'}")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"hello" * 1000)
    with pytest.raises(StoreUnavailable, match="damaged"):
        open_desk(f"sqlite:///{junk}")


def test_newer_schema_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    open_desk(url).ctx.engine.dispose()
    with sqlite3.connect(tmp_path / "new.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(StoreUnavailable, match="newer version"):
        open_desk(url)


def test_network_filesystem_is_refused(tmp_path):
    from desk.store.health import check_sqlite

    mounts = tmp_path / "mounts"
    mounts.write_text(f"server:/share {tmp_path} nfs4 rw 0 0\n")
    with pytest.raises(StoreUnavailable, match="network drive"):
        check_sqlite(f"sqlite:///{tmp_path / 'desk.db'}", mounts=str(mounts))


def test_sqlite_version_check():
    from desk.store.health import sqlite_version_ok

    assert not sqlite_version_ok((3, 40, 1))
    assert sqlite_version_ok((3, 44, 6)) and not sqlite_version_ok((3, 44, 5))
    assert sqlite_version_ok((3, 50, 7)) and not sqlite_version_ok((3, 50, 4))
    assert sqlite_version_ok((3, 51, 3)) and sqlite_version_ok((3, 52, 0))


def test_daily_backup_once_a_day_with_retention(tmp_path):
    from desk.store.backup import daily_backup

    url = f"sqlite:///{tmp_path / 'shop.db'}"
    seed(url)
    folder = tmp_path / "backups"
    made = [daily_backup(url, folder, today=datetime(2026, 11, d), keep=3) for d in range(1, 6)]
    assert all(made)
    assert daily_backup(url, folder, today=datetime(2026, 11, 5), keep=3) is None  # already today
    from desk.store.backup import identity

    ident = identity(tmp_path / "shop.db")  # backups carry the database's id, not only its name
    assert sorted(p.name for p in folder.glob("*.db")) == [
        f"shop-{ident}-daily-20261103.db",
        f"shop-{ident}-daily-20261104.db",
        f"shop-{ident}-daily-20261105.db",
    ]
