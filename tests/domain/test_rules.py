"""Every [data] rule of the spec, including the refusals."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from desk.domain import rules
from desk.domain.entities import (
    Approval,
    Authorisation,
    Availability,
    CallOutcome,
    Channel,
    Concern,
    Customer,
    Disposal,
    EstimateLine,
    FollowUpCall,
    LineKind,
    PastVisit,
    Symptom,
    Vehicle,
)
from desk.domain.rules import CHECKS, CONDITIONS, Policy, VisitFacts

NOW = datetime(2026, 11, 22, 10, 0)


def f(**kw) -> VisitFacts:
    return VisitFacts(now=NOW, **kw)


def line(**kw) -> EstimateLine:
    base = dict(kind=LineKind.LABOUR, description="Labour", qty=Decimal(1), unit_cents=18000)
    base.update(kw)
    return EstimateLine(**base)


def check(name, facts) -> bool:
    return CHECKS[name].fn(facts)


# ------------------------------------------------------------------ comeback (APPT-03)


def past(days_ago, text, tags=()):
    return PastVisit(
        id=1,
        delivered_at=NOW - timedelta(days=days_ago),
        arrived_at=NOW - timedelta(days=days_ago, hours=3),
        concerns=[Concern(text, frozenset(tags))],
    )


def test_comeback_same_symptom_within_window():
    now_concern = [Concern("Brakes squeak again", frozenset({Symptom.BRAKE, Symptom.NOISE}))]
    assert rules.comeback_of(now_concern, [past(12, "Squeaking when braking", [Symptom.BRAKE])], NOW, 30)


def test_comeback_similar_words_or_chinese_text():
    assert rules.comeback_of([Concern("engine oil leak")], [past(5, "oil leak under engine")], NOW, 30)
    assert rules.comeback_of([Concern("刹车异响")], [past(5, "刹车有异响")], NOW, 30)


def test_not_a_comeback_outside_window_or_different_complaint():
    c = [Concern("Brakes squeak", frozenset({Symptom.BRAKE}))]
    assert rules.comeback_of(c, [past(31, "brake squeak", [Symptom.BRAKE])], NOW, 30) is None
    assert rules.comeback_of(c, [past(3, "Air conditioning not cold")], NOW, 30) is None
    # a routine service tag alone does not make a comeback
    s = [Concern("service", frozenset({Symptom.SERVICE}))]
    assert rules.comeback_of(s, [past(3, "annual", [Symptom.SERVICE])], NOW, 30) is None


def test_comeback_window_is_configurable():
    c = [Concern("x", frozenset({Symptom.VIBRATION}))]
    old = [past(40, "y", [Symptom.VIBRATION])]
    assert rules.comeback_of(c, old, NOW, 30) is None
    assert rules.comeback_of(c, old, NOW, 45) is not None
    # similar data only proposes a comeback: APPT-03 applies once the advisor confirmed it
    assert not CONDITIONS["is_comeback"](f(concerns=c, past_visits=old, policy=Policy(comeback_window_days=45)))
    assert CONDITIONS["is_comeback"](f(concerns=c, past_visits=old, comeback_of_id=1))


# ------------------------------------------------------------------ conditions


def test_condition_rules():
    assert CONDITIONS["first_visit"](f(first_visit=True))
    assert not CONDITIONS["first_visit"](f())
    assert CONDITIONS["is_member"](f(customer=Customer(1, "a", member=True)))
    assert not CONDITIONS["is_member"](f(customer=Customer(1, "a")))
    assert CONDITIONS["has_warranty_line"](f(lines=[line(warranty=True)]))
    assert not CONDITIONS["has_warranty_line"](f(lines=[line(warranty=True, approval=Approval.DECLINED)]))
    assert CONDITIONS["road_test_symptom"](f(concerns=[Concern("x", frozenset({Symptom.PULLING}))]))
    assert not CONDITIONS["road_test_symptom"](f(concerns=[Concern("x", frozenset({Symptom.LEAK}))]))
    part = line(kind=LineKind.PART, availability=Availability.BACK_ORDER)
    assert CONDITIONS["has_backorder"](f(lines=[part]))
    done_part = line(kind=LineKind.PART, done_by=3)
    assert CONDITIONS["parts_replaced"](f(lines=[done_part]))
    assert not CONDITIONS["parts_replaced"](f(lines=[line(kind=LineKind.PART)]))


def test_the_late_call_is_due_from_the_appointment_time():
    assert rules.is_late(f(appointment_at=NOW))
    assert rules.is_late(f(appointment_at=NOW - timedelta(minutes=40)))
    assert not rules.is_late(f(appointment_at=NOW + timedelta(minutes=1)))
    assert not rules.is_late(f(appointment_at=NOW, arrived_at=NOW))


def test_appt_09_is_done_by_the_reminders_made_and_appt_10_by_the_late_call():
    assert not CONDITIONS["has_reminders"](f(reminders=(("late", None),)))
    assert CONDITIONS["has_reminders"](f(reminders=(("hour", None), ("late", None))))
    assert not check("reminders_made", f(reminders=(("day", NOW), ("hour", None))))
    assert check("reminders_made", f(reminders=(("day", NOW), ("hour", NOW), ("late", None))))
    assert not check("late_call_made", f(reminders=(("day", NOW), ("late", None))))
    assert check("late_call_made", f(reminders=(("late", NOW),)))


def test_fup_01_is_done_only_by_a_call_inside_the_window():
    from desk.domain.entities import CallOutcome, FollowUpCall

    left = NOW - timedelta(hours=100)
    late = FollowUpCall(at=NOW, outcome=CallOutcome.REACHED)
    assert not check("called_in_window", f(delivered_at=left, calls=[late]))
    assert check("call_made", f(delivered_at=left, calls=[late]))  # any call: the old, wrong reading
    in_time = FollowUpCall(at=left + timedelta(hours=72), outcome=CallOutcome.NO_ANSWER)
    assert check("called_in_window", f(delivered_at=left, calls=[in_time, late]))
    assert check("called_in_window", f(delivered_at=left, calls=[late], policy=rules.Policy(followup_window_hours=100)))
    # recorded as late when it was made: a wider window now never makes it on time
    recorded = FollowUpCall(at=NOW, outcome=CallOutcome.REACHED, late=True)
    wide = rules.Policy(followup_window_hours=720)
    assert not check("called_in_window", f(delivered_at=left, calls=[recorded], policy=wide))
    on_time = FollowUpCall(at=NOW, outcome=CallOutcome.REACHED, late=False)
    assert check(
        "called_in_window", f(delivered_at=left, calls=[on_time], policy=rules.Policy(followup_window_hours=1))
    )


# ------------------------------------------------------------------ checks


def test_customer_linked_and_concerns():
    assert not check("customer_linked", f(customer=Customer(1, "a")))
    assert check("customer_linked", f(customer=Customer(1, "a"), vehicle=Vehicle(1, 1)))
    assert not check("has_concern", f())
    assert not check("concerns_confirmed", f(concerns=[Concern("a", confirmed=True), Concern("b")]))
    assert check("concerns_confirmed", f(concerns=[Concern("a", confirmed=True)]))


def test_new_customer_needs_mileage_and_purchase_date():
    assert not check("new_customer_recorded", f(vehicle=Vehicle(1, 1, last_odometer_km=1000)))
    assert check(
        "new_customer_recorded",
        f(vehicle=Vehicle(1, 1, purchase_date=date(2020, 1, 1), last_odometer_km=1000)),
    )


def test_greeting_within_a_minute():
    assert check("greeted_in_time", f(arrived_at=NOW, reception_at=NOW + timedelta(seconds=60)))
    assert not check("greeted_in_time", f(arrived_at=NOW, reception_at=NOW + timedelta(seconds=61)))
    assert not check("greeted_in_time", f(arrived_at=NOW))


def test_walkaround_needs_odometer_fuel_and_confirmed_damage():
    assert not check("walkaround_recorded", f(odometer_km=1000, fuel_eighths=4))
    assert check("walkaround_recorded", f(odometer_km=1000, fuel_eighths=0, damage_confirmed=True))


def test_backordered_part_needs_eta():
    part = line(kind=LineKind.PART, availability=Availability.BACK_ORDER)
    assert not check("backorders_have_eta", f(lines=[part]))
    part.eta = date(2026, 11, 25)
    assert check("backorders_have_eta", f(lines=[part]))
    assert not check("parts_availability", f(lines=[line(kind=LineKind.PART)]))


def test_estimate_priced_needs_labour():
    assert not check("estimate_priced", f(lines=[line(kind=LineKind.PART)]))
    assert check("estimate_priced", f(lines=[line()]))


def _auth(lines, version=1, amount=20340, **kw):
    return Authorisation(
        channel=Channel.IN_PERSON,
        signer="Li",
        reference="P1",
        amount_cents=amount,
        estimate_version=version,
        lines_hash=rules.lines_hash(lines),
        at=NOW,
        **kw,
    )


def test_authorisation_covers_one_exact_estimate_version():
    ls = [line()]
    facts = f(lines=ls, estimate_version=1, estimate_total_cents=20340, authorisations=[_auth(ls)])
    assert check("authorised", facts)
    # a changed price invalidates it
    changed = [line(unit_cents=19000)]
    assert not check(
        "authorised", f(lines=changed, estimate_version=1, estimate_total_cents=20340, authorisations=[_auth(ls)])
    )
    # a newer estimate version invalidates it
    assert not check(
        "authorised", f(lines=ls, estimate_version=2, estimate_total_cents=20340, authorisations=[_auth(ls)])
    )
    # an amount below the total does not authorise it
    assert not check(
        "authorised", f(lines=ls, estimate_version=1, estimate_total_cents=20341, authorisations=[_auth(ls)])
    )


def test_added_work_must_be_approved_before_it_is_done():
    pending = line(added_in_repair=True, approval=Approval.PENDING)
    assert not check("added_work_decided", f(lines=[pending]))
    assert not rules.added_line_can_start(pending)
    pending.done_by = 2
    assert not check("no_unapproved_work", f(lines=[pending]))
    ok = line(added_in_repair=True, approval=Approval.APPROVED, done_by=2)
    assert check("no_unapproved_work", f(lines=[ok])) and check("added_work_decided", f(lines=[ok]))
    declined = line(added_in_repair=True, approval=Approval.DECLINED)
    assert check("added_work_decided", f(lines=[declined]))
    assert check("lines_done", f(lines=[ok, declined]))


def test_free_items_done_and_lines_done():
    free = line(free=True)
    assert not check("free_items_done", f(lines=[free]))
    free.done_by = 1
    assert check("free_items_done", f(lines=[free]))
    assert not check("lines_done", f(lines=[free, line()]))


def test_final_beyond_tolerance_needs_the_customers_reapproval_not_a_word():
    p = Policy(tolerance_pct=Decimal("5"), tolerance_abs_cents=5000)
    assert not rules.beyond_tolerance(105000, 100000, p)  # exactly 5 %
    assert rules.beyond_tolerance(105001, 100000, p)
    assert not rules.beyond_tolerance(14000, 10000, p)  # within the absolute 50.00
    assert rules.beyond_tolerance(15001, 10000, p)
    assert not rules.beyond_tolerance(5000, 100000, p)  # lower is never beyond
    ls = [line()]
    base = dict(lines=ls, estimate_total_cents=20340, authorisations=[_auth(ls)])
    assert check("amount_ok", f(final_total_cents=20340, **base))
    assert not check("amount_ok", f(final_total_cents=40000, **base))
    # beyond the tolerance a word is not enough: the customer's re-approval of the final amount is
    assert not check("amount_ok", f(final_total_cents=40000, amount_explanation="ok", **base))
    assert not check("amount_ok", f(final_total_cents=40000, final_approval_cents=39999, **base))
    assert check("amount_ok", f(final_total_cents=40000, final_approval_cents=40000, **base))
    # within it no re-approval is needed
    assert check("amount_ok", f(final_total_cents=20340 + 5000, **base))
    # a signature voided by a later change still says what the customer signed
    voided = dict(base, estimate_version=2)
    assert rules.authorised_amount(f(final_total_cents=20340, **voided)) == 20340
    assert rules.valid_authorisation(f(**voided)) is None
    # approved added work raises what was authorised
    extra = Authorisation(
        channel=Channel.PHONE,
        signer="Li",
        reference="138",
        amount_cents=20000,
        estimate_version=1,
        lines_hash="x",
        at=NOW,
        for_added_work=True,
    )
    base["authorisations"] = [_auth(ls), extra]
    assert check("amount_ok", f(final_total_cents=40000, **base))


def test_followup_agreed_within_72_hours():
    delivered = NOW
    ok = f(delivered_at=delivered, followup_agreed_at=delivered + timedelta(hours=72), followup_channel="phone")
    assert check("followup_agreed", ok)
    late = f(delivered_at=delivered, followup_agreed_at=delivered + timedelta(hours=73), followup_channel="phone")
    assert not check("followup_agreed", late)
    no_channel = f(delivered_at=delivered, followup_agreed_at=delivered + timedelta(hours=2))
    assert not check("followup_agreed", no_channel)


def test_followup_call_due_72_hours_after_delivery():
    assert rules.followup_due_at(NOW, Policy()) == NOW + timedelta(hours=72)
    assert rules.followup_due_at(NOW, Policy(followup_window_hours=48)) == NOW + timedelta(hours=48)


def test_followup_closed_after_survey_or_three_unreached_attempts():
    call = lambda o, s=False: FollowUpCall(at=NOW, outcome=o, survey_done=s)
    assert not rules.followup_closed(f(calls=[call(CallOutcome.NO_ANSWER)] * 2))
    assert rules.followup_closed(f(calls=[call(CallOutcome.NO_ANSWER)] * 3))
    assert rules.followup_closed(f(calls=[call(CallOutcome.REACHED, True)]))
    assert rules.followup_closed(f(calls=[call(CallOutcome.WRONG_NUMBER)]))
    assert not check("next_service_stated", f(calls=[call(CallOutcome.REACHED, True)]))


def test_next_service_months_and_km():
    due, km = rules.next_service(date(2026, 8, 31), 42000, Policy())
    assert due == date(2027, 2, 28) and km == 47000  # dateutil clamps to month end


def test_disposal_and_same_advisor():
    assert not check("disposal_recorded", f())
    assert check("disposal_recorded", f(disposal=Disposal.TAKE_AWAY))
    assert check("same_advisor", f(advisor_id=1, notified_by=1))
    assert not check("same_advisor", f(advisor_id=1, notified_by=2))


def test_every_rule_named_in_templates_exists():
    from desk.domain.checklist import load_templates

    for item in load_templates().items:
        assert item.check is None or item.check in CHECKS
        assert item.when is None or item.when in CONDITIONS


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_check_has_a_hint(name):
    assert CHECKS[name].hint.strip()


def test_the_signature_is_never_credited_with_added_work_another_approval_covered():
    """Found by the breaking test: the Ready screen said a ¥514.15 signature of
    11:05 was for ¥1,418.15, the ¥904.00 of work approved by phone at 20:40
    included. Split, each amount stands beside what approved it."""
    sig = Authorisation(
        channel=Channel.IN_PERSON,
        signer="Emma Brown",
        reference="",
        amount_cents=51415,
        estimate_version=5,
        lines_hash="h",
        at=datetime(2026, 12, 7, 11, 5),
    )
    assert rules.signed_split(sig, False, 51415 + 90400) == (51415, 90400)
    assert rules.signed_split(sig, True, 51415 + 90400) == (51415, 90400)  # void: no more than written on it
    assert rules.signed_split(None, False, 0) == (0, 0)
