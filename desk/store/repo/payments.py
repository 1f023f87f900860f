"""Payments of a visit (DLV-13) and the shop's gapless counters."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from desk.domain.payment import Kind, Method, Payment
from desk.store.models import CounterRow, PaymentRow, UserRow

__all__ = ["next_number", "payment_rows", "payments", "payments_between", "to_payment"]


def to_payment(row: PaymentRow, by: str = "") -> Payment:
    return Payment(
        id=row.id,
        kind=Kind(row.kind),
        method=Method(row.method),
        amount_cents=row.amount_cents,
        at=row.at,
        by=by,
        received_cents=row.received_cents,
        change_cents=row.change_cents,
        reason=row.reason,
        voided_at=row.voided_at,
        void_reason=row.void_reason,
    )


def payment_rows(*, session: Session, visit_id: int) -> list[PaymentRow]:
    return list(session.exec(select(PaymentRow).where(PaymentRow.visit_id == visit_id).order_by(PaymentRow.id)))


def payments(*, session: Session, visit_id: int) -> list[Payment]:
    """A visit's payments and refunds, oldest first, each with who took it."""
    rows = session.exec(
        select(PaymentRow, UserRow.name)
        .outerjoin(UserRow, UserRow.id == PaymentRow.by_user)
        .where(PaymentRow.visit_id == visit_id)
        .order_by(PaymentRow.id)
    ).all()
    return [to_payment(row, name or "") for row, name in rows]


def next_number(*, session: Session, name: str) -> int:
    """The sequence ``name``'s next value, taken in the caller's write transaction.

    The UPDATE locks the counter's row (PostgreSQL) or the whole file (SQLite's
    write transaction) until the transaction ends: a second terminal waits for it,
    then reads the value this one wrote; a rollback takes the number back. So the
    numbers have no gaps and no repeats, whatever the terminals do."""
    table = CounterRow.__table__
    moved = session.execute(sa.update(table).where(table.c.name == name).values(value=table.c.value + 1))
    if moved.rowcount == 0:  # a sequence not made by the migration: its first value
        session.add(CounterRow(name=name, value=1))
        session.flush()
        return 1
    return int(session.execute(sa.select(table.c.value).where(table.c.name == name)).scalar_one())


def payments_between(*, session: Session, start, end) -> list[tuple[int, Payment]]:
    """Every payment and refund taken in ``start`` .. ``end`` (excluded), with its visit."""
    rows = session.exec(
        select(PaymentRow).where(PaymentRow.at >= start, PaymentRow.at < end).order_by(PaymentRow.id)
    ).all()
    return [(row.visit_id, to_payment(row)) for row in rows]
