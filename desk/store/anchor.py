"""The audit log's head kept outside the database, so removing its newest events
(or all of them) is found.

The hash chain (:mod:`desk.store.audit`) finds an event that was changed or
removed from the middle of the log, but not the newest ones cut off its end: what
is left is still a valid chain. So after every commit that wrote audit events the
head (id, hash) is written to an *anchor* file in the data directory,
``anchors/<shop id>-<hash of the database's path>.json``, where a database editor
does not reach. ``desk audit verify`` reads the anchor first, then the log: the
event the anchor names must still be there with the same hash.

* Off the committing thread: a save only notes its head; one background thread
  per process writes the newest, a quarter of a second later (a burst of saves
  costs one file write). A
  process that ends writes what is pending first (``atexit``); one killed may
  leave the anchor a few events behind, which is never an alarm.
* Several terminals and processes: the file is rewritten under an exclusive
  lock (``lockf``) and only moves forward (a higher event id), and only while the head
  it records is still in the log: a log whose newest events were removed and
  others written in their place does not move the anchor, so verify keeps
  finding the cut.
* Keyed by the shop id and the path: a copied database (same shop id, another
  path) has an anchor of its own; one replaced in place by another shop's file,
  or whose shop id was edited, is named. A restore through desk resets the
  anchor to the restored head (and audits that); a database moved to another
  folder starts a new anchor there.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process's threads are still serialised
    fcntl = None  # type: ignore[assignment]

#: How long the writer lets a burst of commits settle before it writes their head.
DEBOUNCE_SECONDS = 0.25

#: Execution option of :mod:`desk.store.db` (a write transaction); the anchor only reads.
_WRITE = "desk_write"


@dataclass(frozen=True)
class Head:
    """The newest audit event: its id and hash."""

    id: int
    hash: str


@dataclass(frozen=True)
class Anchor:
    """What an anchor file holds."""

    shop_id: str
    db: str
    id: int
    hash: str
    at: str

    @property
    def head(self) -> Head:
        return Head(self.id, self.hash)


# ----------------------------------------------------------------------------- where


def folder() -> Path:
    from desk.locations import data_dir

    return data_dir() / "anchors"


def _text(url: str | sa.URL) -> str:
    return url.render_as_string(hide_password=False) if isinstance(url, sa.URL) else str(url)


def sqlite_file(url: str | sa.URL) -> Path | None:
    """The file of a SQLite URL, a read-only one (``file:…?mode=ro``) included."""
    from desk.store.health import sqlite_path

    if isinstance(url, sa.URL):
        if not url.drivername.startswith("sqlite"):
            return None
        if not url.database or url.database == ":memory:":
            return None
        path = Path(url.database.split("?", 1)[0])
    else:
        path = sqlite_path(url)
    if path is None:
        return None
    text = str(path)
    return Path(text[len("file:") :]) if text.startswith("file:") else path


def db_key(url: str | sa.URL) -> str:
    """The database an anchor belongs to: a SQLite file's full path, or a server
    URL without its password."""
    path = sqlite_file(url)
    if path is not None:
        return str(path.resolve())
    u = sa.make_url(_text(url))
    return u.set(password=None, drivername=u.get_backend_name()).render_as_string(hide_password=True)


def _path_tag(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _shop_tag(shop_id: str) -> str:
    return "".join(c for c in shop_id.lower() if c.isalnum())[:32] or "noshop"


def anchor_path(shop_id: str, key: str) -> Path:
    return folder() / f"{_shop_tag(shop_id)}-{_path_tag(key)}.json"


# ----------------------------------------------------------------------------- reading


def _load(path: Path) -> Anchor | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Anchor(
            str(data["shop_id"]), str(data["db"]), int(data["id"]), str(data["hash"]), str(data.get("at", ""))
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read(shop_id: str, key: str) -> Anchor | None:
    return _load(anchor_path(shop_id, key))


def others_for(shop_id: str, key: str) -> list[Anchor]:
    """Anchors of the same path under another shop id (the file was replaced, or
    its shop id edited)."""
    d = folder()
    if not d.is_dir():
        return []
    found = []
    for p in d.glob(f"*-{_path_tag(key)}.json"):
        a = _load(p)
        if a is not None and a.db == key and _shop_tag(a.shop_id) != _shop_tag(shop_id):
            found.append(a)
    return found


# ----------------------------------------------------------------------------- writing


_thread_lock = threading.Lock()


@contextlib.contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with _thread_lock:
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        fd = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            # a POSIX record lock, not flock: a forked child does not inherit it
            # (an inherited flock would stay held for as long as the child lives)
            fcntl.lockf(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _store(path: Path, anchor: Anchor) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(asdict(anchor), fh, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def _now() -> str:
    return datetime.now().replace(microsecond=0).isoformat(sep=" ")


def advance(shop_id: str, key: str, head: Head, still_there) -> bool:
    """Move the anchor forward to ``head``: only to a higher id, and only while
    the head it records is still in the log (``still_there(head) -> bool``)."""
    path = anchor_path(shop_id, key)
    with _locked(path):
        current = _load(path)
        if current is not None:
            if head.id <= current.id:
                return False
            if not still_there(current.head):
                return False  # the log lost its anchored head: keep it, verify names it
        _store(path, Anchor(shop_id, key, head.id, head.hash, _now()))
        return True


def reset(shop_id: str, key: str, head: Head | None) -> Anchor | None:
    """Set the anchor of ``key`` to ``head`` whatever it was (a restore), and drop
    the path's anchors under other shop ids. Returns the anchor it replaced."""
    path = anchor_path(shop_id, key)
    with _locked(path):
        old = _load(path)
        for other in others_for(shop_id, key):
            with contextlib.suppress(OSError):
                anchor_path(other.shop_id, key).unlink()
            old = old or other
        if head is None or head.id == 0:
            with contextlib.suppress(OSError):
                path.unlink()
        else:
            _store(path, Anchor(shop_id, key, head.id, head.hash, _now()))
    return old


