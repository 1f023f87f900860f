"""The lobby board on the lounge TV (issue 29, build 4): its columns fill the
width, and more cars than fit are shown a page at a time, in turn, the title
saying which page (the browser test measures the letters on a 1080p page)."""

from __future__ import annotations

from datetime import datetime

from textual.widgets import DataTable, Static

from desk.screens.lobby import COLUMNS, LobbyScreen, column_widths, page_of
from desk.shell.lobby import make_lobby_app
from tests.conftest import FrozenClock
from tests.functional.pilot import screen_name, wait_for


def test_the_columns_fill_the_width_and_never_shrink_below_their_share():
    for room in (60, 100, 160):
        widths = column_widths(room)
        assert sum(widths) + 2 * len(COLUMNS) == room
        assert all(w >= share for w, (_k, _l, share) in zip(widths, COLUMNS, strict=True))
    assert column_widths(20) == [share for _k, _l, share in COLUMNS]  # too narrow: the shares, scrolled


def test_pages_turn_with_the_clock():
    clock = FrozenClock(datetime(2026, 11, 23, 9, 0))
    assert page_of(5, 7, clock(), 10) == (0, 1)
    assert page_of(0, 7, clock(), 10) == (0, 1)
    seen = []
    for _ in range(4):
        seen.append(page_of(15, 7, clock(), 10))
        clock.advance(seconds=10)
    assert {p for p, _n in seen} == {0, 1, 2} and {n for _p, n in seen} == {3}


async def test_more_cars_than_fit_are_shown_a_page_at_a_time(shop, clock, db_url):
    for _ in range(12):
        shop.desk.booking.walk_in(
            shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
        )
    app = make_lobby_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(100, 14)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "KioskLobbyScreen" and len(app.screen.cars) == 12)
        screen: LobbyScreen = app.screen
        table = screen.query_one(DataTable)
        title = screen.query_one("#lobby-title", Static)
        await wait_for(pilot, lambda: table.size.height > 0 and table.row_count == screen.per_page())
        per_page = screen.per_page()
        assert 1 < per_page < 12
        # every row shown fits the table's height: nothing hidden below its edge
        assert table.row_count + table.header_height <= table.size.height
        # the columns fill the width
        drawn = sum(c.get_render_width(table) for c in table.columns.values())
        assert drawn >= app.size.width - 2
        first, pages = screen.page
        assert pages == -(-12 // per_page)
        assert f"1 of {pages}" in str(title.render())
        shown = []
        for _ in range(pages):
            page = screen.page[0]
            shown.extend(screen.cars[page * per_page : (page + 1) * per_page])
            assert table.row_count == len(screen.cars[page * per_page : (page + 1) * per_page])
            clock.advance(seconds=LobbyScreen.PAGE_SECONDS)
            screen.show_clock()  # the second's tick: the next page's turn
            await wait_for(pilot, lambda page=page: screen.page[0] != page)
        assert sorted(r.visit_id for r in shown) == sorted(r.visit_id for r in screen.cars)
        assert screen.page[0] == first  # round again
