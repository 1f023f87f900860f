"""checks and clocking: a manager's acceptance of a flagged checklist, and a
technician's time on a line

Flags themselves are worked out from what is recorded (desk.domain.integrity);
only their acceptance is stored. A clocking row is open (no ``off_at``) while
the technician is on the line. Older databases have neither: nothing accepted,
no time clocked.

Revision ID: 0010_checks_and_clocking
Revises: 0009_handback
Create Date: 2026-12-02 10:30:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0010_checks_and_clocking"
down_revision: Union[str, None] = "0009_handback"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "integrity_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("flag_key", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_integrity_review_visit_id_visit")),
        sa.ForeignKeyConstraint(["by_user"], ["user.id"], name=op.f("fk_integrity_review_by_user_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrity_review")),
        sa.UniqueConstraint("visit_id", "flag_key", name="uq_integrity_review_visit_flag"),
    )
    op.create_index(op.f("ix_integrity_review_visit_id"), "integrity_review", ["visit_id"])
    op.create_table(
        "clocking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("on_at", sa.DateTime(), nullable=False),
        sa.Column("off_at", sa.DateTime(), nullable=True),
        sa.Column("by_user", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_clocking_visit_id_visit")),
        sa.ForeignKeyConstraint(["line_id"], ["estimate_line.id"], name=op.f("fk_clocking_line_id_estimate_line")),
        sa.ForeignKeyConstraint(["technician_id"], ["user.id"], name=op.f("fk_clocking_technician_id_user")),
        sa.ForeignKeyConstraint(["by_user"], ["user.id"], name=op.f("fk_clocking_by_user_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clocking")),
    )
    op.create_index(op.f("ix_clocking_visit_id"), "clocking", ["visit_id"])
    op.create_index(op.f("ix_clocking_line_id"), "clocking", ["line_id"])
    op.create_index(op.f("ix_clocking_technician_id"), "clocking", ["technician_id"])
    op.create_index(op.f("ix_clocking_on_at"), "clocking", ["on_at"])


def downgrade() -> None:
    op.drop_table("clocking")
    op.drop_table("integrity_review")
