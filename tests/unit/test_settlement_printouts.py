"""The invoice carries the settlement (issue 29 item 2): its number, each payment
with its method (cash with the change), what is paid and the balance due, in the
text and in the PDF; the tax with its rate beside it (item 1)."""

from __future__ import annotations

from datetime import datetime

from desk.config import Settings
from desk.domain.payment import PaymentDraft
from desk.output import pdf
from desk.output import text as printout
from tests.unit.test_pdf import text_of
from tests.unit.test_settlement import ready_visit

PRINTED = datetime(2026, 11, 23, 15, 0)


def squeezed(text: str) -> str:
    return " ".join(text.split())


def test_the_invoice_prints_its_number_the_payments_and_the_balance(shop, clock):
    d = shop.desk
    vid = ready_visit(shop, clock)
    total = d.lifecycle.visit_view(vid).totals.total
    d.settlement.pay(shop.sa, d.lifecycle.ref(vid), PaymentDraft.of(method="wechat", amount_cents=10000))
    view = d.lifecycle.visit_view(vid)
    doc = printout.invoice_doc(view, Settings(), d.lifecycle.next_service_due(vid), printed_at=PRINTED)
    body = squeezed(doc.text())
    left = total - 10000
    assert "Invoice No.: 000001" in body and "WeChat Pay ¥100.00" in body
    assert "Paid: ¥100.00" in body and f"Balance due: {printout.format_money(left, '¥')}" in body
    assert "Tax VAT13 (13%)" in body
    d.settlement.pay(
        shop.sa, d.lifecycle.ref(vid), PaymentDraft.of(method="cash", amount_cents=left, received_cents=left + 2000)
    )
    view = d.lifecycle.visit_view(vid)
    doc = printout.invoice_doc(view, Settings(), d.lifecycle.next_service_due(vid), printed_at=PRINTED)
    body = squeezed(doc.text())
    assert "change ¥20.00" in body and "Balance due: ¥0.00" in body
    assert dict(doc.totals)["Paid"] == printout.format_money(total, "¥")
    read = squeezed(text_of(pdf.render(doc)))
    for words in ("000001", "WeChat Pay", "change ¥20.00", "Balance due", "VAT13 (13%)"):
        assert words in read, words
