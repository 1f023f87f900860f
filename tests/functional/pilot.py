"""Helpers for Pilot tests: wait on conditions (never fixed sleeps), record the
notifications a screen shows."""

from __future__ import annotations

from textual.worker import WorkerCancelled, WorkerFailed


async def wait_for(pilot, predicate, tries: int = 300):
    """Poll ``predicate`` between frames until it holds; workers finish in their
    own time."""
    for _ in range(tries):
        try:
            await pilot.app.workers.wait_for_complete()
        except (WorkerCancelled, WorkerFailed):
            pass  # a superseded exclusive worker; the predicate decides
        await pilot.pause()
        if predicate():
            return
    raise AssertionError("condition not reached")


def record_notifications(app) -> list[str]:
    """Every message passed to ``app.notify`` from now on."""
    seen: list[str] = []
    original = app.notify

    def notify(message, *args, **kw):
        seen.append(str(message))
        return original(message, *args, **kw)

    app.notify = notify
    return seen


def screen_name(app) -> str:
    return type(app.screen).__name__
