"""Writes in flight in this process: what an ending process waits for, and only
that (``desk.shell.leave``). A write is a transaction (``db.write_session``) or a
migration (``db.upgrade``); reading, loading the services and the background
checks are not. Plain ``threading``: imported at exit without SQLAlchemy."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

_count = 0
_settled = threading.Condition()


@contextlib.contextmanager
def one() -> Iterator[None]:
    """Counts as a write in flight while it runs."""
    global _count
    with _settled:
        _count += 1
    try:
        yield
    finally:
        with _settled:
            _count -= 1
            _settled.notify_all()


def in_flight() -> int:
    return _count


def wait(timeout: float) -> bool:
    """Until no write is in flight (True), or ``timeout`` seconds (False)."""
    with _settled:
        return _settled.wait_for(lambda: _count == 0, timeout)
