"""shop identity: a shop_meta table holding the database's shop_id (a UUID), so
backups are named by the database they belong to, not by its file name

Revision ID: 0006_shop_identity
Revises: 0005_complaint_version
Create Date: 2026-11-24 09:00:00
"""

import uuid
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_shop_identity"
down_revision: Union[str, None] = "0005_complaint_version"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    meta = op.create_table(
        "shop_meta",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_shop_meta")),
    )
    op.bulk_insert(meta, [{"key": "shop_id", "value": str(uuid.uuid4())}])


def downgrade() -> None:
    op.drop_table("shop_meta")
