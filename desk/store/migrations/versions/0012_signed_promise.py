"""the signed promise and the final amount's re-approval

A visit keeps the promised time its estimate was signed with beside the current
one: a promise moved after the signature (with the customer's recorded
approval) never replaces it, and the on-time KPI counts against it.

A final amount beyond the tolerance of what the customer signed is re-approved
by the customer like a signature (DLV-02): who, how (channel, reference), the
amount and when.

Older rows have none (NULL, empty): their current promise stands in for the
signed one; no re-approval recorded.

Revision ID: 0012_signed_promise
Revises: 0011_spec_items
Create Date: 2026-12-07 19:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0012_signed_promise"
down_revision: Union[str, None] = "0011_spec_items"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signed_promised_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("final_approval_signer", sa.String(length=80), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("final_approval_channel", sa.String(length=12), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("final_approval_reference", sa.String(length=40), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("final_approval_cents", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("final_approval_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        for column in (
            "final_approval_at",
            "final_approval_cents",
            "final_approval_reference",
            "final_approval_channel",
            "final_approval_signer",
            "signed_promised_at",
        ):
            batch_op.drop_column(column)
