"""A form keeps the version it was opened on (issue 24, build item 1).

Two terminals (two apps in this process) on one database, SQLite and PostgreSQL,
both following the change feed as they do in the shop. For each editing key:
B opens the form and types; A opens the same form, types and saves; B's screen
behind its form follows A's change from the feed; a moment later B saves. B's save
is refused: the form says in words who changed what and when ("周经理 set the
promised time to 15:00 at 09:00"), theirs beside what B typed, B's text is still
in the fields, and one key (ctrl+r) saves B's on top of A's. Until then nothing
of B's is stored and A's change stands.

On main B's late save went through and A's change was gone, nobody told.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from textual.widgets import Input, Static

from desk.domain.entities import Role
from desk.screens.visit import VisitScreen, screen_for
from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog, PickDialog
from tests import flow
from tests.functional.pilot import record_notifications, screen_name, wait_for

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)

A_USER, B_USER = "周经理", "孙经理"


@dataclass
class Case:
    """One editing key: the stage its screen is in, the keys that open its form
    (``down`` moves the cursor first; picks are typed keys too), what each
    terminal types in its one field, and how the refusal names A's change."""

    stage: str
    opens: tuple[str, ...]
    typed: dict[str, str]
    #: The sentence naming A's change (after "Changed on another terminal: ").
    theirs: str
    #: What is stored of the change (the visit view -> a value), for each terminal's text.
    stored: Callable
    expect: dict[str, object] = field(default_factory=dict)
    prepare: Callable | None = None


def two_parts(shop, vid) -> None:
    d = shop.desk
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "brake_pads")


def a_bracketed_part(shop, vid) -> None:
    """A part whose description looks like Rich markup: named literally."""
    from decimal import Decimal

    d = shop.desk
    d.estimate.add_estimate_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(kind="part", description="Disc [b]pair[/b]", qty=Decimal(1), unit_cents=68000),
    )


def first_eta(view):
    return next(str(ln.eta) for ln in view.lines if ln.kind == "part")


CASES = {
    "promised time t": Case(
        "ESTIMATE",
        ("t",),
        {"a": "15:00", "b": "16:30"},
        theirs=A_USER + " set the promised time to 15:00 at {at}",
        stored=lambda v: f"{v.visit.promised_at:%H:%M}",
        expect={"a": "15:00", "b": "16:30"},
    ),
    "part ETA v": Case(
        "ESTIMATE",
        ("down", "v", "down", "enter"),
        {"a": "2026-11-26", "b": "2026-11-27"},
        theirs=A_USER + " set the arrival date of Front brake pad set to 2026-11-26 at {at}",
        stored=first_eta,
        expect={"a": "2026-11-26", "b": "2026-11-27"},
        prepare=two_parts,
    ),
    "part ETA v, a description like markup": Case(
        "ESTIMATE",
        ("v", "down", "enter"),
        {"a": "2026-11-26", "b": "2026-11-27"},
        theirs=A_USER + " set the arrival date of Disc [b]pair[/b] to 2026-11-26 at {at}",
        stored=first_eta,
        expect={"a": "2026-11-26", "b": "2026-11-27"},
        prepare=a_bracketed_part,
    ),
    "reschedule s (booking)": Case(
        "BOOKED",
        ("s",),
        {"a": "tomorrow 10:00", "b": "tomorrow 11:00"},
        theirs=A_USER + " moved the appointment to 2026-11-24 10:00 at {at}",
        stored=lambda v: f"{v.visit.appointment_at:%H:%M}",
        expect={"a": "10:00", "b": "11:00"},
    ),
    "concern k": Case(
        "RECEPTION",
        ("k",),
        {"a": "Rattle at the back", "b": "Wipers smear"},
        theirs=A_USER + " added a concern at {at}",
        stored=lambda v: sorted(c.text for c in v.concerns if c.text != "Squeaking noise when braking"),
        expect={"a": ["Rattle at the back"], "b": ["Rattle at the back", "Wipers smear"]},
    ),
    "odometer readings o": Case(
        "WALKAROUND",
        ("o",),
        {"a": "43100", "b": "43200"},
        theirs=A_USER + " saved the walkaround readings at {at}",
        stored=lambda v: v.visit.odometer_km,
        expect={"a": 43100, "b": 43200},
    ),
    "progress update u": Case(
        "IN_REPAIR",
        ("u",),
        {"a": "Parts fitted", "b": "Road test next"},
        theirs=A_USER + " gave the customer a progress update at {at}",
        stored=lambda v: v.ref.version,
        expect={},
    ),
}


