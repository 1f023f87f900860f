"""The car handed back as it came: the customer's acknowledgement of the damage
map at the walkaround and at delivery, and damage noted at delivery, which
opens a complaint at once when the walkaround's map did not have it (the rules
are desk.domain.damage's)."""

from __future__ import annotations

import json

from sqlmodel import Session

from desk.domain import damage, fields
from desk.domain.entities import Saved, User, VisitRef
from desk.domain.walkaround import DAMAGE_NAMES, PANEL_NAMES
from desk.i18n import _
from desk.services.complaints import ComplaintService
from desk.services.context import Service, ServiceContext
from desk.store.models import VisitRow


class HandbackService(Service):
    def __init__(self, ctx: ServiceContext, *, complaints: ComplaintService) -> None:
        super().__init__(ctx)
        self.complaints = complaints

    @staticmethod
    def signer(name: str) -> str:
        """Who acknowledges, from typed text (``fields.SIGNER``)."""
        return fields.SIGNER.check(name)

    def acknowledge(self, actor: User, visit: VisitRef, end: str, signer: str) -> Saved[None]:
        """The customer (``signer``, parsed by ``fields.SIGNER``) acknowledges the
        damage map: ``end`` "in" at the walkaround, "out" at delivery."""
        signer = fields.SIGNER.check(signer)

        def run(session: Session, row: VisitRow) -> None:
            damage.check_acknowledge(end, row.stage, row.damage_confirmed)
            by, at = f"damage_ack_{end}_by", f"damage_ack_{end}_at"
            before = {by: getattr(row, by), at: getattr(row, at)}
            setattr(row, by, signer)
            setattr(row, at, self.now())
            self._touch(session, row)
            self._audit(
                session,
                actor,
                f"damage.acknowledge_{end}",
                "visit",
                row.id,
                visit_id=row.id,
                before=before,
                after={
                    by: signer,
                    at: row.updated_at,
                    "damages": row.damages,
                    "delivery_damages": row.delivery_damages,
                },
            )

        return self._change(visit, run)

    @staticmethod
    def draft(panel: str, kind: str, note: str = "") -> damage.DamageDraft:
        return damage.DamageDraft.of(panel, kind, note)

    def note_delivery_damage(self, actor: User, visit: VisitRef, draft: damage.DamageDraft) -> Saved[int]:
        """Damage found at delivery that the walkaround's map did not have: noted
        on the visit and a complaint of the domain's severity opened in the same
        transaction (its id is returned). The customer's acknowledgement at
        delivery, if given, was of the map before it: cleared, to be given again."""
        mark = draft.mark()
        panel, kind, note = draft.panel, draft.kind, draft.note

        def run(session: Session, row: VisitRow) -> int:
            walk, noted = damage.marks(row.damages), damage.marks(row.delivery_damages)
            damage.check_delivery_mark(row.stage, walk, noted, mark)
            row.delivery_damages = json.dumps([*noted, mark], ensure_ascii=False)
            # an acknowledgement at delivery was of the map without this damage: void,
            # the customer acknowledges the map again
            voided = {"damage_ack_out_by": row.damage_ack_out_by, "damage_ack_out_at": row.damage_ack_out_at}
            row.damage_ack_out_by, row.damage_ack_out_at = "", None
            severity = damage.severity([mark])
            what = f"{_(PANEL_NAMES[panel])}: {_(DAMAGE_NAMES[kind])}" + (f" ({note})" if note else "")
            summary = _("Damage found at delivery that the walkaround did not record: {what}", what=what)
            complaint_id = self.complaints.open_in(session, actor, row, severity, summary)
            self._touch(session, row)
            self._audit(
                session,
                actor,
                "damage.delivery",
                "visit",
                row.id,
                visit_id=row.id,
                before=voided if voided["damage_ack_out_by"] else None,
                after={
                    "mark": mark,
                    "complaint": complaint_id,
                    "severity": severity.value,
                    "damage_ack_out_by": "",
                    "damage_ack_out_at": None,
                },
            )
            return complaint_id

        return self._change(visit, run)
