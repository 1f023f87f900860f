"""customer version: the customer's edit form keeps the version it was opened on
(issue 24): a save after another terminal changed the customer is refused.

Revision ID: 0014_customer_version
Revises: 0014_audit_version
Create Date: 2026-12-07 23:05:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014_customer_version"
down_revision: Union[str, None] = "0014_audit_version"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_column("version")
