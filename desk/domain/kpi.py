"""The KPIs the source documents ask for, computed from plain records.

Every measure is a pure function ``f(data, scope, …) -> Measure``: the figure,
the counts it comes from, and the ids of the visits behind it (``visits``, the
base) and of those that meet it (``hits``), so each figure can be opened to the
visits behind it. The records are flat dataclasses the store fills
(:mod:`desk.services.reports`); nothing here knows how they are saved.

Which time anchors a measure (always ``scope.start <= t < scope.end``):

================================  ==============================================
greeting, appointment share,      arrival (``arrived_at``)
fix right first time, comebacks,
MOT per stage, waivers
no-show rate, reminders and       appointment time (``appointment_at``)
late calls made on time
estimate accuracy                 delivery (``delivered_at``)
on-time completion, duration      car ready (``ready_at``)
added work approved first         the added line done (``done_at``)
declined work later done          the declining visit's delivery (``delivered_at``)
follow-up within the window      delivery (``delivered_at``)
CSI factors, NPS                  the follow-up call (``at``)
complaints                        opening (``opened_at``)
================================  ==============================================
"""

from __future__ import annotations

import statistics
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from desk.domain import comebacks as cb
from desk.domain import schedule as sched
from desk.domain.carryover import DeclinedRec
from desk.domain.errors import InvalidInput
from desk.domain.money import format_money
from desk.domain.survey import CSI_FACTORS
from desk.i18n import N_, _

PCT = "pct"
COUNT = "count"
SCORE = "score"
NPS = "nps"
HOURS = "hours"

#: The stages whose MOT items are measured, in process order.
MOT_STAGES = ("BOOKED", "RECEPTION", "WALKAROUND", "ESTIMATE", "IN_REPAIR", "QC", "READY", "DELIVERED")
#: Where a visit stands on the main line (cancelled and no-show visits passed nothing).
_ORDER = MOT_STAGES + ("FOLLOWED_UP",)

#: The dashboard's name of each CSI factor (desk.domain.survey.CSI_FACTORS).
CSI_FACTOR_LABELS = {
    "initiation": N_("CSI: service initiation"),
    "advisor": N_("CSI: service advisor"),
    "facility": N_("CSI: service facility"),
    "pickup": N_("CSI: vehicle pick-up"),
    "quality": N_("CSI: service quality"),
}

#: Repair duration classes (hours, upper bound exclusive; None = open-ended).
DURATION_BANDS: tuple[tuple[int, int | None, str], ...] = (
    (0, 2, N_("Repair under 2 h")),
    (2, 4, N_("Repair 2 to 4 h")),
    (4, 8, N_("Repair 4 to 8 h")),
    (8, 24, N_("Repair 8 to 24 h")),
    (24, None, N_("Repair 24 h or more")),
)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class VisitRec:
    """One visit (repair order) as the measures need it."""

    id: int
    number: str = ""
    day: date | None = None
    advisor_id: int | None = None
    advisor: str = ""
    technician_id: int | None = None
    technician: str = ""
    customer_id: int | None = None
    customer: str = ""
    plate: str = ""
    stage: str = "FOLLOWED_UP"
    walk_in: bool = False
    appointment_at: datetime | None = None
    arrived_at: datetime | None = None
    reception_at: datetime | None = None
    promised_at: datetime | None = None
    #: The promise signed with the estimate (None on older records: the current one stands in).
    signed_promised_at: datetime | None = None
    repair_started_at: datetime | None = None
    ready_at: datetime | None = None
    delivered_at: datetime | None = None
    comeback_of_id: int | None = None
    #: A comeback's cause and the technician it was put down to (desk.domain.comebacks).
    comeback_cause: str = ""
    comeback_technician_id: int | None = None
    #: What the customer agreed to pay: the estimate's authorisation plus approved added work.
    authorised_cents: int = 0
    #: The final bill (approved lines); None when not known.
    final_cents: int | None = None
    #: The customer had a visit before this one (new customers: False).
    returning: bool = False
    #: Who told the customer the car was ready (DLV-03), None before anyone did.
    notified_by: int | None = None


@dataclass(frozen=True)
class MarkRec:
    """The standing (latest) mark of one MOT item on one visit."""

    visit_id: int
    item_id: str
    stage: str
    kind: str  # done | na | waived


@dataclass(frozen=True)
class AddedLineRec:
    """A line added during repair (REP-03/04)."""

    visit_id: int
    line_id: int
    approval: str  # approved | pending | declined
    approved_at: datetime | None
    done_at: datetime | None


@dataclass(frozen=True)
class CallRec:
    visit_id: int
    at: datetime
    outcome: str
    nps: int | None = None
    scores: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class ReminderRec:
    """A reminder (``day``/``hour`` before) or late-call (``late``) task of an
    appointment (desk.domain.schedule), and when it was made."""

    visit_id: int
    kind: str
    done_at: datetime | None = None


@dataclass(frozen=True)
class ComplaintRec:
    id: int
    visit_id: int | None
    customer_id: int
    opened_at: datetime
    closed_at: datetime | None = None
    severity: str = "ordinary"


@dataclass
class KpiData:
    """Everything the measures look at; ``visits`` by id (comeback originals too)."""

    visits: dict[int, VisitRec] = field(default_factory=dict)
    marks: list[MarkRec] = field(default_factory=list)
    added: list[AddedLineRec] = field(default_factory=list)
    calls: list[CallRec] = field(default_factory=list)
    #: Complaints opened in the range and every earlier one of the same customers.
    complaints: list[ComplaintRec] = field(default_factory=list)
    #: Lines declined on the visits delivered in the range (desk.domain.carryover).
    declined: list[DeclinedRec] = field(default_factory=list)
    #: The reminder and late-call tasks of the visits.
    reminders: list[ReminderRec] = field(default_factory=list)
    #: Indexes built on first use (visits sorted by an anchor, waivers by stage),
    #: so a trend of many steps does not scan every record for every step.
    _index: dict = field(default_factory=dict, repr=False, compare=False)

    def by_time(self, anchor: str) -> tuple[list[datetime], list[VisitRec]]:
        """Visits with ``anchor`` set, in (anchor, id) order, and their anchors."""
        key = ("visits", anchor)
        if key not in self._index:
            rows = sorted(
                (v for v in self.visits.values() if getattr(v, anchor) is not None),
                key=lambda v: (getattr(v, anchor), v.id),
            )
            self._index[key] = ([getattr(v, anchor) for v in rows], rows)
        return self._index[key]

    def kinds(self) -> dict[tuple[int, str], str]:
        """The standing mark of each (visit, item)."""
        if "kinds" not in self._index:
            self._index["kinds"] = {(m.visit_id, m.item_id): m.kind for m in self.marks}
        return self._index["kinds"]

    def waived(self) -> list[MarkRec]:
        if "waived" not in self._index:
            self._index["waived"] = [m for m in self.marks if m.kind == "waived"]
        return self._index["waived"]

    def waived_in(self, stage: str) -> set[int]:
        key = ("waived", stage)
        if key not in self._index:
            self._index[key] = {m.visit_id for m in self.marks if m.stage == stage and m.kind == "waived"}
        return self._index[key]


@dataclass(frozen=True)
class Scope:
    """The half-open time range ``[start, end)``, an advisor (None: the whole shop)
    and the moment of looking (for windows not yet closed)."""

    start: datetime
    end: datetime
    now: datetime
    advisor_id: int | None = None

    def within(self, t: datetime | None) -> bool:
        return t is not None and self.start <= t < self.end


