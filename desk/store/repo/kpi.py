"""The KPI dashboard's records (desk.domain.kpi computes every figure from them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from desk.domain import kpi
from desk.domain.rules import estimate_lines_of, signed_terms
from desk.store.models import (
    AuthorisationRow,
    ComplaintRow,
    CustomerRow,
    EstimateLineRow,
    FollowUpCallRow,
    MotMarkRow,
    ReminderRow,
    SurveyAnswerRow,
    UserRow,
    VehicleRow,
    VisitRow,
)
from desk.store.repo.mapping import to_authorisation, to_line

__all__ = [
    "kpi_data",
]


def kpi_data(
    *, session: Session, start: datetime, end: datetime, lookback_days: int, stage_of: dict[str, str], totals_fn
) -> kpi.KpiData:
    """The records behind every KPI of ``[start, end)`` in a fixed number of bounded
    queries: the visits of the range and ``lookback_days`` before it, and the
    calls, complaints, authorisations, lines and marks that belong to them."""
    names = {u.id: u.name for u in session.exec(select(UserRow)).all()}
    lo = (start - timedelta(days=lookback_days)).date()
    window = (VisitRow.day >= lo, VisitRow.day <= end.date())

    # calls and complaints of the range (their visits may lie before the window)
    # plain columns, not ORM objects: a long range reads tens of thousands of rows
    calls = session.exec(
        select(
            FollowUpCallRow.id,
            FollowUpCallRow.visit_id,
            FollowUpCallRow.at,
            FollowUpCallRow.outcome,
            FollowUpCallRow.nps,
        ).where(FollowUpCallRow.at >= start, FollowUpCallRow.at < end)
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

    # a customer's first visit makes them new; every later one, returning
    earlier = aliased(VisitRow)
    returning_col = (
        select(earlier.id)
        .where(earlier.customer_id == VisitRow.customer_id, earlier.id < VisitRow.id)
        .exists()
        .label("seen_before")
    )
    visit_cols = (
        select(VisitRow, CustomerRow, VehicleRow, returning_col)
        .join(CustomerRow, CustomerRow.id == VisitRow.customer_id)
        .join(VehicleRow, VehicleRow.id == VisitRow.vehicle_id)
    )
    rows: dict = {}
    returning: dict[int, bool] = {}
    for v, c, veh, again in session.exec(visit_cols.where(*window)).all():
        rows[v.id], returning[v.id] = (v, c, veh), bool(again)
    extra = {c[1] for c in calls} | {c.visit_id for c in complaints if c.visit_id is not None}
    extra |= {v.comeback_of_id for v, _, _ in rows.values() if v.comeback_of_id is not None}
    extra -= set(rows)
    if extra:
        for v, c, veh, again in session.exec(visit_cols.where(col(VisitRow.id).in_(sorted(extra)))).all():
            rows[v.id], returning[v.id] = (v, c, veh), bool(again)

    # money: the authorised amount and the final bill of the visits delivered in the range
    delivered = [v.id for v, _, _ in rows.values() if v.delivered_at is not None and start <= v.delivered_at < end]
    authorised: dict[int, int] = {}
    final: dict[int, int] = {}
    added: list[kpi.AddedLineRec] = []
    approved_at: dict[int, datetime] = {}
    main: dict[int, int] = {}
    auths_by: dict[int, list] = {}
    for auth in session.exec(
        select(AuthorisationRow)
        .join(VisitRow, VisitRow.id == AuthorisationRow.visit_id)
        .where(*window)
        .order_by(AuthorisationRow.at, AuthorisationRow.id)
    ).all():
        vid, amount, for_added, line_ids, at = (
            auth.visit_id,
            auth.amount_cents,
            auth.for_added_work,
            auth.line_ids,
            auth.at,
        )
        auths_by.setdefault(vid, []).append(auth)
        if for_added:
            authorised[vid] = authorised.get(vid, 0) + amount
            for lid in filter(None, line_ids.split(",")):
                approved_at.setdefault(int(lid), at)
        else:
            main[vid] = amount  # the latest signature of the estimate stands
    for vid, amount in main.items():
        authorised[vid] = authorised.get(vid, 0) + amount
    every_line: dict[int, list] = {}

    for ln in session.exec(
        select(EstimateLineRow)
        .join(VisitRow, VisitRow.id == EstimateLineRow.visit_id)
        .where(*window)
        .where(
            or_(and_(VisitRow.delivered_at >= start, VisitRow.delivered_at < end), col(EstimateLineRow.added_in_repair))
        )
        .order_by(EstimateLineRow.position, EstimateLineRow.id)
    ).all():
        if ln.visit_id in rows:
            every_line.setdefault(ln.visit_id, []).append(to_line(ln))
        if ln.added_in_repair:
            added.append(
                kpi.AddedLineRec(
                    visit_id=ln.visit_id,
                    line_id=ln.id,
                    approval=ln.approval,
                    approved_at=approved_at.get(ln.id),
                    done_at=ln.done_at,
                )
            )
    for vid in delivered:
        # the approved lines, priced as signed while a signature covers the estimate
        # (never with a member discount or tax rate changed since)
        visit_lines = every_line.get(vid, [])
        signed = signed_terms(
            sorted((to_authorisation(a) for a in auths_by.get(vid, [])), key=lambda a: a.id),
            rows[vid][0].estimate_version,
            estimate_lines_of(visit_lines),
        )
        approved = [ln for ln in visit_lines if ln.approval == "approved"]
        final[vid] = totals_fn(approved, rows[vid][1], signed).total

    # MOT marks: the latest mark of each item stands
    latest: dict[tuple[int, str], str] = {}
    for vid, item, kind in session.exec(
        select(MotMarkRow.visit_id, MotMarkRow.item_id, MotMarkRow.kind)
        .join(VisitRow, VisitRow.id == MotMarkRow.visit_id)
        .where(*window)
        .order_by(MotMarkRow.id)
    ).all():
        latest[(vid, item)] = kind
    marks = [kpi.MarkRec(vid, item, stage_of.get(item, ""), kind) for (vid, item), kind in latest.items()]

    visits = {
        v.id: kpi.VisitRec(
            id=v.id,
            number=v.number,
            day=v.day,
            advisor_id=v.advisor_id,
            advisor=names.get(v.advisor_id, ""),
            technician_id=v.technician_id,
            technician=names.get(v.technician_id, ""),
            customer_id=v.customer_id,
            customer=c.name,
            plate=veh.plate,
            stage=v.stage,
            walk_in=v.walk_in,
            appointment_at=v.appointment_at,
            arrived_at=v.arrived_at,
            reception_at=v.reception_at,
            promised_at=v.promised_at,
            signed_promised_at=v.signed_promised_at,
            repair_started_at=v.repair_started_at,
            ready_at=v.ready_at,
            delivered_at=v.delivered_at,
            comeback_of_id=v.comeback_of_id,
            comeback_cause=v.comeback_cause,
            comeback_technician_id=v.comeback_technician_id,
            authorised_cents=authorised.get(v.id, 0),
            final_cents=final.get(v.id),
            returning=returning.get(v.id, False),
            notified_by=v.notified_by,
        )
        for v, c, veh in rows.values()
    }
    # the reminder and late-call tasks of the appointments in the window
    reminders = [
        kpi.ReminderRec(vid, kind, done)
        for vid, kind, done in session.exec(
            select(ReminderRow.visit_id, ReminderRow.kind, ReminderRow.done_at)
            .join(VisitRow, VisitRow.id == ReminderRow.visit_id)
            .where(*window)
            .order_by(ReminderRow.id)
        ).all()
    ]
    return kpi.KpiData(
        reminders=reminders,
        visits=visits,
        marks=marks,
        added=added,
        calls=[kpi.CallRec(vid, at, outcome, nps, tuple(scores.get(cid, ()))) for cid, vid, at, outcome, nps in calls],
        complaints=[
            kpi.ComplaintRec(c.id, c.visit_id, c.customer_id, c.opened_at, c.closed_at, c.severity) for c in complaints
        ],
    )
