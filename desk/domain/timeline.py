"""The stage stopwatch: a visit's milestones, the intervals between them and
each interval against its standard (spec: CSI on time — 及时的交接流程,
维修总共所花的时间, 及时的取车流程).

Every milestone is a fact already recorded (the store reads them; nothing is
stored twice):

=============  =====================================================
booked         the appointment was made (``visit.created_at``; none for a walk-in)
arrived        the car arrived (``arrived_at``): measured against the appointment
               time, early or late, not from the booking
greeted        reception started (``reception_at``, RCP-01)
written_up     the walkaround was finished (the move to ESTIMATE)
presented      the estimate was explained (EST-06 ticked)
signed         the customer signed the estimate: the signature that covers it now
               (a signature voided by a later change of the estimate is no
               milestone; it is listed as void, ``VisitClock.void_signed``)
started        the first line was started (``repair_started_at``, EST-09)
work_done      the last line was done
qc_passed      the inspector confirmed the fix (QC-03 ticked)
washed         the car was washed (QC-05 ticked)
ready          the car was ready (``ready_at``)
told           the customer was told (``visit.notified``, DLV-03)
delivered      the car was handed back (``delivered_at``)
followed_up    the follow-up call reached the customer
=============  =====================================================

An interval runs from the last milestone before it that is recorded, and not
later than it, to the milestone itself, so a skipped step (no wash) does not
leave a hole and no interval ends before it starts (a step re-done after a later
one, EST-06 ticked again after a signature, starts nothing backwards). Each line
has its own interval (started → done) against the hours sold for it.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from desk.domain import kpi
from desk.i18n import N_

#: The milestones in process order, with their names.
MILESTONES: tuple[tuple[str, str], ...] = (
    ("booked", N_("Booked")),
    ("arrived", N_("Arrived")),
    ("greeted", N_("Greeted")),
    ("written_up", N_("Write-up done")),
    ("presented", N_("Estimate presented")),
    ("signed", N_("Signed")),
    ("started", N_("Repair started")),
    ("work_done", N_("Work done")),
    ("qc_passed", N_("QC passed")),
    ("washed", N_("Washed")),
    ("ready", N_("Ready")),
    ("told", N_("Customer told")),
    ("delivered", N_("Delivered")),
    ("followed_up", N_("Followed up")),
)
KEYS = tuple(k for k, _ in MILESTONES)
LABELS = dict(MILESTONES)

#: The shop setting holding the standard (minutes) of the interval ending at a
#: milestone; greeted and followed_up use the policy's own figures and work_done
#: the hours sold (see :func:`standards`).
STANDARD_SETTINGS: dict[str, str] = {
    "written_up": "std_writeup_minutes",
    "presented": "std_estimate_minutes",
    "signed": "std_sign_minutes",
    "started": "std_start_minutes",
    "qc_passed": "std_qc_minutes",
    "washed": "std_wash_minutes",
    "ready": "std_ready_minutes",
    "told": "std_notify_minutes",
}
#: Defaults a service lane keeps on a normal day (minutes).
DEFAULT_MINUTES: dict[str, int] = {
    "written_up": 20,
    "presented": 15,
    "signed": 15,
    "started": 15,
    "qc_passed": 30,
    "washed": 30,
    "ready": 15,
    "told": 10,
}


@dataclass(frozen=True)
class LineClock:
    line_id: int
    description: str
    started_at: datetime | None = None
    done_at: datetime | None = None
    #: Hours sold for the line × 1000 (labour lines; 0 for parts).
    sold_milli: int = 0


@dataclass(frozen=True)
class VisitClock:
    """The recorded facts of one visit's timeline."""

    visit_id: int
    number: str = ""
    advisor_id: int | None = None
    stage: str = "BOOKED"
    at: dict[str, datetime] = field(default_factory=dict)
    lines: tuple[LineClock, ...] = ()
    #: The appointment time (none for a walk-in): arrival is early or late against it.
    appointment_at: datetime | None = None
    #: The times of the customer's signatures a later change of the estimate voided.
    void_signed: tuple[datetime, ...] = ()

    def sold_seconds(self) -> int:
        return sum(ln.sold_milli for ln in self.lines) * 36 // 10

    def milestones(self) -> list[tuple[str, datetime]]:
        """The recorded milestones in process order (work_done from the lines)."""
        at = dict(self.at)
        if self.lines and all(ln.done_at for ln in self.lines):
            at["work_done"] = max(ln.done_at for ln in self.lines)
        return [(k, at[k]) for k in KEYS if at.get(k) is not None]


