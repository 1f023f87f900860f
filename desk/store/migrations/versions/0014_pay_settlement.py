"""settlement at delivery (issue 29, DLV-13).

Payments and refunds of a visit (method, amount in cents, cash received and the
change, voids with who and why); the invoice number of a visit, unique; and the
shop's gapless counters, with the invoice sequence's row (its last value 0).

Revision ID: 0014_pay_settlement
Revises: 0017_types_field_lengths
Create Date: 2026-12-07 22:10:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0014_pay_settlement"
down_revision: Union[str, None] = "0017_types_field_lengths"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("received_cents", sa.BigInteger(), nullable=True),
        sa.Column("change_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by_user", sa.Integer(), nullable=True),
        sa.Column("voided_at", sa.DateTime(), nullable=True),
        sa.Column("voided_by", sa.Integer(), nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"], name=op.f("fk_payment_visit_id_visit")),
        sa.ForeignKeyConstraint(["by_user"], ["user.id"], name=op.f("fk_payment_by_user_user")),
        sa.ForeignKeyConstraint(["voided_by"], ["user.id"], name=op.f("fk_payment_voided_by_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_visit_id"), ["visit_id"], unique=False)
    op.create_table(
        "shop_sequence",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_shop_sequence")),
    )
    op.execute("INSERT INTO shop_sequence (name, value) VALUES ('invoice', 0)")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invoice_no", sa.BigInteger(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_visit_invoice_no"), ["invoice_no"])


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_visit_invoice_no"), type_="unique")
        batch_op.drop_column("invoice_no")
    op.drop_table("shop_sequence")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_visit_id"))
    op.drop_table("payment")
