"""The [data] rules of the MOT items: what the app checks itself from recorded data.

Each rule is a pure function of a :class:`VisitFacts` snapshot. Two registries
name them so that the checklist templates in ``desk/fixtures/`` can refer to them:

* ``CHECKS``: the item is *done* when the rule holds (the app ticks it).
* ``CONDITIONS``: the item *applies* only when the rule holds (e.g. a comeback).

Each check carries a hint (an English message id) that tells the user what data
is missing when it does not hold.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

from desk.domain import comebacks
from desk.domain import schedule as sched
from desk.domain.entities import (
    ROAD_TEST_SYMPTOMS,
    Approval,
    Authorisation,
    Availability,
    CallOutcome,
    Complaint,
    Concern,
    Customer,
    Disposal,
    EstimateLine,
    Finding,
    FollowUpCall,
    Grade,
    LineKind,
    PastVisit,
    Vehicle,
)
from desk.domain.estimate import promise_conflict
from desk.i18n import N_


@dataclass(frozen=True)
class Policy:
    """The shop's settings that the rules depend on (built from config)."""

    comeback_window_days: int = 30
    tolerance_pct: Decimal = Decimal("5")
    tolerance_abs_cents: int = 5000
    followup_window_hours: int = 72
    followup_max_attempts: int = 3
    greet_within_seconds: int = 60
    late_after_minutes: int = 15
    service_interval_months: int = 6
    service_interval_km: int = 5000
    #: APPT-09's reminders: hours and minutes before the appointment.
    reminder_day_hours: int = 24
    reminder_hour_minutes: int = 60

    @property
    def reminder_offsets(self) -> sched.Offsets:
        return sched.reminder_offsets(self.reminder_day_hours, self.reminder_hour_minutes)


@dataclass
class VisitFacts:
    """Everything recorded about one visit that a rule may look at."""

    now: datetime
    stage: str = "BOOKED"
    walk_in: bool = False
    customer: Customer | None = None
    vehicle: Vehicle | None = None
    advisor_id: int | None = None
    first_visit: bool = False
    concerns: list[Concern] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    lines: list[EstimateLine] = field(default_factory=list)
    authorisations: list[Authorisation] = field(default_factory=list)
    estimate_version: int = 1
    estimate_total_cents: int = 0
    final_total_cents: int = 0
    appointment_at: datetime | None = None
    arrived_at: datetime | None = None
    reception_at: datetime | None = None
    promised_at: datetime | None = None
    technician_id: int | None = None
    bay: str = ""
    odometer_km: int | None = None
    fuel_eighths: int | None = None
    damage_confirmed: bool = False
    past_visits: list[PastVisit] = field(default_factory=list)
    welcome_listed: bool = False
    disposal: Disposal | None = None
    amount_explanation: str = ""
    #: The amount the customer re-approved for a final beyond the tolerance (DLV-02).
    final_approval_cents: int | None = None
    followup_agreed_at: datetime | None = None
    followup_channel: str = ""
    delivered_at: datetime | None = None
    notified_by: int | None = None
    calls: list[FollowUpCall] = field(default_factory=list)
    next_service_date: date | None = None
    next_service_km: int | None = None
    complaints: list[Complaint] = field(default_factory=list)
    #: The appointment's reminder tasks: (kind, made at or None) (APPT-09/10).
    reminders: tuple[tuple[str, datetime | None], ...] = ()
    policy: Policy = field(default_factory=Policy)
    #: The signed estimate covering the estimate now (:func:`signed_terms`), or None:
    #: the totals above are then priced as signed.
    signed: Any = None
    #: The original visit this one is a comeback of, and the cause QC recorded
    #: (desk.domain.comebacks).
    comeback_of_id: int | None = None
    comeback_cause: str = ""
    #: What the customer has paid (``payment.paid``: refunds off, voids left out), DLV-13.
    paid_cents: int = 0


# --------------------------------------------------------------------------- helpers

_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_STOP = frozenset({"the", "a", "an", "and", "or", "of", "to", "in", "on", "when", "is", "it", "my"})


def _tokens(text: str) -> set[str]:
    """Words of a Latin text plus character bigrams of its Chinese part."""
    low = text.lower()
    words = {w for w in _WORD.findall(low) if w not in _STOP and len(w) > 1}
    han = "".join(_CJK.findall(low))
    bigrams = {han[i : i + 2] for i in range(len(han) - 1)}
    return words | bigrams


