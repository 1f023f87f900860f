"""The save stall of issue 16: CPython's full garbage collection ran inside a
keypress. The app takes it over once the store is open (desk/shell/heap.py):
no full collection while keys arrive, one as soon as the terminal is idle, and
CPython's own policy again when the app ends."""

from __future__ import annotations

import gc

from desk.shell.app import make_app
from desk.shell.heap import HeapKeeper
from tests.functional.pilot import wait_for


class Cycle:
    def __init__(self) -> None:
        self.me = self


def cycles_alive() -> int:
    return sum(isinstance(o, Cycle) for o in gc.get_objects())


async def within(pilot, seconds: float, predicate) -> None:
    """Wall-clock wait: the keeper runs on a timer."""
    for _ in range(int(seconds * 10)):
        if predicate():
            return
        await pilot.pause(0.1)
    raise AssertionError("condition not reached")


def old_garbage(n: int) -> None:
    """``n`` cycles that lived long enough to reach the oldest generation, then
    died: only a full collection frees them (like a closed dialog)."""
    held = [Cycle() for _ in range(n)]
    gc.collect(1)  # survivors of the young generations move to the old one
    held.clear()


async def test_full_collections_wait_for_an_idle_terminal_then_free_everything(shop, clock, db_url, monkeypatch):
    monkeypatch.setattr(HeapKeeper, "IDLE_SECONDS", 2.0)
    monkeypatch.setattr(HeapKeeper, "CHECK_SECONDS", 0.1)
    before = gc.get_threshold()
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.heap.settled and app.screen.query("#board"))
        assert gc.get_threshold()[2] == HeapKeeper.NEVER  # CPython starts no full collection itself
        assert gc.get_freeze_count() > 10_000  # the start-up heap is out of every collection's way
        await pilot.press("down")  # in use from now on (idle since start-up, it may have collected)
        done = len(app.heap.collections)
        for _ in range(40):  # keys keep coming: cyclic garbage piles up, nothing walks the old heap
            old_garbage(200)  # and a busy terminal's young collections go on
            await pilot.press("down")
            await pilot.pause(0.02)
        assert len(app.heap.collections) == done and cycles_alive() >= 40 * 200
        await within(pilot, 15, lambda: len(app.heap.collections) > done)  # idle: collected
        assert cycles_alive() == 0
    assert gc.get_threshold() == before  # the app ended: CPython's policy again


async def test_a_terminal_that_is_never_idle_still_collects(shop, clock, db_url, monkeypatch):
    monkeypatch.setattr(HeapKeeper, "IDLE_SECONDS", 3600)
    monkeypatch.setattr(HeapKeeper, "CHECK_SECONDS", 0.1)
    monkeypatch.setattr(HeapKeeper, "MAX_PENDING", 20)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.heap.settled and app.screen.query("#board"))
        for _ in range(30):
            old_garbage(10)
        await within(pilot, 10, lambda: cycles_alive() == 0)
