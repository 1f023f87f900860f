"""The append-only audit log, hash-chained.

``record`` is called inside the same transaction as the change it describes, so
the change and its audit event are committed together or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from desk.i18n import N_
from desk.store import anchor as anchors
from desk.store.models import AuditEventRow, VisitRow

GENESIS = "0" * 64


def _default(value: Any) -> Any:
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


def chain_hash(
    prev_hash: str,
    at_iso: str,
    user_id: int | None,
    user_name: str,
    action: str,
    entity: str,
    entity_id: int | None,
    visit_id: int | None,
    before: str,
    after: str,
) -> str:
    """The chain's one hash: an event's fields and the hash before it. Everything
    that writes events (this module, the benchmark's bulk writer) uses it. The
    visit's version (``visit_version``) is not hashed: it only says which changes
    a refused form had not seen, and a downgrade past migration 0014 drops it
    without breaking the chain."""
    body = json.dumps(
        [prev_hash, at_iso, user_id, user_name, action, entity, entity_id, visit_id, before, after],
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def event_hash(prev_hash: str, row: AuditEventRow) -> str:
    return chain_hash(
        prev_hash,
        row.at.isoformat(),
        row.user_id,
        row.user_name,
        row.action,
        row.entity,
        row.entity_id,
        row.visit_id,
        row.before,
        row.after,
    )


#: session.info key: visit id -> the version it had when this transaction first read it.
_BASE = "visit_base_version"


@sa.event.listens_for(VisitRow, "load")
def _note_base_version(target: VisitRow, context) -> None:  # pragma: no branch - event hook
    """Remember the version a visit had when the transaction read it, before any
    change of this transaction moved it on: the version the change began from."""
    session = getattr(context, "session", None)  # none for an object merged without loading
    if session is not None:
        session.info.setdefault(_BASE, {}).setdefault(target.id, target.version)


def base_version(session: Session, visit_id: int) -> int:
    """The version the visit had when this transaction began to change it; 0 for a
    visit this transaction created (no form can have seen it)."""
    known = session.info.get(_BASE, {})
    if visit_id not in known:
        session.get(VisitRow, visit_id)  # loads it (noting its version) unless it is new here
    return session.info.get(_BASE, {}).get(visit_id, 0)


def _last_hash(session: Session) -> str:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # Serialise appenders so the chain never forks (SQLite's BEGIN IMMEDIATE
        # already gives one writer at a time).
        session.execute(sa.text("SELECT pg_advisory_xact_lock(7041)"))
    last = session.exec(select(AuditEventRow.hash).order_by(col(AuditEventRow.id).desc()).limit(1)).first()
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
        visit_version=None if visit_id is None else base_version(session, visit_id),
        before=dumps(before),
        after=dumps(after),
        hash="",  # below, from the fields and the hash before it
    )
    row.prev_hash = _last_hash(session)
    row.hash = event_hash(row.prev_hash, row)
    session.add(row)
    session.flush()
    # the head is anchored outside the database once this transaction commits
    session.info["audit_head"] = (session.get_bind(), anchors.Head(stored_id(row), row.hash))
    return row


def record_many(session: Session, events: list[dict]) -> None:
    """Append ``events`` (each :func:`record`'s keyword arguments) in order, as
    :func:`record` would one by one, in one statement: the same rows and chain,
    without an ORM object per event (a generated history's thousands)."""
    if not events:
        return
    prev = _last_hash(session)
    rows = []
    for e in events:
        row = {**e, "before": dumps(e.get("before")), "after": dumps(e.get("after")), "prev_hash": prev}
        row.setdefault("visit_id", None)
        prev = row["hash"] = chain_hash(
            prev,
            row["at"].isoformat(),
            row["user_id"],
            row["user_name"],
            row["action"],
            row["entity"],
            row["entity_id"],
            row["visit_id"],
            row["before"],
            row["after"],
        )
        rows.append(row)
    table = AuditEventRow.__table__
    session.execute(sa.insert(table), rows)
    last = session.execute(sa.select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar_one()
    session.info["audit_head"] = (session.get_bind(), anchors.Head(last, prev))


def stored_id(row: AuditEventRow) -> int:
    """A stored event's id (None only before the row is flushed)."""
    if row.id is None:
        raise ValueError("an audit event not stored yet has no id")
    return row.id


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _anchor_committed(session: Session) -> None:  # pragma: no branch - event hook
    noted = session.info.pop("audit_head", None)
    if noted is not None:
        anchors.note(*noted)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:  # pragma: no branch - event hook
    session.info.pop("audit_head", None)


@dataclass(frozen=True)
class ChainProblem:
    """One event whose content or link does not match: ``reason`` is an English
    message id, with ``params``; :attr:`problem` in English, :meth:`text` in the
    interface language."""

    event_id: int
    reason: str
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def problem(self) -> str:
        return self.reason.format(**self.params)

    def text(self) -> str:
        from desk.i18n import _

        return _(self.reason, **self.params)


REORDERED = N_("removed or reordered event before this one")
REMOVED = N_("events {first}..{last} removed")
CHANGED = N_("content changed")
CUT = N_(
    "the log ends at event {last}, but its anchor outside the database ({path}) recorded event {id} "
    "on {at}: the newest events were removed"
)
EMPTIED = N_(
    "the log is empty, but its anchor outside the database ({path}) recorded event {id} on {at}: "
    "all its events were removed"
)
REPLACED_EVENT = N_(
    "event {id} is not the one its anchor ({path}) recorded on {at}: events were removed and "
    "others written in their place"
)
SHOP_CHANGED = N_(
    "this file's shop id is {shop}, but its anchor ({path}) recorded the shop {old} here up to "
    "event {id}: the database was replaced outside desk or its shop id edited "
    "(if you replaced it yourself: desk audit verify --re-anchor)"
)
BEHIND = N_(
    "the anchor outside the database ({path}) records event {id}, written {at}: the {n} newest "
    "events (to event {last}) are not anchored yet, so removing them would not be found"
)
ANCHOR_UNWRITABLE = N_(
    "the anchor's folder {folder} cannot be written here: no save is anchored until it can be "
    "(make it writable; the next save anchors the log again)"
)
NO_ANCHOR = N_(
    "no anchor outside the database yet (a database made elsewhere, moved, or by an older "
    "desk): its end is checked from the next change on"
)


def _tolerant_text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


@contextlib.contextmanager
def _bytes_as_read(session: Session) -> Iterator[None]:
    """While the chain is walked on SQLite, text that is not UTF-8 any more (a
    damaged page) reads with U+FFFD in place of the bad bytes: its event's hash
    no longer matches and the event is named, where the read stopped the whole
    check with a decoding error naming none."""
    conn: Any = session.connection().connection.driver_connection
    factory = getattr(conn, "text_factory", None)
    if conn is None or factory is None:  # not SQLite: the server checks its text itself
        yield
        return
    conn.text_factory = _tolerant_text
    try:
        yield
    finally:
        conn.text_factory = factory


def verify(session: Session, batch: int = 5000) -> list[ChainProblem]:
    """Walk the chain; name every event whose content or link does not match."""
    with _bytes_as_read(session):
        return _walk(session, batch)


def _walk(session: Session, batch: int) -> list[ChainProblem]:
    problems: list[ChainProblem] = []
    prev = GENESIS
    last_id = 0
    expected_next_id: int | None = None
    while True:
        rows = session.exec(
            select(AuditEventRow).where(col(AuditEventRow.id) > last_id).order_by(col(AuditEventRow.id)).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            row_id = stored_id(row)
            if row.prev_hash != prev:
                if expected_next_id is not None and row_id != expected_next_id:
                    problems.append(ChainProblem(row_id, REMOVED, {"first": expected_next_id, "last": row_id - 1}))
                else:
                    problems.append(ChainProblem(row_id, REORDERED))
            if event_hash(row.prev_hash, row) != row.hash:
                problems.append(ChainProblem(row_id, CHANGED))
            prev = row.hash
            expected_next_id = row_id + 1
            last_id = row_id
    return problems


def against_head(session: Session, head: anchors.Head, *, path: str, at: str) -> list[ChainProblem]:
    """The log must still hold ``head`` (an anchor's, or the one a backup recorded)."""
    if not head.id:
        return []
    found = session.exec(select(AuditEventRow.hash).where(AuditEventRow.id == head.id)).first()
    if found == head.hash:
        return []
    params = {"id": head.id, "path": path, "at": at}
    if found is not None:
        return [ChainProblem(head.id, REPLACED_EVENT, params)]
    last = session.exec(select(AuditEventRow.id).order_by(col(AuditEventRow.id).desc()).limit(1)).first()
    if last is None:
        return [ChainProblem(head.id, EMPTIED, params)]
    if last > head.id:  # the anchored event is gone from the middle: the chain names it too
        return [ChainProblem(head.id, REPLACED_EVENT, params)]
    return [ChainProblem(head.id, CUT, {**params, "last": last})]


@dataclass
class Verified:
    """The chain's problems, and a note when there is no anchor to compare with."""

    problems: list[ChainProblem]
    note: str = ""
    events: int = 0
    #: how far the anchor is behind the log, and why: (message id, params)
    behind: list[tuple[str, dict]] = field(default_factory=list)


def verify_anchored(engine: Engine, session_factory: Callable[[], AbstractContextManager[Session]]) -> Verified:
    """:func:`verify` plus the anchor outside the database: the anchor is read
    first, then the log (an anchor is never ahead of a later read)."""
    from desk.store.anchor import read_for

    shop_id, key, found, others = read_for(engine)
    with session_factory() as session:
        problems = verify(session)
        events = session.execute(sa.select(sa.func.count()).select_from(AuditEventRow)).scalar_one()
        note = ""
        if found is not None:
            named = {p.event_id for p in problems}
            for p in problems:
                if p.reason == REMOVED:
                    named |= set(range(p.params["first"], p.params["last"] + 1))
            if found.id not in named:  # an event the chain already names missing is not said twice
                problems += against_head(
                    session, found.head, path=str(anchors.anchor_path(found.shop_id, key)), at=found.at
                )
        elif others:
            old = max(others, key=lambda a: a.id)
            problems.append(
                ChainProblem(
                    old.id,
                    SHOP_CHANGED,
                    {
                        "shop": shop_id,
                        "old": old.shop_id,
                        "id": old.id,
                        "path": str(anchors.anchor_path(old.shop_id, key)),
                    },
                )
            )
        elif shop_id and events:
            note = NO_ANCHOR
        behind = []
        if found is not None and not problems:
            last = session.execute(sa.select(sa.func.max(AuditEventRow.id))).scalar_one() or 0
            if last > found.id:
                behind.append(
                    (
                        BEHIND,
                        {
                            "path": str(anchors.anchor_path(found.shop_id, key)),
                            "id": found.id,
                            "at": found.at,
                            "n": last - found.id,
                            "last": last,
                        },
                    )
                )
        if shop_id and events and not anchors.writable():
            behind.append((ANCHOR_UNWRITABLE, {"folder": str(anchors.folder())}))
    return Verified(problems, note, events, behind)


def reset_anchor(
    engine: Engine, *, user_name: str, at: datetime, action: str, after: dict[str, Any]
) -> tuple[anchors.Anchor | None, anchors.Head]:
    """Anchor the database's log at its head as it is now, whatever the anchor
    said (a restore, or ``desk audit verify --re-anchor``), and audit that: the
    event (``action``) records the anchor it replaced. Returns (old anchor, new head)."""
    from desk.store.db import write_session

    with anchors.reading(engine) as reader:
        shop_id = anchors.shop_id_of(reader)
        head = anchors.head_of(reader)
    key = anchors.db_key(engine.url)
    if not shop_id:
        return None, head
    old = anchors.reset(shop_id, key, head)
    with write_session(engine) as session:
        row = record(
            session,
            at=at,
            user_id=None,
            user_name=user_name,
            action=action,
            entity="audit",
            entity_id=None,
            before=None if old is None else {"shop_id": old.shop_id, "id": old.id, "hash": old.hash, "at": old.at},
            after={**after, "head": head.id},
        )
        session.info.pop("audit_head", None)
        new = anchors.Head(stored_id(row), row.hash)
    anchors.reset(shop_id, key, new)
    return old, new


def re_anchor(engine: Engine, user_name: str, at: datetime) -> tuple[anchors.Anchor | None, anchors.Head]:
    return reset_anchor(engine, user_name=user_name, at=at, action="audit.re_anchor", after={})


def history(session: Session, visit_id: int, limit: int = 500) -> list[AuditEventRow]:
    return list(
        session.exec(
            select(AuditEventRow).where(AuditEventRow.visit_id == visit_id).order_by(col(AuditEventRow.id)).limit(limit)
        ).all()
    )


def latest(session: Session, visit_id: int) -> AuditEventRow | None:
    """The visit's most recent event (who changed it last, and how)."""
    return session.exec(
        select(AuditEventRow).where(AuditEventRow.visit_id == visit_id).order_by(col(AuditEventRow.id).desc()).limit(1)
    ).first()


#: At most this many changes are named in one refusal (the newest of them).
SINCE_LIMIT = 10


def since(session: Session, visit_id: int, version: int) -> list[AuditEventRow]:
    """The visit's events a form opened at ``version`` has not seen, oldest first
    (at most :data:`SINCE_LIMIT`, the newest); the latest alone when the events
    carry no version (written before migration 0014)."""
    rows = list(
        session.exec(
            select(AuditEventRow)
            .where(AuditEventRow.visit_id == visit_id, AuditEventRow.visit_version >= version)
            .order_by(AuditEventRow.id.desc())
            .limit(SINCE_LIMIT)
        ).all()
    )
    if not rows:
        last = latest(session, visit_id)
        rows = [] if last is None else [last]
    return rows[::-1]
