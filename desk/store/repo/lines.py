"""A visit's parts: estimate lines, concerns, findings, MOT marks, progress updates."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from desk.domain.checklist import ItemMark
from desk.domain.entities import (
    EstimateLine,
)
from desk.store.models import (
    ConcernRow,
    EstimateLineRow,
    FindingRow,
    MotMarkRow,
    ProgressUpdateRow,
)
from desk.store.repo.mapping import to_line, to_mark

__all__ = [
    "concerns",
    "findings",
    "last_updates",
    "lines",
    "lines_by_visit",
    "marks",
]


def lines(*, session: Session, visit_id: int) -> list[EstimateLineRow]:
    return list(
        session.exec(
            select(EstimateLineRow)
            .where(EstimateLineRow.visit_id == visit_id)
            .order_by(EstimateLineRow.position, EstimateLineRow.id)
        ).all()
    )


def concerns(*, session: Session, visit_id: int) -> list[ConcernRow]:
    return list(session.exec(select(ConcernRow).where(ConcernRow.visit_id == visit_id).order_by(ConcernRow.id)).all())


def findings(*, session: Session, visit_id: int) -> list[FindingRow]:
    return list(session.exec(select(FindingRow).where(FindingRow.visit_id == visit_id).order_by(FindingRow.id)).all())


def marks(*, session: Session, visit_id: int) -> list[ItemMark]:
    rows = session.exec(select(MotMarkRow).where(MotMarkRow.visit_id == visit_id).order_by(MotMarkRow.id)).all()
    return [to_mark(r) for r in rows]


def lines_by_visit(*, session: Session, visit_ids: list[int]) -> dict[int, list[EstimateLine]]:
    out: dict[int, list[EstimateLine]] = {i: [] for i in visit_ids}
    if visit_ids:
        for r in session.exec(select(EstimateLineRow).where(col(EstimateLineRow.visit_id).in_(visit_ids))).all():
            out[r.visit_id].append(to_line(r))
    return out


def last_updates(*, session: Session, visit_ids: list[int]) -> dict[int, datetime]:
    """When each visit's customer last heard a progress update."""
    if not visit_ids:
        return {}
    return dict(
        session.exec(
            select(ProgressUpdateRow.visit_id, func.max(ProgressUpdateRow.at))
            .where(col(ProgressUpdateRow.visit_id).in_(visit_ids))
            .group_by(ProgressUpdateRow.visit_id)
        ).all()
    )
