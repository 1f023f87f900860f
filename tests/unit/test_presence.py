"""Presence: every connection to a SQLite file says who it is; a restore (or a
journal switch) gets the file alone or names who has it open."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal

import pytest

from desk.domain.errors import StoreBusy
from desk.store import presence
from desk.store.db import make_engine

FORK = mp.get_context("fork")


def test_holders_are_named_and_leave_when_they_close(tmp_path):
    db = tmp_path / "shop.db"
    first = presence.join(db)
    second = presence.join(db)
    found = presence.holders(db)
    assert [h.pid for h in found] == [os.getpid()]  # one line per process, however many connections
    assert found[0].user and found[0].host and found[0].command
    with pytest.raises(StoreBusy) as held:
        with presence.alone(db):
            pass
    assert str(os.getpid()) in str(held.value) and held.value.holders
    first.close()
    with pytest.raises(StoreBusy):  # the second connection is still open
        with presence.alone(db):
            pass
    second.close()
    assert presence.holders(db) == []
    with presence.alone(db):  # nobody left: the file is ours
        with pytest.raises(StoreBusy):
            presence.join(db, wait=0.2)  # nobody may join while it is held alone
    assert presence.join(db) is not None


def test_the_signed_in_user_is_shown(tmp_path):
    db = tmp_path / "shop.db"
    held = presence.join(db)
    try:
        presence.set_label(signed_in="王丽")
        assert presence.holders(db)[0].signed_in == "王丽"
        assert "王丽" in presence.holders(db)[0].describe()
    finally:
        presence.set_label(signed_in="")
        held.close()


def _hold_until_killed(db, ready) -> None:
    held = presence.join(db)
    ready.send("in")
    signal.pause()
    held.close()  # pragma: no cover - killed before


def test_a_crashed_process_no_longer_counts(tmp_path):
    db = tmp_path / "shop.db"
    receive, send = FORK.Pipe(duplex=False)
    child = FORK.Process(target=_hold_until_killed, args=(db, send), daemon=True)
    child.start()
    try:
        assert receive.poll(10) and receive.recv() == "in"
        assert [h.pid for h in presence.holders(db)] == [child.pid]
        with pytest.raises(StoreBusy) as held:
            with presence.alone(db):
                pass
        assert f"pid {child.pid}" in str(held.value)
    finally:
        os.kill(child.pid, signal.SIGKILL)  # no goodbye: the OS drops its lock
        child.join()
    assert presence.holders(db) == []
    with presence.alone(db):
        pass


def test_every_engine_connection_announces_itself_until_disposed(tmp_path):
    db = tmp_path / "shop.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT 1")
        assert [h.pid for h in presence.holders(db)] == [os.getpid()]
    assert presence.holders(db)  # pooled: still open
    engine.dispose()
    assert presence.holders(db) == []
    with presence.alone(db):
        pass


def test_a_read_only_folder_has_no_presence_and_no_error(tmp_path, monkeypatch):
    db = tmp_path / "shop.db"
    monkeypatch.setattr(presence, "_open_file", lambda path: None)  # as open() fails in a read-only folder
    assert presence.join(db) is None
    with presence.alone(db):
        pass


def test_a_program_holding_the_file_is_named_on_one_line(tmp_path):
    """A `python -c` script's newlines printed the restore refusal over several
    lines (breaking test of issue 24): the command reads as one line."""
    import subprocess
    import sys

    from desk.store.presence import openers

    db = tmp_path / "shop.db"
    db.write_bytes(b"")
    script = f"import time\nf = open({str(db)!r}, 'rb')\nprint('ready', flush=True)\ntime.sleep(30)\n"
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        named = [o.describe() for o in openers(db) if o.pid == holder.pid]
        assert named and "\n" not in named[0] and "import time f = open(" in named[0], named
    finally:
        holder.kill()
        holder.wait()


def test_a_program_holding_the_file_under_a_hard_link_is_found(tmp_path):
    """The third breaking test wrote through a hard link to the shop's file while a
    restore replaced it: the open file is the same (device and inode), whatever
    its name."""
    import os
    import subprocess
    import sys

    from desk.store.presence import openers

    db = tmp_path / "shop.db"
    db.write_bytes(b"")
    other = tmp_path / "elsewhere.db"
    os.link(db, other)
    script = f"import time\nf = open({str(other)!r}, 'rb')\nprint('ready', flush=True)\ntime.sleep(30)\n"
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert [o.pid for o in openers(db) if o.pid == holder.pid] == [holder.pid]
    finally:
        holder.kill()
        holder.wait()


def test_a_child_forked_with_the_file_open_is_not_another_program(tmp_path):
    """A process's own children (a pool forked while the shop was open) hold its
    file with the descriptors they inherited: they are not another program
    holding it (the bench's generator waited on its own pool and gave up)."""
    import os
    import time

    from desk.store.presence import openers

    db = tmp_path / "shop.db"
    db.write_bytes(b"")
    held = open(db, "rb")  # held open across the fork on purpose
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child only sleeps
            time.sleep(5)
            os._exit(0)
        try:
            time.sleep(0.2)
            assert pid not in [o.pid for o in openers(db)]
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
    finally:
        held.close()
