"""Hand-back facts: the old parts' disposal, the explanation of a final amount
beyond tolerance, the follow-up call agreed with the customer (spec stage 7)."""

from __future__ import annotations

from datetime import datetime, timedelta

from desk.domain import validate
from desk.domain.entities import Disposal, Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.services.context import Service


class DeliveryService(Service):
    def set_disposal(self, actor: User, visit: VisitRef, choice: Disposal | str) -> Saved[None]:
        choice = Disposal(choice)
        return self._set_fields(actor, visit, "visit.disposal", disposal=choice.value)

    def explain_amount(self, actor: User, visit: VisitRef, text: str) -> Saved[None]:
        """DLV-02: the explanation (or re-approval note) of a final beyond tolerance."""
        text = validate.text(text, field="explanation", max_len=1000, required=True)
        return self._set_fields(actor, visit, "visit.amount_explained", amount_explanation=text)

    def agree_followup(self, actor: User, visit: VisitRef, at: datetime, channel: str) -> Saved[None]:
        """DLV-09: agree when and how the follow-up call happens (within the window)."""
        channel = validate.text(channel, field="channel", max_len=20, required=True)
        now = self.now()
        if not now <= at <= now + timedelta(hours=self.policy.followup_window_hours):
            raise InvalidInput(
                "followup", "Agree a time within {hours} hours", {"hours": self.policy.followup_window_hours}
            )
        return self._set_fields(actor, visit, "visit.followup_agreed",
                                followup_agreed_at=at, followup_channel=channel)
