"""list quantity: an estimate line keeps the catalogue's quantity (a canned job's
pieces or hours) beside its catalogue price, for the price-override rule
(``staff.price_override``): a quantity or hours cut below it is a lower price

Older lines have none (NULL): their own quantity is the reference, as before.

Revision ID: 0013_list_qty
Revises: 0011_spec_items
Create Date: 2026-12-07 19:20:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0013_list_qty'
down_revision: Union[str, None] = '0011_spec_items'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('estimate_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_qty_milli', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('estimate_line', schema=None) as batch_op:
        batch_op.drop_column('list_qty_milli')
