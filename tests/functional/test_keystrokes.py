"""How many keys the advisor's commonest paths take, driven by real keys and
counted as they are pressed: a booked car's arrival to an authorised estimate with
one canned job (goal ≤ 20 presses), booking a returning customer (goal ≤ 4 keys).

``presses`` counts every key pressed, each character of a reading the advisor types
off the car (the odometer, the fuel gauge) included; ``keys`` counts a typed value as
one. Both numbers are in the test's output.
"""

from __future__ import annotations

from desk.shell.app import make_app
from desk.widgets.checklist import Checklist
from desk.widgets.dialogs import ConfirmDialog, FormDialog, PickDialog
from tests import flow
from tests.functional.pilot import screen_name, wait_for


class Keys:
    """Presses keys and counts them: ``keys`` (a value typed counts one) and
    ``presses`` (every character)."""

    def __init__(self, pilot) -> None:
        self.pilot = pilot
        self.keys = 0
        self.presses = 0

    async def press(self, *keys: str) -> None:
        for key in keys:
            await self.pilot.press(key)
            self.keys += 1
            self.presses += 1
            await wait_for(self.pilot, lambda: True)

    async def value(self, text: str) -> None:
        """A reading typed into a field: one key of the count, its characters pressed."""
        await self.pilot.press(*text)
        self.keys += 1
        self.presses += len(text)
        await wait_for(self.pilot, lambda: True)


async def arrival_to_signature(shop, clock, db_url, *, walkaround_seconds: int) -> tuple[int, Keys]:
    """A booked car's arrival to its authorised estimate by keys, the walkaround
    taking ``walkaround_seconds`` of the clock (round the car, then ``ctrl+a``
    ticks every item the advisor did): the visit and the keys it took."""
    # an oil service (no symptom a technician must road-test first, WLK-09)
    vid = flow.book(shop, clock, concerns=(("Oil service due", ("service",)),))
    d = shop.desk
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        k = Keys(pilot)
        stage = lambda: d.lifecycle.visit_view(vid).visit.stage
        # arrival: the appointment's open item (the special notes reviewed) is named
        # with the note; y ticks it with the arrival
        await k.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Check special notes" in str(app.screen.question)
        await k.press("y")
        await wait_for(pilot, lambda: screen_name(app) == "ReceptionScreen" and app.screen.view is not None)
        # reception: the concerns confirmed with the customer
        await k.press("f")
        await wait_for(pilot, lambda: not any(s.blocking for s in d.checklist.checklist(vid) if s.item.id == "RCP-04"))
        await k.press("f8")
        await wait_for(pilot, lambda: screen_name(app) == "WalkaroundScreen" and app.screen.view is not None)
        # walkaround: the readings, the damage list, the advisor's own items
        await k.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await k.value("43500")
        await k.press("tab")
        await k.value("4")
        await k.press("ctrl+s")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).visit.fuel_eighths == 4)
        await wait_for(pilot, lambda: screen_name(app) == "WalkaroundScreen")
        await k.press("c")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).visit.damage_confirmed)
        clock.advance(seconds=walkaround_seconds)  # round the car with the customer
        await k.press("ctrl+a")
        await wait_for(pilot, lambda: not app.screen.query_one(Checklist).first_blocking())
        await k.press("f8")
        await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen" and app.screen.view is not None)
        assert stage() == "ESTIMATE"
        # estimate: one canned job; the signature form offers the promised time and
        # names the advisor's item it ticks (explaining the order, EST-06)
        await k.press("j")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await k.press("enter")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).lines)
        await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen")
        await k.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        assert "Explain the repair order" in str(app.screen.note)
        await k.press("ctrl+s")
        await wait_for(pilot, lambda: stage() == "IN_REPAIR")
    return vid, k


async def test_a_booked_cars_arrival_to_an_authorised_estimate_takes_at_most_20_keys(shop, clock, db_url):
    vid, k = await arrival_to_signature(shop, clock, db_url, walkaround_seconds=4 * 60)
    print(f"\narrival to authorised estimate: {k.keys} keys ({k.presses} presses with the readings' characters)")
    d = shop.desk
    view = d.lifecycle.visit_view(vid)
    assert view.authorised and view.visit.promised_at is not None
    assert k.presses <= 20, (k.keys, k.presses)  # every character of the readings counted
    # the fastest honest path is never flagged: every item ticked at once (ctrl+a)
    # after a walkaround of four minutes
    assert d.integrity.visit_flags(vid).flags == []


async def test_a_walkaround_finished_in_20_seconds_is_flagged(shop, clock, db_url):
    vid, _k = await arrival_to_signature(shop, clock, db_url, walkaround_seconds=20)
    (flag,) = shop.desk.integrity.visit_flags(vid).flags
    assert flag.rule == "rushed_walkaround" and flag.user_id == shop.sa.id
    assert flag.params == {"s": 20, "min": 120}


async def test_booking_a_returning_customer_takes_at_most_4_keys(shop, clock, db_url):
    """The customer calls: their car is due its service (the form offers it)."""
    old = flow.book(shop, clock, concerns=[("Annual service", ("service",))])
    flow.to_stage(shop, clock, old, "DELIVERED")
    months = shop.desk.ctx.policy.service_interval_months
    clock.advance(days=30 * months - 10)
    d = shop.desk
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        k = Keys(pilot)
        await k.press("b")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
        await k.value("京A12345")  # the plate the customer gives on the phone
        await wait_for(pilot, lambda: app.screen.rows)
        await k.press("enter")  # one match: the booking form, the next free slot offered
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await k.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and len(app.screen.rows) == 1)
    print(f"\nbooking a returning customer: {k.keys} keys ({k.presses} presses with the plate's characters)")
    booked = [v for v in d.people.vehicle_visits(shop.vehicle) if v["stage"] == "BOOKED"]
    assert len(booked) == 1 and booked[0]["concerns"] == ["Regular service"]
    assert k.keys <= 4, k.keys
