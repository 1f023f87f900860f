"""How the set-up screen and the help screen look, in English and Chinese (frozen
clock, fixed data). Update the baselines on purpose with ``pytest --snapshot-update``."""

from __future__ import annotations

import pytest

from desk.i18n import set_locale
from desk.shell.app import make_app
from tests.flow import setting_version
from tests.functional.pilot import screen_name, wait_for

LANGS = ["en", "zh"]


def go(*keys: str, until: str, ready=lambda app: True):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.opening is not None)
        for key in keys:
            await pilot.press(key)
            await wait_for(pilot, lambda: True)
        await wait_for(pilot, lambda: screen_name(app) == until and ready(app))
        await wait_for(pilot, lambda: True)

    return run_before


@pytest.mark.parametrize("lang", LANGS)
def test_setup_settings(snap_compare, shop, clock, db_url, lang):
    shop.desk.setup.set_setting(shop.mgr, "slot_minutes", "20", setting_version(shop.desk, "slot_minutes"))
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    assert snap_compare(
        app, terminal_size=(120, 30), run_before=go("f9", until="SetupScreen", ready=lambda a: a.screen.rows)
    )


@pytest.mark.parametrize("lang", LANGS)
def test_setup_checklist_read_only(snap_compare, shop, clock, db_url, lang):
    shop.desk.setup.add_template_item(shop.mgr, stage="BOOKED", en="Confirm the pickup address", zh="确认取车地址")
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    assert snap_compare(
        app,
        terminal_size=(120, 30),
        run_before=go(
            "f9", "2", until="SetupScreen", ready=lambda a: a.screen.section == "checklist" and a.screen.rows
        ),
    )


@pytest.mark.parametrize("lang", LANGS)
def test_setup_opening_checklist(snap_compare, shop, clock, db_url, lang):
    shop.desk.setup.tick_opening(shop.sa, "FAC-01")
    shop.desk.setup.tick_opening(shop.sa, "FAC-02")
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    assert snap_compare(
        app,
        terminal_size=(120, 24),
        run_before=go("f9", "4", until="SetupScreen", ready=lambda a: a.screen.section == "opening" and a.screen.rows),
    )


@pytest.mark.parametrize("lang", LANGS)
def test_help(snap_compare, shop, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    assert snap_compare(app, terminal_size=(120, 40), run_before=go("f1", until="HelpScreen"))
