"""Settlement at delivery (DLV-13): the payments, the balance due and the invoice
number as the delivery screen shows them, and the keys that take a payment, void
one and refund (desk.domain.payment's rules; desk.services.settlement saves)."""

from __future__ import annotations

from rich.text import Text

from desk.domain import fields
from desk.domain.money import format_money
from desk.domain.payment import PaymentDraft, invoice_text
from desk.i18n import _
from desk.output.text import payment_words


def settlement_text(view, symbol: str) -> Text:
    """The payments (who took each, when; voids struck through with why), what is
    paid, and the balance due: bold red until it is 0."""
    out = Text()
    out.append(_("Settlement") + ": ", style="bold")
    number = invoice_text(view.visit.invoice_no)
    out.append(_("invoice {number}", number=number) if number else _("no invoice number yet"), style="dim")
    for p in view.payments:
        out.append("\n  ")
        line = f"{p.at:%H:%M} {payment_words(p, symbol)}  {p.by}"
        if p.voided_at is not None:
            out.append(line, style="strike dim")
            out.append("  " + _("void: {reason}", reason=p.void_reason), style="yellow")
        else:
            out.append(line)
    out.append("\n" + _("Paid") + f": {format_money(view.paid, symbol)}   ")
    balance = view.balance
    if balance == 0:
        out.append(_("Balance due") + f": {format_money(0, symbol)}  " + _("settled"), style="bold green")
    elif balance > 0:
        out.append(_("Balance due") + f": {format_money(balance, symbol)} (p)", style="bold red")
    else:
        out.append(_("Refund due") + f": {format_money(-balance, symbol)}", style="bold yellow")
    return out


class SettlementActions:
    """Mixed into the delivery screen: ``p`` takes a payment, ``v`` voids one and
    ``r`` refunds (these two a manager's, with the PIN on this terminal)."""

    def action_pay(self) -> None:
        view = self.view
        if view is None:
            return
        from desk.widgets.dialogs import FormDialog, FormField

        symbol = self.app.settings.currency_symbol
        drafted: dict = {}

        def check(values: dict) -> None:  # the draft's own rules, inline (cash received, method)
            drafted["payment"] = PaymentDraft.from_form(values)

        form = FormDialog(
            _("Payment: balance due {due}", due=format_money(view.balance, symbol)),
            [
                FormField.of(
                    fields.PAYMENT_METHOD, _("Method: 1 cash, 2 card, 3 WeChat Pay, 4 Alipay, 5 account"), "1"
                ),
                FormField.of(fields.PAYMENT_AMOUNT, _("Amount"), fields.Money.show(max(view.balance, 0))),
                FormField.of(fields.CASH_RECEIVED, _("Cash received (cash only; empty: the amount)")),
            ],
            check=check,
        )

        def paid(left) -> None:
            change = drafted["payment"].change_cents
            if change:
                self.notify(_("Give {change} change", change=format_money(change, symbol)))
            self.notify(_("Balance due: {due}", due=format_money(left, symbol)) if left else _("Settled"))
            self.reload()

        self.submit(form, lambda _v: self.desk.settlement.pay(self.user, self.ref, drafted["payment"]), paid)

    def action_void_payment(self) -> None:
        view = self.view
        if view is None:
            return
        from desk.widgets.dialogs import PickDialog, ReasonDialog

        symbol = self.app.settings.currency_symbol
        live = [(p.id, f"{p.at:%H:%M} {payment_words(p, symbol)}") for p in view.payments if p.voided_at is None]
        if not live:
            self.notify(_("No payment to void"), severity="warning")
            return

        def picked(payment_id) -> None:
            if payment_id is None:
                return
            self.submit(
                ReasonDialog(_("Void the payment: why?")),
                lambda reason, actor: self.desk.settlement.void(actor, self.ref, payment_id, reason),
                approve=_("Void a payment"),
            )

        self.app.push_screen(PickDialog(_("Which payment was recorded by mistake?"), live), picked)

    def action_refund(self) -> None:
        if self.view is None:
            return
        from desk.widgets.dialogs import FormDialog, FormField

        form = FormDialog(
            _("Refund: money given back to the customer"),
            [
                FormField.of(
                    fields.PAYMENT_METHOD, _("Method: 1 cash, 2 card, 3 WeChat Pay, 4 Alipay, 5 account"), "1"
                ),
                FormField.of(fields.PAYMENT_AMOUNT, _("Amount")),
                FormField.of(fields.REASON, _("Why")),
            ],
        )
        self.submit(
            form,
            lambda v, actor: self.desk.settlement.refund(actor, self.ref, v["method"], v["amount_cents"], v["reason"]),
            approve=_("Refund"),
        )
