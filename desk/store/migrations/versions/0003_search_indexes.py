"""search keys: indexed prefix lookup of plate, phone, VIN and name

Lookup as you type matched ``LIKE '%text%'`` on every customer and vehicle;
over a large shop that is a full scan per keypress. The normalised keys
(desk.domain.search), forward and reversed, are indexed so a lookup is a few
index range scans. Existing rows are filled in here.

Revision ID: 0003_search_indexes
Revises: 0002
Create Date: 2026-11-22 19:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from desk.domain import search

revision: str = "0003_search_indexes"
down_revision: Union[str, None] = "0002"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = {
    "customer": (("name_key", 80), ("name_rev", 80), ("phone_key", 20), ("phone_rev", 20)),
    "vehicle": (("plate_key", 12), ("plate_rev", 12), ("vin_key", 17), ("vin_rev", 17)),
}


def upgrade() -> None:
    for table, cols in COLUMNS.items():
        for name, length in cols:
            op.add_column(table, sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, name, phone FROM customer")).all()
    if rows:
        conn.execute(
            sa.text(
                "UPDATE customer SET name_key=:name_key, name_rev=:name_rev, "
                "phone_key=:phone_key, phone_rev=:phone_rev WHERE id=:id"
            ),
            [{"id": i, **search.customer_keys(n, p)} for i, n, p in rows],
        )
    rows = conn.execute(sa.text("SELECT id, plate, vin FROM vehicle")).all()
    if rows:
        conn.execute(
            sa.text(
                "UPDATE vehicle SET plate_key=:plate_key, plate_rev=:plate_rev, "
                "vin_key=:vin_key, vin_rev=:vin_rev WHERE id=:id"
            ),
            [{"id": i, **search.vehicle_keys(p, v)} for i, p, v in rows],
        )
    for table, cols in COLUMNS.items():
        for name, _length in cols:
            op.create_index(
                f"ix_{table}_{name}", table, [name], unique=False, postgresql_ops={name: "text_pattern_ops"}
            )


def downgrade() -> None:
    for table, cols in COLUMNS.items():
        for name, _length in cols:
            op.drop_index(f"ix_{table}_{name}", table_name=table)
        with op.batch_alter_table(table) as batch:
            for name, _length in cols:
                batch.drop_column(name)
