"""The KPI dashboard's read model: load the records of a date range in a fixed
number of bounded queries (one read transaction), then let :mod:`desk.domain.kpi`
compute every figure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from desk.domain import clocking, integrity, kpi, kpi_plan, timeline
from desk.domain.takings import Takings, takings
from desk.services.context import Service
from desk.store import audit, repo
from desk.store.db import read_session

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from desk.domain.checklist import MotItem
    from desk.store.models import ChecklistOverrideRow

    #: ``repo.hidden_items``: the row, when it was hidden, by whom.
    HiddenItem = tuple[ChecklistOverrideRow, datetime | None, str]

#: A visit is loaded when its board day lies in the range or this many days
#: before it (a car delivered in the range arrived at most this long before).
LOOKBACK_DAYS = 62


@dataclass(frozen=True)
class KpiReport:
    start: datetime
    end: datetime
    advisor_id: int | None
    advisor: str
    rows: list[kpi.Row]
    #: Every visit a figure can be opened to, by id.
    visits: dict[int, kpi.VisitRec]
    #: What the database counted for a figure, by ``figure_id``: its visits are
    #: read a page at a time (``ReportService.kpi_visits_page``).
    counts: dict[tuple[str, str], kpi_plan.Count] = field(default_factory=dict)

    def row(self, key: str) -> kpi.Row:
        return next(r for r in self.rows if r.measure.key == key)


def figure_id(m: kpi.Measure) -> tuple[str, str]:
    """A figure's row: its key and, for a standard changed in the period, its stretch."""
    return m.key, m.params.get("period", "")


