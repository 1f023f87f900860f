"""One rule for the promise, by keyboard (issue 25, item 2): never before an open
part's ETA, checked when an ETA moves past it (the visit says so, EST-04 opens
again) and at the signature (a stale pre-filled promise is refused, the part
named); after the signature a later promise is recorded with the customer's
approval, the signed one kept beside it, and the on-time KPI counts against it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from desk.domain.errors import InvalidInput
from desk.services.reports import day_range
from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog, PickDialog
from tests import flow
from tests.functional.pilot import open_from_board, record_notifications, screen_name, wait_for

PART = "Rear brake disc pair"


def heading(app) -> str:
    return str(app.screen.query_one("#visit-heading").render())


def est04(d, vid):
    return next(s for s in d.checklist.checklist(vid) if s.item.id == "EST-04")


async def test_a_promise_set_before_the_eta_opens_est04_again_and_refuses_the_signature(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d = shop.desk
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "brake_pads")
    d.estimate.add_estimate_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(kind="part", description=PART, qty=Decimal(1), unit_cents=68000, availability="back_order"),
    )
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen" and app.screen.view is not None)
        # the promise while the part's ETA is "?": taken (nothing to check it against)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).visit.promised_at is not None)
        promised = d.lifecycle.visit_view(vid).visit.promised_at
        assert promised.date() == clock.now.date()
        assert not est04(d, vid).blocking
        # the supplier gives a date two days later: the part line is the last one
        await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen")
        await pilot.press("down", "down")
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("+", "2", "enter")
        eta = clock.now.date() + timedelta(days=2)
        await wait_for(pilot, lambda: any(ln.eta == eta for ln in d.lifecycle.visit_view(vid).lines))
        # the visit shows the conflict, the part named; EST-04 is open again
        await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen" and "arrives" in heading(app))
        assert f"Promised {promised:%Y-%m-%d %H:%M} is before {PART} arrives ({eta:%Y-%m-%d})" in heading(app)
        assert est04(d, vid).blocking
        # `s` pre-fills the old promise; ctrl+s is refused, the part named, nothing signed
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("arrives" in n for n in notes))
        refusal = next(n for n in notes if "arrives" in n)
        assert PART in refusal and f"{eta:%Y-%m-%d}" in refusal
        assert isinstance(app.screen, FormDialog)  # still open with what was typed
    view = d.lifecycle.visit_view(vid)
    assert not view.authorised and view.visit.stage == "ESTIMATE"
    assert view.visit.promised_at == promised and view.visit.signed_promised_at is None


async def test_a_promise_moved_in_repair_is_approved_by_the_customer_and_the_kpi_keeps_the_signed_one(
    shop, clock, db_url
):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    d = shop.desk
    signed = d.lifecycle.visit_view(vid).visit.promised_at
    assert d.lifecycle.visit_view(vid).visit.signed_promised_at == signed
    # through the services a later promise without the customer's approval is refused
    with pytest.raises(InvalidInput) as refused:
        d.lifecycle.set_promised(shop.sa, d.lifecycle.ref(vid), signed + timedelta(hours=3))
    assert refused.value.field == "approval"
    later = datetime.combine(clock.now.date() + timedelta(days=1), datetime.min.time()).replace(hour=10)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_from_board(pilot, "WorkshopScreen")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        # by phone, typed, and the number called typed too (it was the customer's on file,
        # pre-filled, and an in-person approval kept it as its reference)
        await pilot.press("ctrl+u", *"tomorrow 10:00", "tab", "2", "tab", "tab", *"13812345678", "ctrl+s")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).visit.promised_at == later)
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "WorkshopScreen"
                and "signed for" in str(app.screen.query_one("#work-summary").render())
            ),
        )
        assert f"(signed for {signed:%m-%d %H:%M})" in str(app.screen.query_one("#work-summary").render())
    view = d.lifecycle.visit_view(vid)
    assert view.visit.signed_promised_at == signed  # the signed promise is kept
    moved = [e for e in d.lifecycle.history(vid) if e.action == "visit.promised"][-1]
    assert '"signer": "李伟"' in moved.after and '"channel": "phone"' in moved.after
    assert '"reference": "13812345678"' in moved.after or '"reference": "+8613812345678"' in moved.after
    # the car is ready after the signed promise, before the moved one: late
    clock.advance(minutes=int((signed - clock.now).total_seconds() // 60) + 60)
    flow.to_stage(shop, clock, vid, "READY")
    ready_at = d.lifecycle.visit_view(vid).visit.ready_at
    assert signed < ready_at < later
    report = d.reports.kpi_report(*day_range(clock.now.date(), clock.now.date()))
    on_time = report.row("on_time").measure
    assert (on_time.num, on_time.den) == (0, 1)


async def test_a_technician_moving_the_promise_is_offered_an_advisors_pin(shop, clock, db_url):
    """The customer's approval of a later promise is an advisor's to record; on a
    technician's terminal `t` was refused flat ("needs advisor"): now it asks for
    an advisor's PIN (act as), as the customer's decision does."""
    from textual.widgets import OptionList

    from tests.functional.test_shopfloor import act_as
    from tests.functional.test_signin import cheap_pin

    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    later = datetime.combine(clock.now.date() + timedelta(days=1), datetime.min.time()).replace(hour=10)
    app = make_app(db_url=db_url, clock=clock, user_name="张强")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_board(pilot, "WorkshopScreen")
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("ctrl+u", *"tomorrow 10:00", "tab", "1", "ctrl+s")  # in person
        await wait_for(
            pilot,
            lambda: screen_name(app) == "ActAs" and app.screen.query_one("#approval-users", OptionList).option_count,
        )
        assert [u.name for u in app.screen.users] == ["王丽"]
        await act_as(pilot, app, "王丽", "2468")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).visit.promised_at == later, tries=600)
    moved = [e for e in d.lifecycle.history(vid) if e.action == "visit.promised"][-1]
    assert moved.user_name == "王丽"