def visit_screen(app) -> VisitScreen:
    return next(s for s in reversed(app.screen_stack) if isinstance(s, VisitScreen))


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_form(pilot, app, case: Case, text: str) -> FormDialog:
    """Press the case's keys, then type ``text`` into the form's first field
    (what was offered in it cleared first)."""
    for key in case.opens:
        if key == "enter" or key == "down" and isinstance(app.screen, PickDialog):
            await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press(key)
        await settle(pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    form = app.screen
    await pilot.press("ctrl+u", *text)
    return form


def first_value(form) -> str:
    return form.query_one(f"#f-{form.fields[0].name}", Input).value


@pytest.mark.parametrize("name", list(CASES))
async def test_a_late_save_is_refused_in_words_and_reapplied(shop, clock, db_url, name):
    case = CASES[name]
    d = shop.desk
    d.people.create_user(None, B_USER, [Role.MANAGER])
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, case.stage)
    if case.prepare is not None:
        case.prepare(shop, vid)
    a = make_app(db_url=db_url, clock=clock, user_name=A_USER)
    b = make_app(db_url=db_url, clock=clock, user_name=B_USER)
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
            app.call_later(lambda app=app: app.push_screen(screen_for(case.stage, vid)))
            await wait_for(pilot, lambda app=app: isinstance(app.screen, VisitScreen) and app.screen.view is not None)
        # B opens the form and types; then A saves the same form
        form_b = await open_form(pb, b, case, case.typed["b"])
        opened_on = visit_screen(b).ref
        await open_form(pa, a, case, case.typed["a"])
        await pa.press("ctrl+s")
        await wait_for(
            pa, lambda: not isinstance(a.screen, FormDialog) and d.lifecycle.visit_view(vid).ref != opened_on
        )
        after_a = d.lifecycle.visit_view(vid)
        theirs = case.theirs.format(at=f"{clock.now:%H:%M}")
        # B's screen behind the form follows the feed: it shows A's change
        await wait_for(pb, lambda: visit_screen(b).shown_ref == after_a.ref, tries=2000)
        assert b.screen is form_b and first_value(form_b) == case.typed["b"]
        # a moment later B saves: refused, in words, B's text kept, nothing of B's stored
        notes.clear()
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: any("another terminal" in n for n in notes), tries=600)
        message = next(n for n in notes if "another terminal" in n)
        assert message == f"Changed on another terminal: {theirs}", message
        assert "visit." not in message and "(" not in message  # no internal code
        assert d.lifecycle.visit_view(vid).ref == after_a.ref  # A's change stands
        if case.expect:
            assert case.stored(d.lifecycle.visit_view(vid)) == case.expect["a"]
        assert b.screen is form_b and first_value(form_b) == case.typed["b"]
        stale = str(form_b.query_one("#stale", Static).render())
        assert theirs in stale and case.typed["b"] in stale  # theirs beside yours
        (shown,) = [n for n in b._notifications if "another terminal" in n.message]
        assert shown.message.endswith(theirs) and not shown.markup  # drawn literally, not as markup
        # saving again without asking is refused again: the form still acts on its version
        notes.clear()
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: any("another terminal" in n for n in notes), tries=600)
        assert d.lifecycle.visit_view(vid).ref == after_a.ref
        # ctrl+r: B's on top of A's, a save against the version now
        await pb.press("ctrl+r")
        await wait_for(pb, lambda: not isinstance(b.screen, FormDialog), tries=600)
        final = d.lifecycle.visit_view(vid)
        assert final.ref.version > after_a.ref.version
        if case.expect:
            assert case.stored(final) == case.expect["b"]
        # A's screen shows B's change from the feed, without a key
        await wait_for(pa, lambda: visit_screen(a).shown_ref == final.ref, tries=2000)
    events = [e for e in d.lifecycle.history(vid) if e.user_name in (A_USER, B_USER)]
    assert [e.user_name for e in events][-2:] == [A_USER, B_USER]  # both saves audited, A's first
    assert all(json.loads(e.after or "{}") is not None for e in events)


