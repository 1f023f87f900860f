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


def burst(app, *keys: str) -> None:
    """Every key posted at once, the way a terminal delivers a fast typist's or a
    barcode scanner's keys: none waits for the one before it to be handled (unlike
    ``pilot.press``, which waits for the app to go idle after each key). A text of
    several characters is typed character by character."""
    from textual import events
    from textual.keys import _character_to_key

    named = {"tab": "\t", "enter": "\r", "space": " ", "escape": "\x1b", "backspace": "\x7f"}
    for key in keys:
        if key in named or "+" in key or key.startswith("f") and key[1:].isdigit() or key in ("up", "down"):
            app.post_message(events.Key(key, named.get(key)))
        else:
            for char in key:
                app.post_message(events.Key(_character_to_key(char), char))


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


async def open_dashboard(pilot) -> None:
    """From the appointment board, f7 to the KPI dashboard with its report loaded."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    await pilot.press("f7")
    await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen" and app.screen.report is not None)


async def open_from_board(pilot, screen: str) -> None:
    """From the appointment board, f3 to the progress board, Enter on its first
    car: wait for ``screen`` (a visit screen's class name) with its visit read."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    await pilot.press("f3")
    await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and app.screen.rows)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == screen and app.screen.view is not None)
