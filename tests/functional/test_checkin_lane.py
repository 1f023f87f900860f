"""The check-in lane by keyboard: book a returning customer, check the car in,
walk around it, build an estimate from a canned job plus a back-ordered part and
record the authorisation; and the refusals on the way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input, Static

from desk.shell.app import make_app
from desk.widgets.checklist import Checklist
from desk.widgets.dialogs import ConfirmDialog, FormDialog, PickDialog, ReasonDialog
from tests import flow
from tests.functional.pilot import record_notifications, screen_name, wait_for


def on(app, name: str):
    return lambda: screen_name(app) == name


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


async def tick_until_moved(pilot, app, stage_screen: str, limit: int = 15) -> None:
    """Press F8; while it is refused, tick the item the cursor was moved to."""
    for _ in range(limit):
        await pilot.press("f8")
        await wait_for(pilot, lambda: True)
        if screen_name(app) != stage_screen:
            return
        await pilot.press("space")
        await wait_for(pilot, lambda: True)
    raise AssertionError(f"still on {stage_screen}")


async def test_book_to_authorised_estimate_by_keyboard(shop, clock, db_url):
    # a returning customer: one earlier delivered visit, a month and a half ago
    old = flow.book(shop, clock, concerns=[("Annual service", ("service",))])
    flow.to_stage(shop, clock, old, "DELIVERED")
    clock.advance(days=45)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        # --- book: lookup by plate, one match goes straight to the form
        await pilot.press("b")
        await wait_for(pilot, on(app, "LookupScreen"))
        await type_text(pilot, "京A12345")
        await wait_for(pilot, lambda: app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        when = app.screen.query_one("#f-when", Input).value
        assert when  # the next free slot is offered
        await pilot.press("tab")
        await type_text(pilot, "Regular service, oil light on")
        await pilot.press("tab", "8", "enter")
        await wait_for(
            pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.query_one("#board", DataTable).row_count == 1
        )
        visit_id = app.screen.rows[0].visit_id
        assert not app.screen.rows[0].new_customer
        # --- arrive: APPT-07 (special notes reviewed) is open and the advisor's:
        # named with the note; n opens the appointment's checklist on it, unticked
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "No special note" in str(app.screen.question)
        await pilot.press("n")
        await wait_for(pilot, on(app, "AppointmentScreen"))
        await wait_for(pilot, lambda: app.screen.query_one(Checklist).current_item_id == "APPT-07")
        await pilot.press("space")
        await wait_for(pilot, lambda: True)
        await pilot.press("f8")
        await wait_for(pilot, on(app, "ReceptionScreen"))
        # --- reception: the concerns are confirmed with the customer
        await pilot.press("f")
        await tick_until_moved(pilot, app, "ReceptionScreen")
        await wait_for(pilot, on(app, "WalkaroundScreen"))
        # --- walkaround: readings, damage confirmed, the manual items
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await type_text(pilot, "43500")
        await pilot.press("enter")
        await type_text(pilot, "4")
        await pilot.press("enter", "enter", "enter", "enter")
        await wait_for(pilot, on(app, "WalkaroundScreen"))
        await pilot.press("c")
        await wait_for(pilot, lambda: shop.desk.lifecycle.visit_view(visit_id).visit.damage_confirmed)
        await tick_until_moved(pilot, app, "WalkaroundScreen")
        await wait_for(pilot, on(app, "EstimateScreen"))
        # --- estimate: canned oil service + a back-ordered part with its ETA
        await pilot.press("j")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("enter")  # the first canned job: oil service
        await wait_for(pilot, lambda: len(shop.desk.lifecycle.visit_view(visit_id).lines) == 4)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await type_text(pilot, "Wiper blade set")
        await pilot.press("tab", "tab")
        await type_text(pilot, "168.00")
        await pilot.press("tab", "tab", "tab", "tab")
        await type_text(pilot, "+2")
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(shop.desk.lifecycle.visit_view(visit_id).lines) == 5)
        # the promised time offered is after the back-ordered part arrives: Enter takes it
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: shop.desk.lifecycle.visit_view(visit_id).visit.promised_at is not None)
        promised = shop.desk.lifecycle.visit_view(visit_id).visit.promised_at
        assert promised.date() >= (clock.now + timedelta(days=2)).date()
        # EST-06 (explain the order) is ticked when the refusal points at it
        await pilot.press("f8")
        await wait_for(pilot, lambda: app.screen.query_one(Checklist).current_item_id == "EST-06")
        await pilot.press("space")
        await wait_for(pilot, lambda: True)
        # --- the customer signs: channel, signer and amount are pre-filled
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("tab", "tab")
        await type_text(pilot, "RO-P-0042")
        await pilot.press("tab", "enter", "enter")  # the amount, then the promised time it shows
        await wait_for(pilot, lambda: shop.desk.lifecycle.visit_view(visit_id).visit.stage == "IN_REPAIR")

    view = shop.desk.lifecycle.visit_view(visit_id)
    assert view.authorised
    back = [ln for ln in view.lines if ln.availability == "back_order"]
    assert back and back[0].eta == (clock.now + timedelta(days=2)).date()
    auth = [e for e in shop.desk.lifecycle.history(visit_id) if e.action == "estimate.authorise"]
    assert len(auth) == 1 and "RO-P-0042" in auth[0].after and "王丽" == auth[0].user_name
    assert view.visit.odometer_km == 43500


async def test_full_slot_is_refused_with_a_clear_message(shop, clock, db_url):
    at = clock.now + timedelta(minutes=30)
    for _ in range(shop.desk.ctx.schedule.capacity):
        shop.desk.booking.book(
            shop.sa,
            customer_id=shop.customer,
            vehicle_id=shop.vehicle,
            booking=shop.desk.booking.draft(at=at, concerns=["x"]),
        )
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await pilot.press("b")
        await wait_for(pilot, on(app, "LookupScreen"))
        await type_text(pilot, "李伟")
        await wait_for(pilot, lambda: app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        field = app.screen.query_one("#f-when", Input)
        field.value = at.strftime("%Y-%m-%d %H:%M")
        await pilot.press("tab")
        await type_text(pilot, "noise")
        await pilot.press("tab", "enter")
        await wait_for(pilot, lambda: any("slot is full" in n for n in notes))
    assert len(shop.desk.booking.board(at.date())) == shop.desk.ctx.schedule.capacity


async def test_lower_odometer_is_refused_inline_and_nothing_saved(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "WALKAROUND")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await wait_for(pilot, lambda: app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "WalkaroundScreen")() and app.screen.view is not None)
        await pilot.press("o")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await type_text(pilot, "41000")
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: "lower than the last reading" in str(app.screen.query_one("#e-odometer_km", Static).render())
        )
        assert isinstance(app.screen, FormDialog)  # the form stays open with the message
    assert shop.desk.lifecycle.visit_view(vid).visit.odometer_km is None


async def waive_rcp04_as_advisor(pilot, app) -> None:
    """On the board, open the walk-in, ask to waive RCP-04 with a reason: the
    advisor may not, so the manager approval opens."""
    await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
    await pilot.press("enter")
    await wait_for(pilot, lambda: on(app, "ReceptionScreen")() and app.screen.view is not None)
    app.screen.query_one(Checklist).focus_item("RCP-04")
    await pilot.press("w")
    await wait_for(pilot, lambda: screen_name(app) == "ReasonDialog")
    await type_text(pilot, "customer in a hurry")
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval" and app.screen.query("#approval-managers"))


async def test_waive_without_permission_is_refused(shop, clock, db_url):
    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await waive_rcp04_as_advisor(pilot, app)
        assert "Not allowed" in str(app.screen.query_one("#approval-action").render())
        await pilot.press("escape")  # no manager at hand
        # the reason is still there, to save when a manager comes, or to leave
        await wait_for(pilot, lambda: screen_name(app) == "ReasonDialog")
        assert app.screen.query_one("#reason", Input).value == "customer in a hurry"
        await pilot.press("escape")
        await wait_for(pilot, lambda: on(app, "ReceptionScreen")())
    assert not [n for n in notes if "Not allowed" in n]  # asked, not refused
    statuses = {s.item.id: s.state for s in shop.desk.checklist.checklist(vid)}
    assert statuses["RCP-04"] == "open"


async def test_a_manager_waives_with_their_pin_on_the_advisors_terminal(shop, clock, db_url):
    from tests.functional.test_signin import cheap_pin

    cheap_pin(shop.desk, shop.mgr.id, "1357")
    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await waive_rcp04_as_advisor(pilot, app)
        await wait_for(pilot, lambda: app.screen.query_one("#approval-managers").option_count == 1)
        await pilot.press("enter", *"1357", "enter")
        await wait_for(
            pilot, lambda: {s.item.id: s.state for s in shop.desk.checklist.checklist(vid)}["RCP-04"] == "waived"
        )
        assert app.user.name == "王丽"  # the advisor stays signed in
    event = shop.desk.lifecycle.history(vid)[-1]
    assert event.user_name == "周经理" and "RCP-04" in event.after


def footer_key(app, key: str):
    """The footer's entry for ``key`` on the screen as it is now: (key, binding,
    enabled, tooltip), what the footer draws it from (dimmed when not enabled)."""
    from desk.widgets.footer import footer_entries

    return next((e for e in footer_entries(app.screen) if e[0] == key), None)


@pytest.mark.parametrize("user, greyed", [("王丽", True), ("周经理", False)])
async def test_the_waive_key_is_greyed_for_an_advisor_and_not_for_a_manager(shop, clock, db_url, user, greyed):
    """Who may waive is the domain's (``staff``): the footer shows `w` dimmed for
    an advisor, who may still press it to ask a manager; a manager's is not."""
    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    app = make_app(db_url=db_url, clock=clock, user_name=user)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "ReceptionScreen")() and app.screen.view is not None)
        table = app.screen.query_one(Checklist)
        table.focus()
        table.focus_item("RCP-04")
        await wait_for(pilot, lambda: footer_key(app, "w") is not None and footer_key(app, "w")[2] is not greyed)
        assert footer_key(app, "w")[1].description == "Waive"  # the key shown, dimmed or not
        assert footer_key(app, "space")[2]  # a tick is everyone's here
        await pilot.press("w")  # greyed or not, w asks the reason; an advisor's then asks a manager
        await wait_for(pilot, lambda: screen_name(app) == "ReasonDialog")
        await type_text(pilot, "customer in a hurry")
        await pilot.press("enter")
        if greyed:
            await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval")
        else:
            await wait_for(
                pilot, lambda: {s.item.id: s.state for s in shop.desk.checklist.checklist(vid)}["RCP-04"] == "waived"
            )


