"""How the shop-floor and hand-back screens look, in English and Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desk.i18n import set_locale
from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import screen_name, wait_for

LANGS = ["en", "zh"]


def at_stage(shop, clock, stage, **kw):
    vid = flow.book(shop, clock, **kw)
    flow.to_stage(shop, clock, vid, stage)
    return vid


def route(*keys, until=None):
    async def run_before(pilot):
        app = pilot.app
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        for key in keys:
            await pilot.press(key)
            await wait_for(pilot, lambda: True)
            await wait_for(pilot, lambda: getattr(app.screen, "rows", True) or True)
        if until:
            await wait_for(pilot, lambda: screen_name(app) == until and getattr(app.screen, "view", 1) is not None)
        await wait_for(pilot, lambda: True)

    return run_before


@pytest.fixture
def shop_floor(shop, clock):
    """One car waiting approval for added work, one in QC, one ready."""
    a = at_stage(shop, clock, "IN_REPAIR", minutes_ahead=30)
    shop.desk.workshop.add_found_work(
        shop.tech,
        shop.desk.lifecycle.ref(a),
        finding=shop.desk.reception.finding("Rear discs worn", "red"),
        line=shop.desk.estimate.draft(
            kind="part", description="Rear brake disc pair", qty=Decimal(1), unit_cents=68000, availability="in_stock"
        ),
    )
    at_stage(shop, clock, "QC", minutes_ahead=60)
    at_stage(shop, clock, "READY", minutes_ahead=90)
    return shop


@pytest.mark.parametrize("lang", LANGS)
def test_progress_board(snap_compare, shop_floor, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")

    async def run_before(pilot):
        await route("f3")(pilot)
        await wait_for(pilot, lambda: screen_name(pilot.app) == "ProgressScreen" and len(pilot.app.screen.rows) == 3)

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
def test_workshop(snap_compare, shop_floor, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")

    async def run_before(pilot):
        await route("f3")(pilot)
        await wait_for(pilot, lambda: screen_name(pilot.app) == "ProgressScreen" and len(pilot.app.screen.rows) == 3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(pilot.app) == "WorkshopScreen" and pilot.app.screen.view)
        await wait_for(pilot, lambda: True)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
def test_lobby(snap_compare, shop_floor, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")

    async def run_before(pilot):
        await route("f3")(pilot)
        await wait_for(pilot, lambda: screen_name(pilot.app) == "ProgressScreen" and len(pilot.app.screen.rows) == 3)
        await pilot.press("l")
        await wait_for(pilot, lambda: screen_name(pilot.app) == "LobbyScreen")
        await wait_for(pilot, lambda: True)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("lang", LANGS)
def test_followup_queue_and_complaints(snap_compare, shop, clock, db_url, lang):
    vid = at_stage(shop, clock, "DELIVERED")
    shop.desk.followup.record_call(
        shop.csr,
        shop.desk.lifecycle.ref(vid),
        shop.desk.followup.call(
            outcome="reached",
            nps=2,
            next_service_stated=True,
            scores={"initiation": 4, "advisor": 4, "facility": 4, "pickup": 2, "quality": 3},
        ),
    )
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")

    async def run_before(pilot):
        await route("f5")(pilot)
        await wait_for(pilot, lambda: screen_name(pilot.app) == "ComplaintsScreen" and pilot.app.screen.rows)

    assert snap_compare(app, terminal_size=(120, 24), run_before=run_before)


def open_row(row: int, screen: str):
    async def run_before(pilot):
        app = pilot.app
        await route("f3")(pilot)
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and len(app.screen.rows) == 3)
        app.screen.query_one("#progress").move_cursor(row=row)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == screen and app.screen.view is not None)
        await wait_for(pilot, lambda: True)

    return run_before


@pytest.mark.parametrize("lang", LANGS)
def test_qc(snap_compare, shop_floor, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    assert snap_compare(app, terminal_size=(120, 36), run_before=open_row(1, "QCScreen"))


@pytest.mark.parametrize("lang", LANGS)
def test_delivery(snap_compare, shop_floor, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    assert snap_compare(app, terminal_size=(120, 36), run_before=open_row(2, "DeliveryScreen"))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("lang", LANGS)
def test_delivery_with_payments(snap_compare, shop_floor, clock, db_url, lang, size):
    """The settlement (issue 29): a card payment voided with its reason, a card
    payment, cash with its change, the invoice number, paid and the balance due."""
    from desk.domain.payment import PaymentDraft

    d = shop_floor.desk
    ready = next(v.visit.id for v in map(d.lifecycle.visit_view, range(1, 4)) if v.visit.stage == "READY")
    d.settlement.pay(shop_floor.sa, d.lifecycle.ref(ready), PaymentDraft.of(method="card", amount_cents=20000))
    d.settlement.void(
        shop_floor.mgr, d.lifecycle.ref(ready), d.lifecycle.visit_view(ready).payments[0].id, "typed twice"
    )
    d.settlement.pay(shop_floor.sa, d.lifecycle.ref(ready), PaymentDraft.of(method="wechat", amount_cents=20000))
    d.settlement.pay(
        shop_floor.sa, d.lifecycle.ref(ready), PaymentDraft.of(method="cash", amount_cents=10000, received_cents=15000)
    )
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    assert snap_compare(app, terminal_size=size, run_before=open_row(2, "DeliveryScreen"))


@pytest.mark.parametrize("lang", LANGS)
def test_board_refusal_names_open_items(snap_compare, shop_floor, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")

    async def run_before(pilot):
        from desk.widgets.open_items import OpenItemsDialog

        await route("f3")(pilot)
        await wait_for(pilot, lambda: screen_name(pilot.app) == "ProgressScreen" and len(pilot.app.screen.rows) == 3)
        await pilot.press("f8")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, OpenItemsDialog))

    assert snap_compare(app, terminal_size=(120, 30), run_before=run_before)


@pytest.fixture
def delivered(shop, clock):
    """Two cars delivered: one call overdue, one due tomorrow."""
    at_stage(shop, clock, "DELIVERED", minutes_ahead=30)
    clock.advance(days=4)
    at_stage(shop, clock, "DELIVERED", minutes_ahead=60)
    return shop


@pytest.mark.parametrize("lang", LANGS)
def test_followup_queue(snap_compare, delivered, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")

    async def run_before(pilot):
        await route("f4")(pilot)
        await wait_for(
            pilot, lambda: screen_name(pilot.app) == "FollowUpQueueScreen" and len(pilot.app.screen.rows) == 2
        )

    assert snap_compare(app, terminal_size=(120, 24), run_before=run_before)


async def to_call(pilot):
    await route("f4")(pilot)
    await wait_for(pilot, lambda: screen_name(pilot.app) == "FollowUpQueueScreen" and len(pilot.app.screen.rows) == 2)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(pilot.app) == "CallScreen" and pilot.app.screen.view is not None)
    await wait_for(pilot, lambda: "3" in str(pilot.app.screen.query_one("#recap").render()))


@pytest.mark.parametrize("lang", LANGS)
def test_call(snap_compare, delivered, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="赵敏")
    assert snap_compare(app, terminal_size=(120, 36), run_before=to_call)


@pytest.mark.parametrize("lang", LANGS)
def test_survey(snap_compare, delivered, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="赵敏")

    async def run_before(pilot):
        from desk.widgets.survey import SurveyDialog

        await to_call(pilot)
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, SurveyDialog))
        await pilot.press("4", "5", "2")
        await wait_for(pilot, lambda: True)

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
