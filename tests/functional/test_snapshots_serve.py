"""How a browser sees desk: the lounge TV's board (lobby-mode) and the tablet's
PIN sign-in (browser-mode), in English and Chinese."""

from __future__ import annotations

import pytest

from desk.i18n import set_locale
from desk.shell.app import make_app
from desk.shell.lobby import make_lobby_app
from tests import flow
from tests.functional.pilot import screen_name, wait_for

LANGS = ["en", "zh"]


@pytest.mark.parametrize("lang", LANGS)
def test_lobby_mode(snap_compare, shop, clock, db_url, lang):
    for stage in ("IN_REPAIR", "READY"):
        vid = shop.desk.booking.walk_in(
            shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
        ).id
        flow.to_stage(shop, clock, vid, stage)
    set_locale(lang)
    app = make_lobby_app(db_url=db_url, clock=clock)

    async def run_before(pilot):
        from textual.widgets import DataTable

        await wait_for(
            pilot,
            lambda: (
                screen_name(pilot.app) == "KioskLobbyScreen" and pilot.app.screen.query_one(DataTable).row_count == 2
            ),
        )

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
def test_browser_sign_in(snap_compare, shop, clock, db_url, lang):
    shop.desk.security.set_pin(shop.sa, shop.sa.id, "2468")
    shop.desk.security.set_pin(shop.mgr, shop.mgr.id, "1357")
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, remote=True)

    async def run_before(pilot):
        await wait_for(pilot, lambda: screen_name(pilot.app) == "SignInScreen")
        await pilot.press("enter")
        await wait_for(pilot, lambda: pilot.app.screen.query_one("#signin-pin").display)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
def test_browser_without_pins(snap_compare, shop, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, remote=True)

    async def run_before(pilot):
        await wait_for(pilot, lambda: screen_name(pilot.app) == "StoreErrorScreen")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
