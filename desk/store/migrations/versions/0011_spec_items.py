"""the spec's new MOT items: the comeback's cause moves from QC-07 to QC-09

The specification gave QC-07 a new meaning (confirm the recommendations before the
customer hears them) and added QC-08 (the cause of each fault), APPT-11, DLV-11,
DLV-12 and DLV-13. The item desk called QC-07 (a comeback leaves QC with its cause
recorded) is QC-09 from now on: its marks and any shop override follow it, so a
ticked comeback cause is not read as a confirmed recommendation. The audit log is
not rewritten (it is append-only and hash-chained): events before this revision
name the item by its old id.

Revision ID: 0011_spec_items
Revises: 0010_checks_and_clocking
Create Date: 2026-12-07 19:30:00
"""

from typing import Sequence, Union

from alembic import op

revision: str = "0011_spec_items"
down_revision: Union[str, None] = "0010_checks_and_clocking"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.execute("UPDATE mot_mark SET item_id = 'QC-09' WHERE item_id = 'QC-07'")
    op.execute("UPDATE checklist_override SET item_id = 'QC-09' WHERE item_id = 'QC-07'")


def downgrade() -> None:
    op.execute("DELETE FROM mot_mark WHERE item_id IN ('QC-07', 'QC-08', 'APPT-11', 'DLV-11', 'DLV-12', 'DLV-13')")
    op.execute(
        "DELETE FROM checklist_override WHERE item_id IN ('QC-07', 'QC-08', 'APPT-11', 'DLV-11', 'DLV-12', 'DLV-13')"
    )
    op.execute("UPDATE mot_mark SET item_id = 'QC-07' WHERE item_id = 'QC-09'")
    op.execute("UPDATE checklist_override SET item_id = 'QC-07' WHERE item_id = 'QC-09'")
