"""The walk-in's clock by keys: c on the board when the car is there, the
write-up (i) later; the greeting is measured from the car's arrival."""

from __future__ import annotations

from datetime import timedelta

from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog
from tests.functional.pilot import screen_name, wait_for


async def test_c_starts_the_walk_in_clock_before_the_write_up(shop, clock, db_url):
    here = clock.now
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await pilot.press("c")
        await wait_for(pilot, lambda: "walk-in waiting since" in str(app.screen.title_text(app.screen.opening)))
        assert shop.desk.booking.waiting_walk_ins() == [here]
        clock.advance(minutes=2)  # the advisor comes to the customer
        await pilot.press("i")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
        await pilot.press(*"京A12345")
        await wait_for(pilot, lambda: app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press(*"Oil change", "ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "ReceptionScreen")
        vid = app.screen.visit_id
        await wait_for(pilot, lambda: shop.desk.lifecycle.visit_view(vid).visit.reception_at is not None)
    visit = shop.desk.lifecycle.visit_view(vid).visit
    assert visit.arrived_at == here
    assert visit.reception_at - visit.arrived_at == timedelta(minutes=2)
    assert shop.desk.booking.waiting_walk_ins() == []
