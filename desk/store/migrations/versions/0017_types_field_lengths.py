"""columns as long as their field specifications (issue 28).

``customer.email`` held 120 characters while the form accepts an address of
254 (``fields.EMAIL``, RFC 5321's longest path): PostgreSQL refused what the form
had accepted. ``vehicle.plate`` was 12 against the plate field's 10 (no longer
plate could be saved, so none is cut). The lengths are the specifications'
values at this revision, written out: a migration must not change when a
specification does later (that takes a migration of its own).

Revision ID: 0017_types_field_lengths
Revises: 0015_fig_walk_in_arrival
Create Date: 2026-12-07 22:40:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0017_types_field_lengths"
down_revision: Union[str, None] = "0015_fig_walk_in_arrival"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.alter_column(
            "email", existing_type=sa.String(length=120), type_=sa.String(length=254), existing_nullable=False
        )
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.alter_column(
            "plate", existing_type=sa.String(length=12), type_=sa.String(length=10), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.alter_column(
            "plate", existing_type=sa.String(length=10), type_=sa.String(length=12), existing_nullable=False
        )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.alter_column(
            "email", existing_type=sa.String(length=254), type_=sa.String(length=120), existing_nullable=False
        )
