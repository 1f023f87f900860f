"""How the check-in lane screens look, in English and Chinese (frozen clock, fixed
data). Update the baselines on purpose with ``pytest --snapshot-update``."""

from __future__ import annotations

import pytest

from desk.i18n import set_locale
from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import screen_name, wait_for

LANGS = ["en", "zh"]


def visit_at(shop, clock, stage: str) -> int:
    vid = flow.book(shop, clock, concerns=[("Squeaking noise when braking", ("brake", "noise"))])
    flow.to_stage(shop, clock, vid, stage)
    return vid


def settle(*keys: str, until: str | None = None):
    async def run_before(pilot) -> None:
        app = pilot.app
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        for key in keys:
            await pilot.press(key)
            await wait_for(pilot, lambda: True)
        if until:
            await wait_for(pilot, lambda: screen_name(app) == until and getattr(app.screen, "view", 1))
        await wait_for(pilot, lambda: True)

    return run_before


@pytest.mark.parametrize("lang", LANGS)
def test_board(snap_compare, shop, clock, db_url, lang):
    flow.book(shop, clock, minutes_ahead=30)
    late = flow.book(shop, clock, minutes_ahead=-20)
    assert late
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    assert snap_compare(app, terminal_size=(120, 30), run_before=settle())


@pytest.mark.parametrize("lang", LANGS)
def test_board_small_terminal(snap_compare, shop, clock, db_url, lang):
    flow.book(shop, clock, minutes_ahead=30)
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle())


@pytest.mark.parametrize("lang", LANGS)
def test_reception(snap_compare, shop, clock, db_url, lang):
    visit_at(shop, clock, "RECEPTION")
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    assert snap_compare(app, terminal_size=(120, 36), run_before=settle("enter", until="ReceptionScreen"))


@pytest.mark.parametrize("lang", LANGS)
def test_walkaround(snap_compare, shop, clock, db_url, lang):
    vid = visit_at(shop, clock, "WALKAROUND")
    shop.desk.reception.record_walkaround(
        shop.sa,
        shop.desk.lifecycle.ref(vid),
        shop.desk.reception.readings(odometer_km=43000, fuel_eighths=5),
        damages=[{"panel": "bonnet", "kind": "scratch"}],
    )
    shop.desk.reception.add_finding(
        shop.sa, shop.desk.lifecycle.ref(vid), shop.desk.reception.finding("Front tyres worn to 2 mm", "red")
    )
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle("enter", until="WalkaroundScreen"))


@pytest.mark.parametrize("lang", LANGS)
def test_estimate(snap_compare, shop, clock, db_url, lang):
    vid = visit_at(shop, clock, "ESTIMATE")
    shop.desk.estimate.add_canned_job(shop.sa, shop.desk.lifecycle.ref(vid), "oil")
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    assert snap_compare(app, terminal_size=(120, 36), run_before=settle("enter", until="EstimateScreen"))


@pytest.mark.parametrize("lang", LANGS)
def test_arrival_question_small_terminal(snap_compare, shop, clock, db_url, lang):
    """``a`` on a booking whose open item is the advisor's: named, with the note."""
    flow.book(shop, clock, minutes_ahead=-5)
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle("a", until="ConfirmDialog"))


@pytest.mark.parametrize("lang", LANGS)
def test_sign_form(snap_compare, shop, clock, db_url, lang):
    """The signature form: the promised time offered, the advisor's open item named."""
    vid = visit_at(shop, clock, "ESTIMATE")
    shop.desk.estimate.add_canned_job(shop.sa, shop.desk.lifecycle.ref(vid), "oil")
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")

    async def run_before(pilot) -> None:
        await settle("enter", until="EstimateScreen")(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: screen_name(pilot.app) == "FormDialog")
        await pilot.press("tab", "tab", "tab", "tab")  # to the promised time and the note under it
        await wait_for(pilot, lambda: True)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
def test_lookup(snap_compare, shop, clock, db_url, lang):
    flow.book(shop, clock)
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")

    async def run_before(pilot) -> None:
        await settle()(pilot)
        await pilot.press("slash", *"京A")
        await wait_for(pilot, lambda: screen_name(pilot.app) == "LookupScreen" and pilot.app.screen.rows)

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)