def similar_concern(a: Concern, b: Concern) -> bool:
    """Two concerns are about the same complaint: a shared road-test symptom tag,
    or half their words/Chinese bigrams in common."""
    if (a.tags & b.tags) - {"service", "other"}:
        return True
    ta, tb = _tokens(a.text), _tokens(b.text)
    if not ta or not tb:
        return False
    return len(ta & tb) / min(len(ta), len(tb)) >= 0.5


def comeback_of(concerns: list[Concern], past: list[PastVisit], now: datetime, window_days: int) -> PastVisit | None:
    """The earlier visit this one comes back for (APPT-03), or None.

    A comeback is the same vehicle with a similar concern within ``window_days`` of
    the earlier visit's delivery (or arrival, if it was never delivered).
    """
    horizon = now - timedelta(days=window_days)
    candidates = []
    for pv in past:
        when = pv.delivered_at or pv.arrived_at
        if when is None or when < horizon or when > now:
            continue
        if any(similar_concern(c, old) for c in concerns for old in pv.concerns):
            candidates.append((when, pv))
    if not candidates:
        return None
    return max(candidates, key=lambda t: t[0])[1]


def lines_hash(lines: list[EstimateLine]) -> str:
    """A fingerprint of the priced content of ``lines``: an authorisation covers one
    exact set; any later change to them no longer matches."""
    rows = sorted(
        [
            ln.kind.value,
            ln.description,
            str(ln.qty.normalize()),
            ln.unit_cents,
            str(Decimal(ln.discount_pct).normalize()),
            ln.tax_code,
            ln.warranty,
            ln.free,
        ]
        for ln in lines
    )
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()


def estimate_lines_of(lines: list[EstimateLine]) -> list[EstimateLine]:
    """The estimate's lines (not those added during repair)."""
    return [ln for ln in lines if not ln.added_in_repair]


def billable_lines(lines: list[EstimateLine]) -> list[EstimateLine]:
    """The lines the customer pays for: the estimate and approved added work."""
    return [ln for ln in lines if ln.approval == Approval.APPROVED]


def estimate_lines(f: VisitFacts) -> list[EstimateLine]:
    """The lines the customer signed for (not those added during repair)."""
    return estimate_lines_of(f.lines)


def valid_authorisation(f: VisitFacts) -> Authorisation | None:
    """The authorisation that covers the current estimate exactly, if any (EST-07).

    It covers this estimate version's lines, and an amount at least the total as
    signed: a later change of the shop's member discount or tax rates does not
    undo a signature (only a record without a signed estimate is compared with
    today's total)."""
    want = lines_hash(estimate_lines(f))
    for auth in reversed(f.authorisations):
        if not auth.for_added_work and covers(auth, want, f.estimate_version, f.estimate_total_cents):
            return auth
    return None


def covers(auth: Authorisation, want: str, estimate_version: int, estimate_total: int | None) -> bool:
    """``auth`` covers the estimate whose lines hash to ``want`` at this version,
    for an amount at least the total as signed (a record without a signed
    estimate: at least ``estimate_total``, unless that is unknown, None). The one
    test of EST-07, the delivery's signed amount and the stopwatch's "Signed"."""
    total = auth.signed.total if auth.signed is not None else estimate_total
    return (
        auth.estimate_version == estimate_version
        and auth.lines_hash == want
        and (total is None or auth.amount_cents >= total)
    )


def signed_terms(authorisations, estimate_version: int, estimate: list[EstimateLine]):
    """The signed estimate (``estimate.SignedEstimate``) that covers the estimate
    as it is now (this version, these priced lines), or None. While it stands the
    visit is priced with its rates and member discount, never today's settings."""
    want = None
    for auth in reversed(authorisations):
        if auth.for_added_work or auth.signed is None or auth.estimate_version != estimate_version:
            continue
        want = want or lines_hash(estimate)
        if auth.lines_hash == want:
            return auth.signed
    return None


def beyond_tolerance(final_cents: int, authorised_cents: int, policy: Policy) -> bool:
    """The final bill exceeds what was authorised by more than the tolerance (DLV-02)."""
    allowed = max(
        Decimal(policy.tolerance_abs_cents),
        Decimal(authorised_cents) * policy.tolerance_pct / Decimal(100),
    )
    return Decimal(final_cents - authorised_cents) > allowed


def signed_amount(auth: Authorisation) -> int:
    """What one authorisation agreed to: the total as signed, never recomputed
    from today's settings (a record without a signed estimate: its amount)."""
    return auth.signed.total if auth.signed is not None else auth.amount_cents