async def test_a_form_opened_before_the_change_but_escaped_leaves_no_pin(shop, clock, db_url):
    """Escape after a refusal: the screen acts on the version it shows again (the
    next key is not refused)."""
    d = shop.desk
    d.people.create_user(None, B_USER, [Role.MANAGER])
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    a = make_app(db_url=db_url, clock=clock, user_name=A_USER)
    b = make_app(db_url=db_url, clock=clock, user_name=B_USER)
    case = CASES["promised time t"]
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
            app.call_later(lambda app=app: app.push_screen(screen_for("ESTIMATE", vid)))
            await wait_for(pilot, lambda app=app: isinstance(app.screen, VisitScreen) and app.screen.view is not None)
        await open_form(pb, b, case, "16:30")
        await open_form(pa, a, case, "15:00")
        await pa.press("ctrl+s")
        await wait_for(pa, lambda: not isinstance(a.screen, FormDialog))
        after_a = d.lifecycle.visit_view(vid)
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: any("another terminal" in n for n in notes), tries=600)
        await pb.press("escape")
        await wait_for(pb, lambda: isinstance(b.screen, VisitScreen) and b.screen.ref == after_a.ref, tries=600)
        await open_form(pb, b, case, "17:00")  # opened on A's version: saved at once
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: isinstance(b.screen, VisitScreen), tries=600)
        assert f"{d.lifecycle.visit_view(vid).visit.promised_at:%H:%M}" == "17:00"


def two_apps(shop, clock, db_url):
    """Terminals A (周经理) and B (孙经理, a manager too), both following the change feed."""
    shop.desk.people.create_user(None, B_USER, [Role.MANAGER])
    a = make_app(db_url=db_url, clock=clock, user_name=A_USER)
    b = make_app(db_url=db_url, clock=clock, user_name=B_USER)
    return a, b


async def test_closing_a_complaint_closed_meanwhile(shop, clock, db_url):
    """`c` on the complaints list: B's closing form was opened before A closed the
    complaint; B's list follows the feed (the complaint leaves the open ones) while
    the form stays. B's save is refused in words with B's report kept; ctrl+r
    tries it on the complaint as it is now and is refused again, in words: it is
    closed. A's report stands, once."""
    from desk.screens.complaints import ComplaintsScreen

    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    d.complaints.open_complaint(shop.sa, d.lifecycle.ref(vid), d.complaints.complaint("ordinary", "Noise"))
    a, b = two_apps(shop, clock, db_url)
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
            app.call_later(lambda app=app: app.push_screen(ComplaintsScreen()))
            await wait_for(pilot, lambda app=app: screen_name(app) == "ComplaintsScreen" and app.screen.rows)
        for app, pilot, cause in ((b, pb, "Loose shield"), (a, pa, "Pads glazed")):
            await pilot.press("c")
            await wait_for(pilot, lambda app=app: isinstance(app.screen, FormDialog))
            await pilot.press(*cause, "tab", *"Refit", "tab", *"Called back")
        form_b = b.screen
        await pa.press("ctrl+s")
        await wait_for(pa, lambda: screen_name(a) == "ComplaintsScreen" and not a.screen.rows)
        list_b = next(s for s in b.screen_stack if screen_name_of(s) == "ComplaintsScreen")
        await wait_for(pb, lambda: not list_b.rows, tries=2000)  # B's list follows the feed
        assert b.screen is form_b
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: any("another terminal" in n for n in notes), tries=600)
        theirs = f"{A_USER} closed the complaint at {clock.now:%H:%M}"
        assert f"Changed on another terminal: {theirs}" in notes
        assert first_value(form_b) == "Loose shield"
        stale = str(form_b.query_one("#stale", Static).render())
        assert theirs in stale and "Loose shield" in stale
        # it is closed: nothing of B's can go on it, so no ctrl+r is offered (it did, then refused)
        assert "cannot be saved on it now" in stale and "Ctrl+R" not in stale
        assert form_b.check_action("reapply", ()) is False
        notes.clear()
        await pb.press("ctrl+r")
        await pb.pause()
        assert b.screen is form_b and first_value(form_b) == "Loose shield" and not notes
    closes = [json.loads(e.after) for e in d.lifecycle.history(vid) if e.action == "complaint.close"]
    assert [c["root_cause"] for c in closes] == ["Pads glazed"]


def screen_name_of(screen) -> str:
    return type(screen).__name__


