"""Honest checklists: a checklist ticked faster than it can be done, or filled
in without looking, is flagged on the visit with its reason.

The rules (thresholds are shop settings, :class:`Thresholds`):

- ``rushed_walkaround``: the walkaround stage was finished (the move to the
  estimate) less than ``walkaround_seconds`` after it began (the move into it):
  the work, not the keystrokes, is judged, so ticking every item at once
  (``ctrl+a``) after a walkaround of plausible length is never flagged;
- ``blank_walkaround``: the walkaround was recorded with no damage, no tyre and
  no warning-light entry, and the odometer equal to the reading the booking
  already had (nothing was looked at);
- ``rushed_qc``: QC passed (QC-03 ticked) within ``qc_seconds`` of the last
  line's end;
- ``empty_survey``: a follow-up call marked "reached" with no survey answer.

The thresholds are standards with a history (:func:`in_force`): a visit is
judged by the ones in force when it arrived, never by a later change.

Each flag names the user it counts against (who ticked, recorded or called).
A manager may accept a flag with a note (``staff.may_accept_flag``); an
accepted flag stays on the visit but no longer counts against the user.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from desk.domain import kpi
from desk.i18n import N_

RUSHED_WALKAROUND = "rushed_walkaround"
BLANK_WALKAROUND = "blank_walkaround"
RUSHED_QC = "rushed_qc"
EMPTY_SURVEY = "empty_survey"

RULE_LABELS = {
    RUSHED_WALKAROUND: N_("Rushed walkaround"),
    BLANK_WALKAROUND: N_("Blank walkaround"),
    RUSHED_QC: N_("Rushed QC"),
    EMPTY_SURVEY: N_("Survey not asked"),
}


@dataclass(frozen=True)
class Thresholds:
    #: The plausible minimum of a walkaround (seconds from its start to its end):
    #: four covers fitted, valuables, the walk round the car with the customer.
    walkaround_seconds: int = 120
    #: QC passed within this many seconds of the last line's end is rushed.
    qc_seconds: int = 60


#: The shop settings of the thresholds, by field of :class:`Thresholds`.
SETTING_KEYS = {"integrity_walkaround_seconds": "walkaround_seconds", "integrity_qc_seconds": "qc_seconds"}


def in_force(
    now: Thresholds, changes: Iterable[tuple[str, datetime, str | None, str]], at: datetime | None
) -> Thresholds:
    """The thresholds in force at ``at``, from those in force now and every
    audited change ``(setting key, when, before, after)``: each its last change
    at or before ``at``, or the value its first later change replaced (None:
    today's)."""
    if at is None:
        return now
    values = {}
    for key, field_name in SETTING_KEYS.items():
        mine = sorted((c for c in changes if c[0] == key), key=lambda c: c[1])
        done = [c for c in mine if c[1] <= at]
        text = done[-1][3] if done else (mine[0][2] if mine and mine[0][2] is not None else None)
        if text is not None and text.strip().isdigit():
            values[field_name] = int(text)
    return replace(now, **values)


@dataclass(frozen=True)
class Tick:
    item_id: str
    at: datetime
    by_user: int


@dataclass(frozen=True)
class Call:
    call_id: int
    at: datetime
    outcome: str
    by_user: int | None
    answers: int = 0
    nps: int | None = None


@dataclass(frozen=True)
class CheckFacts:
    """What the rules look at on one visit."""

    visit_id: int
    advisor_id: int | None = None
    arrived_at: datetime | None = None
    #: The standing "done" marks of the walkaround's items.
    walkaround_ticks: tuple[Tick, ...] = ()
    #: The walkaround stage: when the visit moved into it and on to the estimate
    #: (None: not yet), and who moved it on.
    walkaround_started_at: datetime | None = None
    walkaround_done_at: datetime | None = None
    walkaround_done_by: int | None = None
    #: The walkaround as recorded (None: not recorded yet) and who recorded it.
    walkaround_at: datetime | None = None
    walkaround_by: int | None = None
    damages: int = 0
    tyres: str = ""
    warning_lights: str = ""
    odometer_km: int | None = None
    #: The reading the car came with (the booking's: the vehicle's last before this visit).
    booked_km: int | None = None
    #: QC-03 ticked: when and by whom; the last line's end.
    qc_passed_at: datetime | None = None
    qc_by: int | None = None
    last_line_done_at: datetime | None = None
    calls: tuple[Call, ...] = ()


@dataclass(frozen=True)
class Flag:
    visit_id: int
    #: Unique on the visit: the rule, and the call for ``empty_survey``.
    key: str
    rule: str
    user_id: int | None
    at: datetime
    reason: str  # an English msgid
    params: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Review:
    """A manager's acceptance of a flag."""

    visit_id: int
    key: str
    by_user: int
    by_name: str
    at: datetime
    note: str


def rushed_walkaround(f: CheckFacts, t: Thresholds) -> Flag | None:
    """The walkaround finished faster than its plausible minimum. It counts
    against who ticked most of its items (else who moved it on)."""
    if f.walkaround_started_at is None or f.walkaround_done_at is None:
        return None
    secs = (f.walkaround_done_at - f.walkaround_started_at).total_seconds()
    if secs >= t.walkaround_seconds:
        return None
    ticked = Counter(k.by_user for k in f.walkaround_ticks).most_common(1)
    who = ticked[0][0] if ticked else f.walkaround_done_by
    return Flag(
        f.visit_id,
        RUSHED_WALKAROUND,
        RUSHED_WALKAROUND,
        who,
        f.walkaround_done_at,
        N_("Walkaround finished {s} s after it began (plausible minimum {min} s)"),
        {"s": max(0, int(secs)), "min": t.walkaround_seconds},
    )


def blank_walkaround(f: CheckFacts, t: Thresholds) -> Flag | None:
    if f.walkaround_at is None or f.odometer_km is None or f.booked_km is None:
        return None
    if f.damages or f.tyres.strip() or f.warning_lights.strip() or f.odometer_km != f.booked_km:
        return None
    return Flag(
        f.visit_id,
        BLANK_WALKAROUND,
        BLANK_WALKAROUND,
        f.walkaround_by,
        f.walkaround_at,
        N_("No damage, tyre or warning-light entry, and the odometer as booked ({km} km)"),
        {"km": f.odometer_km},
    )


def rushed_qc(f: CheckFacts, t: Thresholds) -> Flag | None:
    if f.qc_passed_at is None or f.last_line_done_at is None:
        return None
    secs = (f.qc_passed_at - f.last_line_done_at).total_seconds()
    if secs > t.qc_seconds:
        return None
    return Flag(
        f.visit_id,
        RUSHED_QC,
        RUSHED_QC,
        f.qc_by,
        f.qc_passed_at,
        N_("QC passed {s} s after the last line was done"),
        {"s": max(0, int(secs))},
    )


def empty_surveys(f: CheckFacts, t: Thresholds) -> list[Flag]:
    return [
        Flag(
            f.visit_id,
            f"{EMPTY_SURVEY}:{c.call_id}",
            EMPTY_SURVEY,
            c.by_user,
            c.at,
            N_("Call marked reached with no survey answer"),
        )
        for c in f.calls
        if c.outcome == "reached" and not c.answers and c.nps is None
    ]


def flags(f: CheckFacts, t: Thresholds = Thresholds()) -> list[Flag]:
    """Every flag of one visit, in time order."""
    out = [x for x in (rushed_walkaround(f, t), blank_walkaround(f, t), rushed_qc(f, t)) if x is not None]
    out += empty_surveys(f, t)
    return sorted(out, key=lambda x: (x.at, x.key))


def open_flags(found: Iterable[Flag], reviews: Iterable[Review]) -> list[Flag]:
    """The flags no manager has accepted."""
    accepted = {(r.visit_id, r.key) for r in reviews}
    return [x for x in found if (x.visit_id, x.key) not in accepted]


# --------------------------------------------------------------------------- the dashboard


def _in_scope(f: CheckFacts, scope: kpi.Scope, user_id: int | None = None) -> bool:
    return scope.within(f.arrived_at) and (scope.advisor_id is None or f.advisor_id == scope.advisor_id)


def integrity(
    facts: dict[int, CheckFacts],
    found: dict[int, list[Flag]],
    reviews: list[Review],
    scope: kpi.Scope,
    standard: Thresholds = Thresholds(),
    *,
    period: str = "",
) -> kpi.Measure:
    """MOT integrity: the share of visits arrived in the range with no open flag
    (beside MOT compliance: kept without waiver *and* honestly). ``standard``:
    the plausible minimums in force over ``scope`` (the flags were judged by
    them, ``in_force``), stated with the figure."""
    base = sorted((f for f in facts.values() if _in_scope(f, scope)), key=lambda f: (f.arrived_at, f.visit_id))
    open_ = {x.visit_id: x for v in found.values() for x in open_flags(v, reviews)}
    notes = {f.visit_id: ", ".join(sorted({x.rule for x in found.get(f.visit_id, [])})) for f in base}
    hits = tuple(f.visit_id for f in base if f.visit_id not in open_)
    params = {"walkaround": str(standard.walkaround_seconds), "qc": str(standard.qc_seconds)}
    return kpi.Measure(
        "integrity",
        N_("MOT integrity: checklists not flagged (walkaround {walkaround} s, QC {qc} s)"),
        kpi.PCT,
        kpi.pct(len(hits), len(base)),
        len(hits),
        len(base),
        tuple(f.visit_id for f in base),
        hits,
        params | ({"period": period} if period else {}),
        {k: v for k, v in notes.items() if v},
        standard=f"{standard.walkaround_seconds} s / {standard.qc_seconds} s",
    )


def user_flags(
    facts: dict[int, CheckFacts],
    found: dict[int, list[Flag]],
    reviews: list[Review],
    scope: kpi.Scope,
    user_id: int,
    user_name: str,
) -> kpi.Measure:
    """The open flags counted against one user on the visits of the range."""
    ids = [
        f.visit_id
        for f in sorted(facts.values(), key=lambda f: (f.arrived_at or datetime.min, f.visit_id))
        if _in_scope(f, scope)
    ]
    mine = {vid: [x for x in open_flags(found.get(vid, []), reviews) if x.user_id == user_id] for vid in ids}
    visits = tuple(vid for vid in ids if mine[vid])
    n = sum(len(v) for v in mine.values())
    return kpi.Measure(
        f"integrity.user.{user_id}",
        N_("Checklist flags: {user}"),
        kpi.COUNT,
        Decimal(n),
        n,
        len(visits),
        visits,
        (),
        {"user": user_name},
        {vid: ", ".join(x.rule for x in mine[vid]) for vid in visits},
    )


def flagged_users(found: dict[int, list[Flag]], reviews: list[Review]) -> list[int]:
    """The users with open flags, most first (ties by id)."""
    counts = Counter(x.user_id for v in found.values() for x in open_flags(v, reviews) if x.user_id is not None)
    return [u for u, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
