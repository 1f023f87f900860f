"""Technician time: a technician clocks on and off a line; clocked hours against
the hours sold (efficiency), per technician and per job.

A technician is on one line at a time: clocking on another line clocks off the
one they were on, at the same moment. Finishing a line clocks everyone off it.
A line's sold hours are shared among its technicians by the time each clocked
on it, so two technicians on one job are not both credited with the whole job.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from desk.domain import kpi
from desk.domain.errors import InvalidInput
from desk.i18n import N_


@dataclass(frozen=True)
class Clocking:
    id: int
    visit_id: int
    line_id: int
    technician_id: int
    on_at: datetime
    off_at: datetime | None = None

    def seconds(self, now: datetime) -> int:
        return max(0, int(((self.off_at or now) - self.on_at).total_seconds()))


@dataclass(frozen=True)
class Toggle:
    """What one key does: clock off ``off`` (ids), then on (the line) unless ``on`` is False."""

    on: bool
    off: tuple[int, ...] = ()


def toggle(open_: Iterable[Clocking], technician_id: int, line_id: int, *, line_done: bool) -> Toggle:
    """The technician's key on a line: off when on it; else on it (off any other
    line they are on). A done line cannot be clocked on."""
    mine = [c for c in open_ if c.technician_id == technician_id and c.off_at is None]
    here = [c.id for c in mine if c.line_id == line_id]
    if here:
        return Toggle(False, tuple(here))
    if line_done:
        raise InvalidInput("line", N_("The line is done: nobody can clock on it"))
    return Toggle(True, tuple(c.id for c in mine))


def clocked(clockings: Iterable[Clocking], now: datetime) -> int:
    return sum(c.seconds(now) for c in clockings)


@dataclass(frozen=True)
class LineRec:
    """A labour line as efficiency needs it."""

    visit_id: int
    line_id: int
    description: str
    sold_milli: int  # hours sold × 1000
    done_at: datetime | None


@dataclass(frozen=True)
class TimeData:
    lines: dict[int, LineRec]
    clockings: tuple[Clocking, ...]
    #: visit id -> its advisor (the dashboard's scope) and RO number
    advisors: dict[int, int | None]


def _shares(data: TimeData, scope: kpi.Scope) -> dict[int, dict[int, tuple[int, int]]]:
    """For each line done in the scope: technician -> (sold seconds credited, clocked seconds)."""
    by_line: dict[int, list[Clocking]] = defaultdict(list)
    for c in data.clockings:
        by_line[c.line_id].append(c)
    out: dict[int, dict[int, tuple[int, int]]] = {}
    for lid, ln in data.lines.items():
        if not scope.within(ln.done_at) or lid not in by_line:
            continue
        if scope.advisor_id is not None and data.advisors.get(ln.visit_id) != scope.advisor_id:
            continue
        per: dict[int, int] = defaultdict(int)
        for c in by_line[lid]:
            per[c.technician_id] += c.seconds(scope.now)
        total = sum(per.values())
        sold = ln.sold_milli * 36 // 10
        out[lid] = {t: (sold * s // total if total else 0, s) for t, s in per.items()}
    return out


def _measure(
    key: str,
    label: str,
    data: TimeData,
    shares: dict[int, dict[int, tuple[int, int]]],
    params: dict | None = None,
    who: int | None = None,
) -> kpi.Measure:
    per_visit: dict[int, list[int]] = {}
    for lid, techs in shares.items():
        sold = sum(s for t, (s, _) in techs.items() if who is None or t == who)
        spent = sum(c for t, (_, c) in techs.items() if who is None or t == who)
        if who is not None and who not in techs:
            continue
        acc = per_visit.setdefault(data.lines[lid].visit_id, [0, 0])
        acc[0] += sold
        acc[1] += spent
    sold = sum(a[0] for a in per_visit.values())
    spent = sum(a[1] for a in per_visit.values())
    order = sorted(
        per_visit, key=lambda v: min((data.lines[lid].done_at, lid) for lid in shares if data.lines[lid].visit_id == v)
    )
    value = kpi.pct(sold, spent)
    return kpi.Measure(
        key,
        label,
        kpi.PCT,
        value,
        sold // 60,
        spent // 60,
        tuple(order),
        tuple(v for v in order if per_visit[v][0] >= per_visit[v][1]),
        params or {},
        {v: f"{kpi.hm(per_visit[v][0])} / {kpi.hm(per_visit[v][1])}" for v in order},
    )


def efficiency(data: TimeData, scope: kpi.Scope) -> kpi.Measure:
    """Sold hours of the labour lines done in the range against the hours
    clocked on them, whole shop; each visit (job) noted "sold / clocked"."""
    return _measure("efficiency", N_("Efficiency: sold / clocked hours"), data, _shares(data, scope))


def technician_efficiency(data: TimeData, scope: kpi.Scope, technician_id: int, name: str) -> kpi.Measure:
    """The same for one technician: their share of the sold hours against the
    hours they clocked."""
    return _measure(
        f"efficiency.tech.{technician_id}",
        N_("Efficiency: {user}"),
        data,
        _shares(data, scope),
        {"user": name},
        technician_id,
    )


def technicians(data: TimeData) -> list[int]:
    """The technicians who clocked any time, by id."""
    return sorted({c.technician_id for c in data.clockings})