async def test_advance_with_open_items_names_them(shop, clock, db_url):
    shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    )
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await wait_for(pilot, lambda: app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "ReceptionScreen")() and app.screen.view is not None)
        await pilot.press("f8")
        await wait_for(pilot, lambda: any("RCP-04" in n for n in notes))
        assert app.screen.query_one(Checklist).current_item_id == "RCP-04"
        assert app.screen.query_one(Checklist).has_focus


async def test_a_discount_beyond_the_advisors_limit_is_authorised_by_a_manager(shop, clock, db_url):
    from tests.functional.test_signin import cheap_pin

    cheap_pin(shop.desk, shop.mgr.id, "1357")
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "EstimateScreen")() and app.screen.view is not None)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await type_text(pilot, "Goodwill labour")
        await pilot.press("tab", "tab")
        await type_text(pilot, "300")
        await pilot.press("tab", "end", "backspace")
        await type_text(pilot, "40")  # 40 % off: beyond the advisor's 10 %
        await pilot.press("enter", "enter", "enter")
        await wait_for(pilot, lambda: screen_name(app) != "FormDialog")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "ManagerApproval" and app.screen.query_one("#approval-managers").option_count == 1
            ),
        )
        assert "Goodwill labour" in str(app.screen.query_one("#approval-action").render())
        await pilot.press("enter", *"1357", "enter")
        await wait_for(
            pilot, lambda: any(ln.description == "Goodwill labour" for ln in shop.desk.lifecycle.visit_view(vid).lines)
        )
    line = next(ln for ln in shop.desk.lifecycle.visit_view(vid).lines if ln.description == "Goodwill labour")
    assert line.discount_pct == 40
    event = shop.desk.lifecycle.history(vid)[-1]
    assert event.action == "line.add" and event.user_name == "周经理"


