"""list quantity and proposed comebacks (issue 25).

An estimate line keeps the catalogue's quantity (a canned job's pieces or hours)
beside its catalogue price, for the price-override rule (``staff.price_override``):
a quantity or hours cut below it is a lower price. Older lines have none (NULL):
their own quantity is the reference, as before.

A visit keeps the comeback the data proposed at booking (``comeback_proposed_id``)
and the advisor's decision on it (confirmed / rejected, with the reason);
``comeback_of_id`` is set only when confirmed. Older visits' comebacks stay as
they were (confirmed by the data then).

Revision ID: 0013_list_qty
Revises: 0012_signed_promise
Create Date: 2026-12-07 19:20:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0013_list_qty"
down_revision: Union[str, None] = "0012_signed_promise"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("estimate_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_qty_milli", sa.Integer(), nullable=True))
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("comeback_proposed_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("comeback_decision", sa.String(length=10), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("comeback_reason", sa.String(length=500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_column("comeback_reason")
        batch_op.drop_column("comeback_decision")
        batch_op.drop_column("comeback_proposed_id")
    with op.batch_alter_table("estimate_line", schema=None) as batch_op:
        batch_op.drop_column("list_qty_milli")
