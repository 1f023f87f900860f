"""Restore can't lose or mix data (issue 24): refused, in a sentence within
seconds, while a program that is not desk has the file open or locked; refused
for another shop's backup unless ``--other-shop`` (naming both shops); refused
over a file that is not a desk database. Each runs ``python -m desk restore``
as a user would, with a time limit: today's restore hung under a foreign lock."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desk.store.backup import backup
from tests.reliability.test_crash_and_corruption import seed

FORK = mp.get_context("fork")
LIMIT = 10.0


def shop_of(path: Path) -> tuple[str]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT value FROM shop_meta WHERE key = 'shop_id'").fetchone()
    finally:
        conn.close()


def _desk(tmp_path: Path, *args: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "DESK_DATA_DIR": str(tmp_path / "data")}
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "desk", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"desk {' '.join(args)} gave no answer within {timeout} s")
    return done, time.monotonic() - started


def _foreign_writer(path: str, ready, hold_lock: bool) -> None:  # pragma: no cover - killed
    """A program that is not desk (no presence): a plain sqlite3 connection that
    writes a row now and then, or sits inside an exclusive transaction."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("CREATE TABLE IF NOT EXISTS foreign_rows (n INTEGER)")
    if hold_lock:
        conn.execute("BEGIN EXCLUSIVE")
        ready.send("locked")
        signal.pause()
    ready.send("writing")
    n = 0
    while True:
        n += 1
        conn.execute("INSERT INTO foreign_rows VALUES (?)", (n,))
        time.sleep(0.05)


@pytest.fixture
def shop(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A shop and a verified backup of it."""
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "shop.db"
    seed(f"sqlite:///{path}")
    made = backup(f"sqlite:///{path}", tmp_path / "older.db")
    return path, made


def _start(path: Path, hold_lock: bool):
    receive, send = FORK.Pipe(duplex=False)
    proc = FORK.Process(target=_foreign_writer, args=(str(path), send, hold_lock), daemon=True)
    proc.start()
    assert receive.poll(30) and receive.recv() in ("locked", "writing")
    return proc


@pytest.mark.parametrize("hold_lock", [False, True], ids=["foreign-writer", "foreign-lock"])
def test_restore_under_a_program_that_is_not_desk_is_refused_within_seconds(shop, tmp_path, hold_lock):
    path, older = shop
    proc = _start(path, hold_lock)
    try:
        done, took = _desk(tmp_path, "--db", str(path), "restore", str(older), "--yes", timeout=60)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
    assert done.returncode == 1, done.stdout + done.stderr
    assert took < LIMIT, f"the refusal took {took:.1f} s"
    assert "open in another program" in done.stderr and f"pid {proc.pid}" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.glob("shop-before-restore-*"))  # nothing was touched
    # the program gone, the same restore goes ahead
    again, _ = _desk(tmp_path, "--db", str(path), "restore", str(older), "--yes")
    assert again.returncode == 0, again.stderr
    assert "Restored from older.db" in again.stdout


def test_a_lock_held_by_a_program_desk_cannot_see_is_probed_not_waited_for(shop, tmp_path, monkeypatch):
    """Where the open files of other processes cannot be read (another user's,
    no /proc), the lock itself is probed: a sentence within seconds."""
    from desk.domain.errors import StoreBusy
    from desk.store import backup as backups
    from desk.store import presence

    path, older = shop
    monkeypatch.setattr(presence, "openers", lambda db, **kw: [])
    proc = _start(path, hold_lock=True)
    started = time.monotonic()
    try:
        with pytest.raises(StoreBusy) as refused:
            backups.restore(older, f"sqlite:///{path}", confirmed=True)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
    assert time.monotonic() - started < LIMIT
    assert "locked by another program" in str(refused.value)


def test_another_shops_backup_is_refused_unless_named(shop, tmp_path):
    path, _ = shop
    other = tmp_path / "other" / "shop.db"
    other.parent.mkdir()
    seed(f"sqlite:///{other}")
    theirs = backup(f"sqlite:///{other}", tmp_path / "theirs.db")
    ours_id, theirs_id = shop_of(path)[0], shop_of(theirs)[0]
    assert ours_id != theirs_id
    refused, _ = _desk(tmp_path, "--db", str(path), "restore", str(theirs), "--yes")
    assert refused.returncode == 1, refused.stdout
    assert "another shop" in refused.stderr and "--other-shop" in refused.stderr, refused.stderr
    assert ours_id[:8] in refused.stderr and theirs_id[:8] in refused.stderr  # both shops named
    assert shop_of(path)[0] == ours_id and not list(tmp_path.glob("shop-before-restore-*"))
    named, _ = _desk(tmp_path, "--db", str(path), "restore", str(theirs), "--yes", "--other-shop")
    assert named.returncode == 0, named.stderr
    assert shop_of(path)[0] == theirs_id


@pytest.mark.parametrize("kind", ["text", "photos"])
def test_a_file_that_is_not_a_desk_database_is_never_replaced(shop, tmp_path, kind):
    _, older = shop
    target = tmp_path / f"{kind}.db"
    if kind == "text":
        target.write_text("Kundenliste 2025\nMüller;Bremen\n" * 40, encoding="utf-8")
    else:
        conn = sqlite3.connect(target)
        conn.executescript(
            "CREATE TABLE album (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO album VALUES (1, 'x');"
        )
        conn.close()
    before = target.read_bytes()
    done, _ = _desk(tmp_path, "--db", str(target), "restore", str(older), "--yes")
    assert done.returncode == 1, done.stdout
    assert "is not a desk database" in done.stderr and "nothing was changed" in done.stderr, done.stderr
    assert target.read_bytes() == before
    assert not list(tmp_path.glob(f"{kind}-before-restore-*"))


def test_a_desk_database_too_damaged_to_say_so_is_still_restored(shop, tmp_path):
    """Its header gone (not SQLite any more), but desk backed this path up: it
    was the shop's database, and the restore puts the backup in its place."""
    path, older = shop
    backup(f"sqlite:///{path}")  # the backup folder's index now knows the path
    raw = bytearray(path.read_bytes())
    raw[:100] = b"\xa5" * 100
    path.write_bytes(bytes(raw))
    done, _ = _desk(tmp_path, "--db", str(path), "restore", str(older), "--yes")
    assert done.returncode == 0, done.stderr
    assert shop_of(path) == shop_of(older)