def last_signature(f: VisitFacts) -> Authorisation | None:
    """The customer's last signature of the estimate, valid or voided since by a
    change of the estimate: what the customer actually signed."""
    return next((a for a in reversed(f.authorisations) if not a.for_added_work), None)


def signed_split(sig: Authorisation | None, void: bool, agreed: int) -> tuple[int, int]:
    """``agreed`` (:func:`authorised_amount`) as the estimate's signature's own
    amount and the approved added work on top, so a screen or printout never
    credits one signature with what another approval covered."""
    if sig is None:
        return 0, agreed
    own = min(signed_amount(sig), sig.amount_cents) if void else signed_amount(sig)
    return own, agreed - own


def authorised_amount(f: VisitFacts) -> int:
    """What the customer has agreed to pay (DLV-02): the signed estimate's total
    plus the approved added work's, each as signed. When an estimate change has
    voided the signature since (and EST-07 was waived), the last signature still
    says what the customer agreed to: the final amount is compared with it."""
    main = valid_authorisation(f)
    if main is not None:
        agreed = signed_amount(main)
    elif (last := last_signature(f)) is not None:  # no more than the amount written on it
        agreed = min(signed_amount(last), last.amount_cents)
    else:
        agreed = 0
    return agreed + sum(signed_amount(a) for a in f.authorisations if a.for_added_work)


@dataclass(frozen=True)
class EstimateChange:
    """One audited change of the estimate's priced lines after a signature: what
    voids it (``at``, the audit's action, who, the line's description)."""

    at: datetime
    action: str
    by: str
    line: str


#: How each change that voids a signature is said (``void_words``).
VOID_WORDS = {
    "line.add": N_("signature of {at} void: line '{line}' added by {by}"),
    "line.update": N_("signature of {at} void: line '{line}' changed by {by}"),
    "line.remove": N_("signature of {at} void: line '{line}' removed by {by}"),
}


def void_words(signature: Authorisation, change: EstimateChange | None) -> tuple[str, dict]:
    """Why a signature no longer covers the estimate, as a message id and its
    values: the first change of the estimate after it, or (none recorded) that
    the estimate changed since."""
    at = f"{signature.at:%H:%M}"
    if change is None or change.action not in VOID_WORDS:
        return N_("signature of {at} void: the estimate changed since"), {"at": at}
    return VOID_WORDS[change.action], {"at": at, "line": change.line, "by": change.by}


def amount_ok(f: VisitFacts) -> bool:
    """DLV-02: within the tolerance of what the customer signed an explanation is
    enough (none needed); beyond it only the customer's re-approval of the final
    amount, recorded like a signature, releases the car (a word does not)."""
    if not beyond_tolerance(f.final_total_cents, authorised_amount(f), f.policy):
        return True
    return f.final_approval_cents is not None and f.final_approval_cents >= f.final_total_cents


def followup_due_at(delivered_at: datetime, policy: Policy) -> datetime:
    """The follow-up call is due within the window after departure (FUP-01)."""
    return delivered_at + timedelta(hours=policy.followup_window_hours)


def followup_agreed_ok(f: VisitFacts) -> bool:
    """DLV-09: a call time and channel agreed, within the window of delivery.

    Before delivery the reference point is now: the car leaves at hand-back.
    """
    if f.followup_agreed_at is None or not f.followup_channel:
        return False
    start = f.delivered_at or f.now
    return start <= f.followup_agreed_at <= followup_due_at(start, f.policy)


def next_service(last: date, odometer_km: int | None, policy: Policy) -> tuple[date, int | None]:
    """Next service due: months after the last service and kilometres after the
    reading, whichever comes first (FUP-05)."""
    due = last + relativedelta(months=policy.service_interval_months)
    km = None if odometer_km is None else odometer_km + policy.service_interval_km
    return due, km


def greeting_seconds(f: VisitFacts) -> float | None:
    """Seconds from arrival to reception start (RCP-01), None until both exist."""
    if f.arrived_at is None or f.reception_at is None:
        return None
    return (f.reception_at - f.arrived_at).total_seconds()


def is_late(f: VisitFacts) -> bool:
    """APPT-10: booked, not arrived, and the appointment time has come: the late
    call is due now, and overdue ``late_after_minutes`` later."""
    return f.stage == "BOOKED" and f.appointment_at is not None and f.arrived_at is None and f.now >= f.appointment_at


