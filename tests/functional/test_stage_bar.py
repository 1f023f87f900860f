"""The stage bar fits the screen: at 80 columns the current stage and its
neighbours show, the far stages give way to "..." (never cut mid-word)."""

from __future__ import annotations

import pytest

from desk.domain.process import MAIN_LINE, STAGE_LABELS
from desk.i18n import _, set_locale
from desk.screens.visit import stage_bar
from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import open_from_board, wait_for


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("width", [78, 58])  # 80 columns and narrower
def test_every_stage_fits_with_its_neighbours(lang, width):
    set_locale(lang)
    for i, stage in enumerate(MAIN_LINE):
        bar = stage_bar(stage, width)
        assert bar.cell_len <= width, (stage, bar.plain)
        assert f"[{_(STAGE_LABELS[stage])}]" in bar.plain
        for near in MAIN_LINE[max(0, i - 1) : i + 2]:
            assert _(STAGE_LABELS[near]) in bar.plain
        assert bar.plain.startswith("...") == (_(STAGE_LABELS[MAIN_LINE[0]]) not in bar.plain)
    assert "..." not in stage_bar(MAIN_LINE[4], 200).plain  # room enough: every stage


async def test_the_delivery_screen_at_80_columns_shows_where_the_car_is(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "READY")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_board(pilot, "DeliveryScreen")
        bar = lambda: str(app.screen.query_one("#stage-bar").render())
        assert "Booked" in bar() and "Followed up" in bar()  # 120: all of it
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: "Booked" not in bar())
        assert "[Ready] > Delivered > Followed up" in bar() and bar().startswith("...")
