"""The one way to the database (desk.shell.work.run_db): the result comes back on
the UI thread, a superseded read's result never arrives, an error is a value."""

from __future__ import annotations

import asyncio
import threading

from textual.app import App

from desk.domain.entities import Saved, VisitRef
from desk.shell.work import run_db
from tests.functional.pilot import wait_for


class Bare(App[None]):
    """Counts what came back from a worker's thread (shown or dropped)."""

    returned = 0

    def call_from_thread(self, callback, *args, **kwargs):
        try:
            return super().call_from_thread(callback, *args, **kwargs)
        finally:
            self.returned += 1


async def test_a_superseded_read_is_dropped_and_the_newer_one_shown():
    app = Bare()
    got: list[str] = []
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "old"

    async with app.run_test() as pilot:
        run_db(app, slow, got.append, group="board", exclusive=True)
        assert await asyncio.to_thread(started.wait, 5)  # the old read is under way
        run_db(app, lambda: "new", got.append, group="board", exclusive=True)
        await wait_for(pilot, lambda: got == ["new"])
        release.set()
        await wait_for(pilot, lambda: app.returned == 2)  # the old read came back too
        assert got == ["new"]


async def test_a_save_hands_its_version_then_its_value_and_an_error_goes_to_failed():
    app = Bare()
    seen: list[object] = []
    ref = VisitRef(id=7, version=3)

    def broken() -> int:
        raise ValueError("no")

    async with app.run_test() as pilot:
        run_db(app, lambda: Saved(ref, 42), seen.append, took=seen.append)
        await wait_for(pilot, lambda: len(seen) == 2)
        assert seen == [ref, 42]
        run_db(app, broken, seen.append, failed=lambda exc: seen.append(str(exc)))
        await wait_for(pilot, lambda: len(seen) == 3)
        assert seen[2] == "no"