def reminders_made(f: VisitFacts) -> bool:
    """APPT-09: every reminder call of the appointment (1 day / 1 hour before;
    one already past when it was booked was never set) was made: not a free tick."""
    mine = [done for kind, done in f.reminders if kind != "late"]
    return bool(mine) and all(done is not None for done in mine)


def called_in_window(f: VisitFacts) -> bool:
    """FUP-01: a follow-up call made within the window of departure. A call
    outside it is recorded as late (``FollowUpCall.late``, judged when it was
    made by the window in force at departure) and never counts as done on time,
    whatever the window is changed to later: it does not tick the item (a
    manager waives it with the reason) and the figure counts it as not on time.
    A call not judged yet is judged by the window in force now."""
    if f.delivered_at is None:
        return False
    due = followup_due_at(f.delivered_at, f.policy)
    return any(not c.late if c.late is not None else c.at <= due for c in f.calls)


def attempts(f: VisitFacts) -> int:
    return len(f.calls)


def followup_closed(f: VisitFacts) -> bool:
    """FUP-04: the customer answered the survey, or was not reached after the
    allowed attempts (or the number is wrong)."""
    if any(c.outcome == CallOutcome.REACHED and c.survey_done for c in f.calls):
        return True
    if any(c.outcome == CallOutcome.WRONG_NUMBER for c in f.calls):
        return True
    unreached = [c for c in f.calls if c.outcome != CallOutcome.REACHED]
    return len(unreached) >= f.policy.followup_max_attempts


def added_line_can_start(line: EstimateLine) -> bool:
    """REP-04: work on a line continues only after the customer approved it."""
    return line.approval == Approval.APPROVED


# --------------------------------------------------------------------------- registries


@dataclass(frozen=True)
class Rule:
    fn: Callable[[VisitFacts], bool]
    hint: str  # English message id shown when a check does not hold


def _c(hint: str):
    def wrap(fn: Callable[[VisitFacts], bool]) -> Rule:
        return Rule(fn, hint)

    return wrap


def _live(f: VisitFacts) -> list[EstimateLine]:
    return [ln for ln in f.lines if ln.approval != Approval.DECLINED]


def _parts(f: VisitFacts) -> list[EstimateLine]:
    return [ln for ln in _live(f) if ln.kind == LineKind.PART]


