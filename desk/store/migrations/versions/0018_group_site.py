"""the sites of a dealer group (issue 30).

``site`` lists head office and the stores of a group: code, name, address, tax
number, IANA time zone, role, the store's replication link to head office and when
it joined (a UTC instant). Head office writes it and publishes it to the stores
(``desk group init`` / ``desk group join``); a standalone shop leaves it empty.

Revision ID: 0018_group_site
Revises: 0016_speed
Create Date: 2026-12-07 22:10:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018_group_site"
down_revision: Union[str, None] = "0016_speed"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "site",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("tax_number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=63), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_site")),
    )


def downgrade() -> None:
    op.drop_table("site")
