"""The append-only audit log, hash-chained.

``record`` is called inside the same transaction as the change it describes, so
the change and its audit event are committed together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from desk.store.models import AuditEventRow

GENESIS = "0" * 64


def _default(value: Any):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(type(value).__name__)


def dumps(value: Any) -> str:
    if value is None or value == "":
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=_default)


def chain_hash(prev_hash: str, at_iso: str, user_id, user_name: str, action: str, entity: str, entity_id,
               visit_id, before: str, after: str) -> str:
    """The chain's one hash: an event's fields and the hash before it. Everything
    that writes events (this module, the benchmark's bulk writer) uses it."""
    body = json.dumps(
        [prev_hash, at_iso, user_id, user_name, action, entity, entity_id, visit_id, before, after],
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def event_hash(prev_hash: str, row: AuditEventRow) -> str:
    return chain_hash(prev_hash, row.at.isoformat(), row.user_id, row.user_name, row.action, row.entity,
                      row.entity_id, row.visit_id, row.before, row.after)


def _last_hash(session: Session) -> str:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # Serialise appenders so the chain never forks (SQLite's BEGIN IMMEDIATE
        # already gives one writer at a time).
        session.execute(sa.text("SELECT pg_advisory_xact_lock(7041)"))
    last = session.exec(
        select(AuditEventRow.hash).order_by(AuditEventRow.id.desc()).limit(1)
    ).first()
    return last or GENESIS


def record(
    session: Session,
    *,
    at: datetime,
    user_id: int | None,
    user_name: str,
    action: str,
    entity: str,
    entity_id: int | None,
    visit_id: int | None = None,
    before: Any = None,
    after: Any = None,
) -> AuditEventRow:
    row = AuditEventRow(
        at=at,
        user_id=user_id,
        user_name=user_name,
        action=action,
        entity=entity,
        entity_id=entity_id,
        visit_id=visit_id,
        before=dumps(before),
        after=dumps(after),
    )
    row.prev_hash = _last_hash(session)
    row.hash = event_hash(row.prev_hash, row)
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    problem: str


def verify(session: Session, batch: int = 5000) -> list[ChainProblem]:
    """Walk the chain; name every event whose content or link does not match."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    last_id = 0
    expected_next_id: int | None = None
    while True:
        rows = session.exec(
            select(AuditEventRow)
            .where(AuditEventRow.id > last_id)
            .order_by(AuditEventRow.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.prev_hash != prev:
                what = "removed or reordered event before this one"
                if expected_next_id is not None and row.id != expected_next_id:
                    what = f"events {expected_next_id}..{row.id - 1} removed"
                problems.append(ChainProblem(row.id, what))
            if event_hash(row.prev_hash, row) != row.hash:
                problems.append(ChainProblem(row.id, "content changed"))
            prev = row.hash
            expected_next_id = row.id + 1
            last_id = row.id
    return problems


def history(session: Session, visit_id: int, limit: int = 500) -> list[AuditEventRow]:
    return list(
        session.exec(
            select(AuditEventRow)
            .where(AuditEventRow.visit_id == visit_id)
            .order_by(AuditEventRow.id)
            .limit(limit)
        ).all()
    )


def latest(session: Session, visit_id: int) -> AuditEventRow | None:
    """The visit's most recent event (who changed it last, and how)."""
    return session.exec(
        select(AuditEventRow).where(AuditEventRow.visit_id == visit_id).order_by(AuditEventRow.id.desc()).limit(1)
    ).first()