CHECKS: dict[str, Rule] = {
    "customer_linked": Rule(
        lambda f: f.customer is not None and f.vehicle is not None,
        N_("Link the visit to a customer and a vehicle"),
    ),
    "has_concern": Rule(lambda f: bool(f.concerns), N_("Record at least one customer concern")),
    "concerns_confirmed": Rule(
        lambda f: bool(f.concerns) and all(c.confirmed for c in f.concerns),
        N_("Confirm every concern with the customer"),
    ),
    "new_customer_recorded": Rule(
        lambda f: (
            f.vehicle is not None
            and f.vehicle.purchase_date is not None
            and (f.odometer_km is not None or f.vehicle.last_odometer_km is not None)
        ),
        N_("Record the current mileage and the purchase date"),
    ),
    "on_board": Rule(lambda f: True, N_("Shown on the appointment board")),
    "welcome_listed": Rule(lambda f: f.welcome_listed, N_("Export tomorrow's welcome list")),
    "greeted_in_time": Rule(
        lambda f: (s := greeting_seconds(f)) is not None and s <= f.policy.greet_within_seconds,
        N_("Greet the customer within one minute of arrival"),
    ),
    "walkaround_recorded": Rule(
        lambda f: f.odometer_km is not None and f.fuel_eighths is not None and f.damage_confirmed,
        N_("Record odometer and fuel level, and confirm the damage list"),
    ),
    "parts_availability": Rule(
        lambda f: all(ln.availability != Availability.UNKNOWN for ln in _parts(f)),
        N_("Give every part line its availability"),
    ),
    "backorders_have_eta": Rule(
        lambda f: all(ln.eta is not None for ln in _parts(f) if ln.availability == Availability.BACK_ORDER),
        N_("Agree an arrival date for every back-ordered part"),
    ),
    "estimate_priced": Rule(
        lambda f: (
            bool(estimate_lines(f))
            and all(ln.qty > 0 and ln.unit_cents >= 0 for ln in estimate_lines(f))
            and any(ln.kind == LineKind.LABOUR for ln in estimate_lines(f))
        ),
        N_("Add priced lines, with the labour hours"),
    ),
    "promised_time_set": Rule(
        # never before an open part's ETA: a later ETA opens EST-04 again
        lambda f: f.promised_at is not None and promise_conflict(f.promised_at, f.lines) is None,
        N_("Set the promised completion time, not before a part arrives"),
    ),
    "authorised": Rule(
        lambda f: valid_authorisation(f) is not None,
        N_("Record the customer's authorisation of this exact estimate"),
    ),
    "technician_assigned": Rule(lambda f: f.technician_id is not None, N_("Assign a technician")),
    "added_work_decided": Rule(
        lambda f: all(ln.approval != Approval.PENDING for ln in f.lines if ln.added_in_repair),
        N_("Get the customer's decision on every added line"),
    ),
    "no_unapproved_work": Rule(
        lambda f: all(ln.approval == Approval.APPROVED for ln in f.lines if ln.started or ln.is_done),
        N_("No work may be done on a line the customer has not approved"),
    ),
    "free_items_done": Rule(
        lambda f: all(ln.is_done for ln in _live(f) if ln.free),
        N_("Finish the free service items"),
    ),
    "lines_done": Rule(
        lambda f: all(ln.is_done for ln in f.lines if ln.approval == Approval.APPROVED),
        N_("Mark every approved line done, with its technician"),
    ),
    "amount_ok": Rule(
        amount_ok,
        N_(
            "The final amount is beyond the tolerance of what the customer signed: record the customer's "
            "re-approval (e)"
        ),
    ),
    "same_advisor": Rule(
        lambda f: f.notified_by is not None and f.notified_by == f.advisor_id,
        N_("The advisor who received the customer notifies completion"),
    ),
    "disposal_recorded": Rule(
        lambda f: f.disposal is not None, N_("Record what the customer wants done with the old parts")
    ),
    "followup_agreed": Rule(followup_agreed_ok, N_("Agree a follow-up call time and channel within 72 hours")),
    "settled": Rule(
        lambda f: f.final_total_cents - f.paid_cents == 0,
        N_("Settle with the customer: take the payment (p) until the balance due is 0"),
    ),
    "call_made": Rule(lambda f: bool(f.calls), N_("Make the follow-up call")),
    "called_in_window": Rule(
        called_in_window,
        N_(
            "Make the follow-up call within the window; a late call counts as late: a manager waives the item "
            "with the reason"
        ),
    ),
    "late_call_made": Rule(
        lambda f: any(kind == "late" and done is not None for kind, done in f.reminders),
        N_("Phone the customer who has not arrived (m on the appointment board)"),
    ),
    "reminders_made": Rule(reminders_made, N_("Make the reminder calls (m on the appointment board)")),
    "survey_or_unreached": Rule(
        followup_closed,
        N_("Record the survey answers, or the attempts that did not reach the customer"),
    ),
    "next_service_stated": Rule(
        lambda f: f.next_service_date is not None and any(c.next_service_stated for c in f.calls),
        N_("Tell the customer the next service date and mileage"),
    ),
    "recap_shown": Rule(lambda f: True, N_("The last visit's work is shown to the caller")),
    "comeback_cause_recorded": Rule(
        lambda f: comebacks.cause_recorded(f.comeback_of_id, f.comeback_cause),
        N_("Record why the car came back, and the original technician (b)"),
    ),
}

CONDITIONS: dict[str, Callable[[VisitFacts], bool]] = {
    # a comeback the advisor confirmed (issue 25: proposed by the data, decided by
    # the advisor; an undecided proposal is no comeback, and APPT-03 was ticked
    # for one at the arrival without the proposal ever being shown)
    "is_comeback": lambda f: f.comeback_of_id is not None,
    "first_visit": lambda f: f.first_visit,
    "is_late": is_late,
    "has_reminders": lambda f: any(kind != "late" for kind, _ in f.reminders),
    "red_or_yellow_finding": lambda f: any(fd.grade in (Grade.RED, Grade.YELLOW) for fd in f.findings),
    "road_test_symptom": lambda f: any(c.tags & ROAD_TEST_SYMPTOMS for c in f.concerns),
    "has_warranty_line": lambda f: any(ln.warranty for ln in _live(f)),
    "has_backorder": lambda f: any(ln.availability == Availability.BACK_ORDER for ln in _parts(f)),
    "is_member": lambda f: f.customer is not None and f.customer.member,
    "parts_replaced": lambda f: any(ln.is_done for ln in _parts(f) if ln.chargeable),
    "appointment": lambda f: not f.walk_in,
    "linked_comeback": lambda f: f.comeback_of_id is not None,
}
