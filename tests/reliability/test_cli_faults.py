"""Every ``desk`` command against every fault a workshop PC meets: a sentence, a
non-zero exit code where it failed, and never a traceback.

Each command runs through click's CliRunner with ``catch_exceptions=False`` (an
exception that escaped would fail the test with its traceback), plus a few real
subprocess runs of ``python -m desk`` at the end. The faults:

* missing folder; damaged (every page after the first overwritten); zero-byte;
  not a database (a text file);
* read-only file / read-only folder: ``chattr +i`` (immutable even for root, as
  the tests run in CI) — a non-root user gets ``chmod`` instead;
* busy: another process is inside a write transaction for 1.5 s and keeps the
  file open afterwards: commands wait and go on, ``restore`` is refused naming it;
* disk full: the database and the data folder on a 3 MB tmpfs (root can mount
  one) filled to the last few kilobytes.

Where a command is expected to work despite the fault (a read on a read-only or
full disk, a restore over a damaged file) the test asserts that it did.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from desk import auth
from desk.__main__ import main
from tests.reliability.test_crash_and_corruption import NOW, seed
from tests.reliability.test_store_failures import CAN_MOUNT, tmpfs

FORK = mp.get_context("fork")
FAULTS = [
    "missing-folder",
    "read-only-file",
    "read-only-folder",
    "damaged",
    "zero-byte",
    "not-a-database",
    "busy",
    "disk-full",
]
READS = {"report", "export", "audit-verify", "backup", "db-copy"}


def _commands(work: Path) -> dict[str, list[str]]:
    csv = work / "customers.csv"
    return {
        "demo": ["demo", "--visits", "2"],
        "report": ["report", "--from", "2026-11-01", "--to", "2026-11-30"],
        "db-upgrade": ["db", "upgrade"],
        "db-copy": ["db", "copy", "--to", f"sqlite:///{work / 'copy-target.db'}"],
        "audit-verify": ["audit", "verify"],
        "backup": ["backup"],
        "restore": ["restore", str(work / "good-backup.db"), "--yes"],
        "set-pin": ["set-pin", "王丽"],
        "serve-lobby": ["serve-lobby", "--port", "8999"],
        "serve": ["serve", "--host", "127.0.0.1", "--port", "8998"],
        "import": ["import", "customers", str(csv), "--user", "王丽"],
        "export": ["export", "visits", "--from", "2026-11-01", "--to", "2026-11-30", "-o", "@out/visits.csv"],
    }


#: (command, fault) -> True where the command must succeed despite the fault.
WORKS = {
    *{(c, "read-only-file") for c in READS},
    *{(c, "read-only-folder") for c in READS},
    # a restore replaces a damaged desk database or an empty file, never one that is not desk's
    ("restore", "damaged"),
    ("restore", "zero-byte"),
    ("demo", "zero-byte"),
    *{
        (c, "busy")
        for c in (
            "report",
            "db-upgrade",
            "db-copy",
            "audit-verify",
            "backup",
            "set-pin",
            "serve-lobby",
            "serve",
            "import",
            "export",
        )
    },
    *{(c, "disk-full") for c in ("report", "db-upgrade", "db-copy", "audit-verify", "serve-lobby", "serve")},
}


@pytest.fixture(scope="module")
def good_shop(tmp_path_factory) -> Path:
    """A small shop with a user who has a PIN and one visit, checkpointed."""
    from tests.reliability.test_crash_and_corruption import save_visit, writer_desk

    where = tmp_path_factory.mktemp("good")
    path = where / "desk.db"
    url = f"sqlite:///{path}"
    ids = seed(url)
    d = writer_desk(url)
    save_visit(d, *ids, 0)
    from desk.domain.entities import Role, User

    manager = User(id=ids[0], name="王丽", roles=frozenset({Role.ADVISOR}))
    d.security.set_pin(manager, ids[0], "4711")
    d.ctx.engine.dispose()
    from desk.store import pinkey

    # its PIN was keyed in this session's data folder: the key goes with the shop
    pinkey.write_export(where / "pin-key", [pinkey.find(auth.key_id(_pin_hash(path)))])
    return path


def _pin_hash(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute("select pin_hash from user where pin_hash is not null").fetchone()[0]


def _bring_pin_key(good: Path) -> None:
    """Into this test's own data folder, as ``desk pin-key import`` brings a shop's key."""
    from desk.store import pinkey

    for key in pinkey.read_export((good.parent / "pin-key").read_text(encoding="ascii")):
        pinkey.add(key)


def _immutable(path: Path, on: bool) -> None:
    if os.geteuid() != 0:
        path.chmod((0o555 if path.is_dir() else 0o444) if on else (0o755 if path.is_dir() else 0o644))
        return
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    if done.returncode != 0 and on:
        pytest.fail(
            f"chattr +i {path} failed: {done.stderr.decode().strip()} (root needs an immutable file "
            "to have a read-only one)",
            pytrace=False,
        )


def _hold(path: Path, ready, seconds: float) -> None:
    """Another terminal: inside a write transaction for ``seconds``, then idle
    but still open (its presence stays)."""
    from desk.store import presence

    held = presence.join(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    ready.send("locked")
    time.sleep(seconds)
    conn.execute("ROLLBACK")
    signal.pause()
    held.close()  # pragma: no cover - killed before


@contextlib.contextmanager
def fault(kind: str, good: Path, work: Path, monkeypatch):
    """The database path for ``kind``, with the fault in place for the block."""
    data = work / "data"
    monkeypatch.setenv("DESK_DATA_DIR", str(data))
    data.mkdir()
    _bring_pin_key(good)
    folder = work / "shop"
    folder.mkdir()
    path = folder / "desk.db"
    if kind == "missing-folder":
        yield work / "nowhere" / "desk.db"
        return
    if kind == "disk-full":
        if not CAN_MOUNT:
            pytest.fail("disk full needs a small tmpfs: run as root with mount(8)", pytrace=False)
        with tmpfs(work / "small", "3m") as small:
            shutil.copy2(good, small / "desk.db")
            monkeypatch.setenv("DESK_DATA_DIR", str(small / "data"))
            (small / "data").mkdir()
            _bring_pin_key(good)
            with open(small / "filler", "wb") as fh, contextlib.suppress(OSError):
                fh.write(b"\0" * shutil.disk_usage(small).free)  # to the last byte
            yield small / "desk.db"
        return
    if kind == "zero-byte":
        path.write_bytes(b"")
    elif kind == "not-a-database":
        path.write_text("Kundenliste 2025\nMüller;Bremen\n" * 40, encoding="utf-8")
    else:
        shutil.copy2(good, path)
    if kind == "damaged":
        raw = bytearray(path.read_bytes())
        for page in range(1, len(raw) // 4096):
            raw[page * 4096 + 8 : page * 4096 + 400] = b"\xa5" * 392
        path.write_bytes(bytes(raw))
    if kind in ("read-only-file", "read-only-folder"):
        target = path if kind == "read-only-file" else folder
        _immutable(target, True)
        try:
            yield path
        finally:
            _immutable(target, False)
        return
    if kind == "busy":
        receive, send = FORK.Pipe(duplex=False)
        holder = FORK.Process(target=_hold, args=(path, send, 1.5), daemon=True)
        holder.start()
        try:
            assert receive.poll(10) and receive.recv() == "locked"
            yield path
        finally:
            os.kill(holder.pid, signal.SIGKILL)
            holder.join()
        return
    yield path


def _prepare(work: Path, good: Path) -> None:
    shutil.copy2(good, work / "good-backup.db")
    (work / "customers.csv").write_text("name,phone,plate\n张伟,13900000000,沪B54321\n", encoding="utf-8")


@pytest.fixture
def no_server(monkeypatch):
    """``serve`` and ``serve-lobby`` check the database, then would listen: not here."""
    served = []
    monkeypatch.setattr("desk.cli.serve.serve", lambda site, **kw: served.append(site))
    return served


@pytest.mark.parametrize("kind", FAULTS)
@pytest.mark.parametrize("command", list(_commands(Path("/x"))))
def test_every_command_against_every_fault(command, kind, good_shop, tmp_path, monkeypatch, no_server):
    work = tmp_path
    _prepare(work, good_shop)
    monkeypatch.setattr("desk.cli.common.WAIT_SECONDS", 3.0)
    with fault(kind, good_shop, work, monkeypatch) as path:
        args = _commands(work)[command]
        out_dir = path.parent / "out"
        if "@out/visits.csv" in args:
            if path.parent.is_dir() and os.access(path.parent, os.W_OK):
                out_dir.mkdir(exist_ok=True)
            else:  # a read-only or missing shop folder: the export goes elsewhere
                out_dir = work / "out"
                out_dir.mkdir()
            args = [a.replace("@out", str(out_dir)) for a in args]
        runner = CliRunner()
        result = runner.invoke(main, ["--db", str(path), *args], input="4711\n4711\n4711\n", catch_exceptions=False)
    said = result.stdout + result.stderr
    assert "Traceback" not in said, said
    assert "[Errno" not in said and ".presence" not in said and "terminal-lock" not in said, said
    expected_ok = (command, kind) in WORKS
    if expected_ok:
        assert result.exit_code == 0, f"{command} should work on {kind}: {said}"
    else:
        assert result.exit_code != 0, f"{command} should have failed on {kind}: {said}"
        assert result.stderr.strip(), f"{command} on {kind}: no sentence on stderr"
        assert "Unexpected error" not in result.stderr, result.stderr  # every fault has its own sentence


def test_the_real_entry_point_says_a_sentence_too(tmp_path):
    """``python -m desk`` as a user runs it: a fault is one line on stderr and
    exit code 1, for a command and for a start-up fault alike."""
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    env = {**os.environ, "DESK_DATA_DIR": str(tmp_path / "data")}
    for args in (
        ["--db", str(tmp_path / "nowhere" / "x.db"), "audit", "verify"],
        ["--db", str(empty), "report", "--from", "2026-11-01"],
        ["--db", str(empty), "backup", str(tmp_path / "nowhere" / "b.db")],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "desk", *args], capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 1, (args, done.stdout, done.stderr)
        assert done.stderr.strip() and "Traceback" not in done.stderr + done.stdout, done.stderr
    assert empty.stat().st_size == 0  # an empty file is never made into a shop unasked


def test_an_empty_file_becomes_a_shop_with_init_only(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    refused = CliRunner().invoke(main, ["--db", str(empty), "db", "upgrade"], catch_exceptions=False)
    assert refused.exit_code == 1 and "--init" in refused.stderr and empty.stat().st_size == 0
    made = CliRunner().invoke(main, ["--db", str(empty), "--init", "db", "upgrade"], catch_exceptions=False)
    assert made.exit_code == 0 and "schema at" in made.stdout and empty.stat().st_size > 0
    assert NOW
