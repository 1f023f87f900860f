"""signed estimate: an authorisation keeps what the customer signed (its lines,
prices, tax rates, member discount and totals) as JSON, and an estimate line keeps
its catalogue price (a canned job's or the labour rate) for the price-override rule

Older authorisations have no signed estimate (NULL) and are read as before; older
lines have no catalogue price (NULL): only the discount limit applies to them.

Revision ID: 0008_signed_estimate
Revises: 0007_pinyin_keys
Create Date: 2026-12-02 06:30:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008_signed_estimate"
down_revision: Union[str, None] = "0007_pinyin_keys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("authorisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed", sa.Text(), nullable=True))
    with op.batch_alter_table("estimate_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_cents", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("estimate_line", schema=None) as batch_op:
        batch_op.drop_column("list_cents")
    with op.batch_alter_table("authorisation", schema=None) as batch_op:
        batch_op.drop_column("signed")