async def test_booking_finds_a_chinese_name_typed_as_pinyin_initials(shop, clock, db_url):
    """On an English keyboard the advisor types "lw" (no pause between the keys)
    and books 李伟: the lookup of the booking form matches pinyin initials."""
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await pilot.press("b")
        await wait_for(pilot, on(app, "LookupScreen"))
        await pilot.press("l", "w")
        await wait_for(pilot, lambda: app.screen.rows)
        assert app.screen.rows == [(shop.customer, shop.vehicle)]  # 李伟 and his car
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))


async def test_the_booking_form_offers_a_time_inside_opening_hours(shop, clock, db_url):
    """Late in the evening the default is tomorrow's first slot (it was 22:30
    today); on a later day of the board, that day's first slot."""
    clock.now = clock.now.replace(hour=22, minute=10)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        for day_keys, expected in (((), "2026-11-24 08:00"), (("right", "right"), "2026-11-25 08:00")):
            await pilot.press(*day_keys, "b")
            await wait_for(pilot, on(app, "LookupScreen"))
            await type_text(pilot, "李伟")
            await wait_for(pilot, lambda: app.screen.rows)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
            assert app.screen.query_one("#f-when", Input).value == expected
            await pilot.press("escape")
            await wait_for(pilot, on(app, "AppointmentsScreen"))


