"""The KPI figures the database counts: for each, what to count over which
stretch of the period and by which standard (a :class:`Count`); the store
answers with counts per trend step (``desk.store.repo.kpi_counts``) and
:func:`measure` turns them into the same :class:`~desk.domain.kpi.Measure` as
the Python computation over records (:mod:`desk.domain.kpi`, the reference a
test holds every figure here against).

The meaning stays here and in :mod:`desk.domain.kpi`: the labels, the
standards, a period cut where a standard changed (``Settings.periods``), which
anchor a figure counts by. The store only counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from desk.domain import kpi
from desk.domain.survey import CSI_FACTORS
from desk.i18n import N_

#: ``(step, group) -> (num, den)``: a count's answer (group "" but for figures
#: counted per CSI factor).
Tally = dict[tuple[int, str], tuple[int, int]]


#: The counts over visits: their drill-down pages through the visits counted.
OVER_VISITS = frozenset(
    {
        "greeting",
        "appointment_share",
        "returning",
        "no_show",
        "mot_stage",
        "frft",
        "comeback",
        "on_time",
        "same_advisor",
        "followup",
        "followup_reach",
        "duration",
    }
)


@dataclass(frozen=True)
class Count:
    """What the database counts for one figure: ``kind`` names the count (the
    store has one query per kind), over ``[start, end)`` (the period, or its
    stretch under one standard), ``args`` the standard it is judged by."""

    kind: str
    start: datetime
    end: datetime
    args: tuple = ()


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    count: Count
    #: A step's groups -> (value, num, den).
    value: Callable[[dict[str, tuple[int, int]]], tuple[Decimal | None, int, int]]
    params: dict = field(default_factory=dict)
    standard: str = ""
    #: False: a step's counts do not add up to the period's (an "open at the
    #: end" figure): the store counts the whole period apart.
    additive: bool = True


def _rate(groups: dict[str, tuple[int, int]]) -> tuple[Decimal | None, int, int]:
    num, den = groups.get("", (0, 0))
    return kpi.pct(num, den), num, den


def _count(groups: dict[str, tuple[int, int]]) -> tuple[Decimal | None, int, int]:
    num, den = groups.get("", (0, 0))
    return Decimal(num), num, den


def _mean(groups: dict[str, tuple[int, int]]) -> tuple[Decimal | None, int, int]:
    total, n = groups.get("", (0, 0))
    if n == 0:
        return None, total, n
    return (Decimal(total) / Decimal(n)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), total, n


def _mean_of_means(groups: dict[str, tuple[int, int]]) -> tuple[Decimal | None, int, int]:
    """``kpi.csi_overall``: the mean of each answered factor's mean score."""
    per = [(t, n) for t, n in groups.values() if n]
    means = [Decimal(t) / n for t, n in per]
    value = (sum(means, Decimal(0)) / len(means)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if means else None
    return value, sum(n for _, n in per), len(per)


def _nps(groups: dict[str, tuple[int, int]]) -> tuple[Decimal | None, int, int]:
    net, n = groups.get("", (0, 0))
    if n == 0:
        return None, net, n
    return (Decimal(net) * 100 / n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), net, n


def _per_100(groups: dict[str, tuple[int, int]]) -> tuple[Decimal | None, int, int]:
    num, den = groups.get("", (0, 0))
    if den == 0:
        return None, num, den
    return (Decimal(num) * 100 / den).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), num, den


def _count_of_base(groups: dict[str, tuple[int, int]]) -> tuple[Decimal | None, int, int]:
    """``complaints_open``: the value is the base (those open), num those overdue."""
    num, den = groups.get("", (0, 0))
    return Decimal(den), num, den


def _split(
    settings: kpi.Settings, start: datetime, end: datetime, keys: tuple[str, ...]
) -> list[tuple[datetime, datetime, dict, str]]:
    """``kpi._per_standard``'s stretches: one per standard in force, each with its
    dates when the standard changed inside the period."""
    periods = settings.periods(keys, start, end)
    split = len(periods) > 1
    return [(a, b, v, kpi._stretch(a, b) if split else "") for a, b, v in periods]


