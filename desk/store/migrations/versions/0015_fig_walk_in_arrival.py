"""walk-in arrivals (issue 26).

A car without appointment is recorded as here with one key on the board, before
the write-up: the walk-in visit written up next takes that time as its arrival,
so the greeting (RCP-01) is measured from when the car was there.

Revision ID: 0015_fig_walk_in_arrival
Revises: 0018_group_site
Create Date: 2026-12-07 22:30:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0015_fig_walk_in_arrival"
down_revision: Union[str, None] = "0018_group_site"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "walk_in_arrival",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["by_user"], ["user.id"], name=op.f("fk_walk_in_arrival_by_user_user")),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_walk_in_arrival_visit_id_visit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_in_arrival")),
    )
    with op.batch_alter_table("walk_in_arrival", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_walk_in_arrival_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("walk_in_arrival", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_walk_in_arrival_at"))
    op.drop_table("walk_in_arrival")
