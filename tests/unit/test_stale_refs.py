"""Every command that changes a visit takes the version the screen showed: a stale
one is refused with StaleEdit naming the other change, and writes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from desk.domain.checklist import MarkKind
from desk.domain.entities import ComplaintRef, Disposal, Saved, VisitRef
from desk.domain.errors import StaleEdit
from tests import flow


def _with_lines(d, shop, vid, clock):
    """An estimate with a line in it; returns that line's id."""
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "oil")
    return d.lifecycle.visit_view(vid).lines[0].id


def _total(d, shop, vid, clock):
    _with_lines(d, shop, vid, clock)
    return d.estimate.estimate_total(vid)


def _part_on_back_order(d, shop, vid, clock):
    saved = d.estimate.add_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(
            kind="part",
            description="Wiper",
            qty=Decimal(1),
            unit_cents=5000,
            availability="back_order",
            eta=(clock.now + timedelta(days=1)).date(),
        ),
    )
    return saved.value


#: area.command -> (the stage the visit is brought to, setup(d, shop, vid, clock) -> extra or None,
#: the command call(d, shop, ref, extra, clock)): one or more per area
CASES = {
    "booking.reschedule": (
        "BOOKED",
        None,
        lambda d, s, ref, x, c: d.booking.reschedule(s.sa, ref, c.now + timedelta(hours=3)),
    ),
    "reception.add_concern": (
        "BOOKED",
        None,
        lambda d, s, ref, x, c: d.reception.add_concern(s.sa, ref, d.reception.concern("Rattle")),
    ),
    "reception.record_walkaround": (
        "WALKAROUND",
        None,
        lambda d, s, ref, x, c: d.reception.record_walkaround(s.sa, ref, d.reception.readings(fuel_eighths=3)),
    ),
    "reception.add_finding": (
        "WALKAROUND",
        None,
        lambda d, s, ref, x, c: d.reception.add_finding(s.sa, ref, d.reception.finding("Wiper torn", "yellow")),
    ),
    "estimate.add_line": (
        "ESTIMATE",
        None,
        lambda d, s, ref, x, c: d.estimate.add_line(
            s.sa, ref, d.estimate.draft(kind="labour", description="Check", qty=Decimal(1), unit_cents=1000)
        ),
    ),
    "estimate.update_line": (
        "ESTIMATE",
        _with_lines,
        lambda d, s, ref, line, c: d.estimate.update_line(s.sa, ref, line, d.estimate.patch(qty="2")),
    ),
    "estimate.authorise": (
        "ESTIMATE",
        _total,
        lambda d, s, ref, total, c: d.estimate.authorise(
            s.sa, ref, d.estimate.signature(channel="in_person", signer="李伟", amount_cents=total)
        ),
    ),
    "checklist.mark_item": (
        "BOOKED",
        None,
        lambda d, s, ref, x, c: d.checklist.mark_item(s.sa, ref, "APPT-01", MarkKind.DONE),
    ),
    "lifecycle.set_promised": (
        "ESTIMATE",
        None,
        lambda d, s, ref, x, c: d.lifecycle.set_promised(s.sa, ref, c.now + timedelta(hours=2)),
    ),
    "lifecycle.cancel": ("BOOKED", None, lambda d, s, ref, x, c: d.lifecycle.cancel(s.sa, ref, "customer called")),
    "lifecycle.assign": ("IN_REPAIR", None, lambda d, s, ref, x, c: d.lifecycle.assign(s.mgr, ref, s.tech2.id, "B2")),
    "workshop.part_arrived": (
        "IN_REPAIR",
        _part_on_back_order,
        lambda d, s, ref, line, c: d.workshop.part_arrived(s.sa, ref, line),
    ),
    "workshop.progress_update": (
        "IN_REPAIR",
        None,
        lambda d, s, ref, x, c: d.workshop.progress_update(s.sa, ref, "Half done"),
    ),
    "delivery.set_disposal": (
        "READY",
        None,
        lambda d, s, ref, x, c: d.delivery.set_disposal(s.sa, ref, Disposal.TAKE_AWAY),
    ),
    "followup.record_call": (
        "DELIVERED",
        None,
        lambda d, s, ref, x, c: d.followup.record_call(s.csr, ref, d.followup.call(outcome="no_answer")),
    ),
    "complaints.open_complaint": (
        "DELIVERED",
        None,
        lambda d, s, ref, x, c: d.complaints.open_complaint(s.sa, ref, d.complaints.complaint("ordinary", "Noise")),
    ),
}


def _state(d, vid):
    """Everything a refused command might have touched, as plain values."""
    view = d.lifecycle.visit_view(vid)
    visit = {k: v for k, v in view.visit.model_dump().items()}
    return (
        visit,
        [(ln.id, ln.unit_cents, ln.availability) for ln in view.lines],
        [c.text for c in view.concerns],
        [f.text for f in view.findings],
        [(s.item.id, s.state) for s in view.checklist],
        len(d.lifecycle.history(vid)),
        len(d.complaints.complaints(include_closed=True)),
    )


@pytest.mark.parametrize("command", sorted(CASES))
def test_a_stale_ref_is_refused_and_changes_nothing(shop, clock, command):
    d = shop.desk
    stage, setup, call = CASES[command]
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, stage)
    extra = setup(d, shop, vid, clock) if setup else None
    seen = d.lifecycle.ref(vid)
    # another terminal changes the visit after this one read it
    other = d.reception.add_concern(
        shop.sa, d.lifecycle.ref(vid), d.reception.concern("meanwhile, on another terminal")
    )
    assert isinstance(other, Saved) and other.ref.id == vid and other.ref.version > seen.version
    before = _state(d, vid)
    with pytest.raises(StaleEdit) as err:
        call(d, shop, seen, extra, clock)
    assert (err.value.by, err.value.what) == (shop.sa.name, "concern.add")
    assert _state(d, vid) == before
    # the same command with the fresh version goes through and returns the next one
    saved = call(d, shop, other.ref, extra, clock)
    assert isinstance(saved, Saved) and saved.ref == d.lifecycle.ref(vid) and saved.ref.version > other.ref.version