@dataclass(frozen=True)
class Interval:
    key: str  # the milestone it ends at, or "line:<id>"
    label: str  # an English msgid (a line's interval: its description, literal)
    start: datetime
    end: datetime | None  # None: still running
    standard_seconds: int | None

    #: The arrival's interval: the car came this long before the appointment
    #: (``start`` is then the arrival, ``end`` the appointment time).
    early: bool = False

    def seconds(self, now: datetime) -> int:
        return max(0, int(((self.end or now) - self.start).total_seconds()))

    def over(self, now: datetime) -> bool:
        return self.standard_seconds is not None and self.seconds(now) > self.standard_seconds


def standards(
    settings,
    *,
    greet_within_seconds: int = 60,
    followup_window_hours: int = 72,
) -> dict[str, int]:
    """Each milestone's standard in seconds, from the shop settings (any object
    with the ``std_*_minutes`` attributes; missing ones take the defaults)."""
    out = {
        k: 60 * int(getattr(settings, s, DEFAULT_MINUTES[k]) if settings is not None else DEFAULT_MINUTES[k])
        for k, s in STANDARD_SETTINGS.items()
    }
    out["greeted"] = greet_within_seconds
    out["followed_up"] = followup_window_hours * 3600
    return out


def _standard(key: str, clock: VisitClock, stds: dict[str, int]) -> int | None:
    if key == "work_done":
        return clock.sold_seconds() or None
    return stds.get(key)


def intervals(clock: VisitClock, stds: dict[str, int]) -> list[Interval]:
    """The closed intervals between the recorded milestones, then each line's.
    The arrival's is its lateness against the appointment (:func:`lateness`); an
    interval starts at the last earlier milestone not after its end."""
    out = []
    ms = clock.milestones()
    for i, (key, b) in enumerate(ms):
        if key == "arrived":
            if clock.appointment_at is not None:
                out.append(lateness(clock.appointment_at, b))
            continue
        a = next((t for _k, t in reversed(ms[:i]) if t <= b), None)
        if i and a is not None:
            out.append(Interval(key, LABELS[key], a, b, _standard(key, clock, stds)))
    for ln in clock.lines:
        if ln.started_at is not None:
            out.append(
                Interval(
                    f"line:{ln.line_id}", ln.description, ln.started_at, ln.done_at, ln.sold_milli * 36 // 10 or None
                )
            )
    return out


def lateness(appointment_at: datetime, arrived_at: datetime) -> Interval:
    """The arrival against the appointment time: late from the appointment to the
    arrival, or ``early`` from the arrival to the appointment (never backwards).
    The customer's time, not the shop's: no standard."""
    if arrived_at < appointment_at:
        return Interval("arrived", LABELS["arrived"], arrived_at, appointment_at, None, early=True)
    return Interval("arrived", LABELS["arrived"], appointment_at, arrived_at, None)


#: The milestone a visit in a stage waits for next, when it is not yet recorded
#: (in order: the first one missing is the one running).
_WAITS: dict[str, tuple[str, ...]] = {
    "RECEPTION": ("greeted", "written_up"),
    "WALKAROUND": ("written_up",),
    "ESTIMATE": ("presented", "signed", "started"),
    "IN_REPAIR": ("started", "work_done"),
    "QC": ("qc_passed", "washed", "ready"),
    "READY": ("told", "delivered"),
}


def running(clock: VisitClock, stds: dict[str, int]) -> Interval | None:
    """The interval running now: from the last recorded milestone to the next
    one the visit's stage waits for (None when it waits for nothing timed)."""
    ms = clock.milestones()
    if not ms:
        return None
    have = {k for k, _ in ms}
    nxt = next((k for k in _WAITS.get(clock.stage, ()) if k not in have), None)
    if nxt is None:
        return None
    before = [(k, t) for k, t in ms if KEYS.index(k) < KEYS.index(nxt)]
    if not before:
        return None
    return Interval(nxt, LABELS[nxt], before[-1][1], None, _standard(nxt, clock, stds))