#: The figures counted in the first read, painted at once (the headline).
HEADLINE = 12


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole days ``first`` … ``last`` as the half-open ``[start, end)``."""
    return datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())


#: The shop settings a figure is judged against, by their name in kpi.Settings.
STANDARD_KEYS = {
    "greet_within_seconds": "greet_within_seconds",
    "followup_window_hours": "followup_window_hours",
    "late_after_minutes": "late_after_minutes",
    "reminder_day_hours": "reminder_day_hours",
    "reminder_hour_minutes": "reminder_hour_minutes",
    "amount_tolerance_pct": "tolerance_pct",
    "amount_tolerance_abs_cents": "tolerance_abs_cents",
    "comeback_window_days": "comeback_window_days",
    "integrity_walkaround_seconds": "integrity_walkaround_seconds",
    "integrity_qc_seconds": "integrity_qc_seconds",
}


class ReportService(Service):
    """The KPI dashboard's figures and the audit log's check."""

    def kpi_settings(self) -> kpi.Settings:
        """The standards in force and every audited change of them."""
        from desk.services.integrity import IntegrityService

        p, rushed = self.policy, IntegrityService(self.ctx).thresholds()
        changes = self._read(lambda s: repo.setting_changes(session=s, keys=set(STANDARD_KEYS)))
        return kpi.Settings(
            greet_within_seconds=p.greet_within_seconds,
            followup_window_hours=p.followup_window_hours,
            late_after_minutes=p.late_after_minutes,
            tolerance_pct=p.tolerance_pct,
            tolerance_abs_cents=p.tolerance_abs_cents,
            reminder_day_hours=p.reminder_day_hours,
            reminder_hour_minutes=p.reminder_hour_minutes,
            comeback_window_days=p.comeback_window_days,
            integrity_walkaround_seconds=rushed.walkaround_seconds,
            integrity_qc_seconds=rushed.qc_seconds,
            changes=tuple(kpi.StandardChange(STANDARD_KEYS[k], at, before, after) for k, at, before, after in changes),
        )

    def kpi_data(self, start: datetime, end: datetime) -> kpi.KpiData:
        """The records behind every measure of ``[start, end)``."""
        stage_of = {i.id: i.stage for i in self.templates.items}

        def run(s) -> kpi.KpiData:
            data = repo.kpi_data(
                session=s, start=start, end=end, lookback_days=LOOKBACK_DAYS, stage_of=stage_of, totals_fn=self.totals
            )
            data.declined = repo.declined_recs(session=s, start=start, end=end)  # declined work later done
            return data

        return self._read(run)

    def kpi_report(
        self, start: datetime, end: datetime, advisor_id: int | None = None, *, with_trend: bool = True
    ) -> KpiReport:
        """Every dashboard figure of ``[start, end)`` for one advisor (None: the shop)."""
        data = self.kpi_data(start, end)
        scope = kpi.Scope(start=start, end=end, now=self.now(), advisor_id=advisor_id)
        hidden = self._read(lambda s: repo.hidden_items(session=s))
        texts = {i.id: i.text for i in self._base_items()}
        standards = self.kpi_settings()
        extra = (
            self.extra_measures(data, scope, standards)
            + [self.opening_measure(start, end)]
            + self.hidden_measures(hidden, end)
        )
        recommended, since = self.recommended(hidden)
        rows = kpi.report(
            data,
            scope,
            standards,
            stages=[s for s in kpi.MOT_STAGES if s in self.templates.stages],
            item_texts=texts,
            with_trend=with_trend,
            extra=extra,
            recommended=recommended,
            hidden_since=since,
        )
        rows = beside_mot(rows)
        advisor = ""
        if advisor_id is not None:
            advisor = next((u.name for u in self._read(lambda s: repo.users(session=s)) if u.id == advisor_id), "")
        return KpiReport(start, end, advisor_id, advisor, rows, data.visits)

    # ------------------------------------------------------------------ the database's counts

    def kpi_figures(self, start: datetime, end: datetime) -> list[kpi_plan.Figure]:
        """The figures the database counts over ``[start, end)``, in the dashboard's order."""
        items: dict[str, list[str]] = {}
        for i in self.templates.items:
            items.setdefault(i.stage, []).append(i.id)
        return kpi_plan.plan(
            start,
            end,
            self.now(),
            self.kpi_settings(),
            stages=[s for s in kpi.MOT_STAGES if s in self.templates.stages],
            stage_items={k: tuple(v) for k, v in items.items()},
        )

    def kpi_counted(
        self,
        figures: list[kpi_plan.Figure],
        start: datetime,
        end: datetime,
        advisor_id: int | None = None,
        *,
        with_trend: bool = True,
    ) -> list[kpi.Row]:
        """``figures`` counted by the database in one read: each over the period
        with its trend (one aggregate query per figure and step grouping), and the
        shop's beside an advisor's."""
        steps = kpi.buckets(start, end) if with_trend else []
        whole = [(start, end)]

        def run(conn: Connection) -> list[kpi.Row]:
            counts = [f.count for f in figures]
            by_step = repo.kpi_count_many(connection=conn, counts=counts, advisor_id=advisor_id, steps=steps or whole)
            shop = (
                repo.kpi_count_many(connection=conn, counts=counts, advisor_id=None, steps=whole)
                if advisor_id is not None
                else None
            )
            rows = []
            for i, fig in enumerate(figures):
                total = (
                    None
                    if fig.additive and steps
                    else repo.kpi_count(connection=conn, count=fig.count, advisor_id=advisor_id, steps=whole)
                )
                m, trend = kpi_plan.row(fig, by_step[i], len(steps), total)
                beside = kpi_plan.row(fig, shop[i], 0, shop[i])[0] if shop is not None else None
                rows.append(kpi.Row(m, trend, beside))
            return rows

        return self._read_connection(run)

    def kpi_rest(self, start: datetime, end: datetime, advisor_id: int | None, counted: list[kpi.Row]) -> KpiReport:
        """The figures the database does not count yet, computed in Python over
        the period's records (``kpi_report``), after ``counted``."""
        report = self.kpi_report(start, end, advisor_id)
        keys = {r.measure.key for r in counted}
        # the MOT-integrity rows beside the MOT figures the database counted, as the report has them
        return replace(report, rows=beside_mot(counted + [r for r in report.rows if r.measure.key not in keys]))

    def kpi_visits_page(
        self, count: kpi_plan.Count, advisor_id: int | None, offset: int, limit: int
    ) -> tuple[list[kpi.VisitRec], set[int]] | None:
        """A page of the visits behind a figure the database counted, in time
        order, and those of them that meet it; None when the figure is not counted
        over visits."""

        def run(conn: Connection) -> tuple[list[kpi.VisitRec], set[int]] | None:
            page = repo.kpi_count_visits(
                connection=conn, count=count, advisor_id=advisor_id, offset=offset, limit=limit
            )
            if page is None:
                return None
            recs = repo.kpi_visit_recs(connection=conn, ids=[i for i, _ in page])
            return [recs[i] for i, _ in page if i in recs], {i for i, met in page if met}

        return self._read_connection(run)

    def _base_items(self) -> list[MotItem]:
        """The checklist's items with the standard's items the shop hides among
        them (their texts and stages for the figures of the days before)."""
        base = self.ctx.base_templates or self.templates
        shown = {i.id for i in self.templates.items}
        return list(self.templates.items) + [i for i in base.items if i.id not in shown]

    def recommended(self, hidden: Iterable[HiddenItem] = ()) -> tuple[dict[str, tuple[str, ...]], dict[str, datetime]]:
        """Each stage's recommended items that apply to every visit (an item with a
        condition, such as a road test for a noise, is left out: the figures can't
        tell where it applied), and when the shop hid those it hides (``hidden``:
        ``repo.hidden_items``): they count on the visits that arrived before,
        so hiding an item never rewrites the past."""
        since = {r.item_id: at for r, at, _by in hidden if at is not None}
        out: dict[str, list[str]] = {}
        for item in self._base_items():
            in_use = item.id in since or any(i.id == item.id for i in self.templates.items)
            if in_use and not item.required and item.when is None and item.check is None:
                out.setdefault(item.stage, []).append(item.id)
        return {stage: tuple(ids) for stage, ids in out.items()}, since

    def opening_measure(self, start: datetime, end: datetime) -> Callable[[kpi.Scope], kpi.Measure]:
        """The daily opening checklist's done rate (:func:`kpi.opening_checklist`),
        from an aggregate per day, not the visits' records."""
        from desk.domain.setup import OPENING_ITEMS

        ticked, open_days = self._read(
            lambda s: repo.opening_days(session=s, first=start.date(), last=(end - timedelta(microseconds=1)).date())
        )
        return lambda s: kpi.opening_checklist(ticked, open_days, s, len(OPENING_ITEMS))

    def hidden_measures(self, hidden: Iterable[HiddenItem], end: datetime) -> list:
        """What the shop hides of the MOT standard's recommended items, one row
        each with who hid it and when (the report lists it, never a figure); a
        period that ends before it was hidden lists none."""
        from desk.i18n import lang_text

        return [
            lambda s, r=r, at=at, by=by: kpi.hidden_item(r.item_id, lang_text(r.en, r.zh), at, by)
            for r, at, by in hidden
            if at is None or at < end
        ]

    def extra_measures(self, data: kpi.KpiData, scope: kpi.Scope, standards: kpi.Settings) -> list:
        """The measures of records beyond ``data``'s, over the same visits (split
        where their standard changed inside ``scope``)."""
        out: list = []
        # the stage stopwatch: each interval's median and p90
        from desk.services.timeline import TimelineService

        stopwatch = TimelineService(self.ctx)
        out += timeline.measure_fns(stopwatch.clocks(data.visits), stopwatch.standards())
        # honest checklists: MOT integrity, and the open flags per user
        from desk.services.integrity import IntegrityService

        facts, found, reviews = IntegrityService(self.ctx).found(data.visits)
        names = self._read(lambda s: repo.user_names(session=s))
        keys = ("integrity_walkaround_seconds", "integrity_qc_seconds")
        out += kpi.per_standard(
            standards,
            scope,
            keys,
            lambda s, v, p: integrity.integrity(
                facts, found, reviews, s, integrity.Thresholds(int(v[keys[0]]), int(v[keys[1]])), period=p
            ),
        )
        out += [
            lambda s, u=u: integrity.user_flags(facts, found, reviews, s, u, names.get(u, ""))
            for u in integrity.flagged_users(found, reviews)
        ]
        # technician time: sold against clocked hours, the shop's and each technician's
        from desk.services.clocking import ClockingService

        times = ClockingService(self.ctx, workshop=None).time_data(data.visits)
        out.append(lambda s: clocking.efficiency(times, s))
        out += [
            lambda s, t=t: clocking.technician_efficiency(times, s, t, names.get(t, ""))
            for t in clocking.technicians(times)
        ]
        return out

    def takings(self, start: datetime, end: datetime) -> Takings:
        """The revenue, orders paid and average order of ``start`` .. ``end``
        (``desk.domain.takings``: apart from the KPI figures)."""
        return self._read(lambda s: takings(repo.payments_between(session=s, start=start, end=end)))

    def verify_audit(self):
        """Check the audit log's hash chain and its anchor outside the database:
        every problem found (``ChainProblem``)."""
        return self.audit_check().problems

    def audit_check(self):
        """``desk audit verify``: the problems, the count of events and a note
        when there is no anchor yet (:class:`~desk.store.audit.Verified`)."""
        engine = self.ctx.engine
        return self._retry_busy(lambda: audit.verify_anchored(engine, lambda: read_session(engine)))


def beside_mot(rows: list[kpi.Row]) -> list[kpi.Row]:
    """The MOT-integrity rows right after the MOT-compliance ones (kept without
    waiver, the waivers), where a manager reads them together."""
    mine = [r for r in rows if r.measure.key.startswith("integrity")]
    rest = [r for r in rows if not r.measure.key.startswith("integrity")]
    at = max((i for i, r in enumerate(rest) if r.measure.key.startswith(("mot.", "waive"))), default=len(rest) - 1)
    return rest[: at + 1] + mine + rest[at + 1 :]


def measure_label(m: kpi.Measure) -> str:
    """The figure's name in the interface language."""
    from desk.i18n import _

    params = {k: (_(v) if k in ("stage", "cause") else v) for k, v in m.params.items()}
    label = _(m.label, **params)
    # a standard changed inside the period: each stretch says its dates
    return f"{label} [{m.params['period']}]" if m.params.get("period") else label


def measure_base(m: kpi.Measure) -> str:
    """What the figure is computed from: "7/8" for a rate, the count of answers
    or visits otherwise."""
    if m.unit == kpi.PCT:
        return f"{m.num}/{m.den}"
    return str(m.den)
