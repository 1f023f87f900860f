"""Honest checklists' facts (desk.domain.integrity) and the managers' reviews,
read in bounded queries per 500 visits."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from desk.domain.integrity import Call, CheckFacts, Review, Tick
from desk.store.models import (
    AuditEventRow,
    EstimateLineRow,
    FollowUpCallRow,
    IntegrityReviewRow,
    MotMarkRow,
    OdometerRow,
    SurveyAnswerRow,
    UserRow,
    VisitRow,
)
from desk.store.repo.timeline import _chunks

__all__ = ["check_facts", "integrity_reviews"]


def check_facts(
    *, session: Session, visit_ids: Iterable[int], walkaround_items: Iterable[str]
) -> dict[int, CheckFacts]:
    """What the integrity rules look at on each visit of ``visit_ids``;
    ``walkaround_items``: the ids of the walkaround stage's items."""
    ids = sorted(set(visit_ids))
    items = sorted(set(walkaround_items))
    out: dict[int, CheckFacts] = {}
    for chunk in _chunks(ids):
        out.update(_facts(session, chunk, items))
    return out


def _facts(session: Session, ids: list[int], items: list[str]) -> dict[int, CheckFacts]:
    visits = session.exec(select(VisitRow).where(col(VisitRow.id).in_(ids))).all()
    marks: dict[tuple[int, str], MotMarkRow] = {}
    for m in session.exec(
        select(MotMarkRow)
        .where(col(MotMarkRow.visit_id).in_(ids), col(MotMarkRow.item_id).in_(items + ["QC-03"]))
        .order_by(MotMarkRow.id)
    ).all():
        marks[(m.visit_id, m.item_id)] = m  # the latest mark stands
    ticks: dict[int, list[Tick]] = {i: [] for i in ids}
    qc: dict[int, MotMarkRow] = {}
    for (vid, item), m in marks.items():
        if m.kind != "done":
            continue
        if item == "QC-03":
            qc[vid] = m
        else:
            ticks[vid].append(Tick(item, m.at, m.by_user))
    walk: dict[int, tuple[datetime, int | None]] = {}
    for vid, t, uid in session.exec(
        select(AuditEventRow.visit_id, AuditEventRow.at, AuditEventRow.user_id)
        .where(col(AuditEventRow.visit_id).in_(ids), AuditEventRow.action == "visit.walkaround")
        .order_by(AuditEventRow.id)
    ).all():
        walk[vid] = (t, uid)
    # the walkaround stage: the last move into it, and the move on to the estimate after it
    stage_in: dict[int, datetime] = {}
    stage_out: dict[int, tuple[datetime, int | None]] = {}
    for vid, t, uid, after in session.exec(
        select(AuditEventRow.visit_id, AuditEventRow.at, AuditEventRow.user_id, AuditEventRow.after)
        .where(col(AuditEventRow.visit_id).in_(ids), AuditEventRow.action == "visit.advance")
        .order_by(AuditEventRow.id)
    ).all():
        to = _stage(after)
        if to == "WALKAROUND":
            stage_in[vid] = t
            stage_out.pop(vid, None)
        elif to == "ESTIMATE" and vid in stage_in and vid not in stage_out:
            stage_out[vid] = (t, uid)
    last_done: dict[int, datetime] = {}
    for vid, t in session.exec(
        select(EstimateLineRow.visit_id, EstimateLineRow.done_at).where(
            col(EstimateLineRow.visit_id).in_(ids), col(EstimateLineRow.done_at).is_not(None)
        )
    ).all():
        if vid not in last_done or t > last_done[vid]:
            last_done[vid] = t
    readings: dict[int, list[OdometerRow]] = {}
    for r in session.exec(
        select(OdometerRow)
        .where(col(OdometerRow.vehicle_id).in_({v.vehicle_id for v in visits}))
        .order_by(OdometerRow.at, OdometerRow.id)
    ).all():
        readings.setdefault(r.vehicle_id, []).append(r)
    calls: dict[int, list[Call]] = {i: [] for i in ids}
    answers: dict[int, int] = {}
    for call_id, n in session.exec(
        select(SurveyAnswerRow.call_id, SurveyAnswerRow.id)
        .join(FollowUpCallRow, FollowUpCallRow.id == SurveyAnswerRow.call_id)
        .where(col(FollowUpCallRow.visit_id).in_(ids))
    ).all():
        answers[call_id] = answers.get(call_id, 0) + 1
    for c in session.exec(
        select(FollowUpCallRow).where(col(FollowUpCallRow.visit_id).in_(ids)).order_by(FollowUpCallRow.id)
    ).all():
        calls[c.visit_id].append(Call(c.id, c.at, c.outcome, c.by_user, answers.get(c.id, 0), c.nps))
    out = {}
    for v in visits:
        own = next((r for r in readings.get(v.vehicle_id, []) if r.visit_id == v.id), None)
        before = [
            r
            for r in readings.get(v.vehicle_id, [])
            if r.visit_id != v.id and (own is None or (r.at, r.id) < (own.at, own.id))
        ]
        w = walk.get(v.id)
        q = qc.get(v.id)
        out[v.id] = CheckFacts(
            visit_id=v.id,
            advisor_id=v.advisor_id,
            arrived_at=v.arrived_at,
            walkaround_ticks=tuple(ticks[v.id]),
            walkaround_at=w[0] if w else None,
            walkaround_by=w[1] if w else None,
            walkaround_started_at=stage_in.get(v.id),
            walkaround_done_at=stage_out.get(v.id, (None, None))[0],
            walkaround_done_by=stage_out.get(v.id, (None, None))[1],
            damages=_count(v.damages),
            tyres=v.tyres,
            warning_lights=v.warning_lights,
            odometer_km=v.odometer_km,
            booked_km=before[-1].km if before else None,
            qc_passed_at=q.at if q else None,
            qc_by=q.by_user if q else None,
            last_line_done_at=last_done.get(v.id),
            calls=tuple(calls[v.id]),
        )
    return out


def _stage(after: str | None) -> str:
    """The stage an advance event moved the visit to."""
    try:
        value = json.loads(after or "{}")
    except ValueError:
        return ""
    return value.get("stage", "") if isinstance(value, dict) else ""


def _count(damages: str) -> int:
    try:
        return len(json.loads(damages or "[]"))
    except ValueError:
        return 0


def integrity_reviews(*, session: Session, visit_ids: Iterable[int]) -> list[Review]:
    ids = sorted(set(visit_ids))
    names = {u.id: u.name for u in session.exec(select(UserRow)).all()}
    out = []
    for chunk in _chunks(ids):
        for r in session.exec(
            select(IntegrityReviewRow)
            .where(col(IntegrityReviewRow.visit_id).in_(chunk))
            .order_by(IntegrityReviewRow.id)
        ).all():
            out.append(Review(r.visit_id, r.flag_key, r.by_user, names.get(r.by_user, ""), r.at, r.note))
    return out
