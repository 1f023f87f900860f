"""Reminders, follow-up calls, complaints and the audit trail of one row."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import Session, col, func, select

from desk.store.models import (
    AuditEventRow,
    ComplaintRow,
    CustomerRow,
    FollowUpCallRow,
    ReminderRow,
    WalkInArrivalRow,
)

__all__ = [
    "call_counts",
    "calls_of",
    "complaint_counts",
    "complaints_of_customer",
    "complaints_with_customers",
    "latest_event",
    "latest_setting_event",
    "reminders_due",
    "reminders_of",
    "claim_walk_in",
    "waiting_walk_ins",
]


def reminders_due(*, session: Session, until: datetime):
    return list(
        session.exec(
            select(ReminderRow)
            .where(col(ReminderRow.done_at).is_(None), ReminderRow.due_at <= until)
            .order_by(ReminderRow.due_at)
        ).all()
    )


def latest_event(*, session: Session, entity: str, entity_id: int) -> AuditEventRow | None:
    """The most recent audit event of one row (who changed it last, and how)."""
    return session.exec(
        select(AuditEventRow)
        .where(AuditEventRow.entity == entity, AuditEventRow.entity_id == entity_id)
        .order_by(AuditEventRow.id.desc())
        .limit(1)
    ).first()


def latest_setting_event(*, session: Session, key: str, scan: int = 50) -> AuditEventRow | None:
    """The most recent change of the shop setting ``key`` (its event's ``after``
    holds the key), among the last ``scan`` set-up changes."""
    events = session.exec(
        select(AuditEventRow)
        .where(AuditEventRow.action == "setup.setting")
        .order_by(AuditEventRow.id.desc())
        .limit(scan)
    ).all()
    marker = json.dumps(key, ensure_ascii=False) + ":"
    return next((e for e in events if marker in (e.after or "")), None)


def reminders_of(*, session: Session, visit_id: int) -> list[ReminderRow]:
    return list(session.exec(select(ReminderRow).where(ReminderRow.visit_id == visit_id)).all())


def call_counts(*, session: Session, visit_ids: list[int]) -> dict[int, int]:
    if not visit_ids:
        return {}
    return dict(
        session.exec(
            select(FollowUpCallRow.visit_id, func.count())
            .where(col(FollowUpCallRow.visit_id).in_(visit_ids))
            .group_by(FollowUpCallRow.visit_id)
        ).all()
    )


def calls_of(*, session: Session, visit_ids: list[int], chunk: int = 500) -> dict[int, list[FollowUpCallRow]]:
    """Each visit's calls, oldest first (in chunks: a long period has thousands)."""
    out: dict[int, list[FollowUpCallRow]] = {}
    for i in range(0, len(visit_ids), chunk):
        for call in session.exec(
            select(FollowUpCallRow)
            .where(col(FollowUpCallRow.visit_id).in_(visit_ids[i : i + chunk]))
            .order_by(FollowUpCallRow.at)
        ).all():
            out.setdefault(call.visit_id, []).append(call)
    return out


def complaints_with_customers(*, session: Session, include_closed: bool):
    stmt = select(ComplaintRow, CustomerRow).join(CustomerRow, CustomerRow.id == ComplaintRow.customer_id)
    if not include_closed:
        stmt = stmt.where(col(ComplaintRow.closed_at).is_(None))
    return list(session.exec(stmt.order_by(ComplaintRow.opened_at)).all())


def complaint_counts(*, session: Session) -> dict[int, int]:
    """customer id -> how many complaints they made."""
    return dict(session.exec(select(ComplaintRow.customer_id, func.count()).group_by(ComplaintRow.customer_id)).all())


def complaints_of_customer(*, session: Session, customer_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(ComplaintRow).where(ComplaintRow.customer_id == customer_id)
    ).one()


def waiting_walk_ins(*, session: Session, since: datetime) -> list[tuple[int, datetime]]:
    """The cars recorded as here since ``since`` that no walk-in visit took yet: (id, at)."""
    return [
        (r.id, r.at)
        for r in session.exec(
            select(WalkInArrivalRow)
            .where(col(WalkInArrivalRow.visit_id).is_(None), WalkInArrivalRow.at >= since)
            .order_by(WalkInArrivalRow.at)
        ).all()
    ]


def claim_walk_in(*, session: Session, arrival_id: int, visit_id: int) -> None:
    row = session.get(WalkInArrivalRow, arrival_id)
    row.visit_id = visit_id
    session.add(row)
