"""Comebacks proposed, not decided (issue 25), by keys on two terminals: a
routine oil service booked four days after an earlier one shows "possible
comeback of RO… (same car, similar concern, N days ago)"; the advisor rejects
it with a reason (u) or confirms it with one key (m); only a confirmed one is a
comeback; both are audited and the other terminal follows."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from desk.shell.app import make_app
from desk.widgets.dialogs import ReasonDialog
from tests import flow
from tests.functional.pilot import screen_name, wait_for

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)

OIL = (("Oil service", ("service",)),)


def heading(app) -> str:
    return str(app.screen.query_one("#visit-heading", Static).render())


async def open_first_visit(pilot, app, screen: str) -> None:
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == screen and app.screen.view is not None)


def booked_again(shop, clock) -> tuple[int, int]:
    """An oil service delivered, the next one booked four days later."""
    first = flow.book(shop, clock, concerns=OIL)
    flow.to_stage(shop, clock, first, "DELIVERED")
    clock.advance(days=4)
    again = flow.book(shop, clock, minutes_ahead=30, concerns=OIL)
    return first, again


async def test_a_routine_service_four_days_later_is_proposed_and_rejected_with_a_reason(shop, clock, db_url):
    d = shop.desk
    first, again = booked_again(shop, clock)
    number = d.lifecycle.visit_view(first).visit.number
    a = make_app(db_url=db_url, clock=clock, user_name="王丽")
    b = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        await open_first_visit(pa, a, "AppointmentScreen")
        await open_first_visit(pb, b, "AppointmentScreen")
        for app in (a, b):  # not decided: proposed, on both terminals
            assert f"possible comeback of {number} (same car, similar concern, 4 days ago)" in heading(app)
            assert "COMEBACK " not in heading(app)
        assert d.lifecycle.visit_view(again).visit.comeback_of_id is None
        await pa.press("u")
        await wait_for(pa, lambda: isinstance(a.screen, ReasonDialog))
        await pa.press(*"Routine service", "enter")
        await wait_for(
            pa,
            lambda: (
                screen_name(a) == "AppointmentScreen"
                and a.screen.view is not None
                and a.screen.view.comeback_proposal is None
            ),
        )
        assert "possible comeback" not in heading(a)
        # the other terminal follows from the change feed: nothing left to decide
        await wait_for(pb, lambda: b.screen.view is not None and b.screen.view.comeback_proposal is None)
        # a rejection can be turned the other way (m, with a reason), not repeated
        assert b.screen.check_action("comeback_reject", ()) is False
        assert b.screen.check_action("comeback_confirm", ()) is True
    visit = d.lifecycle.visit_view(again).visit
    assert (visit.comeback_of_id, visit.comeback_decision, visit.comeback_reason) == (
        None,
        "rejected",
        "Routine service",
    )
    event = next(e for e in d.lifecycle.history(again) if e.action == "comeback.rejected")
    assert event.user_name == "王丽"


async def test_a_proposed_comeback_is_confirmed_at_arrival_with_one_key(shop, clock, db_url):
    d = shop.desk
    first, again = booked_again(shop, clock)
    flow.tick_open(d, shop.sa, again)
    d.lifecycle.arrive(shop.sa, d.lifecycle.ref(again))
    number = d.lifecycle.visit_view(first).visit.number
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ReceptionScreen" and app.screen.view is not None)
        assert f"possible comeback of {number}" in heading(app)
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.view is not None and app.screen.view.visit.comeback_of_id == first)
        assert "COMEBACK" in heading(app) and "possible comeback" not in heading(app)
        assert app.screen.check_action("comeback_confirm", ()) is False
        # confirmed by mistake: u turns it, with a reason, before QC records a cause
        await pilot.press("u")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonDialog))
        assert app.screen.title_text.startswith("Not a comeback after all")
        await pilot.press(*"Other fault", "enter")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "ReceptionScreen"
                and app.screen.view is not None
                and app.screen.view.visit.comeback_decision == "rejected"
            ),
        )
        assert "COMEBACK" not in heading(app)
    visit = d.lifecycle.visit_view(again).visit
    assert (visit.comeback_of_id, visit.comeback_reason) == (None, "Other fault")
    events = [e for e in d.lifecycle.history(again) if e.action.startswith("comeback.")]
    assert [e.action for e in events][-2:] == ["comeback.confirmed", "comeback.rejected"]
    assert all(e.user_name == "王丽" for e in events)