async def test_a_european_vin_with_a_doubtful_check_digit_is_kept_with_a_warning(shop, clock, db_url):
    """Outside North America and China position 9 is often a filler: the VIN is
    accepted, and the advisor is told to double-check it (it was computed and
    never shown)."""
    vin = "WVWZZZ3CZWE689725"  # a Volkswagen's: 'Z' where a check digit would be
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await pilot.press("b")
        await wait_for(pilot, on(app, "LookupScreen"))
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        for name, value in {"name": "Anna Schmidt", "phone": "13500001234", "plate": "苏D13579", "vin": vin}.items():
            app.screen.query_one(f"#f-{name}", Input).value = value
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any(vin in n for n in notes))
    assert any("check digit does not match" in n for n in notes if vin in n)
    assert [v.vin for v, _c in shop.desk.people.lookup("苏D13579")] == [vin]


async def test_space_on_a_ticked_item_un_ticks_it_with_a_reason(shop, clock, db_url):
    """A mistaken tick is withdrawn: space on a ticked item asks why, the item is
    open again and the audit has the reason; it no longer writes a second tick."""
    vid = flow.book(shop, clock)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await wait_for(pilot, lambda: app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "AppointmentScreen")() and app.screen.query(Checklist))
        checklist = app.screen.query_one(Checklist)
        checklist.focus()
        await wait_for(pilot, lambda: checklist.current_item_id is not None)
        item = checklist.current_item_id
        state = lambda: next(s.state for s in shop.desk.checklist.checklist(vid) if s.item.id == item)
        await pilot.press("space")
        await wait_for(pilot, lambda: state() == "done")
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await type_text(pilot, "Ticked the wrong row")
        await pilot.press("enter")
        await wait_for(pilot, lambda: state() == "open" and not isinstance(app.screen, ReasonDialog))
        await wait_for(pilot, lambda: next(s.state for s in checklist.statuses if s.item.id == item) == "open")
    events = [e for e in shop.desk.lifecycle.history(vid) if e.action.startswith("mot.")]
    assert [e.action for e in events] == ["mot.done", "mot.undone"]
    assert "Ticked the wrong row" in events[-1].after and item in events[-1].after