async def test_a_setting_changed_meanwhile(shop, clock, db_url):
    """`e` on a setting (f9): B opened "Workshop bays" before A set it to 8; B's
    save of 9 is refused, named in the set-up's words, B's 9 kept; ctrl+r stores
    9 on top of A's 8."""
    from tests.functional.test_setup import open_setup, stored, to_row

    d = shop.desk
    a, b = two_apps(shop, clock, db_url)
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        for app, pilot, value in ((b, pb, "9"), (a, pa, "8")):
            await open_setup(pilot, app)
            await to_row(pilot, app, "Workshop bays")
            await pilot.press("e")
            await wait_for(pilot, lambda app=app: isinstance(app.screen, FormDialog))
            await pilot.press("ctrl+u", *value)
        form_b = b.screen
        await pa.press("ctrl+s")
        await wait_for(pa, lambda: screen_name(a) == "SetupScreen" and stored(shop, "bays").value == 8)
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: any("another terminal" in n for n in notes), tries=600)
        theirs = f"{A_USER} set Workshop bays to 8 at {clock.now:%H:%M}"
        assert f"Changed on another terminal: {theirs}" in notes
        assert b.screen is form_b and first_value(form_b) == "9"
        assert stored(shop, "bays").value == 8
        assert theirs in str(form_b.query_one("#stale", Static).render())
        await pb.press("ctrl+r")
        await wait_for(pb, lambda: screen_name(b) == "SetupScreen" and stored(shop, "bays").value == 9, tries=600)
    assert d.setup.shop_settings()


async def test_a_reminder_outcome_typed_while_the_visit_moved_on_is_kept(shop, clock, db_url):
    """`m` on the board, a reminder, its outcome typed; meanwhile A adds a concern
    to that visit. B's save is refused in words with the outcome kept in the form
    (it closed, the outcome lost); ctrl+r records it on the visit as it is now."""
    d = shop.desk
    vid = flow.book(shop, clock, minutes_ahead=90)
    clock.advance(minutes=30)  # the hour before: its reminder is on the list
    a, b = two_apps(shop, clock, db_url)
    async with b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        await wait_for(pb, lambda: screen_name(b) == "AppointmentsScreen")
        await pb.press("m")
        await wait_for(pb, lambda: isinstance(b.screen, PickDialog))
        await pb.press("enter")
        await wait_for(pb, lambda: isinstance(b.screen, FormDialog))
        form = b.screen
        await pb.press(*"coming at 10")
        d.reception.add_concern(shop.mgr, d.lifecycle.ref(vid), d.reception.concern("Rattle"))  # terminal A
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: any("another terminal" in n for n in notes), tries=600)
        assert b.screen is form and first_value(form) == "coming at 10"
        assert "added a concern" in str(form.query_one("#stale", Static).render())
        assert any(r.visit_id == vid for r, _v, _c in d.booking.reminders())  # nothing of B's stored yet
        await pb.press("ctrl+r")
        await wait_for(pb, lambda: not isinstance(b.screen, FormDialog), tries=600)
    done = [e for e in d.lifecycle.history(vid) if e.user_name == B_USER]
    assert done and "coming at 10" in done[-1].after


async def open_customer_form(pilot, app, query: str) -> FormDialog:
    """/ (lookup), the car typed, then "Correct the customer's details"."""
    await pilot.press("slash")
    await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
    await pilot.press(*query)
    await wait_for(pilot, lambda: app.screen.rows if screen_name(app) == "LookupScreen" else False, tries=600)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, PickDialog), tries=600)
    picks = app.screen
    await pilot.press(*["down"] * (len(picks.choices) - 1), "enter")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog), tries=600)
    return app.screen


