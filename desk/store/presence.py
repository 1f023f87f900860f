"""Who has a SQLite file open: every terminal, browser session and command.

Several terminals share one SQLite file (see :mod:`desk.store.db` for the journal
that makes that safe on this machine's library). Two things need the file
*alone*: a restore, and switching a WAL file to the rollback journal. For them
every SQLite connection desk opens announces itself in ``<db>.presence`` beside
the database:

* it holds a shared ``flock`` on that file for as long as it is open (the
  operating system drops it when the process ends, crash or not), and
* it appends one line saying who it is: user, host, pid, command, since when
  (readable by the others; a line for a connection that closed or a process
  that died no longer counts).

Whoever needs the file alone takes the exclusive lock (:func:`alone`); when it
cannot, :func:`holders` names who has it open. A folder where the presence file
cannot be written (a read-only folder) has no presence: nothing there can write
the database either. Windows has no ``fcntl``: presence is a no-op there.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from desk.domain.errors import StoreBusy
from desk.i18n import N_

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: How long joining waits while someone holds the file alone (a restore).
JOIN_WAIT_SECONDS = 30.0

_label_lock = threading.Lock()
#: What this process says it is, beside its command line (e.g. the signed-in user).
_label: dict[str, str] = {}
_open: weakref.WeakSet[Presence] = weakref.WeakSet()


def presence_path(db: Path) -> Path:
    return db.with_name(db.name + ".presence")


@dataclass(frozen=True)
class Holder:
    """One connection that has the database open."""

    pid: int
    host: str
    user: str
    command: str
    since: str
    signed_in: str = ""

    def describe(self) -> str:
        who = f"{self.signed_in} ({self.user})" if self.signed_in else self.user
        return f"{who} on {self.host}: {self.command} (pid {self.pid}, since {self.since})"


def _command() -> str:
    name = os.path.basename(sys.argv[0] or "python")
    if name in ("__main__.py", "-m", "-c"):  # python -m desk
        name = "desk"
    return one_line(" ".join(a for a in [name, *sys.argv[1:4]] if a))[:80]


def _start_ticks(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so a reused
    pid is not taken for the process that wrote a line."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(pid: int, host: str, start: str) -> bool:
    if host != socket.gethostname():
        return True  # cannot be checked from here: assume it is
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: alive
    return not start or not _start_ticks(pid) or _start_ticks(pid) == start


class Presence:
    """One connection's announcement; :meth:`close` ends it."""

    def __init__(self, path: Path, handle: IO, token: str) -> None:
        self.path = path
        self._handle: IO | None = handle
        self.token = token

    def _record(self) -> dict:
        with _label_lock:
            label = dict(_label)
        return {
            "op": "open",
            "token": self.token,
            "pid": os.getpid(),
            "start": _start_ticks(os.getpid()),
            "host": socket.gethostname(),
            "user": _os_user(),
            "command": label.get("command") or _command(),
            "signed_in": label.get("signed_in", ""),
            "since": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
        }

    def announce(self) -> None:
        handle = self._handle
        if handle is None:
            return
        try:
            _append(handle, self._record())
        except ValueError:  # closed meanwhile by another thread
            pass
        except OSError:  # a full disk: the lock still counts, the name is not known
            pass

    def close(self) -> None:
        handle, self._handle = self._handle, None
        with _label_lock:
            _open.discard(self)
        if handle is None:
            return
        with contextlib.suppress(OSError):
            _append(handle, {"op": "close", "token": self.token})
        with contextlib.suppress(OSError):
            handle.close()  # drops the shared lock

    def __del__(self) -> None:  # a connection dropped without close: still let go
        with contextlib.suppress(Exception):
            self.close()


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no name for this uid
        return str(os.getuid()) if hasattr(os, "getuid") else "?"


def _append(handle: IO, record: dict) -> None:
    # one short write with O_APPEND: lines from several processes never interleave
    os.write(handle.fileno(), (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))


def _open_file(path: Path) -> IO | None:
    try:
        return open(path, "a+b", buffering=0)
    except OSError:
        return None  # a read-only or missing folder: nobody can write the database here anyway


def join(db: Path, *, wait: float | None = None) -> Presence | None:
    """Announce a new connection to ``db``; None where presence cannot be kept.

    Waits up to ``wait`` seconds (default :data:`JOIN_WAIT_SECONDS`) while someone
    has the file alone (a restore in progress), then raises StoreBusy."""
    if fcntl is None:
        return None
    path = presence_path(db)
    handle = _open_file(path)
    if handle is None:
        return None
    deadline = time.monotonic() + (JOIN_WAIT_SECONDS if wait is None else wait)
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                pass
            else:  # alone: every line in the file is stale, start afresh
                os.ftruncate(handle.fileno(), 0)
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
                break
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        N_("The database is being restored or switched on another terminal; try again in a moment")
                    ) from None
                time.sleep(0.1)
        presence = Presence(path, handle, uuid.uuid4().hex)
        presence.announce()
    except BaseException:
        handle.close()
        raise
    with _label_lock:
        _open.add(presence)
    return presence


def set_label(*, signed_in: str | None = None, command: str | None = None) -> None:
    """Say who this process is (the signed-in user, a clearer command) in every
    presence line it writes from now on, and re-announce the open ones."""
    with _label_lock:
        if signed_in is not None:
            _label["signed_in"] = signed_in
        if command is not None:
            _label["command"] = command
        current = list(_open)
    for presence in current:
        with contextlib.suppress(OSError, ValueError):
            presence.announce()


