"""shop set-up: shared settings, checklist overrides, canned jobs, opening checklist

Revision ID: 0004_shop_setup
Revises: 0003_search_indexes
Create Date: 2026-11-22 19:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_shop_setup"
down_revision: Union[str, None] = "0003_search_indexes"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "shop_setting",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["user.id"], name=op.f("fk_shop_setting_updated_by_user")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_shop_setting")),
    )
    op.create_table(
        "checklist_override",
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("own", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_checklist_override")),
    )
    op.create_table(
        "canned_job",
        sa.Column("job_id", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("en", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("zh", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("lines", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_canned_job")),
    )
    op.create_table(
        "opening_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("item_id", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["by_user"], ["user.id"], name=op.f("fk_opening_check_by_user_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_check")),
        sa.UniqueConstraint("day", "item_id", name="uq_opening_check_day_item"),
    )
    with op.batch_alter_table("opening_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opening_check_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("opening_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opening_check_day"))
    op.drop_table("opening_check")
    op.drop_table("canned_job")
    op.drop_table("checklist_override")
    op.drop_table("shop_setting")