def test_book_and_walk_in_return_the_new_visits_ref(shop, clock):
    d = shop.desk
    ref = d.booking.book(
        shop.sa,
        customer_id=shop.customer,
        vehicle_id=shop.vehicle,
        booking=d.booking.draft(at=clock.now + timedelta(hours=1), concerns=["Noise"]),
    )
    walk = d.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=d.booking.concerns(["Oil"])
    )
    assert isinstance(ref, VisitRef) and ref == d.lifecycle.ref(ref.id) == d.lifecycle.visit_view(ref.id).ref
    assert walk == d.lifecycle.ref(walk.id) and walk.id != ref.id


def test_a_saved_ref_lets_the_same_terminal_go_on(shop, clock):
    """A fast second key press passes the version the first one returned."""
    d = shop.desk
    vid = flow.book(shop, clock)
    first = d.reception.add_concern(shop.sa, d.lifecycle.ref(vid), d.reception.concern("one"))
    second = d.reception.add_concern(shop.sa, first.ref, d.reception.concern("two"))
    assert second.ref == d.lifecycle.ref(vid)
    with pytest.raises(StaleEdit):
        d.reception.add_concern(shop.sa, first.ref, d.reception.concern("three"))


def test_a_reminder_of_another_visit_or_a_stale_one_is_refused(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock, minutes_ahead=90)
    other = flow.book(shop, clock, minutes_ahead=120)
    clock.advance(minutes=30)  # the hour before: its reminder is on the list
    rem = next(r.id for r, v, _ in d.booking.reminders() if v.id == vid)
    seen = d.lifecycle.ref(vid)
    d.reception.add_concern(shop.sa, seen, d.reception.concern("meanwhile"))
    with pytest.raises(StaleEdit):
        d.booking.complete_reminder(shop.sa, seen, rem, "reminded")
    from desk.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        d.booking.complete_reminder(shop.sa, d.lifecycle.ref(other), rem, "reminded")
    d.booking.complete_reminder(shop.sa, d.lifecycle.ref(vid), rem, "reminded")
    assert rem not in [r.id for r, _, _ in d.booking.reminders()]
    # a second outcome on top (a re-apply) keeps the first in the audit (it was lost)
    d.booking.complete_reminder(shop.mgr, d.lifecycle.ref(vid), rem, "no answer")
    last = [e for e in d.lifecycle.history(vid) if e.action.startswith("reminder.")][-1]
    assert '"reminded"' in last.before and '"no answer"' in last.after


def test_closing_a_complaint_checks_its_own_version(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    cid = d.complaints.open_complaint(
        shop.sa, d.lifecycle.ref(vid), d.complaints.complaint("ordinary", "Noise is back")
    ).value
    seen = next(c.ref for c in d.complaints.complaints() if c.id == cid)
    closed = d.complaints.close_complaint(
        shop.sa, seen, d.complaints.closing(root_cause="Pads", remedy="Re-check", closing_report="Done")
    )
    assert isinstance(closed, ComplaintRef) and closed.id == cid and closed.version > seen.version
    stale = ComplaintRef(cid, seen.version)
    before = [(c.id, c.closed) for c in d.complaints.complaints(include_closed=True)]
    with pytest.raises(StaleEdit) as err:
        d.complaints.close_complaint(
            shop.sa, stale, d.complaints.closing(root_cause="x", remedy="y", closing_report="z")
        )
    assert (err.value.by, err.value.what) == (shop.sa.name, "complaint.close")
    assert [(c.id, c.closed) for c in d.complaints.complaints(include_closed=True)] == before


def test_the_refusal_names_every_change_since_the_forms_version_and_none_before(shop, clock):
    """A sets the promise, then adds a line: B's form, opened before both, is refused
    naming both (oldest first), so its re-apply can't overwrite the promise unseen;
    what happened before B opened the form is not named, even at the same minute."""
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d.reception.add_concern(shop.sa, d.lifecycle.ref(vid), d.reception.concern("before B opened the form"))
    seen = d.lifecycle.ref(vid)  # B opens the form
    promised = d.lifecycle.set_promised(shop.sa, seen, clock.now + timedelta(hours=3))
    d.estimate.add_line(
        shop.sa, promised.ref, d.estimate.draft(kind="labour", description="Check", qty=Decimal(1), unit_cents=1000)
    )
    with pytest.raises(StaleEdit) as err:
        d.reception.add_concern(shop.sa, seen, d.reception.concern("B's late save"))
    assert [c.action for c in err.value.changes] == ["visit.promised", "line.add"]
    assert err.value.change is err.value.changes[-1] and err.value.what == "line.add"

    from desk.widgets.feedback import describe_error

    said = describe_error(err.value)
    assert said.index("promised time") < said.index("added an estimate line"), said
    assert "added a concern" not in said


def test_a_change_of_a_new_visit_names_its_creation_only_to_forms_that_could_not_have_seen_it(shop, clock):
    """The walk-in's own events begin at version 0: a form opened on it afterwards
    is refused naming what came after, not the walk-in."""
    d = shop.desk
    ref = d.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=d.booking.concerns(["Oil"])
    )
    d.reception.add_concern(shop.sa, ref, d.reception.concern("Rattle"))
    with pytest.raises(StaleEdit) as err:
        d.reception.add_concern(shop.sa, ref, d.reception.concern("late"))
    assert [c.action for c in err.value.changes] == ["concern.add"]
