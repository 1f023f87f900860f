"""a follow-up call recorded as late (issue 26, FUP-01).

A call made after the follow-up window of departure is recorded as late when it
is made, by the window in force at departure, so that a later change of the
window never turns it into a call on time. Calls made before this revision are
judged once here by the shop's window now (72 h unless the shop set another).

Revision ID: 0019_fig2_call_late
Revises: 0014_pay_settlement
Create Date: 2026-12-08 01:10:00
"""

from datetime import datetime, timedelta
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0019_fig2_call_late"
down_revision: Union[str, None] = "0014_pay_settlement"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _when(value):
    return value if isinstance(value, datetime) or value is None else datetime.fromisoformat(str(value))


def upgrade() -> None:
    with op.batch_alter_table("followup_call", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()))
    conn = op.get_bind()
    stored = conn.execute(sa.text("SELECT value FROM shop_setting WHERE key = 'followup_window_hours'")).scalar()
    window = timedelta(hours=int(stored) if stored and str(stored).strip().isdigit() else 72)
    rows = conn.execute(
        sa.text("SELECT c.id, c.at, v.delivered_at FROM followup_call c JOIN visit v ON v.id = c.visit_id")
    ).all()
    late = [i for i, at, left in rows if _when(left) is not None and _when(at) > _when(left) + window]
    call = sa.table("followup_call", sa.column("id", sa.Integer()), sa.column("late", sa.Boolean()))
    for start in range(0, len(late), 500):
        conn.execute(sa.update(call).where(call.c.id.in_(late[start : start + 500])).values(late=True))


def downgrade() -> None:
    with op.batch_alter_table("followup_call", schema=None) as batch_op:
        batch_op.drop_column("late")
