"""Declined lines of a vehicle's earlier visits and the lines added from them
(desk.domain.carryover)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from desk.domain.carryover import DeclinedRec, Earlier
from desk.store.models import EstimateLineRow, VisitRow
from desk.store.repo.mapping import to_line

__all__ = ["carried_ids", "declined_earlier", "declined_recs"]


def declined_earlier(*, session: Session, vehicle_id: int, exclude: int | None = None) -> list[Earlier]:
    """Every declined line of the vehicle's visits (but ``exclude``)."""
    stmt = (
        select(EstimateLineRow, VisitRow.number, VisitRow.day)
        .join(VisitRow, VisitRow.id == EstimateLineRow.visit_id)
        .where(VisitRow.vehicle_id == vehicle_id, EstimateLineRow.approval == "declined")
    )
    if exclude is not None:
        stmt = stmt.where(VisitRow.id != exclude)
    return [
        Earlier(line_id=row.id, visit_id=row.visit_id, visit_number=number, day=day, line=to_line(row))
        for row, number, day in session.exec(stmt.order_by(EstimateLineRow.id)).all()
    ]


def carried_ids(*, session: Session, vehicle_id: int) -> set[int]:
    """The declined lines some line of the vehicle's visits was added from."""
    return set(
        session.exec(
            select(EstimateLineRow.carried_from_id)
            .join(VisitRow, VisitRow.id == EstimateLineRow.visit_id)
            .where(VisitRow.vehicle_id == vehicle_id, col(EstimateLineRow.carried_from_id).is_not(None))
        ).all()
    )


def declined_recs(*, session: Session, start: datetime, end: datetime) -> list[DeclinedRec]:
    """The lines declined on visits delivered in ``[start, end)``, each with the
    first done line added from it later (if any): two queries."""
    rows = session.exec(
        select(EstimateLineRow.id, EstimateLineRow.visit_id, VisitRow.delivered_at)
        .join(VisitRow, VisitRow.id == EstimateLineRow.visit_id)
        .where(EstimateLineRow.approval == "declined", VisitRow.delivered_at >= start, VisitRow.delivered_at < end)
        .order_by(VisitRow.delivered_at, EstimateLineRow.id)
    ).all()
    done: dict[int, tuple[datetime, int, str]] = {}
    if rows:
        later = aliased(EstimateLineRow)
        for src, at, vid, number in session.exec(
            select(later.carried_from_id, later.done_at, later.visit_id, VisitRow.number)
            .join(VisitRow, VisitRow.id == later.visit_id)
            .where(col(later.carried_from_id).in_([r[0] for r in rows]), col(later.done_at).is_not(None))
            .order_by(later.done_at)
        ).all():
            done.setdefault(src, (at, vid, number))
    none = (None, None, "")
    return [
        DeclinedRec(
            visit_id=vid,
            line_id=lid,
            delivered_at=at,
            done_at=done.get(lid, none)[0],
            done_visit_id=done.get(lid, none)[1],
            done_number=done.get(lid, none)[2],
        )
        for lid, vid, at in rows
    ]
