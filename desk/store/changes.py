"""Change feed: "data changed on another terminal", within about a second.

* SQLite: ``PRAGMA data_version`` polled on a connection of its own (every 0.2 s:
  one cheap pragma, no table read; a change shows well within a second even on a
  busy machine). When it moves, the audit events written since
  the last look name the visits that changed. This works in both journals (WAL,
  and the rollback journal used on an affected library, see ``desk.store.db``):
  the pragma sees every other process's commit. With the rollback journal a look
  can meet a commit being written; it then waits (the busy timeout) or, past it,
  tries again at the next poll — the feed never stops for a busy file.
* PostgreSQL: ``LISTEN desk_changes``. Every service transaction sends
  ``NOTIFY desk_changes, '<visit id>'`` with its audit event (``notify`` below,
  called from ``Base._audit``), so the notice is delivered when — and only if —
  the change commits.

The feed reports sets of visit ids; an empty set means "something changed, not
tied to one visit" (a customer, a user, a setting). A terminal's own writes are
reported too: a screen that reloads on a change needs no special case.

    with ChangeFeed(url) as feed:
        while running:
            ids = feed.wait(0.2)      # None: nothing changed in that time
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url

CHANNEL = "desk_changes"
POLL_SECONDS = 0.2


def notify(session, visit_id: int | None) -> None:
    """Queue a change notice in ``session``'s transaction (PostgreSQL only; on
    SQLite the feed sees the commit through ``data_version``)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": "" if visit_id is None else str(visit_id)},
        )


class ChangeFeed:
    """Blocking change feed over one database; use from a thread."""

    def __init__(self, url: str, *, interval: float = POLL_SECONDS) -> None:
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        self.url = url
        self.interval = interval
        self.dialect = make_url(url).get_backend_name()
        self._conn = None
        self._version: int | None = None
        self._last_event = 0
        self._lock = threading.Lock()
        self._presence = None
        self.closed = False
        self._open()

    # ------------------------------------------------------------------ lifecycle

    def _open(self) -> None:
        if self.dialect == "sqlite":
            import sqlite3
            from pathlib import Path

            from desk.store import presence

            path = make_url(self.url).database or ""
            self._presence = presence.join(Path(path)) if path and path != ":memory:" else None
            # autocommit (isolation_level=None): never holds a read snapshot open
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=1)
            self._version = self._retrying(self._sqlite_version)
            self._last_event = self._retrying(self._sqlite_last_event)
        elif self.dialect == "postgresql":
            import psycopg

            conninfo = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
            self._conn = psycopg.connect(conninfo, autocommit=True)
            self._conn.execute(f"LISTEN {CHANNEL}")
        else:  # pragma: no cover - only the two supported backends
            raise ValueError(f"no change feed for {self.dialect}")

    def close(self) -> None:
        with self._lock:
            self.closed = True
            if self._conn is not None:
                try:
                    self._conn.close()
                finally:
                    self._conn = None
            if self._presence is not None:
                self._presence.close()
                self._presence = None

    def __enter__(self) -> ChangeFeed:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ SQLite

    @staticmethod
    def _retrying(read, tries: int = 20):
        """A look that met a commit being written past the busy timeout: again."""
        import sqlite3

        for attempt in range(tries):
            try:
                return read()
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if ("locked" not in text and "busy" not in text) or attempt == tries - 1:
                    raise
                time.sleep(0.05)
        raise AssertionError("unreachable")  # pragma: no cover

    def _sqlite_version(self) -> int:
        return self._conn.execute("PRAGMA data_version").fetchone()[0]

    def _sqlite_last_event(self) -> int:
        import sqlite3

        try:
            return self._conn.execute("SELECT coalesce(max(id), 0) FROM audit_event").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc).lower():  # not migrated yet
                return 0
            raise

    def _sqlite_changes(self) -> set[int] | None:
        import sqlite3

        try:
            version = self._sqlite_version()
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if "locked" in text or "busy" in text:
                return None  # a commit is being written: the next look sees it
            raise
        if version == self._version:
            return None
        ids: set[int] = set()
        try:
            rows = self._conn.execute(
                "SELECT id, visit_id FROM audit_event WHERE id > ? ORDER BY id", (self._last_event,)
            ).fetchall()
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if "locked" in text or "busy" in text:
                return None  # version not taken: the next look reads the events again
            rows = []  # schema not there yet: "something changed"
        except Exception:  # noqa: BLE001 - schema not there yet: "something changed"
            rows = []
        self._version = version
        for event_id, visit_id in rows:
            self._last_event = max(self._last_event, event_id)
            if visit_id is not None:
                ids.add(visit_id)
        return ids

    # ------------------------------------------------------------------ API

    def wait(self, timeout: float | None = None, *, stop: threading.Event | None = None) -> set[int] | None:
        """Block up to ``timeout`` seconds (default: the poll interval) for changes
        committed since the last call. Returns the changed visit ids (possibly an
        empty set: "something changed"), or None when nothing changed. Setting
        ``stop`` (e.g. a worker's ``cancelled_event``) ends the wait early."""
        timeout = self.interval if timeout is None else timeout
        if self.closed or (stop is not None and stop.is_set()):
            return None
        if self.dialect == "sqlite":
            deadline = time.monotonic() + timeout
            while True:
                with self._lock:
                    if self.closed:
                        return None
                    found = self._sqlite_changes()
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                if stop is not None:
                    if stop.wait(min(self.interval, left)):
                        return None
                else:
                    time.sleep(min(self.interval, left))
        ids: set[int] = set()
        seen = False
        deadline = time.monotonic() + timeout
        with self._lock:
            while not seen and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0 or (stop is not None and stop.is_set()):
                    return None
                # short slices, so a stop request is honoured quickly
                for note in self._conn.notifies(timeout=min(left, 0.1), stop_after=1):
                    seen = True
                    if note.payload.isdigit():
                        ids.add(int(note.payload))
            if seen:  # collect the rest of a burst without waiting again
                for note in self._conn.notifies(timeout=0.01):
                    if note.payload.isdigit():
                        ids.add(int(note.payload))
        return ids if seen else None

    def __iter__(self) -> Iterator[set[int]]:
        while not self.closed:
            found = self.wait()
            if found is not None:
                yield found
