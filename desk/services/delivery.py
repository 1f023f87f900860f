"""Hand-back facts: the old parts' disposal, the explanation of a final amount
beyond tolerance, the follow-up call agreed with the customer (spec stage 7)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from desk.domain import fields, staff
from desk.domain.drafts import FollowUpAgreement
from desk.domain.entities import Disposal, Saved, User, VisitRef
from desk.domain.estimate import AuthorisationDraft
from desk.services.context import Service
from desk.store.models import VisitRow

#: The visit's fields that hold the customer's re-approval of the final amount.
REAPPROVAL = (
    "final_approval_signer",
    "final_approval_channel",
    "final_approval_reference",
    "final_approval_cents",
    "final_approval_at",
)


class DeliveryService(Service):
    def set_disposal(self, actor: User, visit: VisitRef, choice: Disposal | str) -> Saved[None]:
        choice = Disposal(choice)
        return self._set_fields(actor, visit, "visit.disposal", disposal=choice.value)

    def explain_amount(self, actor: User, visit: VisitRef, text: str) -> Saved[None]:
        """DLV-02: the explanation (or re-approval note) of a final beyond tolerance,
        as ``fields.EXPLANATION`` parses it."""
        return self._set_fields(
            actor, visit, "visit.amount_explained", amount_explanation=fields.EXPLANATION.check(text)
        )

    def reapprove(self, actor: User, visit: VisitRef, approval: AuthorisationDraft) -> Saved[None]:
        """DLV-02 beyond the tolerance: the customer's re-approval of the final
        amount, recorded like a signature (who, channel and reference, the amount,
        now), audited. The amount must cover the final amount as it is now. Recorded
        by an advisor, a manager or a foreman, never a technician on his own word
        (``staff.may_record_consent``; on his terminal, act-as with an advisor's PIN)."""
        staff.may_record_consent(actor).check()

        def run(session: Session, row: VisitRow) -> None:
            final = self._facts(session, row).final_total_cents
            approval.covers(final)
            before = {k: getattr(row, k) for k in REAPPROVAL}
            row.final_approval_signer, row.final_approval_channel = approval.signer, approval.channel.value
            row.final_approval_reference, row.final_approval_cents = approval.reference, approval.amount_cents
            row.final_approval_at = self.now()
            self._touch(session, row)
            self._audit(
                session,
                actor,
                "visit.final_approved",
                "visit",
                row.id,
                visit_id=row.id,
                before=before,
                after={**{k: getattr(row, k) for k in REAPPROVAL}, "final_cents": final},
            )

        return self._change(visit, run)

    def agreement(self, at: datetime, channel: str) -> FollowUpAgreement:
        """A follow-up agreement from typed values, within the window from now."""
        return FollowUpAgreement.of(
            at=at, channel=channel, now=self.now(), window_hours=self.policy.followup_window_hours
        )

    def agree_followup(self, actor: User, visit: VisitRef, agreement: FollowUpAgreement) -> Saved[None]:
        """DLV-09: agree when and how the follow-up call happens (the domain
        checked it is within the window)."""
        return self._set_fields(
            actor, visit, "visit.followup_agreed", followup_agreed_at=agreement.at, followup_channel=agreement.channel
        )
