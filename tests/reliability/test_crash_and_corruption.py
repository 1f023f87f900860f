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
from desk.store.db import make_engine, write_session
from desk.store.models import CustomerRow, EstimateLineRow, VehicleRow, VisitRow

LINES_PER_VISIT = 3
FORK = mp.get_context("fork")


def seed(url: str) -> tuple[int, int]:
    desk = open_desk(url)
    with write_session(desk.engine) as s:
        c = CustomerRow(name="李伟", phone="+8613812345678", created_at=datetime(2026, 1, 1))
        s.add(c)
        s.flush()
        v = VehicleRow(customer_id=c.id, plate="京A12345")
        s.add(v)
        s.flush()
        ids = (c.id, v.id)
    desk.engine.dispose()
    return ids


def save_visit(engine, customer_id: int, vehicle_id: int, n: int) -> int:
    """One transaction: the visit, its lines and the audit event."""
    now = datetime(2026, 11, 23, 9, 0)
    with write_session(engine) as s:
        visit = VisitRow(number=f"K{os.getpid()}-{n}", customer_id=customer_id, vehicle_id=vehicle_id,
                         stage="ESTIMATE", day=now.date(), created_at=now, updated_at=now)
        s.add(visit)
        s.flush()
        for i in range(LINES_PER_VISIT):
            s.add(EstimateLineRow(visit_id=visit.id, position=i, kind="labour", description=f"line {i}",
                                  qty_milli=1000, unit_cents=18000 + i))
        audit.record(s, at=now, user_id=None, user_name="writer", action="visit.save", entity="visit",
                     entity_id=visit.id, visit_id=visit.id, after={"number": visit.number})
        return visit.id


def writer(url: str, customer_id: int, vehicle_id: int, ack, count: int | None = None) -> None:
    """Save visits forever (or ``count`` times); acknowledge each id after commit."""
    engine = make_engine(url)
    n = 0
    while count is None or n < count:
        vid = save_visit(engine, customer_id, vehicle_id, n)
        ack.send(vid)  # only after the commit returned
        n += 1
    engine.dispose()


def check_store(path: Path, acknowledged: set[int]) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        counts = dict(conn.execute(
            "SELECT v.id, count(l.id) FROM visit v LEFT JOIN estimate_line l ON l.visit_id = v.id GROUP BY v.id"
        ).fetchall())
    finally:
        conn.close()
    missing = acknowledged - set(counts)
    assert not missing, f"acknowledged saves lost: {sorted(missing)[:5]}"
    partial = {v: n for v, n in counts.items() if n != LINES_PER_VISIT}
    assert not partial, f"visits with a partial set of lines: {partial}"


@pytest.mark.slow
def test_kill_minus_nine_loop_loses_nothing(tmp_path, capsys):
    path = tmp_path / "crash.db"
    url = f"sqlite:///{path}"
    customer_id, vehicle_id = seed(url)
    rng = random.Random(20261122)
    acknowledged: set[int] = set()
    kills = 0
    started = time.monotonic()
    while kills < 200:
        receive, send = FORK.Pipe(duplex=False)
        proc = FORK.Process(target=writer, args=(url, customer_id, vehicle_id, send))
        proc.start()
        send.close()
        time.sleep(rng.uniform(0.005, 0.06))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        kills += 1
        while receive.poll():
            try:
                acknowledged.add(receive.recv())
            except (EOFError, OSError):
                break
        receive.close()
        if kills % 20 == 0:  # the full check is the slow part: often enough
            check_store(path, acknowledged)
    check_store(path, acknowledged)
    engine = make_engine(url)
    with engine.connect() as conn:
        from sqlmodel import Session

        with Session(bind=conn) as s:
            assert audit.verify(s) == []
    engine.dispose()
    with capsys.disabled():
        print(f"\n[kill -9] {kills} kills, {len(acknowledged)} acknowledged saves intact, "
              f"{time.monotonic() - started:.1f} s")
    assert kills >= 200 and len(acknowledged) > 0


