"""Settlement at delivery (DLV-13): payments, change, voids and refunds, the
invoice number (desk.domain.payment). One transaction each, audited with the change."""

from __future__ import annotations

from sqlmodel import Session

from desk.domain import fields, staff
from desk.domain.entities import Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.domain.payment import INVOICE_SEQUENCE, Kind, Method, PaymentDraft, check_refund
from desk.services.context import Service
from desk.store import repo
from desk.store.models import PaymentRow, VisitRow


def issue_invoice(session: Session, visit: VisitRow) -> int:
    """The visit's invoice number, taken from the shop's sequence in this write
    transaction the first time (a rollback gives it back: no gaps)."""
    if visit.invoice_no is None:
        visit.invoice_no = repo.next_number(session=session, name=INVOICE_SEQUENCE)
    return visit.invoice_no


class SettlementService(Service):
    def draft(self, **values) -> PaymentDraft:
        return PaymentDraft.of(**values)

    def pay(self, actor: User, visit: VisitRef, draft: PaymentDraft) -> Saved[int]:
        """Take a payment: never more than the balance due now; the visit's invoice
        number is taken with its first one. Returns the balance still due."""

        def run(session: Session, row: VisitRow) -> int:
            facts = self._facts(session, row)
            balance = facts.final_total_cents - facts.paid_cents
            draft.check(balance)
            number = issue_invoice(session, row)
            payment = PaymentRow(
                visit_id=row.id,
                kind=Kind.PAYMENT.value,
                method=draft.method.value,
                amount_cents=draft.amount_cents,
                received_cents=draft.received_cents,
                change_cents=draft.change_cents,
                at=self.now(),
                by_user=actor.id,
            )
            session.add(payment)
            self._touch(session, row)  # flushes: the payment has its id for the audit
            left = balance - draft.amount_cents
            self._audit(
                session,
                actor,
                "payment.take",
                "payment",
                payment.id,
                visit_id=row.id,
                after={
                    "invoice_no": number,
                    "method": draft.method.value,
                    "amount_cents": draft.amount_cents,
                    "received_cents": draft.received_cents,
                    "change_cents": draft.change_cents,
                    "balance_cents": left,
                },
            )
            return left

        return self._change(visit, run)

    def void(self, actor: User, visit: VisitRef, payment_id: int, reason: str) -> Saved[None]:
        """A payment (or refund) recorded by mistake counts for nothing from now on;
        it stays on record with who voided it, when and why (a manager or foreman)."""
        staff.may_void_payment(actor).check()
        reason = fields.REASON.check(reason)

        def run(session: Session, row: VisitRow) -> None:
            payment = session.get(PaymentRow, payment_id)
            if payment is None or payment.visit_id != row.id:
                raise InvalidInput("payment", "No such payment on this visit")
            if payment.voided_at is not None:
                raise InvalidInput("payment", "That payment is void already")
            payment.voided_at, payment.voided_by, payment.void_reason = self.now(), actor.id, reason
            session.add(payment)
            self._touch(session, row)
            self._audit(
                session,
                actor,
                "payment.void",
                "payment",
                payment.id,
                visit_id=row.id,
                before={"method": payment.method, "amount_cents": payment.amount_cents, "kind": payment.kind},
                after={"voided": True, "reason": reason},
            )

        return self._change(visit, run)

    def refund(self, actor: User, visit: VisitRef, method: str, amount_cents: int, reason: str) -> Saved[None]:
        """Money given back to the customer (at most what was paid), with the
        reason, by a manager or foreman."""
        staff.may_void_payment(actor).check()
        reason = fields.REASON.check(reason)
        method = Method(fields.PAYMENT_METHOD.check(method))

        def run(session: Session, row: VisitRow) -> None:
            check_refund(amount_cents, repo.payments(session=session, visit_id=row.id))
            refund = PaymentRow(
                visit_id=row.id,
                kind=Kind.REFUND.value,
                method=method.value,
                amount_cents=amount_cents,
                reason=reason,
                at=self.now(),
                by_user=actor.id,
            )
            session.add(refund)
            self._touch(session, row)
            self._audit(
                session,
                actor,
                "payment.refund",
                "payment",
                refund.id,
                visit_id=row.id,
                after={"method": method.value, "amount_cents": amount_cents, "reason": reason},
            )

        return self._change(visit, run)
