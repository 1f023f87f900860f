"""Live updates: a second terminal's write reaches the change feed (and the app's
``DataChanged`` message) within a second, on SQLite and on PostgreSQL."""

from __future__ import annotations

import time

from desk.store.changes import ChangeFeed
from tests import flow


def _second_terminal(db_url, clock):
    from desk.services import open_desk

    return open_desk(db_url, clock=clock, migrate=False)


def test_feed_sees_another_terminals_write_within_a_second(shop, clock, db_url):
    vid = flow.book(shop, clock)
    other = _second_terminal(db_url, clock)
    with ChangeFeed(db_url) as feed:
        assert feed.wait(0.6) is None  # nothing happened yet
        start = time.monotonic()
        other.reception.add_concern(shop.sa, other.lifecycle.ref(vid), other.reception.concern("Check tyre pressure"))
        seen: set[int] = set()
        while vid not in seen and time.monotonic() - start < 1.0:
            seen |= feed.wait(0.1) or set()
        elapsed = time.monotonic() - start
    other.ctx.engine.dispose()
    assert vid in seen, "the change was not seen"
    assert elapsed < 1.0


def test_feed_reports_nothing_for_a_rolled_back_write(shop, clock, db_url):
    import pytest

    from desk.domain.errors import GuardFailed

    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    with ChangeFeed(db_url) as feed:
        with pytest.raises(GuardFailed):
            shop.desk.lifecycle.advance(shop.sa, shop.desk.lifecycle.ref(vid))  # refused: nothing written
        assert feed.wait(0.7) is None


def test_feed_batches_a_burst_and_names_every_visit(shop, clock, db_url):
    a = flow.book(shop, clock, minutes_ahead=60)
    b = flow.book(shop, clock, minutes_ahead=90)
    with ChangeFeed(db_url) as feed:
        shop.desk.reception.add_concern(shop.sa, shop.desk.lifecycle.ref(a), shop.desk.reception.concern("one"))
        shop.desk.reception.add_concern(shop.sa, shop.desk.lifecycle.ref(b), shop.desk.reception.concern("two"))
        seen: set[int] = set()
        deadline = time.monotonic() + 1.5
        while {a, b} - seen and time.monotonic() < deadline:
            seen |= feed.wait(0.2) or set()
    assert {a, b} <= seen


async def test_app_posts_data_changed_for_another_terminals_write(shop, clock, db_url):
    from pathlib import Path

    import desk.shell.app
    from desk.shell.app import DeskApp
    from desk.shell.live import DataChanged

    seen: list[frozenset[int]] = []
    arrived: dict[str, float] = {}

    class Recording(DeskApp):
        CSS_PATH = str(Path(desk.shell.app.__file__).with_name("desk.tcss"))

        def on_data_changed(self, message: DataChanged) -> None:  # the base forwards too
            seen.append(message.visit_ids)
            if vid in message.visit_ids:
                arrived.setdefault("at", time.monotonic())

    vid = flow.book(shop, clock)
    app = Recording(db_url=db_url, clock=clock, user_name="周经理")
    other = _second_terminal(db_url, clock)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):
            await pilot.pause(0.02)
            if type(app.screen).__name__ == "AppointmentsScreen" and app.live.running:
                break
        await pilot.pause(0.6)  # the feed is open and has its starting point
        seen.clear()
        other.reception.add_concern(shop.sa, other.lifecycle.ref(vid), other.reception.concern("Rattle from the back"))
        committed = time.monotonic()  # from the commit (the write itself is the other terminal's time)
        while not any(vid in ids for ids in seen) and time.monotonic() - committed < 2:
            await pilot.pause(0.02)
    other.ctx.engine.dispose()
    assert any(vid in ids for ids in seen)
    assert arrived["at"] - committed < 1.0  # when the app got the message, not when this loop looked
