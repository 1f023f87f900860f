"""pinyin keys: a Chinese name found by its pinyin, whole or by initials

An advisor types "wl" or "wangli" to find 王丽 (desk.domain.search.pinyin_keys).
Both keys are indexed for prefix lookup like the other search keys; existing
customers are filled in here.

Revision ID: 0007_pinyin_keys
Revises: 0006_shop_identity
Create Date: 2026-12-02 06:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

from desk.domain import search

revision: str = "0007_pinyin_keys"
down_revision: Union[str, None] = "0006_shop_identity"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

COLUMNS = (("pinyin_key", search.PINYIN_LENGTH), ("initials_key", search.INITIALS_LENGTH))


def upgrade() -> None:
    for name, length in COLUMNS:
        op.add_column("customer", sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, name FROM customer")).all()
    filled = [(i, *search.pinyin_keys(n)) for i, n in rows]
    filled = [{"id": i, "pinyin_key": p, "initials_key": k} for i, p, k in filled if p]
    if filled:
        conn.execute(
            sa.text("UPDATE customer SET pinyin_key=:pinyin_key, initials_key=:initials_key WHERE id=:id"), filled
        )
    for name, _length in COLUMNS:
        op.create_index(
            f"ix_customer_{name}", "customer", [name], unique=False, postgresql_ops={name: "text_pattern_ops"}
        )


def downgrade() -> None:
    for name, _length in COLUMNS:
        op.drop_index(f"ix_customer_{name}", table_name="customer")
    with op.batch_alter_table("customer") as batch:
        for name, _length in COLUMNS:
            batch.drop_column(name)
