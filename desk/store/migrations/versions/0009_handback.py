"""hand-back: the car handed back as it came, comebacks closed at the root,
declined work that comes back

A visit keeps the customer's acknowledgement of the damage map at the walkaround
and at delivery (who signed, when), the damage noted at delivery, and, for a
comeback, its cause and the technician of the original visit; an estimate line
keeps the declined line of an earlier visit it was added from.

Older rows have none of these (empty, NULL): no acknowledgement recorded, no
delivery damage, no cause yet, not carried.

Revision ID: 0009_handback
Revises: 0008_signed_estimate
Create Date: 2026-12-02 10:00:00
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0009_handback"
down_revision: Union[str, None] = "0008_signed_estimate"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("damage_ack_in_by", sa.String(length=80), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("damage_ack_in_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("damage_ack_out_by", sa.String(length=80), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("damage_ack_out_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("delivery_damages", sa.String(length=2000), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("comeback_cause", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("comeback_cause_note", sa.String(length=500), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("comeback_technician_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_visit_comeback_technician_id_user"), "user", ["comeback_technician_id"], ["id"]
        )
    with op.batch_alter_table("estimate_line", schema=None) as batch_op:
        batch_op.add_column(sa.Column("carried_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_estimate_line_carried_from_id_estimate_line"), "estimate_line", ["carried_from_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("estimate_line", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_estimate_line_carried_from_id_estimate_line"), type_="foreignkey")
        batch_op.drop_column("carried_from_id")
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_visit_comeback_technician_id_user"), type_="foreignkey")
        for name in (
            "comeback_technician_id",
            "comeback_cause_note",
            "comeback_cause",
            "delivery_damages",
            "damage_ack_out_at",
            "damage_ack_out_by",
            "damage_ack_in_at",
            "damage_ack_in_by",
        ):
            batch_op.drop_column(name)
