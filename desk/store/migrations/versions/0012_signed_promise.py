"""the signed promise: the completion time the customer signed with the estimate

A visit keeps the promised time its estimate was signed with beside the current
one: a promise moved after the signature (with the customer's recorded
approval) never replaces it, and the on-time KPI counts against it.

Older rows have none (NULL): their current promise stands in for it.

Revision ID: 0012_signed_promise
Revises: 0010_checks_and_clocking
Create Date: 2026-12-07 19:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0012_signed_promise'
down_revision: Union[str, None] = '0010_checks_and_clocking'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_promised_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('visit', schema=None) as batch_op:
        batch_op.drop_column('signed_promised_at')