# ----------------------------------------------------------------------------- the database side


class _Reader:
    """Two or three small queries on a connection of its own: a plain read-only
    SQLite connection, opened and closed around them (the anchor never keeps a
    connection in the engine's pool, so a restore finds the file free), or a
    pooled one on a server."""

    def __init__(self, conn) -> None:
        self._conn = conn

    def first(self, sql: str, params: dict | None = None):
        if isinstance(self._conn, sqlite3.Connection):
            return self._conn.execute(sql, params or {}).fetchone()
        return self._conn.execute(sa.text(sql), params or {}).first()


@contextlib.contextmanager
def reading(engine: Engine):
    from desk.store.health import _ro_uri

    path = sqlite_file(engine.url)
    if path is not None:
        conn = sqlite3.connect(_ro_uri(path), uri=True, timeout=10)
        try:
            yield _Reader(conn)
        finally:
            conn.close()
        return
    with engine.connect() as conn:
        yield _Reader(conn.execution_options(**{_WRITE: False}))


def shop_id_of(reader: _Reader) -> str | None:
    try:
        row = reader.first("SELECT value FROM shop_meta WHERE key = 'shop_id'")
    except (sa.exc.DBAPIError, sqlite3.Error):
        return None
    return str(row[0]) if row and row[0] else None


def head_of(reader: _Reader) -> Head:
    row = reader.first("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1")
    return Head(int(row[0]), str(row[1])) if row else Head(0, "")


def has_event(reader: _Reader, head: Head) -> bool:
    row = reader.first("SELECT hash FROM audit_event WHERE id = :id", {"id": head.id})
    return bool(row) and row[0] == head.hash


def _anchor_now(engine: Engine, head: Head) -> None:
    with reading(engine) as reader:
        shop_id = shop_id_of(reader)
        if not shop_id:
            return
        advance(shop_id, db_key(engine.url), head, lambda h: has_event(reader, h))


class _Writer:
    """One background thread per process: writes the newest head noted for each
    engine (a burst of commits costs one write)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: dict[str, tuple[Engine, Head]] = {}
        self._busy = False
        self._hurry = False
        self._thread: threading.Thread | None = None
        self._retrying: set[str] = set()

    def submit(self, engine: Engine, head: Head) -> None:
        with self._cond:
            key = engine.url.render_as_string(hide_password=False)
            old = self._pending.get(key)
            if old is None or old[1].id < head.id:
                self._pending[key] = (engine, head)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="desk-audit-anchor", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._busy = False
                    self._cond.notify_all()
                    self._cond.wait()
                self._busy = True
                # let a burst of saves settle: one anchor write for all of them,
                # and no fsync of ours between two commits' own
                self._cond.wait_for(lambda: self._hurry, DEBOUNCE_SECONDS)
                _key, (engine, head) = self._pending.popitem()
            try:
                with _working:  # a fork waits for it: never a child born inside SQLite's or a lock's call
                    _anchor_now(engine, head)
            except Exception as exc:  # noqa: BLE001 - the anchor never breaks a save; it is reported
                _failed(engine, head, exc)
                if _listeners:  # a terminal shows it: try again until the folder is fixed
                    self._retry_later(engine, head)
            else:
                _written(engine)

    def _retry_later(self, engine: Engine, head: Head) -> None:
        """One timer per database, however many saves failed meanwhile."""
        key = engine.url.render_as_string(hide_password=False)
        with self._cond:
            if key in self._retrying:
                return
            self._retrying.add(key)

        def again() -> None:
            with self._cond:
                self._retrying.discard(key)
            self.submit(engine, head)

        timer = threading.Timer(RETRY_SECONDS, again)
        timer.daemon = True
        timer.start()

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every noted head is written (True) or ``timeout`` passed."""
        with self._cond:
            self._hurry = True
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout)
            finally:
                self._hurry = False


