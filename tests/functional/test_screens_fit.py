"""Screens that fit (issue 29, build 4): at 120×40 nothing the user must read is
cut (the checklist's kind and items, a line's description with the ``*`` of work
added in repair, a part's ETA, the board's flags: they wrap onto another line); at
80×24 every column of the board is reached by keys and the f1 help scrolls to its
last key. The snapshots show the same, in both languages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from textual.widgets import DataTable

from desk.i18n import set_locale
from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import screen_name, wait_for

#: A date whose last digit is a 0: cut by one cell it reads as the 1st.
ETA = date(2026, 12, 10)
PROMISED = datetime(2026, 12, 10, 17, 0)
LONG_LINE = "Front and rear brake discs with pads, sensors and the handbrake adjusted"
FOUND = "Rear wiper blade torn and washer jet blocked"


def screen_text(app) -> str:
    """The screen as the terminal shows it, a line each."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def shown_rows(table: DataTable) -> list[int]:
    """The rows whose every line is inside the table's view now."""
    top, room = table.scroll_y, table.scrollable_content_region.height - table.header_height
    out, y = [], 0
    for i, row in enumerate(table.ordered_rows):
        if y >= top and y + row.height <= top + room:
            out.append(i)
        y += row.height
    return out


def cut_words(app, table: DataTable) -> list[str]:
    """Every word of the cells of the rows in view that the screen does not show
    whole (cut by its column or by the terminal's edge)."""
    shown = screen_text(app)
    return [
        word
        for row in shown_rows(table)
        for cell in table.get_row_at(row)
        for word in str(getattr(cell, "plain", cell)).split()
        if word not in shown
    ]


def add_line(shop, vid, description, **kw):
    d = shop.desk
    d.estimate.add_estimate_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(kind="part", description=description, qty=Decimal(1), unit_cents=68000, **kw),
    )


@pytest.fixture
def long_texts(shop, clock):
    """A car at its estimate with a long line and a part due on a date ending in
    0, promised for that day; a car in repair with work added in repair and a
    part without a date (chase the supplier)."""
    at_estimate = flow.book(shop, clock, minutes_ahead=-30)
    flow.to_stage(shop, clock, at_estimate, "ESTIMATE")
    add_line(shop, at_estimate, LONG_LINE, availability="in_stock")
    add_line(shop, at_estimate, "Rear brake disc pair", availability="back_order", eta=ETA)
    shop.desk.lifecycle.set_promised(shop.sa, shop.desk.lifecycle.ref(at_estimate), PROMISED)
    in_repair = flow.book(shop, clock, minutes_ahead=-20)
    flow.to_stage(shop, clock, in_repair, "IN_REPAIR")
    d = shop.desk
    d.lifecycle.assign(shop.mgr, d.lifecycle.ref(in_repair), shop.tech.id, "B1")
    d.workshop.add_found_work(
        shop.tech,
        d.lifecycle.ref(in_repair),
        finding=d.reception.finding(FOUND, "red"),
        line=d.estimate.draft(
            kind="part", description=FOUND, qty=Decimal(1), unit_cents=9000, availability="back_order"
        ),
    )
    return at_estimate, in_repair


async def open_row(pilot, board_key: str, screen: str, visit_id: int) -> None:
    """From the appointment board (or the board ``board_key`` opens), Enter on the
    car of ``visit_id``: wait for ``screen`` with its checklist."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
    if board_key:
        await pilot.press(board_key)
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and len(app.screen.rows) == 2)
    row = [r.visit_id for r in app.screen.rows].index(visit_id)
    await pilot.press(*["down"] * row, "enter")
    await wait_for(pilot, lambda: screen_name(app) == screen and app.screen.view is not None)
    await wait_for(pilot, lambda: app.screen.query_one("#checklist", DataTable).row_count > 0)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_estimate_shows_every_kind_item_description_and_date_whole_at_120x40(long_texts, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_row(pilot, "", "EstimateScreen", long_texts[0])
        lines = app.screen.query_one("#lines", DataTable)
        await wait_for(pilot, lambda: lines.row_count == 2)
        checklist = app.screen.query_one("#checklist", DataTable)
        assert cut_words(app, lines) == []
        assert cut_words(app, checklist) == []
        text = screen_text(app)
        assert f"{ETA:%m-%d}" in text
        assert LONG_LINE.split()[-1] in text  # the description wrapped, not cut
        kinds = {str(checklist.get_row_at(i)[3]) for i in range(checklist.row_count)}
        assert len(kinds) > 1 and all(k in text for k in kinds)


async def test_the_workshop_shows_the_added_work_whole_and_marked_first(long_texts, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_row(pilot, "f3", "WorkshopScreen", long_texts[1])
        lines = app.screen.query_one("#work-lines", DataTable)
        await wait_for(pilot, lambda: lines.row_count > 2)
        assert cut_words(app, lines) == []
        text = screen_text(app)
        assert f"* {FOUND.split()[0]}" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_progress_board_shows_every_flag_and_date_whole_at_120x40(long_texts, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        board = app.screen.query_one(DataTable)
        assert cut_words(app, board) == []
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and len(app.screen.rows) == 2)
        board = app.screen.query_one(DataTable)
        flags = " ".join(str(board.get_row_at(i)[-1]) for i in range(board.row_count))
        assert len(flags.split()) >= 2  # the car in repair: chase the supplier
        assert cut_words(app, board) == []
        assert f"{PROMISED:%m-%d %H:%M}" in screen_text(app)  # not today: with its date


async def test_at_80x24_the_boards_columns_past_the_edge_are_reached_by_keys(long_texts, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        day = app.screen.day
        assert "Concern" not in screen_text(app)
        for _ in range(3):
            await pilot.press("shift+right")
        await wait_for(pilot, lambda: "Concern" in screen_text(app))
        assert "Vehicle" in screen_text(app) or "Advisor" in screen_text(app)
        assert app.screen.day == day  # the arrows with shift scroll; the day stays
        for _ in range(3):
            await pilot.press("less_than_sign")
        await wait_for(pilot, lambda: "Time" in screen_text(app))
        assert app.screen.query_one(DataTable).scroll_x == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_f1_help_at_80x24_scrolls_to_its_last_key(shop, clock, db_url, lang):
    from desk.screens.help import HelpScreen

    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        table = app.screen.query_one("#help-keys", DataTable)
        dialog = app.screen.query_one("#help")
        # the table within the dialog's inside: the dialog does not cut its rows
        assert dialog.content_region.contains_region(table.region)
        last = table.get_row_at(table.row_count - 1)
        assert str(last[1]) not in screen_text(app)
        await pilot.press("ctrl+end")
        await wait_for(pilot, lambda: table.scroll_y == table.max_scroll_y and str(last[1]) in screen_text(app))
        assert table.max_scroll_y > 0


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_snapshot_estimate_with_long_lines(snap_compare, long_texts, clock, db_url, lang, size):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")

    async def run_before(pilot):
        await open_row(pilot, "", "EstimateScreen", long_texts[0])
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#lines", DataTable).row_count == 2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_snapshot_progress_board_with_flags(snap_compare, long_texts, clock, db_url, lang, size):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")

    async def run_before(pilot):
        await wait_for(pilot, lambda: screen_name(pilot.app) == "AppointmentsScreen" and pilot.app.screen.rows)
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen_name(pilot.app) == "ProgressScreen" and len(pilot.app.screen.rows) == 2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