@pytest.mark.slow
def test_four_writers_in_parallel_counts_exact(tmp_path, capsys):
    path = tmp_path / "parallel.db"
    url = f"sqlite:///{path}"
    customer_id, vehicle_id = seed(url)
    per_writer, writers = 500, 4
    pipes, procs = [], []
    started = time.monotonic()
    for _ in range(writers):
        receive, send = FORK.Pipe(duplex=False)
        proc = FORK.Process(target=writer, args=(url, customer_id, vehicle_id, send, per_writer))
        proc.start()
        send.close()
        pipes.append(receive)
        procs.append(proc)
    acknowledged: set[int] = set()
    for receive in pipes:
        while True:
            try:
                acknowledged.add(receive.recv())
            except EOFError:
                break
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0, "a writer failed (e.g. 'database is locked' reached it)"
    assert len(acknowledged) == writers * per_writer
    check_store(path, acknowledged)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM visit").fetchone()[0] == writers * per_writer
        assert conn.execute("SELECT count(*) FROM audit_event WHERE action='visit.save'").fetchone()[0] == \
            writers * per_writer
    with capsys.disabled():
        print(f"\n[parallel] {writers} writers x {per_writer} saves exact in {time.monotonic() - started:.1f} s")


def test_hot_backup_while_writers_run(tmp_path):
    from desk.store.backup import backup, restore, verify

    path = tmp_path / "hot.db"
    url = f"sqlite:///{path}"
    customer_id, vehicle_id = seed(url)
    receive, send = FORK.Pipe(duplex=False)
    proc = FORK.Process(target=writer, args=(url, customer_id, vehicle_id, send, 400))
    proc.start()
    send.close()
    copies = []
    for i in range(5):
        time.sleep(0.05)
        copies.append(backup(url, tmp_path / f"copy{i}.db"))  # each verified inside
    proc.join()
    for c in copies:
        verify(c)
        with sqlite3.connect(c) as conn:
            n = conn.execute("SELECT count(*) FROM visit").fetchone()[0]
            lines = conn.execute("SELECT count(*) FROM estimate_line").fetchone()[0]
        assert lines == n * LINES_PER_VISIT  # each copy is a consistent moment
    restored = restore(copies[-1], f"sqlite:///{tmp_path / 'restored.db'}", confirmed=False)
    with sqlite3.connect(restored) as a, sqlite3.connect(copies[-1]) as b:
        dump = lambda c: list(c.execute("SELECT id, number FROM visit ORDER BY id"))  # noqa: E731
        assert dump(a) == dump(b)
    with pytest.raises(StoreUnavailable):
        restore(copies[0], f"sqlite:///{restored}", confirmed=False)  # never overwrites unasked


def test_damaged_copies_are_detected_or_harmless(tmp_path, capsys):
    """100 copies with random bytes changed: each is refused at open with a
    message, or (when the bytes landed in record content SQLite cannot tell
    from data) opens and works; no unhandled exception either way."""
    src = tmp_path / "good.db"
    url = f"sqlite:///{src}"
    customer_id, vehicle_id = seed(url)
    engine = make_engine(url)
    for n in range(60):
        save_visit(engine, customer_id, vehicle_id, n)
    engine.dispose()
    with sqlite3.connect(src) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = src.read_bytes()
    rng = random.Random(7)
    detected = harmless = audit_caught = 0
    for i in range(100):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 16)):
            pos = rng.randrange(len(damaged))
            damaged[pos] = rng.randrange(256)
        path = tmp_path / f"bad{i}.db"
        path.write_bytes(bytes(damaged))
        try:
            desk = open_desk(f"sqlite:///{path}", migrate=False)
        except StoreUnavailable:
            detected += 1
            continue
        try:
            desk.board(datetime(2026, 11, 23).date())
            if desk.verify_audit():
                audit_caught += 1
            harmless += 1
        except StoreUnavailable:
            detected += 1
        finally:
            desk.engine.dispose()
    with capsys.disabled():
        print(f"\n[corruption] 100 damaged copies: {detected} refused with a message, {harmless} opened "
              f"(content bytes), of which {audit_caught} flagged by the audit chain")
    assert detected + harmless == 100
    assert detected >= 50


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
                    c.exec_driver_sql("insert into customer(name, phone, email, member, vip, special_note, "
                                      "created_at) values ('x','','',0,0,'','2026-01-01')")
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
    open_desk(url).engine.dispose()
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
    assert sorted(p.name for p in folder.iterdir()) == [
        "shop-daily-20261103.db", "shop-daily-20261104.db", "shop-daily-20261105.db"]
