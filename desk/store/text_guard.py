"""The last check before text reaches the database: whatever wrote it (a
service, the CLI, an import, a script with a hand-made draft), no row is
flushed with a character that ``desk.domain.validate`` never lets through
(escape sequences, control characters but line breaks and tabs, bidi overrides,
zero-width characters, lone surrogates), nor with more characters than its
column holds (SQLite would keep them; PostgreSQL refuses them as a fault).

The field specifications (``desk.domain.fields``) clean what is typed, at the
service boundary; this guard refuses, with the column named, what reached the
store without them. Every write session has it (``desk.store.db.write_session``).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from desk.domain.errors import InvalidInput
from desk.domain.validate import without_controls
from desk.i18n import N_

#: Said when a text holds characters that are never stored.
UNSTORABLE = N_("{field} contains control characters or escape sequences, which are never stored")


def unstorable(value: str) -> bool:
    """Whether ``value`` holds what :func:`without_controls` would take out."""
    return without_controls(value, multiline=True)[0] != value


def check_row(obj: Any, *, changed_only: bool = False) -> None:
    """Refuse ``obj`` (a mapped row about to be written) when one of its text
    columns holds what is never stored, or is longer than its column.
    ``changed_only``: only the values being changed (a row written before this
    check may hold old text; changing another of its fields is not refused)."""
    state = sa.inspect(obj)
    for prop in state.mapper.column_attrs:
        if changed_only and not state.attrs[prop.key].history.has_changes():
            continue
        value = getattr(obj, prop.key, None)
        if not isinstance(value, str):
            continue
        if unstorable(value):
            raise InvalidInput(prop.key, UNSTORABLE, {"field": prop.key})
        length = getattr(prop.columns[0].type, "length", None)
        if length is not None and len(value) > length:
            raise InvalidInput(prop.key, "Too long: {n} characters, at most {max}", {"n": len(value), "max": length})


def _before_flush(session: Session, _flush_context: object, _instances: object) -> None:
    for obj in session.new:
        check_row(obj)
    for obj in session.dirty:
        check_row(obj, changed_only=True)


def guard(session: Session) -> Session:
    """``session`` with the check on every flush."""
    event.listen(session, "before_flush", _before_flush)
    return session