_writer = _Writer()
atexit.register(lambda: _writer.flush(3.0))


# ----------------------------------------------------------------------------- a failure is seen

#: Seconds between tries while an anchor could not be written (only while a
#: terminal listens: a command reports it once and ends).
RETRY_SECONDS = 5.0


@dataclass(frozen=True)
class Trouble:
    """The anchor of a database could not be written: since when, the newest
    event left unanchored, the folder and what the operating system said."""

    key: str
    folder: str
    since: str
    head_id: int
    detail: str


_trouble: dict[str, Trouble] = {}
_trouble_lock = threading.Lock()
_listeners: list = []


def trouble(url: str | sa.URL) -> Trouble | None:
    """Why the anchor of the database at ``url`` is behind (None: it is not)."""
    with _trouble_lock:
        return _trouble.get(db_key(url))


def listen(callback) -> None:
    """``callback(key, Trouble | None)`` after each anchor write that failed, or
    that succeeded after a failure (called on the writer's thread)."""
    with _trouble_lock:
        if callback not in _listeners:
            _listeners.append(callback)


def unlisten(callback) -> None:
    with _trouble_lock:
        if callback in _listeners:
            _listeners.remove(callback)


def _tell(key: str, found: Trouble | None) -> None:
    with _trouble_lock:
        listeners = list(_listeners)
    for callback in listeners:
        with contextlib.suppress(Exception):
            callback(key, found)


def _failed(engine: Engine, head: Head, exc: BaseException) -> None:
    key = db_key(engine.url)
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc.__class__.__name__
    with _trouble_lock:
        old = _trouble.get(key)
        found = Trouble(
            key, str(folder()), old.since if old else _now(), max(head.id, old.head_id if old else 0), detail
        )
        _trouble[key] = found
    _tell(key, found)


def _written(engine: Engine) -> None:
    key = db_key(engine.url)
    with _trouble_lock:
        was = _trouble.pop(key, None)
    if was is not None:
        _tell(key, None)


def writable() -> bool:
    """Can this process write the anchors' folder (and its lock file) now?"""
    d = folder()
    probe = d / f".probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        d.mkdir(parents=True, exist_ok=True)
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    except OSError:
        return False
    with contextlib.suppress(OSError):
        probe.unlink()
    return True


#: Held while the writer thread works; a fork takes it first, so a child is never
#: made while that thread is inside SQLite or holds a lock (the child would inherit
#: them held, by a thread it does not have).
_working = threading.Lock()


def _after_fork() -> None:
    """A forked child starts with no thread, nothing pending, and its own locks."""
    global _writer, _thread_lock, _working, _trouble_lock
    _writer = _Writer()
    _thread_lock = threading.Lock()
    _working = threading.Lock()
    _trouble_lock = threading.Lock()
    _trouble.clear()
    _listeners.clear()


def _before_fork() -> None:
    _working.acquire()


def _after_fork_in_parent() -> None:
    _working.release()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork_in_parent, after_in_child=_after_fork)


def note(engine: Engine, head: Head) -> None:
    """A commit wrote audit events up to ``head``: anchor it (in the background)."""
    _writer.submit(engine, head)


def flush(timeout: float = 5.0) -> bool:
    return _writer.flush(timeout)


# ----------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Finding:
    """What comparing the log with its anchor found: ``problem`` (a message id
    with ``params``) when the log lost its end, else ``note`` (none yet)."""

    event_id: int
    problem: str = ""
    note: str = ""
    params: dict[str, Any] | None = None


def read_for(engine: Engine) -> tuple[str | None, str, Anchor | None, list[Anchor]]:
    """Read the anchor (before the log: an anchor is never ahead of what a later
    read of the log sees)."""
    with reading(engine) as reader:
        shop_id = shop_id_of(reader)
    key = db_key(engine.url)
    if not shop_id:
        return None, key, None, []
    return shop_id, key, read(shop_id, key), others_for(shop_id, key)
