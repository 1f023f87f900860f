"""the visit's version on each audit event (issue 24).

A form keeps the version of the visit it was opened on; a save refused because
the visit moved on names every change since that version, not only the last
one. Each event about a visit records the version the change began from
(``visit_version``); older events have none (NULL) and are named as before, by
the latest one alone.

Revision ID: 0014_audit_version
Revises: 0013_list_qty
Create Date: 2026-12-07 22:10:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014_audit_version"
down_revision: Union[str, None] = "0013_list_qty"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("visit_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_column("visit_version")
