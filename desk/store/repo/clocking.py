"""Technician time (desk.domain.clocking): clockings and the labour lines they
are on."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from desk.domain.clocking import Clocking, LineRec, TimeData
from desk.store.models import ClockingRow, EstimateLineRow, VisitRow
from desk.store.repo.timeline import _chunks

__all__ = ["clockings_of", "open_clockings", "time_data", "to_clocking"]


def to_clocking(r: ClockingRow) -> Clocking:
    return Clocking(r.id, r.visit_id, r.line_id, r.technician_id, r.on_at, r.off_at)


def open_clockings(
    *, session: Session, technician_id: int | None = None, line_id: int | None = None
) -> list[ClockingRow]:
    """The clockings still open (of one technician, or on one line)."""
    q = select(ClockingRow).where(col(ClockingRow.off_at).is_(None))
    if technician_id is not None:
        q = q.where(ClockingRow.technician_id == technician_id)
    if line_id is not None:
        q = q.where(ClockingRow.line_id == line_id)
    return list(session.exec(q.order_by(ClockingRow.id)).all())


def clockings_of(*, session: Session, visit_ids: Iterable[int]) -> list[Clocking]:
    out: list[Clocking] = []
    for chunk in _chunks(sorted(set(visit_ids))):
        out += [
            to_clocking(r)
            for r in session.exec(
                select(ClockingRow).where(col(ClockingRow.visit_id).in_(chunk)).order_by(ClockingRow.id)
            ).all()
        ]
    return out


def time_data(*, session: Session, visit_ids: Iterable[int]) -> TimeData:
    """The labour lines and clockings of ``visit_ids``."""
    ids = sorted(set(visit_ids))
    lines: dict[int, LineRec] = {}
    advisors: dict[int, int | None] = {}
    for chunk in _chunks(ids):
        for ln in session.exec(
            select(EstimateLineRow).where(col(EstimateLineRow.visit_id).in_(chunk), EstimateLineRow.kind == "labour")
        ).all():
            lines[ln.id] = LineRec(ln.visit_id, ln.id, ln.description, ln.qty_milli, ln.done_at)
        for vid, adv in session.exec(select(VisitRow.id, VisitRow.advisor_id).where(col(VisitRow.id).in_(chunk))):
            advisors[vid] = adv
    return TimeData(lines, tuple(clockings_of(session=session, visit_ids=ids)), advisors)
