"""Live updates: other terminals' changes (and this one's) reach every screen.

The app watches the database in a thread of its own and posts :class:`DataChanged`
to itself; ``DeskApp.on_data_changed`` hands a copy to each screen of the stack.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from desk.shell.app import DeskApp


class DataChanged(Message, bubble=False):
    """Data changed on this or another terminal (seen within about a second).

    The app watches the database (``desk.store.changes.ChangeFeed``: SQLite
    ``data_version`` polling, PostgreSQL LISTEN/NOTIFY) and hands every change to
    the screens of the current stack. A screen that shows stored data reloads in
    its handler::

        def on_data_changed(self, message: DataChanged) -> None:
            if not message.visit_ids or self.visit_id in message.visit_ids:
                self.reload()

    ``visit_ids``: the visits that changed; empty when the change is not tied to
    one visit (a customer, a user). The terminal's own writes are reported too.
    Does not bubble: each screen of the stack gets its own copy.
    """

    def __init__(self, visit_ids: frozenset[int] = frozenset()) -> None:
        super().__init__()
        self.visit_ids = frozenset(visit_ids)


class ChangeWatcher:
    """Posts :class:`DataChanged` to the app for every change committed to the
    database.

    A daemon thread of its own rather than a Textual worker: it runs for the
    app's whole life, and ``workers.wait_for_complete()`` must not wait on it.
    """

    #: Seconds between looks at the database for other terminals' changes.
    #: The same as ``desk.store.changes.POLL_SECONDS`` (not imported: SQLAlchemy is
    #: not on the first frame's path).
    POLL_SECONDS = 0.2

    def __init__(self, app: DeskApp) -> None:
        self.app = app
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: How many changes were reported so far: a screen that was not on the
        #: current stack when one came (another area's) compares it on resume.
        self.seen = 0

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(self._stop,), name="desk-changes", daemon=True)
        self._thread.start()

    def stop(self, *, wait: bool = False) -> None:
        """Stop watching; ``wait``: until the thread let go of its connection."""
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def _watch(self, stop: threading.Event) -> None:
        from desk.store.changes import ChangeFeed  # SQLAlchemy: not on the first frame's path

        app = self.app
        try:
            feed = ChangeFeed(app.db_url, interval=self.POLL_SECONDS)
        except Exception:  # noqa: BLE001 - no live updates is not fatal
            return
        with feed:
            while not stop.is_set():
                try:
                    ids = feed.wait(self.POLL_SECONDS, stop=stop)
                except Exception:  # noqa: BLE001 - the server went away: stop quietly
                    return
                if ids is not None and not stop.is_set():
                    self.seen += 1
                    app.post_message(DataChanged(frozenset(ids)))
