"""The stage stopwatch's facts (desk.domain.timeline): every milestone is read
from what is already recorded — the visit's own times, its audit events, its
MOT marks, authorisations, lines and follow-up calls."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlmodel import Session, col, select

from desk.domain.rules import covers, lines_hash
from desk.domain.timeline import LineClock, VisitClock
from desk.store.models import (
    AuditEventRow,
    AuthorisationRow,
    EstimateLineRow,
    FollowUpCallRow,
    MotMarkRow,
    VisitRow,
)
from desk.store.repo.mapping import to_authorisation, to_line

__all__ = ["visit_clocks", "CLOCK_MARKS"]

#: The MOT items whose tick is a milestone.
CLOCK_MARKS = {"EST-06": "presented", "QC-03": "qc_passed", "QC-05": "washed"}
_EVENTS = ("visit.advance", "visit.notified", "line.start")
_CHUNK = 500


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), _CHUNK):
        yield ids[i : i + _CHUNK]


def _first(at: dict[str, datetime], key: str, t: datetime | None) -> None:
    if t is not None and (key not in at or t < at[key]):
        at[key] = t


def visit_clocks(*, session: Session, visit_ids: Iterable[int]) -> dict[int, VisitClock]:
    """The timeline facts of the visits ``visit_ids``, by id (bounded queries per
    500 visits)."""
    ids = sorted(set(visit_ids))
    out: dict[int, VisitClock] = {}
    for chunk in _chunks(ids):
        out.update(_clocks(session, chunk))
    return out


def _clocks(session: Session, ids: list[int]) -> dict[int, VisitClock]:
    at: dict[int, dict[str, datetime]] = {i: {} for i in ids}
    visits = session.exec(select(VisitRow).where(col(VisitRow.id).in_(ids))).all()
    for v in visits:
        a = at[v.id]
        if not v.walk_in:
            a["booked"] = v.created_at
        for key, t in (
            ("arrived", v.arrived_at),
            ("greeted", v.reception_at),
            ("started", v.repair_started_at),
            ("ready", v.ready_at),
            ("delivered", v.delivered_at),
        ):
            if t is not None:
                a[key] = t
    line_started: dict[int, datetime] = {}
    for vid, action, entity_id, after, t in session.exec(
        select(
            AuditEventRow.visit_id, AuditEventRow.action, AuditEventRow.entity_id, AuditEventRow.after, AuditEventRow.at
        )
        .where(col(AuditEventRow.visit_id).in_(ids), col(AuditEventRow.action).in_(_EVENTS))
        .order_by(AuditEventRow.id)
    ).all():
        if action == "line.start" and entity_id is not None:
            line_started.setdefault(entity_id, t)
        elif action == "visit.notified":
            _first(at[vid], "told", t)
        elif action == "visit.advance" and _stage(after) == "ESTIMATE":
            _first(at[vid], "written_up", t)
    latest: dict[tuple[int, str], tuple[str, datetime]] = {}
    for vid, item, kind, t in session.exec(
        select(MotMarkRow.visit_id, MotMarkRow.item_id, MotMarkRow.kind, MotMarkRow.at)
        .where(col(MotMarkRow.visit_id).in_(ids), col(MotMarkRow.item_id).in_(list(CLOCK_MARKS)))
        .order_by(MotMarkRow.id)
    ).all():
        latest[(vid, item)] = (kind, t)
    for (vid, item), (kind, t) in latest.items():
        if kind == "done":
            at[vid][CLOCK_MARKS[item]] = t
    all_lines = session.exec(
        select(EstimateLineRow)
        .where(col(EstimateLineRow.visit_id).in_(ids))
        .order_by(EstimateLineRow.position, EstimateLineRow.id)
    ).all()
    void: dict[int, list[datetime]] = {i: [] for i in ids}
    for vid, signed, t in _signatures(session, ids, visits, all_lines):
        if signed:
            at[vid]["signed"] = t
        else:
            void[vid].append(t)
    for vid, t in session.exec(
        select(FollowUpCallRow.visit_id, FollowUpCallRow.at).where(
            col(FollowUpCallRow.visit_id).in_(ids), FollowUpCallRow.outcome == "reached"
        )
    ).all():
        _first(at[vid], "followed_up", t)
    lines: dict[int, list[LineClock]] = {i: [] for i in ids}
    for ln in all_lines:
        if ln.approval != "approved":
            continue
        started = line_started.get(ln.id) or (ln.done_at if ln.started else None)
        lines[ln.visit_id].append(
            LineClock(ln.id, ln.description, started, ln.done_at, ln.qty_milli if ln.kind == "labour" else 0)
        )
    return {
        v.id: VisitClock(
            v.id,
            v.number,
            v.advisor_id,
            v.stage,
            at[v.id],
            tuple(lines[v.id]),
            appointment_at=None if v.walk_in else v.appointment_at,
            void_signed=tuple(void[v.id]),
        )
        for v in visits
    }


def _signatures(session: Session, ids: list[int], visits, lines) -> Iterator[tuple[int, bool, datetime]]:
    """Each estimate signature of the visits: (visit, covers the estimate now, when).
    The one covering it is the last of this estimate version and these lines
    (``rules.valid_authorisation``); the others a change of the estimate voided."""
    version = {v.id: v.estimate_version for v in visits}
    estimate: dict[int, list] = {i: [] for i in ids}
    for ln in lines:
        if not ln.added_in_repair:
            estimate[ln.visit_id].append(to_line(ln))
    rows = session.exec(
        select(AuthorisationRow)
        .where(col(AuthorisationRow.visit_id).in_(ids), AuthorisationRow.for_added_work == False)  # noqa: E712
        .order_by(AuthorisationRow.id)
    ).all()
    by_visit: dict[int, list[AuthorisationRow]] = {i: [] for i in ids}
    for row in rows:
        by_visit[row.visit_id].append(row)
    for vid, auths in by_visit.items():
        if not auths:
            continue
        want = lines_hash(estimate[vid])
        # the domain's one test of a signature that covers the estimate (rules.covers)
        valid = next((a.id for a in reversed(auths) if covers(to_authorisation(a), want, version[vid], None)), None)
        for a in auths:
            yield vid, a.id == valid, a.at


def _stage(after: str) -> str:
    try:
        return (json.loads(after) or {}).get("stage", "")
    except (ValueError, AttributeError):
        return ""
