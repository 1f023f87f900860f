"""lookup keys in code-point order on PostgreSQL (issue 27, item 5)

The search keys' ``text_pattern_ops`` indexes (0003, 0007) serve ``LIKE 'abc%'``
only when the pattern is a constant the planner sees: once psycopg prepares the
lookup (its fifth run) PostgreSQL may plan it generically, and then no index
bounds a ``LIKE $1``; nor can such an index give the rows in the order the
lookup's ``ORDER BY … LIMIT`` asks. Here each key is indexed in the "C"
collation (code-point order, as SQLite's and ``search.prefix_upper`` assume):
the lookup's ``key >= $1 AND key < $2 ORDER BY key LIMIT n`` is an index range
scan with any plan, in any database collation, and returns SQLite's rows.

SQLite: nothing to do (its keys compare by code point already).

Revision ID: 0016_speed
Revises: 0014_customer_version
Create Date: 2026-12-07 22:10:00
"""

from typing import Sequence, Union

from alembic import op

from desk.domain import search

revision: str = "0016_speed"
down_revision: Union[str, None] = "0014_customer_version"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

KEYS = {"customer": search.CUSTOMER_KEYS, "vehicle": search.VEHICLE_KEYS}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, keys in KEYS.items():
        for key in keys:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{key}")
            op.execute(f'CREATE INDEX ix_{table}_{key} ON {table} ({key} COLLATE "C")')
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, keys in KEYS.items():
        for key in keys:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_{key}")
            op.execute(f"CREATE INDEX ix_{table}_{key} ON {table} ({key} text_pattern_ops)")