def plan(
    start: datetime,
    end: datetime,
    now: datetime,
    settings: kpi.Settings,
    *,
    stages: Iterable[str] = kpi.MOT_STAGES,
    stage_items: dict[str, tuple[str, ...]] | None = None,
) -> list[Figure]:
    """The figures the database counts over ``[start, end)`` looked at ``now``,
    in the dashboard's order. ``stage_items``: each stage's MOT item ids (a waiver
    of one of them counts against its stage)."""
    items = stage_items or {}

    def c(kind: str, *args: object, a: datetime = start, b: datetime = end) -> Count:
        return Count(kind, a, b, args)

    out: list[Figure] = []
    for a, b, v, period in _split(settings, start, end, ("greet_within_seconds",)):
        secs = int(v["greet_within_seconds"])
        out.append(
            Figure(
                "greeting",
                N_("Greeted within {seconds} s"),
                kpi.PCT,
                c("greeting", secs, a=a, b=b),
                _rate,
                kpi._params(period, seconds=secs),
                f"{secs} s",
            )
        )
    out += [
        Figure("appointment_share", N_("Appointment share of visits"), kpi.PCT, c("appointment_share"), _rate),
        Figure("returning", N_("Returning customers' share of visits"), kpi.PCT, c("returning"), _rate),
        Figure("no_show", N_("No-show rate"), kpi.PCT, c("no_show"), _rate),
    ]
    for stage in stages:
        later = tuple(s for s in kpi._ORDER if kpi._passed(stage, s))
        out.append(
            Figure(
                f"mot.{stage}",
                N_("MOT kept without waiver: {stage}"),
                kpi.PCT,
                c("mot_stage", later, items.get(stage, ())),
                _rate,
                {"stage": kpi._STAGE_MSGIDS.get(stage, stage)},
            )
        )
    out += [
        Figure("waivers", N_("MOT items waived"), kpi.COUNT, c("waivers"), _count),
    ]
    # the comeback window is a standard with a history: each stretch states its own
    window = _split(settings, start, end, ("comeback_window_days",))
    for key, label in (
        ("frft", N_("Fixed right first time (no comeback within {days} d)")),
        ("comeback", N_("Comeback rate (within {days} d)")),
    ):
        for a, b, v, period in window:
            days = int(v["comeback_window_days"])
            out.append(
                Figure(key, label, kpi.PCT, c(key, a=a, b=b), _rate, kpi._params(period, days=days), f"{days} d")
            )
    out += [
        Figure("on_time", N_("Ready by the promised time"), kpi.PCT, c("on_time"), _rate),
        Figure("same_advisor", N_("Completion told by the receiving advisor"), kpi.PCT, c("same_advisor"), _rate),
    ]
    for a, b, v, period in _split(settings, start, end, ("followup_window_hours",)):
        hours = int(v["followup_window_hours"])
        out.append(
            Figure(
                "followup",
                N_("Follow-up call within {hours} h"),
                kpi.PCT,
                c("followup", hours, now, start, end, a=a, b=b),
                _rate,
                kpi._params(period, hours=hours),
                f"{hours} h",
            )
        )
    reach = {
        "reached": N_("Follow-up: customer reached"),
        "unreached": N_("Follow-up: not reached (yet)"),
        "wrong_number": N_("Follow-up: wrong number"),
    }
    out += [
        Figure(f"followup.{o}", label, kpi.PCT, c("followup_reach", o, start, end), _rate) for o, label in reach.items()
    ]
    out += [Figure(f"csi.{f}", kpi.CSI_FACTOR_LABELS.get(f, f), kpi.SCORE, c("csi", f), _mean) for f in CSI_FACTORS]
    day = timedelta(hours=24)
    out += [
        Figure("csi.overall", N_("CSI overall (mean of the factors)"), kpi.SCORE, c("csi_factors"), _mean_of_means),
        Figure("satisfied", N_("Answers satisfied or very satisfied (top 2 of 5)"), kpi.PCT, c("satisfied"), _rate),
        Figure("nps", N_("NPS (promoters minus detractors)"), kpi.NPS, c("nps"), _nps),
        Figure("complaints", N_("Complaints opened"), kpi.COUNT, c("complaints"), _count),
        Figure(
            "complaints_open",
            N_("Complaints open (of them over 24 h)"),
            kpi.COUNT,
            c("complaints_open", now, day),
            _count_of_base,
            additive=False,
        ),
        Figure(
            "complaints_overdue",
            N_("Complaints overdue (open over {hours} h)"),
            kpi.COUNT,
            c("complaints_overdue", now, day),
            _count,
            {"hours": "24"},
            "24 h",
            additive=False,
        ),
    ]
    out += [
        Figure(f"complaints.{sev}", kpi.SEVERITY_LABELS[sev], kpi.COUNT, c("complaints_severity", sev), _count)
        for sev in ("ordinary", "major")
    ]
    out += [
        Figure("complaints_24h", N_("Complaints resolved within 24 h"), kpi.PCT, c("complaints_24h", now, day), _rate),
        Figure("complaints_per_100", N_("Complaints per 100 visits"), kpi.COUNT, c("complaints_per_100"), _per_100),
        Figure("complaints_repeat", N_("Repeat complaints"), kpi.COUNT, c("complaints_repeat"), _count),
    ]
    for band, (lo, hi, label) in enumerate(kpi.DURATION_BANDS):
        out.append(Figure(f"duration.{band}", label, kpi.PCT, c("duration", lo * 3600, hi and hi * 3600), _rate))
    return out


def _groups(tally: Tally, step: int) -> dict[str, tuple[int, int]]:
    return {g: v for (s, g), v in tally.items() if s == step}


def _measure(fig: Figure, groups: dict[str, tuple[int, int]]) -> kpi.Measure:
    value, num, den = fig.value(groups)
    return kpi.Measure(fig.key, fig.label, fig.unit, value, num, den, params=fig.params, standard=fig.standard)


def row(fig: Figure, by_step: Tally, steps: int, total: Tally | None = None) -> tuple[kpi.Measure, tuple]:
    """The figure over the period and its trend: ``by_step`` counted per trend
    step (``steps`` of them); ``total`` the whole period's count when the steps
    do not add up to it (else their sum)."""
    if total is None:
        summed: dict[str, tuple[int, int]] = {}
        for (_s, g), (n, d) in by_step.items():
            a, b = summed.get(g, (0, 0))
            summed[g] = (a + n, b + d)
        whole = summed
    else:
        whole = _groups(total, 0)
    trend = tuple(fig.value(_groups(by_step, i))[0] for i in range(steps)) if steps else ()
    return _measure(fig, whole), trend