async def test_a_customers_details_changed_meanwhile(shop, clock, db_url):
    """The customer's edit form (/ and the car, "Correct the customer's details"):
    B opens it and types a new phone; A opens it, corrects the name and saves; B
    saves later: refused in words naming A's change, B's phone kept; ctrl+r saves
    B's phone on top, A's name stands. On main no customer could be corrected."""
    d = shop.desk
    a, b = two_apps(shop, clock, db_url)
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
        form_b = await open_customer_form(pb, b, "12345")
        phone = form_b.query_one("#f-phone", Input)
        phone.focus()
        await pb.press("ctrl+u", *"13900001111")
        form_a = await open_customer_form(pa, a, "12345")
        assert first_value(form_a) == "李伟"
        await pa.press("ctrl+u", *"李伟明", "ctrl+s")
        await wait_for(pa, lambda: not isinstance(a.screen, FormDialog), tries=600)
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: any("another terminal" in n for n in notes), tries=600)
        theirs = f"{A_USER} set the customer's name to 李伟明 at {clock.now:%H:%M}"
        assert f"Changed on another terminal: {theirs}" in notes
        assert b.screen is form_b and phone.value == "13900001111"
        yours = str(form_b.query_one("#stale", Static).render()).split("Yours: ")[1].splitlines()[0]
        assert yours == "Phone: 13900001111"  # what B typed, not the fields B left as they were
        await pb.press("ctrl+r")
        await wait_for(pb, lambda: not isinstance(b.screen, FormDialog), tries=600)
    ref, now = d.people.customer_details(shop.customer)
    assert (now.name, now.phone) == ("李伟明", "+8613900001111")  # theirs kept, yours on top
    import sqlalchemy as sa

    with d.ctx.engine.connect() as conn:
        users = [
            r[0]
            for r in conn.execute(
                sa.text("SELECT user_name FROM audit_event WHERE action = 'customer.update' ORDER BY id")
            )
        ]
    assert users == [A_USER, B_USER]  # both saves audited, A's first


async def open_line_form(pilot, app, vid: int, line_id: int) -> FormDialog:
    """The estimate of ``vid`` on the board's terminal, `c` on the line ``line_id``."""
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    app.call_later(lambda: app.push_screen(screen_for("ESTIMATE", vid)))
    await wait_for(pilot, lambda: isinstance(app.screen, VisitScreen) and app.screen.view is not None)
    table = app.screen.query_one("#lines")
    table.move_cursor(row=[ln.id for ln in app.screen.view.lines].index(line_id))
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    return app.screen


async def test_a_line_changed_meanwhile_keeps_the_other_terminals_price(shop, clock, db_url):
    """`c` on a line: B types a quantity; A changes the unit price; B's save is
    refused naming the price change (it named an arrival date set an hour before),
    and ctrl+r writes B's quantity only: A's price stands (it was put back, unseen)."""
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    two_parts(shop, vid)
    part = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.kind == "part")
    a, b = two_apps(shop, clock, db_url)
    async with b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        form = await open_line_form(pb, b, vid, part.id)
        await pb.press("ctrl+u", *"5")
        d.estimate.update_line(shop.mgr, d.lifecycle.ref(vid), part.id, d.estimate.patch(unit_cents=45000))  # A
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: any("another terminal" in n for n in notes), tries=600)
        assert any(f"{A_USER} set the unit price of {part.description} to 450.00" in n for n in notes), notes
        assert b.screen is form
        await pb.press("ctrl+r")
        await wait_for(pb, lambda: not isinstance(b.screen, FormDialog), tries=600)
    now = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.id == part.id)
    assert (now.qty, now.unit_cents) == (5, 45000)


async def test_a_reapplied_price_below_the_catalogue_still_needs_a_manager(shop, clock, db_url):
    """The breaking test's bypass: an advisor's `c` on a catalogue part priced above
    the catalogue; A raises the quantity; B (an advisor) types a price below the
    catalogue and is refused as stale; ctrl+r must still ask a manager's PIN (it
    saved the price unapproved)."""
    from desk.widgets.approval import ManagerApproval

    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    two_parts(shop, vid)
    part = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.kind == "part")
    assert part.list_cents
    above = part.list_cents + 8000
    d.estimate.update_line(shop.mgr, d.lifecycle.ref(vid), part.id, d.estimate.patch(unit_cents=above))
    b = make_app(db_url=db_url, clock=clock, user_name="王丽")  # an advisor
    async with b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        form = await open_line_form(pb, b, vid, part.id)
        await pb.press("tab", "ctrl+u", *f"{part.list_cents // 400}")  # a quarter of the catalogue price
        d.estimate.update_line(shop.mgr, d.lifecycle.ref(vid), part.id, d.estimate.patch(qty=Decimal(5)))  # A
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: any("another terminal" in n for n in notes), tries=600)
        assert b.screen is form
        await pb.press("ctrl+r")
        await wait_for(pb, lambda: isinstance(b.screen, ManagerApproval), tries=600)
        await pb.press("escape")
        await wait_for(pb, lambda: b.screen is form, tries=600)
    now = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.id == part.id)
    assert (now.qty, now.unit_cents) == (5, above)  # A's quantity, no unapproved price
