"""complaint version: closing a complaint checks the version the screen showed

Revision ID: 0005_complaint_version
Revises: 0004_shop_setup
Create Date: 2026-11-24 09:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005_complaint_version"
down_revision: Union[str, None] = "0004_shop_setup"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("complaint", sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("complaint") as batch:
        batch.drop_column("version")