def over_standard(clock: VisitClock, stds: dict[str, int], now: datetime) -> Interval | None:
    """The running interval when it has run over its standard (boards colour it)."""
    iv = running(clock, stds)
    return iv if iv is not None and iv.over(now) else None


# --------------------------------------------------------------------------- distribution

MINUTES = "min"
#: The intervals the dashboard shows (the milestones that have one before them).
MEASURED = tuple(k for k in KEYS if k not in ("booked", "arrived"))


def percentile(values: Iterable[float], p: int) -> float | None:
    """The nearest-rank ``p``-th percentile (p50 of 1, 2, 3, 4 is 2; p90 of ten is the 9th)."""
    vals = sorted(values)
    if not vals:
        return None
    rank = max(1, math.ceil(p * len(vals) / 100))
    return vals[rank - 1]


def _minutes(seconds: float | None) -> Decimal | None:
    if seconds is None:
        return None
    return (Decimal(int(seconds)) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


#: Each interval's closed occurrences over the visits, in (end, visit) order:
#: ``(ends, [(end, visit_id, advisor_id, interval)])``.
Ended = dict[str, tuple[list[datetime], list[tuple[datetime, int, int | None, Interval]]]]


def ended_intervals(clocks: dict[int, VisitClock], stds: dict[str, int]) -> Ended:
    """Every visit's closed intervals by key, each visit's first of a key, in
    (end, visit) order: worked out once for all the figures and every step of
    their trends (a step then takes the slice of its range)."""
    found: dict[str, list[tuple[datetime, int, int | None, Interval]]] = {}
    for c in clocks.values():
        seen: set[str] = set()
        for iv in intervals(c, stds):
            if iv.key in seen:
                continue
            seen.add(iv.key)
            if iv.end is not None:
                found.setdefault(iv.key, []).append((iv.end, c.visit_id, c.advisor_id, iv))
    out: Ended = {}
    for key, rows in found.items():
        rows.sort(key=lambda r: (r[0], r[1]))
        out[key] = ([r[0] for r in rows], rows)
    return out


def interval_measure(
    clocks: dict[int, VisitClock],
    scope: kpi.Scope,
    key: str,
    p: int,
    stds: dict[str, int],
    ended: Ended | None = None,
) -> kpi.Measure:
    """The ``p``-th percentile (minutes) of interval ``key`` over the visits whose
    interval ended in the scope; the visits within standard are its hits.
    ``ended``: :func:`ended_intervals` of the same clocks, when already worked out."""
    ends, every = (ended if ended is not None else ended_intervals(clocks, stds)).get(key, ([], []))
    rows = [
        (end, vid, iv)
        for end, vid, advisor, iv in every[bisect_left(ends, scope.start) : bisect_left(ends, scope.end)]
        if scope.advisor_id is None or advisor == scope.advisor_id
    ]
    secs = [iv.seconds(scope.now) for _, _, iv in rows]
    std = stds.get(key)
    label = N_("{stage}: median (min)") if p == 50 else N_("{stage}: p90 (min)")
    return kpi.Measure(
        f"interval.{key}.p{p}",
        label,
        MINUTES,
        _minutes(percentile(secs, p)),
        len(rows),
        len(rows),
        tuple(v for _, v, _ in rows),
        tuple(v for _, v, iv in rows if not iv.over(scope.now)),
        {"stage": LABELS[key], "standard": kpi.hm(std) if std else ""},
        {v: kpi.hm(iv.seconds(scope.now)) for _, v, iv in rows},
    )


def measure_fns(clocks: dict[int, VisitClock], stds: dict[str, int]) -> list[Callable[[kpi.Scope], kpi.Measure]]:
    """The dashboard's interval rows: median then p90 of each measured interval."""
    ended: list[Ended] = []  # worked out by the first figure asked for

    def measure(s: kpi.Scope, key: str, p: int) -> kpi.Measure:
        if not ended:
            ended.append(ended_intervals(clocks, stds))
        return interval_measure(clocks, s, key, p, stds, ended[0])

    return [lambda s, k=k, p=p: measure(s, k, p) for k in MEASURED for p in (50, 90)]
