"""The KPI dashboard's read model: load the records of a date range in a fixed
number of bounded queries (one read transaction), then let :mod:`desk.domain.kpi`
compute every figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from desk.domain import kpi
from desk.services.context import Service
from desk.store import audit, repo
from desk.store.models import (
    AuthorisationRow,
    ComplaintRow,
    CustomerRow,
    EstimateLineRow,
    FollowUpCallRow,
    MotMarkRow,
    SurveyAnswerRow,
    UserRow,
    VehicleRow,
    VisitRow,
)

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

    def row(self, key: str) -> kpi.Row:
        return next(r for r in self.rows if r.measure.key == key)


def day_range(first: date, last: date) -> tuple[datetime, datetime]:
    """Whole days ``first`` … ``last`` as the half-open ``[start, end)``."""
    return datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())


class ReportService(Service):
    """The KPI dashboard's figures and the audit log's check."""

    def kpi_settings(self) -> kpi.Settings:
        p = self.policy
        return kpi.Settings(greet_within_seconds=p.greet_within_seconds, followup_window_hours=p.followup_window_hours,
                            tolerance_pct=p.tolerance_pct, tolerance_abs_cents=p.tolerance_abs_cents)

    def kpi_data(self, start: datetime, end: datetime) -> kpi.KpiData:
        """The records behind every measure of ``[start, end)``."""
        return self._read(lambda s: self._kpi_data(s, start, end))

    def _kpi_data(self, session: Session, start: datetime, end: datetime) -> kpi.KpiData:
        names = {u.id: u.name for u in session.exec(select(UserRow)).all()}
        lo = (start - timedelta(days=LOOKBACK_DAYS)).date()
        window = (VisitRow.day >= lo, VisitRow.day <= end.date())

        # calls and complaints of the range (their visits may lie before the window)
        # plain columns, not ORM objects: a long range reads tens of thousands of rows
        calls = session.exec(
            select(FollowUpCallRow.id, FollowUpCallRow.visit_id, FollowUpCallRow.at, FollowUpCallRow.outcome,
                   FollowUpCallRow.nps).where(FollowUpCallRow.at >= start, FollowUpCallRow.at < end)
        ).all()
        scores: dict[int, list[tuple[str, int]]] = {}
        if calls:
            for call_id, factor, score in session.exec(
                select(SurveyAnswerRow.call_id, SurveyAnswerRow.factor, SurveyAnswerRow.score)
                .join(FollowUpCallRow, FollowUpCallRow.id == SurveyAnswerRow.call_id)
                .where(FollowUpCallRow.at >= start, FollowUpCallRow.at < end)
                .order_by(SurveyAnswerRow.id)
            ).all():
                scores.setdefault(call_id, []).append((factor, score))
        in_range = select(ComplaintRow.customer_id).where(ComplaintRow.opened_at >= start, ComplaintRow.opened_at < end)
        complaints = session.exec(
            select(ComplaintRow).where(col(ComplaintRow.customer_id).in_(in_range), ComplaintRow.opened_at < end)
        ).all()

        visit_cols = select(VisitRow, CustomerRow, VehicleRow).join(
            CustomerRow, CustomerRow.id == VisitRow.customer_id
        ).join(VehicleRow, VehicleRow.id == VisitRow.vehicle_id)
        rows = {v.id: (v, c, veh) for v, c, veh in session.exec(visit_cols.where(*window)).all()}
        extra = {c[1] for c in calls} | {c.visit_id for c in complaints if c.visit_id is not None}
        extra |= {v.comeback_of_id for v, _, _ in rows.values() if v.comeback_of_id is not None}
        extra -= set(rows)
        if extra:
            for v, c, veh in session.exec(visit_cols.where(col(VisitRow.id).in_(sorted(extra)))).all():
                rows[v.id] = (v, c, veh)

        # money: the authorised amount and the final bill of the visits delivered in the range
        delivered = [v.id for v, _, _ in rows.values() if v.delivered_at is not None and start <= v.delivered_at < end]
        authorised: dict[int, int] = {}
        final: dict[int, int] = {}
        added: list[kpi.AddedLineRec] = []
        approved_at: dict[int, datetime] = {}
        main: dict[int, int] = {}
        for vid, amount, for_added, line_ids, at in session.exec(
            select(AuthorisationRow.visit_id, AuthorisationRow.amount_cents, AuthorisationRow.for_added_work,
                   AuthorisationRow.line_ids, AuthorisationRow.at)
            .join(VisitRow, VisitRow.id == AuthorisationRow.visit_id).where(*window)
            .order_by(AuthorisationRow.at, AuthorisationRow.id)
        ).all():
            if for_added:
                authorised[vid] = authorised.get(vid, 0) + amount
                for lid in filter(None, line_ids.split(",")):
                    approved_at.setdefault(int(lid), at)
            else:
                main[vid] = amount  # the latest signature of the estimate stands
        for vid, amount in main.items():
            authorised[vid] = authorised.get(vid, 0) + amount
        lines_by: dict[int, list] = {}
        from desk.store import repo

        for ln in session.exec(
            select(EstimateLineRow).join(VisitRow, VisitRow.id == EstimateLineRow.visit_id).where(*window)
            .where(or_(and_(VisitRow.delivered_at >= start, VisitRow.delivered_at < end),
                       col(EstimateLineRow.added_in_repair)))
            .order_by(EstimateLineRow.position, EstimateLineRow.id)
        ).all():
            if ln.visit_id in rows and ln.approval == "approved":
                lines_by.setdefault(ln.visit_id, []).append(repo.to_line(ln))
            if ln.added_in_repair:
                added.append(kpi.AddedLineRec(visit_id=ln.visit_id, line_id=ln.id, approval=ln.approval,
                                              approved_at=approved_at.get(ln.id), done_at=ln.done_at))
        for vid in delivered:
            final[vid] = self.totals(lines_by.get(vid, []), rows[vid][1]).total

        # MOT marks: the latest mark of each item stands
        stage_of = {i.id: i.stage for i in self.templates.items}
        latest: dict[tuple[int, str], str] = {}
        for vid, item, kind in session.exec(
            select(MotMarkRow.visit_id, MotMarkRow.item_id, MotMarkRow.kind)
            .join(VisitRow, VisitRow.id == MotMarkRow.visit_id).where(*window).order_by(MotMarkRow.id)
        ).all():
            latest[(vid, item)] = kind
        marks = [kpi.MarkRec(vid, item, stage_of.get(item, ""), kind) for (vid, item), kind in latest.items()]

        visits = {
            v.id: kpi.VisitRec(
                id=v.id, number=v.number, day=v.day, advisor_id=v.advisor_id, advisor=names.get(v.advisor_id, ""),
                technician_id=v.technician_id, technician=names.get(v.technician_id, ""), customer_id=v.customer_id,
                customer=c.name, plate=veh.plate, stage=v.stage, walk_in=v.walk_in, appointment_at=v.appointment_at,
                arrived_at=v.arrived_at, reception_at=v.reception_at, promised_at=v.promised_at,
                repair_started_at=v.repair_started_at, ready_at=v.ready_at,
                delivered_at=v.delivered_at, comeback_of_id=v.comeback_of_id,
                authorised_cents=authorised.get(v.id, 0), final_cents=final.get(v.id),
            )
            for v, c, veh in rows.values()
        }
        return kpi.KpiData(
            visits=visits,
            marks=marks,
            added=added,
            calls=[kpi.CallRec(vid, at, outcome, nps, tuple(scores.get(cid, ())))
                   for cid, vid, at, outcome, nps in calls],
            complaints=[kpi.ComplaintRec(c.id, c.visit_id, c.customer_id, c.opened_at, c.closed_at)
                        for c in complaints],
        )

    def kpi_report(self, start: datetime, end: datetime, advisor_id: int | None = None, *,
                   with_trend: bool = True) -> KpiReport:
        """Every dashboard figure of ``[start, end)`` for one advisor (None: the shop)."""
        data = self.kpi_data(start, end)
        scope = kpi.Scope(start=start, end=end, now=self.now(), advisor_id=advisor_id)
        texts = {i.id: i.text for i in self.templates.items}
        rows = kpi.report(data, scope, self.kpi_settings(), stages=[s for s in kpi.MOT_STAGES
                                                                    if s in self.templates.stages],
                          item_texts=texts, with_trend=with_trend)
        advisor = ""
        if advisor_id is not None:
            advisor = next((u.name for u in self._read(lambda s: repo.users(session=s)) if u.id == advisor_id), "")
        return KpiReport(start, end, advisor_id, advisor, rows, data.visits)

    def verify_audit(self):
        """Check the audit log's hash chain (``desk audit verify``)."""
        return self._read(lambda s: audit.verify(s))


def measure_label(m: kpi.Measure) -> str:
    """The figure's name in the interface language."""
    from desk.i18n import _

    params = {k: (_(v) if k == "stage" else v) for k, v in m.params.items()}
    return _(m.label, **params)


def measure_base(m: kpi.Measure) -> str:
    """What the figure is computed from: "7/8" for a rate, the count of answers
    or visits otherwise."""
    if m.unit == kpi.PCT:
        return f"{m.num}/{m.den}"
    return str(m.den)