@dataclass(frozen=True)
class Measure:
    key: str
    label: str  # an English msgid; ``params["stage"]`` is a msgid too, other params are literal
    unit: str
    value: Decimal | None
    num: int
    den: int
    #: The visits behind the figure (its base), in time order.
    visits: tuple[int, ...] = ()
    #: The visits that meet it (a subset of ``visits``).
    hits: tuple[int, ...] = ()
    params: dict = field(default_factory=dict)
    #: A language-neutral detail per visit (times, amounts, RO numbers, names).
    notes: dict = field(default_factory=dict)
    #: The standard the figure is judged against, language-neutral ("72 h", "60 s"),
    #: empty for a figure without one; the label says it too.
    standard: str = ""
    #: A figure of days, not visits (the opening checklist): ``(day, met, detail)``
    #: per day behind it, in order.
    days: tuple[tuple[date, bool, str], ...] = ()


# --------------------------------------------------------------------------- helpers

_TENTH = Decimal("0.1")


def pct(num: int, den: int) -> Decimal | None:
    """``num`` of ``den`` as a percentage to one decimal, half-up; None for no base."""
    if den == 0:
        return None
    return (Decimal(num) * 100 / Decimal(den)).quantize(_TENTH, rounding=ROUND_HALF_UP)


def mean(values: Iterable[int]) -> Decimal | None:
    vals = list(values)
    if not vals:
        return None
    return (Decimal(sum(vals)) / Decimal(len(vals))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def hm(seconds: float) -> str:
    """Seconds as ``h:mm`` (negative with a sign), e.g. 5400 -> "1:30"."""
    sign = "-" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def ms(seconds: float) -> str:
    """Seconds as ``m:ss``, e.g. 75 -> "1:15"."""
    s = int(seconds)
    return f"{s // 60}:{s % 60:02d}"


def _mine(v: VisitRec | None, scope: Scope) -> bool:
    return v is not None and (scope.advisor_id is None or v.advisor_id == scope.advisor_id)


def _visits(data: KpiData, scope: Scope, anchor: str) -> list[VisitRec]:
    """The scope's visits whose ``anchor`` time lies in the range, in time order."""
    times, rows = data.by_time(anchor)
    found = rows[bisect_left(times, scope.start) : bisect_left(times, scope.end)]
    return [v for v in found if _mine(v, scope)]


def _rate(
    key: str,
    label: str,
    base: list[VisitRec],
    ok: Callable[[VisitRec], bool],
    *,
    notes: dict | None = None,
    params: dict | None = None,
) -> Measure:
    hits = tuple(v.id for v in base if ok(v))
    return Measure(
        key,
        label,
        PCT,
        pct(len(hits), len(base)),
        len(hits),
        len(base),
        tuple(v.id for v in base),
        hits,
        params or {},
        notes or {},
    )


def _passed(stage: str, visit_stage: str) -> bool:
    """The visit has left ``stage`` on the main line."""
    if visit_stage not in _ORDER or stage not in _ORDER:
        return False
    return _ORDER.index(visit_stage) > _ORDER.index(stage)


# --------------------------------------------------------------------------- measures


def greeting(data: KpiData, scope: Scope, within_seconds: int = 60, *, period: str = "") -> Measure:
    """RCP-01: share of arrivals greeted (reception started) within the limit."""
    base = [v for v in _visits(data, scope, "arrived_at") if v.reception_at is not None]

    def secs(v: VisitRec) -> float:
        return (v.reception_at - v.arrived_at).total_seconds()

    m = _rate(
        "greeting",
        N_("Greeted within {seconds} s"),
        base,
        lambda v: secs(v) <= within_seconds,
        notes={v.id: ms(secs(v)) for v in base},
        params=_params(period, seconds=within_seconds),
    )
    return replace(m, standard=f"{within_seconds} s")


def appointment_share(data: KpiData, scope: Scope) -> Measure:
    """Share of arrived visits that came by appointment (not walk-ins)."""
    base = _visits(data, scope, "arrived_at")
    return _rate("appointment_share", N_("Appointment share of visits"), base, lambda v: not v.walk_in)


def no_show(data: KpiData, scope: Scope) -> Measure:
    """Appointments in the range that ended as a no-show, of those that arrived
    or were marked no-show (cancelled and still pending ones are left out)."""
    base = [
        v
        for v in _visits(data, scope, "appointment_at")
        if not v.walk_in and (v.arrived_at is not None or v.stage == "NO_SHOW")
    ]
    return _rate("no_show", N_("No-show rate"), base, lambda v: v.stage == "NO_SHOW")


def mot_stage(data: KpiData, scope: Scope, stage: str) -> Measure:
    """Visits that left ``stage`` with no MOT item of it waived (the guard makes
    every other required item done or not applicable)."""
    waived = data.waived_in(stage)
    base = [v for v in _visits(data, scope, "arrived_at") if _passed(stage, v.stage)]
    return _rate(
        f"mot.{stage}",
        N_("MOT kept without waiver: {stage}"),
        base,
        lambda v: v.id not in waived,
        params={"stage": _STAGE_MSGIDS.get(stage, stage)},
    )


def _skipped(
    data: KpiData, due: Iterable[tuple[VisitRec, tuple[str, ...]]], until: dict[str, datetime] | None = None
) -> tuple[int, int, list[int], dict]:
    """Items done and items due over ``(visit, its recommended items)`` pairs (an
    item marked n.a. is not due, nor one the shop hid before the visit arrived:
    ``until``, item -> when it was hidden), the visits that skipped none, and
    each other visit's note naming what it skipped."""
    kinds = data.kinds()
    hidden = until or {}
    done = total = 0
    ids: dict[int, None] = {}  # in first-seen order; a dict: a year has thousands
    skipped: dict[int, str] = {}
    for v, items in due:
        mine = [i for i in items if kinds.get((v.id, i)) != "na" and _shown(v, i, hidden)]
        left = [i for i in mine if kinds.get((v.id, i)) != "done"]
        total += len(mine)
        done += len(mine) - len(left)
        ids.setdefault(v.id)
        if left:
            skipped[v.id] = " ".join(filter(None, [skipped.get(v.id, ""), *left]))
    return done, total, list(ids), skipped


def _shown(v: VisitRec, item_id: str, hidden: dict[str, datetime]) -> bool:
    """The item was on the visit's checklist: not hidden, or hidden after it arrived."""
    at = hidden.get(item_id)
    return at is None or (v.arrived_at is not None and v.arrived_at < at)


def _left(data: KpiData, scope: Scope, stage: str) -> list[VisitRec]:
    """The visits arrived in the range that have left ``stage``."""
    return [v for v in _visits(data, scope, "arrived_at") if _passed(stage, v.stage)]


def recommended_done(
    data: KpiData, scope: Scope, stage: str, items: tuple[str, ...], until: dict[str, datetime] | None = None
) -> Measure:
    """The recommended (never blocking) MOT items of ``stage`` done on the visits
    that left it: items done of items due (n.a. counts as not due). A visit meets
    it when it skipped none; its note names what it skipped."""
    done, due, ids, skipped = _skipped(data, ((v, items) for v in _left(data, scope, stage)), until)
    return Measure(
        f"recommended.{stage}",
        N_("Recommended items done: {stage}"),
        PCT,
        pct(done, due),
        done,
        due,
        tuple(ids),
        tuple(i for i in ids if i not in skipped),
        {"stage": _STAGE_MSGIDS.get(stage, stage)},
        skipped,
    )


def recommended_item(
    data: KpiData, scope: Scope, stage: str, item_id: str, text: str = "", until: dict[str, datetime] | None = None
) -> Measure:
    """One recommended item: the visits arrived in the range that left its stage
    and did it, of those where it was due (not marked n.a.); the drill-down's
    visits that miss it are those that skipped it."""
    hidden = until or {}
    left = {v.id: v for v in _left(data, scope, stage)}
    done, due, ids, skipped = _skipped(data, ((v, (item_id,)) for v in left.values()), hidden)
    base = tuple(i for i in ids if data.kinds().get((i, item_id)) != "na" and _shown(left[i], item_id, hidden))
    return Measure(
        f"recommended.item.{item_id}",
        N_("Recommended item done: {item}"),
        PCT,
        pct(done, due),
        done,
        due,
        base,
        tuple(i for i in base if i not in skipped),
        {"item": f"{item_id} {text}".strip()},
        {i: item_id for i in skipped},
    )


def recommended_advisors(data: KpiData, scope: Scope) -> list[tuple[int, str]]:
    """The advisors of the visits arrived in the range, by name."""
    found = {(v.advisor_id, v.advisor) for v in _visits(data, scope, "arrived_at") if v.advisor_id is not None}
    return sorted(found, key=lambda p: (p[1], p[0]))


def recommended_by_advisor(
    data: KpiData,
    scope: Scope,
    advisor_id: int,
    name: str,
    recommended: dict[str, tuple[str, ...]],
    until: dict[str, datetime] | None = None,
) -> Measure:
    """The recommended items of every stage done on one advisor's visits (those
    arrived in the range, each stage it left): items done of items due; each
    visit's note names what it skipped."""
    mine = replace(scope, advisor_id=advisor_id)
    pairs = [(v, items) for stage, items in recommended.items() for v in _left(data, mine, stage)]
    pairs.sort(key=lambda p: (p[0].arrived_at, p[0].id))
    done, due, ids, skipped = _skipped(data, pairs, until)
    return Measure(
        f"recommended.advisor.{advisor_id}",
        N_("Recommended items done: {advisor}"),
        PCT,
        pct(done, due),
        done,
        due,
        tuple(ids),
        tuple(i for i in ids if i not in skipped),
        {"advisor": name},
        skipped,
    )


def hidden_item(item_id: str, text: str, at: datetime | None, by: str) -> Measure:
    """A recommended item of the MOT standard the shop hides (no figure: the
    report lists it, with who hid it and when)."""
    since = f"{at:%Y-%m-%d}" if at else "-"
    return Measure(
        f"hidden.{item_id}",
        N_("Hidden by the shop: {item} (since {since}, {by})"),
        COUNT,
        None,
        0,
        0,
        params={"item": f"{item_id} {text}".strip(), "since": since, "by": by or "-"},
    )


def waivers(data: KpiData, scope: Scope, item_id: str | None = None, item_text: str = "") -> Measure:
    """Waived MOT items on the visits arrived in the range (all, or one item)."""
    arrived = {v.id for v in _visits(data, scope, "arrived_at")}
    marks = [m for m in data.waived() if m.visit_id in arrived and (item_id is None or m.item_id == item_id)]
    ids = tuple(sorted({m.visit_id for m in marks}, key=lambda i: (data.visits[i].arrived_at, i)))
    notes: dict[int, str] = {}
    for m in marks:
        notes[m.visit_id] = ", ".join(filter(None, [notes.get(m.visit_id, ""), m.item_id]))
    if item_id is None:
        return Measure(
            "waivers", N_("MOT items waived"), COUNT, Decimal(len(marks)), len(marks), len(ids), ids, ids, {}, notes
        )
    return Measure(
        f"waived.{item_id}",
        N_("Waived most: {item}"),
        COUNT,
        Decimal(len(marks)),
        len(marks),
        len(ids),
        ids,
        ids,
        {"item": f"{item_id} {item_text}".strip()},
        notes,
    )


def most_waived(data: KpiData, scope: Scope, n: int = 3) -> list[str]:
    """The ``n`` item ids waived most often in the range (ties by id)."""
    arrived = {v.id for v in _visits(data, scope, "arrived_at")}
    counts = Counter(m.item_id for m in data.waived() if m.visit_id in arrived)
    return [item for item, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


def comebacks(data: KpiData, scope: Scope, window_days: int = 30, *, period: str = "") -> Measure:
    """Arrivals that were comebacks (same complaint within the comeback window,
    ``window_days``: the data proposes, the advisor confirms); each names the
    original visit and its technician."""
    base = _visits(data, scope, "arrived_at")
    notes = {}
    for v in base:
        if v.comeback_of_id is not None:
            orig = data.visits.get(v.comeback_of_id)
            notes[v.id] = "<- " + (f"{orig.number} {orig.technician}".strip() if orig else f"#{v.comeback_of_id}")
    m = _rate(
        "comeback",
        N_("Comeback rate (within {days} d)"),
        base,
        lambda v: v.comeback_of_id is not None,
        notes=notes,
        params=_params(period, days=window_days),
    )
    return replace(m, standard=f"{window_days} d")


def first_time_fix(data: KpiData, scope: Scope, window_days: int = 30, *, period: str = "") -> Measure:
    """Fix right first time: arrivals that were not comebacks (within ``window_days``)."""
    m = comebacks(data, scope, window_days)
    base = [data.visits[i] for i in m.visits]
    fixed = _rate(
        "frft",
        N_("Fixed right first time (no comeback within {days} d)"),
        base,
        lambda v: v.comeback_of_id is None,
        notes=m.notes,
        params=_params(period, days=window_days),
    )
    return replace(fixed, standard=m.standard)


def _responsible(data: KpiData, v: VisitRec) -> int | None:
    orig = data.visits.get(v.comeback_of_id) if v.comeback_of_id is not None else None
    return cb.responsible(
        v.technician_id, v.comeback_of_id, v.comeback_technician_id, orig.technician_id if orig else None
    )


def technicians(data: KpiData, scope: Scope) -> list[tuple[int, str]]:
    """The technicians the scope's arrivals count against (``_responsible``), by name."""
    names = {v.technician_id: v.technician for v in data.visits.values() if v.technician_id is not None}
    ids = {t for v in _visits(data, scope, "arrived_at") if (t := _responsible(data, v)) is not None}
    return sorted(((t, names.get(t, f"#{t}")) for t in ids), key=lambda p: (p[1], p[0]))


def first_time_fix_by_technician(data: KpiData, scope: Scope, technician_id: int, name: str) -> Measure:
    """Fix right first time of one technician: the arrivals counted against them
    (a comeback against the technician its cause was put down to) that were not
    comebacks."""
    m = comebacks(data, scope)
    base = [data.visits[i] for i in m.visits if _responsible(data, data.visits[i]) == technician_id]
    return _rate(
        f"frft.tech.{technician_id}",
        N_("Fixed right first time: {technician}"),
        base,
        lambda v: v.comeback_of_id is None,
        notes={v.id: m.notes[v.id] for v in base if v.id in m.notes},
        params={"technician": name},
    )


def comeback_causes(data: KpiData, scope: Scope) -> list[str]:
    """The causes of the scope's comebacks, in the domain's order ("" last: not recorded)."""
    found = {v.comeback_cause for v in _visits(data, scope, "arrived_at") if v.comeback_of_id is not None}
    return [c.value for c in cb.Cause if c.value in found] + ([cb.NOT_RECORDED] if cb.NOT_RECORDED in found else [])


def comebacks_by_cause(data: KpiData, scope: Scope, cause: str) -> Measure:
    """The comebacks arrived in the range with one cause, of all comebacks; each
    names its original visit and the technician it was put down to."""
    m = comebacks(data, scope)
    base = [data.visits[i] for i in m.hits]
    names = {v.technician_id: v.technician for v in data.visits.values() if v.technician_id is not None}
    notes = {}
    for v in base:
        orig = data.visits.get(v.comeback_of_id)
        tech = names.get(_responsible(data, v), "")
        notes[v.id] = "<- " + " ".join(filter(None, [orig.number if orig else f"#{v.comeback_of_id}", tech]))
    return _rate(
        f"comeback.cause.{cause or 'none'}",
        N_("Comebacks by cause: {cause}"),
        base,
        lambda v: v.comeback_cause == cause,
        notes=notes,
        params={"cause": cb.cause_label(cause)},
    )


def estimate_accuracy(
    data: KpiData,
    scope: Scope,
    *,
    tolerance_pct: Decimal = Decimal(5),
    tolerance_abs_cents: int = 5000,
    period: str = "",
) -> Measure:
    """Delivered visits whose final bill is within the tolerance of what the
    customer authorised, either way (the larger of the absolute and % tolerance)."""
    base = [v for v in _visits(data, scope, "delivered_at") if v.authorised_cents > 0 and v.final_cents is not None]

    def ok(v: VisitRec) -> bool:
        allowed = max(Decimal(tolerance_abs_cents), Decimal(v.authorised_cents) * Decimal(tolerance_pct) / 100)
        return Decimal(abs(v.final_cents - v.authorised_cents)) <= allowed

    notes = {v.id: f"{format_money(v.final_cents)} / {format_money(v.authorised_cents)}" for v in base}
    standard = f"{tolerance_pct.normalize():f} % / {format_money(tolerance_abs_cents)}"
    m = _rate(
        "estimate_accuracy",
        N_("Final within tolerance of authorised ({tolerance})"),
        base,
        ok,
        notes=notes,
        params=_params(period, tolerance=standard),
    )
    return replace(m, standard=standard)


def kept_promise(v: VisitRec) -> datetime | None:
    """The promise a visit is measured against: the one signed with the estimate
    (a promise moved later, even with the customer's approval, does not make a
    late car "on time"); the current one only where none was signed."""
    return v.signed_promised_at or v.promised_at


def on_time(data: KpiData, scope: Scope) -> Measure:
    """Cars ready no later than the promise signed with the estimate; each note
    shows the current promise beside it when it was moved."""
    base = [v for v in _visits(data, scope, "ready_at") if kept_promise(v) is not None]

    def note(v: VisitRec) -> str:
        text = hm((v.ready_at - kept_promise(v)).total_seconds())
        if v.promised_at is not None and v.promised_at != kept_promise(v):
            text += " " + _("(now promised {at})", at=f"{v.promised_at:%m-%d %H:%M}")
        return text

    notes = {v.id: note(v) for v in base}
    return _rate(
        "on_time", N_("Ready by the promised time"), base, lambda v: v.ready_at <= kept_promise(v), notes=notes
    )


def added_work_approved(data: KpiData, scope: Scope) -> Measure:
    """Visits with added work done in the range where every such line was approved
    by the customer before it was done (REP-04)."""
    lines: dict[int, list[AddedLineRec]] = {}
    for ln in data.added:
        if ln.approval != "declined" and scope.within(ln.done_at) and _mine(data.visits.get(ln.visit_id), scope):
            lines.setdefault(ln.visit_id, []).append(ln)
    base = sorted((data.visits[i] for i in lines), key=lambda v: (min(ln.done_at for ln in lines[v.id]), v.id))

    def ok(v: VisitRec) -> bool:
        return all(ln.approved_at is not None and ln.approved_at <= ln.done_at for ln in lines[v.id])

    return _rate("added_work", N_("Added work approved before it was done"), base, ok)


def followup_on_time(data: KpiData, scope: Scope, window_hours: int = 72, *, period: str = "") -> Measure:
    """Delivered cars called within the window (FUP-01). A car whose window is
    still open and not yet called is not counted yet."""
    first: dict[int, datetime] = {}
    for c in data.calls:
        if c.visit_id not in first or c.at < first[c.visit_id]:
            first[c.visit_id] = c.at
    window = timedelta(hours=window_hours)
    base = [v for v in _visits(data, scope, "delivered_at") if v.id in first or v.delivered_at + window <= scope.now]
    notes = {v.id: hm((first[v.id] - v.delivered_at).total_seconds()) for v in base if v.id in first}
    m = _rate(
        "followup",
        N_("Follow-up call within {hours} h"),
        base,
        lambda v: v.id in first and first[v.id] <= v.delivered_at + window,
        notes=notes,
        params=_params(period, hours=window_hours),
    )
    return replace(m, standard=f"{window_hours} h")


def _booked(data: KpiData, scope: Scope) -> list[VisitRec]:
    """Appointments in the range that were kept or missed (a cancelled one needed no call)."""
    return [v for v in _visits(data, scope, "appointment_at") if not v.walk_in and v.stage != "CANCELLED"]


def reminders_on_time(
    data: KpiData, scope: Scope, offsets: sched.Offsets = sched.REMINDER_OFFSETS, *, period: str = ""
) -> Measure:
    """APPT-09: the reminder calls (``offsets`` before: 1 day and 1 hour by
    default, shop settings) of the appointments in the range made by their
    deadline (the day's before the hour's is due, the hour's before the
    appointment: ``schedule.task_window``), of those set up (a booking made later
    than a reminder's time has none) whose deadline has passed or that were
    made. Counted per reminder; a visit meets it when all of its reminders were
    made on time."""
    by_visit: dict[int, list[ReminderRec]] = {}
    for r in data.reminders:
        if r.kind != sched.LATE:
            by_visit.setdefault(r.visit_id, []).append(r)
    base, done, due, notes = [], 0, 0, {}
    hits = []
    for v in _booked(data, scope):
        mine = [
            r
            for r in by_visit.get(v.id, [])
            if r.done_at is not None or sched.task_window(r.kind, v.appointment_at, 0, offsets)[1] <= scope.now
        ]
        if not mine:
            continue
        ok = [r for r in mine if sched.made_on_time(r.kind, v.appointment_at, r.done_at, 0, offsets)]
        base.append(v.id)
        due += len(mine)
        done += len(ok)
        if len(ok) == len(mine):
            hits.append(v.id)
        notes[v.id] = " ".join(f"{r.kind}:{r.done_at:%m-%d %H:%M}" if r.done_at else f"{r.kind}:-" for r in mine)
    hours, minutes = (int(-delta.total_seconds() // unit) for (_kind, delta), unit in zip(offsets, (3600, 60)))
    return Measure(
        "reminders",
        N_("Reminders on time ({hours} h, {minutes} min before)"),
        PCT,
        pct(done, due),
        done,
        due,
        tuple(base),
        tuple(hits),
        _params(period, hours=hours, minutes=minutes),
        notes,
        standard=sched.offsets_text(offsets),
    )


def late_calls_on_time(data: KpiData, scope: Scope, late_after_minutes: int = 15, *, period: str = "") -> Measure:
    """APPT-10: appointments in the range whose customer had not arrived by the
    appointment time and whose late call was made within ``late_after_minutes``
    of it, of those where the call was made or the deadline passed with the
    customer still not there (one who came within the minutes needed no call)."""
    made = {r.visit_id: r.done_at for r in data.reminders if r.kind == sched.LATE and r.done_at is not None}
    base = []
    for v in _booked(data, scope):
        deadline = sched.task_window(sched.LATE, v.appointment_at, late_after_minutes)[1]
        came = v.arrived_at is not None and v.arrived_at <= deadline
        if v.id in made or (not came and deadline <= scope.now):
            base.append(v)
    m = _rate(
        "late_calls",
        N_("Late calls made within {minutes} min"),
        base,
        lambda v: sched.made_on_time(sched.LATE, v.appointment_at, made.get(v.id), late_after_minutes),
        notes={
            v.id: (f"+{ms((made[v.id] - v.appointment_at).total_seconds())}" if v.id in made else "-") for v in base
        },
        params=_params(period, minutes=late_after_minutes),
    )
    return replace(m, standard=f"{late_after_minutes} min")


def _calls(data: KpiData, scope: Scope) -> list[CallRec]:
    out = [c for c in data.calls if scope.within(c.at) and _mine(data.visits.get(c.visit_id), scope)]
    out.sort(key=lambda c: (c.at, c.visit_id))
    return out


def _ordered_ids(ids: Iterable[int]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(ids))


def csi(data: KpiData, scope: Scope, factor: str) -> Measure:
    """Mean survey score (1-5) of one CSI factor over the calls in the range."""
    pairs = [(c.visit_id, s) for c in _calls(data, scope) for f, s in c.scores if f == factor]
    ids = _ordered_ids(v for v, _ in pairs)
    notes: dict[int, str] = {}
    for v, s in pairs:
        notes[v] = ", ".join(filter(None, [notes.get(v, ""), str(s)]))
    return Measure(
        f"csi.{factor}",
        CSI_FACTOR_LABELS.get(factor, factor),
        SCORE,
        mean(s for _, s in pairs),
        sum(s for _, s in pairs),
        len(pairs),
        ids,
        ids,
        {},
        notes,
    )


def nps(data: KpiData, scope: Scope) -> Measure:
    """Net promoter score: % promoters (9-10) minus % detractors (0-6), -100…100."""
    answers = [(c.visit_id, c.nps) for c in _calls(data, scope) if c.nps is not None]
    n = len(answers)
    promoters = [v for v, s in answers if s >= 9]
    detractors = [v for v, s in answers if s <= 6]
    value = (
        None
        if n == 0
        else (Decimal(len(promoters) - len(detractors)) * 100 / n).quantize(_TENTH, rounding=ROUND_HALF_UP)
    )
    ids = _ordered_ids(v for v, _ in answers)
    notes: dict[int, str] = {}
    for v, s in answers:
        notes[v] = ", ".join(filter(None, [notes.get(v, ""), str(s)]))
    return Measure(
        "nps",
        N_("NPS (promoters minus detractors)"),
        NPS,
        value,
        len(promoters) - len(detractors),
        n,
        ids,
        _ordered_ids(promoters),
        {},
        notes,
    )


def followup_reach(data: KpiData, scope: Scope, outcome: str) -> Measure:
    """Of the cars delivered in the range that the follow-up caller tried, the
    share whose calls ended in ``outcome``: reached (any call reached them),
    wrong_number (a call found the number wrong), or unreached (neither, yet)."""
    tried: dict[int, set[str]] = {}
    for c in data.calls:
        tried.setdefault(c.visit_id, set()).add(c.outcome)
    base = [v for v in _visits(data, scope, "delivered_at") if v.id in tried]

    def ended(v: VisitRec) -> str:
        got = tried[v.id]
        return "reached" if "reached" in got else "wrong_number" if "wrong_number" in got else "unreached"

    label = {
        "reached": N_("Follow-up: customer reached"),
        "wrong_number": N_("Follow-up: wrong number"),
        "unreached": N_("Follow-up: not reached (yet)"),
    }[outcome]
    return _rate(
        f"followup.{outcome}",
        label,
        base,
        lambda v: ended(v) == outcome,
        notes={v.id: ", ".join(sorted(tried[v.id])) for v in base},
    )


def csi_overall(data: KpiData, scope: Scope) -> Measure:
    """Overall CSI: the mean of the factors' mean scores (1-5) over the calls in the
    range (a factor nobody answered is left out)."""
    per: dict[str, list[int]] = {}
    ids: list[int] = []
    for c in _calls(data, scope):
        for f, score in c.scores:
            per.setdefault(f, []).append(score)
            ids.append(c.visit_id)
    means = [Decimal(sum(v)) / len(v) for v in per.values()]
    value = (sum(means) / len(means)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if means else None
    ordered = _ordered_ids(ids)
    return Measure(
        "csi.overall",
        N_("CSI overall (mean of the factors)"),
        SCORE,
        value,
        sum(len(v) for v in per.values()),
        len(per),
        ordered,
        ordered,
    )


def satisfied(data: KpiData, scope: Scope) -> Measure:
    """Top-2-box: the survey answers scored 4 or 5 (satisfied, very satisfied)."""
    answers = [(c.visit_id, s) for c in _calls(data, scope) for _, s in c.scores]
    ids = _ordered_ids(v for v, _ in answers)
    low = {v for v, s in answers if s < 4}
    ok = sum(1 for _, s in answers if s >= 4)
    return Measure(
        "satisfied",
        N_("Answers satisfied or very satisfied (top 2 of 5)"),
        PCT,
        pct(ok, len(answers)),
        ok,
        len(answers),
        ids,
        tuple(v for v in ids if v not in low),
    )


def _complaints(data: KpiData, scope: Scope) -> list[ComplaintRec]:
    out = [
        c
        for c in data.complaints
        if scope.within(c.opened_at) and (scope.advisor_id is None or _mine(data.visits.get(c.visit_id), scope))
    ]
    out.sort(key=lambda c: (c.opened_at, c.id))
    return out


def complaints_opened(data: KpiData, scope: Scope) -> Measure:
    cs = _complaints(data, scope)
    ids = _ordered_ids(c.visit_id for c in cs if c.visit_id is not None)
    return Measure("complaints", N_("Complaints opened"), COUNT, Decimal(len(cs)), len(cs), len(cs), ids, ids)


def complaints_24h(data: KpiData, scope: Scope) -> Measure:
    """Complaints opened in the range and closed within 24 hours, of those closed
    or older than 24 hours now."""
    day = timedelta(hours=24)
    cs = [c for c in _complaints(data, scope) if c.closed_at is not None or c.opened_at + day <= scope.now]
    ok = [c for c in cs if c.closed_at is not None and c.closed_at - c.opened_at <= day]
    notes = {
        c.visit_id: hm((c.closed_at - c.opened_at).total_seconds()) if c.closed_at else "-"
        for c in cs
        if c.visit_id is not None
    }
    return Measure(
        "complaints_24h",
        N_("Complaints resolved within 24 h"),
        PCT,
        pct(len(ok), len(cs)),
        len(ok),
        len(cs),
        _ordered_ids(c.visit_id for c in cs if c.visit_id is not None),
        _ordered_ids(c.visit_id for c in ok if c.visit_id is not None),
        {},
        notes,
    )


def complaints_open(data: KpiData, scope: Scope) -> Measure:
    """Complaints opened in the range and still open at its end (or now, if
    sooner), and of them those open longer than 24 h (overdue)."""
    at = min(scope.end, scope.now)
    cs = [c for c in _complaints(data, scope) if c.closed_at is None or c.closed_at > at]
    late = [c for c in cs if c.opened_at + timedelta(hours=24) <= at]
    ids = _ordered_ids(c.visit_id for c in cs if c.visit_id is not None)
    return Measure(
        "complaints_open",
        N_("Complaints open (of them over 24 h)"),
        COUNT,
        Decimal(len(cs)),
        len(late),
        len(cs),
        ids,
        _ordered_ids(c.visit_id for c in late if c.visit_id is not None),
        {},
        {c.visit_id: hm((at - c.opened_at).total_seconds()) for c in cs if c.visit_id is not None},
    )


def complaints_overdue(data: KpiData, scope: Scope, within_hours: int = 24) -> Measure:
    """Complaints opened in the range still open at its end (or now, if sooner)
    more than ``within_hours`` after they were opened: overdue against the
    standard (an ordinary complaint is resolved within 24 h)."""
    at = min(scope.end, scope.now)
    late = [
        c
        for c in _complaints(data, scope)
        if (c.closed_at is None or c.closed_at > at) and c.opened_at + timedelta(hours=within_hours) <= at
    ]
    ids = _ordered_ids(c.visit_id for c in late if c.visit_id is not None)
    return Measure(
        "complaints_overdue",
        N_("Complaints overdue (open over {hours} h)"),
        COUNT,
        Decimal(len(late)),
        len(late),
        len(late),
        ids,
        ids,
        {"hours": str(within_hours)},
        {c.visit_id: f"{c.severity} {hm((at - c.opened_at).total_seconds())}" for c in late if c.visit_id is not None},
        standard=f"{within_hours} h",
    )


#: The dashboard's name of each complaint severity (desk.domain.entities.Severity).
SEVERITY_LABELS = {"ordinary": N_("Complaints opened: ordinary"), "major": N_("Complaints opened: major")}


def complaints_by_severity(data: KpiData, scope: Scope, severity: str) -> Measure:
    """Complaints opened in the range of one severity, of all opened (a major one
    went to the manager at once); each names whether it is closed."""
    cs = _complaints(data, scope)
    mine = [c for c in cs if c.severity == severity]
    ids = _ordered_ids(c.visit_id for c in mine if c.visit_id is not None)
    return Measure(
        f"complaints.{severity}",
        SEVERITY_LABELS.get(severity, severity),
        COUNT,
        Decimal(len(mine)),
        len(mine),
        len(cs),
        ids,
        ids,
        {},
        {c.visit_id: "closed" if c.closed_at else "open" for c in mine if c.visit_id is not None},
    )


def complaints_close_hours(data: KpiData, scope: Scope) -> Measure:
    """Median hours from opening to closing of the complaints opened in the range
    and closed."""
    cs = [c for c in _complaints(data, scope) if c.closed_at is not None]
    hours = [Decimal((c.closed_at - c.opened_at).total_seconds()) / 3600 for c in cs]
    value = Decimal(statistics.median(hours)).quantize(_TENTH, rounding=ROUND_HALF_UP) if hours else None
    ids = _ordered_ids(c.visit_id for c in cs if c.visit_id is not None)
    return Measure(
        "complaints_close", N_("Complaints: median hours to close"), HOURS, value, len(cs), len(cs), ids, ids
    )


def complaints_per_100(data: KpiData, scope: Scope) -> Measure:
    """Complaints opened in the range per 100 visits arrived in it."""
    cs = _complaints(data, scope)
    arrived = _visits(data, scope, "arrived_at")
    value = None if not arrived else (Decimal(len(cs)) * 100 / len(arrived)).quantize(_TENTH, rounding=ROUND_HALF_UP)
    ids = _ordered_ids(c.visit_id for c in cs if c.visit_id is not None)
    return Measure("complaints_per_100", N_("Complaints per 100 visits"), COUNT, value, len(cs), len(arrived), ids, ids)


def same_advisor(data: KpiData, scope: Scope) -> Measure:
    """DLV-03: cars delivered in the range whose customer was told it was ready
    by the advisor who received it (of those told by anyone)."""
    base = [v for v in _visits(data, scope, "delivered_at") if v.notified_by is not None]
    return _rate(
        "same_advisor", N_("Completion told by the receiving advisor"), base, lambda v: v.notified_by == v.advisor_id
    )


def returning_share(data: KpiData, scope: Scope) -> Measure:
    """Arrivals of customers who had an earlier visit (returning), of all arrivals:
    the figures split new / returning start from it."""
    base = _visits(data, scope, "arrived_at")
    return _rate("returning", N_("Returning customers' share of visits"), base, lambda v: v.returning)


def repeat_complaints(data: KpiData, scope: Scope) -> Measure:
    """Complaints opened in the range by a customer who had complained before."""
    rep = [
        c
        for c in _complaints(data, scope)
        if any(o.customer_id == c.customer_id and (o.opened_at, o.id) < (c.opened_at, c.id) for o in data.complaints)
    ]
    ids = _ordered_ids(c.visit_id for c in rep if c.visit_id is not None)
    return Measure("complaints_repeat", N_("Repeat complaints"), COUNT, Decimal(len(rep)), len(rep), len(rep), ids, ids)


def _repairs(data: KpiData, scope: Scope) -> list[tuple[VisitRec, float]]:
    return [
        (v, (v.ready_at - v.repair_started_at).total_seconds())
        for v in _visits(data, scope, "ready_at")
        if v.repair_started_at is not None
    ]


def duration_band(data: KpiData, scope: Scope, band: int) -> Measure:
    """Share of repairs (start of work to car ready) in one duration band."""
    lo, hi, label = DURATION_BANDS[band]
    rep = _repairs(data, scope)
    secs = dict((v.id, s) for v, s in rep)
    return _rate(
        f"duration.{band}",
        label,
        [v for v, _ in rep],
        lambda v: lo * 3600 <= secs[v.id] and (hi is None or secs[v.id] < hi * 3600),
        notes={v.id: hm(s) for v, s in rep},
    )


def duration_median(data: KpiData, scope: Scope) -> Measure:
    rep = _repairs(data, scope)
    value = None
    if rep:
        value = (Decimal(str(statistics.median(s for _, s in rep))) / 3600).quantize(_TENTH, rounding=ROUND_HALF_UP)
    ids = tuple(v.id for v, _ in rep)
    return Measure(
        "duration.median",
        N_("Repair duration, median (h)"),
        HOURS,
        value,
        len(rep),
        len(rep),
        ids,
        ids,
        {},
        {v.id: hm(s) for v, s in rep},
    )


def declined_done(data: KpiData, scope: Scope) -> Measure:
    """Lines the customer declined on the visits delivered in the range, and how
    many of them were done later, on a later visit (added from the offer);
    the base is the declined lines, the visits those that declined them."""
    recs = [r for r in data.declined if scope.within(r.delivered_at) and _mine(data.visits.get(r.visit_id), scope)]
    done = [r for r in recs if r.done_at is not None]
    notes: dict[int, str] = {}
    for r in done:
        notes[r.visit_id] = ", ".join(
            filter(None, [notes.get(r.visit_id, ""), "-> " + (r.done_number or f"#{r.done_visit_id}")])
        )
    return Measure(
        "declined_done",
        N_("Declined work later done"),
        PCT,
        pct(len(done), len(recs)),
        len(done),
        len(recs),
        _ordered_ids(r.visit_id for r in recs),
        _ordered_ids(r.visit_id for r in done),
        {},
        notes,
    )


_STAGE_MSGIDS = {
    "BOOKED": N_("Booked"),
    "RECEPTION": N_("Reception"),
    "WALKAROUND": N_("Walkaround"),
    "ESTIMATE": N_("Estimate"),
    "IN_REPAIR": N_("In repair"),
    "QC": N_("QC"),
    "READY": N_("Ready"),
    "DELIVERED": N_("Delivered"),
}


def opening_checklist(ticked: dict[date, int], open_days: Iterable[date], scope: Scope, items: int) -> Measure:
    """The daily opening (facility) checklist (spec step 2): of the days in the
    range the shop was open up to today (a car arrived, or an item was ticked),
    those on which all ``items`` facility items were ticked. The shop's figure,
    whichever advisor is chosen; ``ticked``: the count ticked per day."""
    last = scope.now.date()
    days = sorted(
        d for d in set(open_days) | set(ticked) if d <= last and scope.within(datetime.combine(d, datetime.min.time()))
    )
    met = [d for d in days if ticked.get(d, 0) >= items]
    return Measure(
        "opening",
        N_("Opening checklist: all {items} items done"),
        PCT,
        pct(len(met), len(days)),
        len(met),
        len(days),
        params={"items": str(items)},
        standard=f"{items}/{items}",
        days=tuple((d, d in met, f"{ticked.get(d, 0)}/{items}") for d in days),
    )


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class StandardChange:
    """A shop setting that a figure is judged against, changed at ``at`` from
    ``before`` to ``after`` (the settings' text form; None: not set before)."""

    key: str
    at: datetime
    before: str | None
    after: str


@dataclass(frozen=True)
class Settings:
    """The policy figures the measures depend on: the values in force now and
    every change of them (so a figure over a period judges each visit by the
    standard in force at its time, and says which)."""

    greet_within_seconds: int = 60
    followup_window_hours: int = 72
    late_after_minutes: int = 15
    tolerance_pct: Decimal = Decimal(5)
    tolerance_abs_cents: int = 5000
    reminder_day_hours: int = 24
    reminder_hour_minutes: int = 60
    comeback_window_days: int = 30
    integrity_walkaround_seconds: int = 120
    integrity_qc_seconds: int = 60
    changes: tuple[StandardChange, ...] = ()

    def periods(self, keys: Iterable[str], start: datetime, end: datetime) -> list[tuple[datetime, datetime, dict]]:
        """``[start, end)`` cut where one of ``keys`` changed: ``(from, to, values)``
        per stretch, ``values`` the text of each key in force over it (one stretch
        when none changed inside the range)."""
        keys = list(keys)
        mine = sorted((c for c in self.changes if c.key in keys), key=lambda c: c.at)

        def in_force(key: str, t: datetime) -> str:
            done = [c for c in mine if c.key == key and c.at <= t]
            if done:
                return done[-1].after
            later = next((c for c in mine if c.key == key), None)
            if later is not None and later.before is not None:
                return later.before
            return _text(getattr(self, key))

        out: list[tuple[datetime, datetime, dict]] = []
        a = start
        values = {k: in_force(k, start) for k in keys}
        for c in (c for c in mine if start < c.at < end):
            if values[c.key] == c.after:
                continue
            out.append((a, c.at, dict(values)))
            a = c.at
            values[c.key] = c.after
        out.append((a, end, values))
        return out


def _text(value) -> str:
    return f"{value.normalize():f}" if isinstance(value, Decimal) else str(value)


def _params(period: str, **values) -> dict:
    """A label's parameters: the standard's values as text, and the stretch of the
    period it was in force when it changed inside the period."""
    out = {k: _text(v) for k, v in values.items()}
    if period:
        out["period"] = period
    return out


def _clip(scope: Scope, start: datetime, end: datetime) -> Scope:
    """``scope`` within ``[start, end)`` (empty when they don't meet)."""
    a = max(scope.start, start)
    return replace(scope, start=a, end=max(a, min(scope.end, end)))


def _stretch(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M} - {end:%Y-%m-%d %H:%M}"


def _per_standard(
    settings: Settings, scope: Scope, keys: tuple[str, ...], make: Callable[[Scope, dict, str], Measure]
) -> list[Callable[[Scope], Measure]]:
    """One figure per stretch of ``scope`` with the same standard: a standard
    changed inside the period splits the figure (each stretch says its standard
    and its dates), never judges the whole period by today's value."""
    periods = settings.periods(keys, scope.start, scope.end)
    split = len(periods) > 1
    return [lambda s, a=a, b=b, v=v: make(_clip(s, a, b), v, _stretch(a, b) if split else "") for a, b, v in periods]


#: For measures of other modules (MOT integrity's thresholds): split the same way.
per_standard = _per_standard


def measure_fns(
    data: KpiData,
    scope: Scope,
    settings: Settings = Settings(),
    *,
    stages: Iterable[str] = MOT_STAGES,
    item_texts: dict[str, str] | None = None,
    recommended: dict[str, tuple[str, ...]] | None = None,
    hidden_since: dict[str, datetime] | None = None,
) -> list[Callable[[Scope], Measure]]:
    """Every measure of the dashboard as a function of a scope, in display order.
    The most-waived items are chosen once over the whole ``scope``.
    ``recommended``: each stage's recommended items that apply to every visit,
    those the shop hid since among them (``hidden_since``: item -> when): a
    visit that arrived before counts them, so hiding never rewrites the past."""
    until = hidden_since or {}
    texts = item_texts or {}
    stages = list(stages)
    fns: list[Callable[[Scope], Measure]] = _per_standard(
        settings,
        scope,
        ("greet_within_seconds",),
        lambda s, v, p: greeting(data, s, int(v["greet_within_seconds"]), period=p),
    )
    fns += [
        lambda s: appointment_share(data, s),
        lambda s: returning_share(data, s),
        lambda s: no_show(data, s),
    ]
    fns += _per_standard(
        settings,
        scope,
        ("reminder_day_hours", "reminder_hour_minutes"),
        lambda s, v, p: reminders_on_time(
            data, s, sched.reminder_offsets(int(v["reminder_day_hours"]), int(v["reminder_hour_minutes"])), period=p
        ),
    )
    fns += _per_standard(
        settings,
        scope,
        ("late_after_minutes",),
        lambda s, v, p: late_calls_on_time(data, s, int(v["late_after_minutes"]), period=p),
    )
    fns += [lambda s, st=st: mot_stage(data, s, st) for st in stages]
    rec = {st: it for st, it in (recommended or {}).items() if it and st in stages}
    fns += [lambda s, st=st, it=it: recommended_done(data, s, st, it, until) for st, it in rec.items()]
    fns += [
        lambda s, st=st, i=i: recommended_item(data, s, st, i, texts.get(i, ""), until)
        for st, it in rec.items()
        for i in it
    ]
    fns += (
        [
            lambda s, a=a, n=n: recommended_by_advisor(data, s, a, n, rec, until)
            for a, n in recommended_advisors(data, scope)
        ]
        if rec
        else []
    )
    fns.append(lambda s: waivers(data, s))
    fns += [lambda s, it=it: waivers(data, s, it, texts.get(it, "")) for it in most_waived(data, scope)]
    window = ("comeback_window_days",)
    fns += _per_standard(settings, scope, window, lambda s, v, p: first_time_fix(data, s, int(v[window[0]]), period=p))
    fns += [lambda s, t=t, n=n: first_time_fix_by_technician(data, s, t, n) for t, n in technicians(data, scope)]
    fns += _per_standard(settings, scope, window, lambda s, v, p: comebacks(data, s, int(v[window[0]]), period=p))
    fns += [lambda s, c=c: comebacks_by_cause(data, s, c) for c in comeback_causes(data, scope)]
    fns += _per_standard(
        settings,
        scope,
        ("tolerance_pct", "tolerance_abs_cents"),
        lambda s, v, p: estimate_accuracy(
            data,
            s,
            tolerance_pct=Decimal(v["tolerance_pct"]),
            tolerance_abs_cents=int(v["tolerance_abs_cents"]),
            period=p,
        ),
    )
    fns += [
        lambda s: on_time(data, s),
        lambda s: same_advisor(data, s),
        lambda s: added_work_approved(data, s),
        lambda s: declined_done(data, s),
    ]
    fns += _per_standard(
        settings,
        scope,
        ("followup_window_hours",),
        lambda s, v, p: followup_on_time(data, s, int(v["followup_window_hours"]), period=p),
    )
    fns += [lambda s, o=o: followup_reach(data, s, o) for o in ("reached", "unreached", "wrong_number")]
    fns += [lambda s, f=f: csi(data, s, f) for f in CSI_FACTORS]
    fns += [
        lambda s: csi_overall(data, s),
        lambda s: satisfied(data, s),
        lambda s: nps(data, s),
        lambda s: complaints_opened(data, s),
        lambda s: complaints_open(data, s),
        lambda s: complaints_overdue(data, s),
        lambda s: complaints_by_severity(data, s, "ordinary"),
        lambda s: complaints_by_severity(data, s, "major"),
        lambda s: complaints_24h(data, s),
        lambda s: complaints_close_hours(data, s),
        lambda s: complaints_per_100(data, s),
        lambda s: repeat_complaints(data, s),
        lambda s: duration_median(data, s),
    ]
    fns += [lambda s, b=b: duration_band(data, s, b) for b in range(len(DURATION_BANDS))]
    return fns


#: At most this many steps in a trend (it fits the dashboard's trend column).
MAX_STEPS = 31


def _month_start(t: datetime, months: int) -> datetime:
    """The first of the month ``months`` after ``t``'s month, at midnight."""
    m = t.year * 12 + t.month - 1 + months
    return datetime(m // 12, m % 12 + 1, 1)


def buckets(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The trend's steps over ``[start, end)``, at most :data:`MAX_STEPS`: hours
    for one day, days up to a month, weeks up to 31 weeks, then calendar months
    (several per step when the range is longer than 31 months)."""
    span = end - start
    out: list[tuple[datetime, datetime]] = []
    if span <= timedelta(days=MAX_STEPS * 7):
        step = (
            timedelta(hours=1)
            if span <= timedelta(days=1)
            else timedelta(days=1)
            if span <= timedelta(days=MAX_STEPS)
            else timedelta(weeks=1)
        )
        t = start
        while t < end:
            out.append((t, min(t + step, end)))
            t += step
        return out
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    per = -(-months // MAX_STEPS)  # ceiling
    t = start
    while t < end:
        nxt = _month_start(t, per)
        out.append((t, min(nxt, end)))
        t = nxt
    return out


@dataclass(frozen=True)
class Row:
    """One line of the dashboard: the figure, its trend, and the shop's figure
    when an advisor is chosen."""

    measure: Measure
    trend: tuple[Decimal | None, ...]
    shop: Measure | None = None


def report(
    data: KpiData,
    scope: Scope,
    settings: Settings = Settings(),
    *,
    stages: Iterable[str] = MOT_STAGES,
    item_texts: dict[str, str] | None = None,
    with_trend: bool = True,
    extra: Iterable[Callable[[Scope], Measure]] = (),
    recommended: dict[str, tuple[str, ...]] | None = None,
    hidden_since: dict[str, datetime] | None = None,
) -> list[Row]:
    """Every measure over ``scope``, with its trend over the scope's buckets;
    ``extra``: more measures of other records (the stage stopwatch's), after them."""
    fns = measure_fns(
        data,
        scope,
        settings,
        stages=stages,
        item_texts=item_texts,
        recommended=recommended,
        hidden_since=hidden_since,
    ) + list(extra)
    steps = [replace(scope, start=a, end=b) for a, b in buckets(scope.start, scope.end)] if with_trend else []
    shop = replace(scope, advisor_id=None)
    rows = []
    for fn in fns:
        m = fn(scope)
        rows.append(Row(m, tuple(fn(s).value for s in steps), fn(shop) if scope.advisor_id is not None else None))
    return rows


BLOCKS = "▁▂▃▄▅▆▇█"


def spark(values: Iterable[Decimal | None], unit: str = PCT) -> str:
    """A trend as Unicode blocks on the unit's own scale (0-100 %, 1-5 score,
    -100…100 NPS, 0…max for counts and hours); a step with no base is a space."""
    vals = list(values)
    present = [v for v in vals if v is not None]
    lo, hi = {PCT: (Decimal(0), Decimal(100)), SCORE: (Decimal(1), Decimal(5)), NPS: (Decimal(-100), Decimal(100))}.get(
        unit, (Decimal(0), max(present, default=Decimal(0)))
    )
    out = []
    for v in vals:
        if v is None:
            out.append(" ")
        elif hi <= lo:
            out.append(BLOCKS[0])
        else:
            frac = (min(max(v, lo), hi) - lo) / (hi - lo)
            out.append(BLOCKS[int((frac * (len(BLOCKS) - 1)).to_integral_value(rounding=ROUND_HALF_UP))])
    return "".join(out)


def format_value(m: Measure) -> str:
    """The figure as text (language-neutral): "87.5%", "4.25", "+40.0", "12", "3.5"."""
    if m.value is None:
        return "-"
    if m.unit == PCT:
        return f"{m.value}%"
    if m.unit == NPS:
        return f"{m.value:+}"
    if m.unit == COUNT:
        return str(int(m.value))
    return str(m.value)


# --------------------------------------------------------------------------- periods

DAY, WEEK, MONTH, YEAR, CUSTOM = "day", "week", "month", "year", "custom"
#: The longest range one report covers (five years).
MAX_RANGE_DAYS = 5 * 366


def period(kind: str, day: date) -> tuple[date, date]:
    """The day, week (Monday first), month or year holding ``day``: (first, last)."""
    if kind == DAY:
        return day, day
    if kind == WEEK:
        first = day - timedelta(days=day.weekday())
        return first, first + timedelta(days=6)
    if kind == MONTH:
        first = day.replace(day=1)
        return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if kind == YEAR:
        return date(day.year, 1, 1), date(day.year, 12, 31)
    raise ValueError(kind)


def shift(kind: str, first: date, last: date, steps: int) -> tuple[date, date]:
    """The range ``steps`` periods before (negative) or after; a typed range moves
    by its own length."""
    if kind == DAY:
        return first + timedelta(days=steps), last + timedelta(days=steps)
    if kind == WEEK:
        return first + timedelta(weeks=steps), last + timedelta(weeks=steps)
    if kind == MONTH:
        month = first.year * 12 + first.month - 1 + steps
        return period(MONTH, date(month // 12, month % 12 + 1, 1))
    if kind == YEAR:
        return period(YEAR, date(first.year + steps, 1, 1))
    length = (last - first).days + 1
    return first + timedelta(days=length * steps), last + timedelta(days=length * steps)


def check_range(first: date, last: date) -> None:
    """A typed range must run forwards and span at most five years."""
    if last < first:
        raise InvalidInput("to", N_("The range ends before it starts"))
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput("to", N_("A report covers at most five years"))
