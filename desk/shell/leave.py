"""The end of the ``desk`` process once its app has quit: it does not wait for
background loading (the services still importing, the integrity check reading a
large file, a board being read); it does wait for a write in flight, so a save
made just before quitting is kept, then runs the process's exit handlers (the
audit anchor's pending write, the logs) and ends."""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
from typing import Any

from textual.app import App

#: Seconds a write in flight is waited for (a busy database retries for a while).
WRITE_WAIT_SECONDS = 30.0


def run_and_leave(app: App[Any], **run: Any) -> None:
    """Run ``app`` (``run``: ``App.run``'s options), then :func:`leave` with its
    return code. On a loop of its own: ``asyncio.run`` would wait, before
    returning, for every worker thread still running (``shutdown_default_executor``)."""
    app.run(loop=asyncio.new_event_loop(), **run)
    leave(app.return_code)


def leave(code: int | None) -> None:
    """End the process with ``code`` now (see the module's docstring)."""
    from desk.store import writing

    writing.wait(WRITE_WAIT_SECONDS)
    atexit._run_exitfuncs()  # what a normal exit runs: anchors, logging
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    # a normal exit would join the worker threads: a read or an import still
    # running (its result would go nowhere) is what made quitting slow
    os._exit(code or 0)
