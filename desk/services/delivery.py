"""Hand-back facts: the old parts' disposal, the explanation of a final amount
beyond tolerance, the follow-up call agreed with the customer (spec stage 7)."""

from __future__ import annotations

from datetime import datetime

from desk.domain import fields
from desk.domain.drafts import FollowUpAgreement
from desk.domain.entities import Disposal, Saved, User, VisitRef
from desk.services.context import Service


class DeliveryService(Service):
    def set_disposal(self, actor: User, visit: VisitRef, choice: Disposal | str) -> Saved[None]:
        choice = Disposal(choice)
        return self._set_fields(actor, visit, "visit.disposal", disposal=choice.value)

    def explain_amount(self, actor: User, visit: VisitRef, text: str) -> Saved[None]:
        """DLV-02: the explanation (or re-approval note) of a final beyond tolerance,
        as ``fields.EXPLANATION`` parses it."""
        return self._set_fields(actor, visit, "visit.amount_explained",
                                amount_explanation=fields.EXPLANATION.check(text))

    def agreement(self, at: datetime, channel: str) -> FollowUpAgreement:
        """A follow-up agreement from typed values, within the window from now."""
        return FollowUpAgreement.of(at=at, channel=channel, now=self.now(),
                                    window_hours=self.policy.followup_window_hours)

    def agree_followup(self, actor: User, visit: VisitRef, agreement: FollowUpAgreement) -> Saved[None]:
        """DLV-09: agree when and how the follow-up call happens (the domain
        checked it is within the window)."""
        return self._set_fields(actor, visit, "visit.followup_agreed",
                                followup_agreed_at=agreement.at, followup_channel=agreement.channel)
