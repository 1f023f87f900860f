"""Settlement at delivery (DLV-13): payments, change, the balance due, the invoice number.

A visit is paid by one or more payments (cash, card, WeChat Pay, Alipay, the
customer's account), each in integer cents. Cash may be handed over above the
amount: the difference is the change given back. A payment never pays more than
the balance due. A refund gives money back (with a reason); a payment recorded by
mistake is voided (with a reason): it stays on record, counted for nothing.

The balance due is the final amount less what is paid; the visit is settled when
it is 0. Delivering with a balance left needs a manager (``staff.may_deliver_with_balance``).

The invoice number comes from the shop's one gapless sequence, taken in the same
transaction as the visit's first payment (or its delivery when nothing was paid):
a transaction that fails takes none, so the numbers have no gaps.

Pure domain code: no UI or database imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from desk.domain import fields
from desk.domain.errors import InvalidInput
from desk.i18n import N_


class Method(StrEnum):
    CASH = "cash"
    CARD = "card"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    ACCOUNT = "account"


#: How each method is shown (msgids: translate with ``_``).
METHOD_LABELS = {
    Method.CASH: N_("cash"),
    Method.CARD: N_("card"),
    Method.WECHAT: N_("WeChat Pay"),
    Method.ALIPAY: N_("Alipay"),
    Method.ACCOUNT: N_("account"),
}


class Kind(StrEnum):
    PAYMENT = "payment"
    REFUND = "refund"


#: The name of the invoice numbers' sequence (``shop_sequence`` table).
INVOICE_SEQUENCE = "invoice"


def method_label(method: str) -> str:
    """The msgid naming a stored method (as stored when unknown)."""
    return METHOD_LABELS.get(method, method)  # type: ignore[call-overload]


def invoice_text(number: int | None) -> str:
    """The invoice number as printed: six digits, or "" before it has one."""
    return f"{number:06d}" if number else ""


@dataclass(frozen=True)
class Payment:
    """One payment (or refund) of a visit, as recorded."""

    id: int
    kind: Kind
    method: Method
    amount_cents: int
    at: datetime
    by: str = ""
    #: Cash handed over (None: not cash, or exactly the amount) and the change given.
    received_cents: int | None = None
    change_cents: int = 0
    reason: str = ""
    voided_at: datetime | None = None
    void_reason: str = ""

    @property
    def counts(self) -> int:
        """What it adds to the amount paid: a refund takes away, a void nothing."""
        if self.voided_at is not None:
            return 0
        return -self.amount_cents if self.kind == Kind.REFUND else self.amount_cents


def paid(payments) -> int:
    """What the customer has paid, refunds taken off, voids left out."""
    return sum(p.counts for p in payments)


def balance_due(total_cents: int, payments) -> int:
    """What is still to pay (negative: paid too much, a refund is due)."""
    return total_cents - paid(payments)


@dataclass(frozen=True)
class PaymentDraft:
    """A payment as typed and checked against the balance due when it was typed."""

    method: Method
    amount_cents: int
    received_cents: int | None = None

    @property
    def change_cents(self) -> int:
        return 0 if self.received_cents is None else self.received_cents - self.amount_cents

    @classmethod
    def of(cls, *, method: str, amount_cents: int, received_cents: int | None = None) -> PaymentDraft:
        """``method``, ``amount_cents`` (at least a cent) and, for cash, what was
        handed over (not less than the amount: the change is the difference)."""
        method = Method(fields.PAYMENT_METHOD.check(method))
        amount = fields.PAYMENT_AMOUNT.check(amount_cents)
        received = fields.CASH_RECEIVED.check(received_cents)
        if received is not None and method != Method.CASH:
            raise InvalidInput("received_cents", N_("Only cash is handed over with change: leave it empty"))
        if received is not None and received < amount:
            raise InvalidInput("received_cents", N_("The cash received is less than the amount"))
        return cls(method, amount, received)

    @classmethod
    def from_form(cls, values: dict) -> PaymentDraft:
        return cls.of(
            method=values["method"], amount_cents=values["amount_cents"], received_cents=values.get("received_cents")
        )

    def check(self, balance_cents: int) -> None:
        """Refused when it pays more than is due (nothing is due: no payment)."""
        if balance_cents <= 0:
            raise InvalidInput("amount_cents", N_("Nothing is due: the visit is settled"))
        if self.amount_cents > balance_cents:
            raise InvalidInput(
                "amount_cents", N_("More than the balance due ({due})"), {"due": fields.Money.show(balance_cents)}
            )


def check_refund(amount_cents: int, payments) -> None:
    """A refund gives back at most what was paid."""
    fields.PAYMENT_AMOUNT.check(amount_cents)
    if amount_cents > paid(payments):
        raise InvalidInput(
            "amount_cents", N_("More than was paid ({paid})"), {"paid": fields.Money.show(paid(payments))}
        )
