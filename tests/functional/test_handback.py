"""The car handed back as it came, comebacks closed at the root, declined work
that comes back: each by real keys."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from desk.shell.app import make_app
from desk.widgets.dialogs import PickDialog
from tests import flow
from tests.functional.pilot import wait_for
from tests.functional.test_checkin_lane import on
from tests.functional.test_two_terminals import Key, lines, two_terminals_walk
from tests.unit.test_carryover_service import declined_lines, declined_visit


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_a_declined_line_is_added_at_the_next_visit_with_one_key(shop, clock, db_url):
    _first, line = declined_visit(shop, clock)
    clock.advance(days=20)
    nxt = flow.book(shop, clock)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "AppointmentScreen")() and app.screen.offers)
        shown = text_of(app, "#earlier")
        assert "Declined on an earlier visit (1 line): r adds it" in shown
        assert "Front brake pad set" in shown and "420.00" in shown  # today's price, not the 390.00 declined
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "AppointmentScreen")() and app.screen.offers == [])
        assert text_of(app, "#earlier").strip() == ""
        assert app.screen.check_action("earlier_work", ()) is False  # r goes: nothing left to add
    [added] = [ln for ln in shop.desk.lifecycle.visit_view(nxt).lines if ln.carried_from_id == line]
    assert (added.description, added.unit_cents) == ("Front brake pad set", 42000)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_declined_work_r_on_two_terminals(shop, clock, db_url):
    """r at the estimate on both terminals: B's stale add is refused and named,
    then B adds what is left; every declined line is carried exactly once."""
    carried: dict = {}

    def earlier_declined(shop, vid):
        _first, carried["lines"] = declined_lines(shop, clock, {"Wiper blades": 16800, "Cabin air filter": 8000,
                                                                "Front brake pad set": 39000})

    def carried_once(view) -> bool:
        return sorted(ln.carried_from_id for ln in view.lines if ln.carried_from_id) == sorted(carried["lines"])

    await two_terminals_walk(shop, clock, db_url, "ESTIMATE", [
        # A picks the first line offered, B "All" (then all that is left)
        Key("declined earlier r", ("r",), picks={"a": (1,), "b": (0,)}, shows=lines, kept=carried_once),
    ], prepare=earlier_declined)