def read_holders(db: Path, *, exclude_token: str | None = None) -> list[Holder]:
    """The connections recorded as open on ``db`` (the latest line of each),
    without those that closed or whose process is gone; one per process."""
    try:
        raw = presence_path(db).read_bytes()
    except OSError:
        return []
    records: dict[str, dict] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        token = rec.get("token")
        if not token or token == exclude_token:
            continue
        if rec.get("op") == "close":
            records.pop(token, None)
        elif rec.get("op") == "open":
            records[token] = rec
    seen: dict[tuple[str, int], Holder] = {}
    for rec in records.values():
        try:
            pid, host = int(rec["pid"]), str(rec["host"])
        except (KeyError, TypeError, ValueError):
            continue
        if not _alive(pid, host, str(rec.get("start", ""))):
            continue
        seen[(host, pid)] = Holder(
            pid=pid,
            host=host,
            user=str(rec.get("user", "?")),
            command=str(rec.get("command", "?")),
            since=str(rec.get("since", "")),
            signed_in=str(rec.get("signed_in", "")),
        )
    return sorted(seen.values(), key=lambda h: (h.since, h.pid))


def holders(db: Path) -> list[Holder]:
    """Who has ``db`` open right now, as far as can be known."""
    return read_holders(db)


def names(found: list[Holder]) -> tuple[str, ...]:
    return tuple(h.describe() for h in found)


HELD = N_("The database is open elsewhere: {holders}. Close desk there first")
HELD_UNKNOWN = N_("The database is open in another program; close it first")


@contextlib.contextmanager
def alone(db: Path) -> Iterator[None]:
    """Hold ``db`` alone (no other desk connection open, none may join) for the
    block; raise StoreBusy naming the holders when others have it open."""
    if fcntl is None:  # pragma: no cover - Windows
        yield
        return
    path = presence_path(db)
    handle = _open_file(path)
    if handle is None:
        yield  # a read-only folder: no desk process can have it open for writing
        return
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            found = read_holders(db)
            if found:
                raise StoreBusy(HELD, {"holders": "; ".join(names(found))}, holders=names(found)) from None
            raise StoreBusy(HELD_UNKNOWN) from None
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(handle.fileno(), 0)
    finally:
        handle.close()


# ----------------------------------------------------------------------------- any process at all


@dataclass(frozen=True)
class Opener:
    """A process that has the database (or its journal) open, desk or not."""

    pid: int
    user: str
    command: str

    def describe(self) -> str:
        return f"{self.command} (pid {self.pid}, user {self.user})"


def _proc_user(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
                try:
                    import pwd

                    return pwd.getpwuid(uid).pw_name
                except (ImportError, KeyError):
                    return str(uid)
    except (OSError, ValueError, IndexError):
        pass
    return "?"


def _proc_command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    parts = [a.decode("utf-8", "replace") for a in raw.split(b"\0") if a]
    return one_line(" ".join(parts))[:80] or "?"


def one_line(text: str) -> str:
    """A command line as one line of printable text: a ``python -c`` script's
    newlines and tabs become spaces, control characters are dropped, so a
    refusal naming the program reads as one sentence."""
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _parent(entry: Path) -> int | None:
    """The parent's pid of the process ``/proc/<pid>`` (None: it cannot be read)."""
    try:
        stat = (entry / "stat").read_text()
        return int(stat[stat.rindex(")") + 2 :].split()[1])  # after "(comm)": state, ppid
    except (OSError, ValueError, IndexError):
        return None


def _cmdline(entry: Path) -> bytes | None:
    try:
        return (entry / "cmdline").read_bytes()
    except OSError:
        return None


def _same_file(fd: Path, files: set[tuple[int, int]]) -> bool:
    try:
        st = fd.stat()  # follows the link to the open file itself
    except OSError:
        return False
    return (st.st_dev, st.st_ino) in files


def openers(db: Path, *, proc: Path = Path("/proc")) -> list[Opener]:
    """Every other process that has ``db`` (or its -journal/-wal) open, found in
    ``/proc/<pid>/fd`` (Linux; elsewhere, or without the right to look, none):
    a program that does not announce itself in the presence file (a database
    editor, a script with ``sqlite3``) is found too."""
    if not proc.is_dir():
        return []
    targets = set()
    #: the files themselves (device, inode): a program that opened one under another
    #: name (a hard link) holds the same file (the breaking test wrote through one)
    files = set()
    for name in (db.name, db.name + "-journal", db.name + "-wal"):
        try:
            path = (db.parent / name).resolve()
            targets.add(str(path))
            st = path.stat()
            files.add((st.st_dev, st.st_ino))
        except OSError:
            continue
    found = []
    me = os.getpid()
    mine = _cmdline(proc / str(me))
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        if _parent(entry) == me and mine is not None and _cmdline(entry) == mine:
            continue  # a fork of this process (a worker pool): it holds what it was forked with
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link in targets or (link.startswith("/") and _same_file(fd, files)):
                pid = int(entry.name)
                found.append(Opener(pid, _proc_user(pid), _proc_command(pid)))
                break
    return sorted(found, key=lambda o: o.pid)
