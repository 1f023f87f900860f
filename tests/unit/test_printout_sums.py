"""Paper that adds up (issue 29, found again by the breaking test of issue 24):
the estimate and the invoice print the lines as the table shows them, less what
is not charged and the member discount, as the net; the tax per code; the
total. Random estimates, each sum checked from the printed text alone."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desk.config import Settings
from desk.output import text as printout
from desk.store.models import CustomerRow
from tests import flow

PRINTED = datetime(2026, 11, 23, 12, 0)

LINE = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["labour", "part", "fee"]),
        "qty": st.sampled_from([Decimal(1), Decimal(2), Decimal("0.5"), Decimal(3)]),
        "unit_cents": st.integers(100, 200_000),
        "discount_pct": st.sampled_from([Decimal(0), Decimal(5), Decimal("7.5")]),
        "free": st.booleans(),
    }
)


def cents(text: str) -> int:
    """ "-¥1,234.56" -> -123456."""
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("-").lstrip("¥").replace(",", "")
    return sign * int(Decimal(digits) * 100)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(LINE, min_size=1, max_size=4), member=st.booleans())
def test_every_printed_sum_adds_up(shop, clock, lines, member):
    d = shop.desk
    with d.ctx.engine.begin() as conn:
        conn.execute(
            sa.update(CustomerRow.__table__).where(CustomerRow.__table__.c.id == shop.customer).values(member=member)
        )
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    for i, ln in enumerate(lines):
        d.estimate.add_estimate_line(
            shop.mgr,
            d.lifecycle.ref(vid),
            d.estimate.draft(description=f"Line {i}", availability="in_stock" if ln["kind"] == "part" else None, **ln),
        )
    view = d.lifecycle.visit_view(vid)
    doc = printout.estimate_doc(view, Settings(), printed_at=PRINTED)
    sums = dict(doc.totals)
    net_col = doc.table_head.index("Net")
    printed = sum(cents(row[net_col]) for row in doc.table)
    assert cents(sums["Lines"]) == printed
    less = cents(sums.get("Not charged", "0")) + cents(sums.get("Member discount", "0"))
    assert printed + less == cents(sums["Net"]), sums
    taxes = sum(cents(v) for k, v in doc.totals if k.startswith("Tax"))
    assert cents(sums["Net"]) + taxes == cents(sums["Total"]), sums
    assert ("Member discount" in sums) == (
        member and view.estimate_totals.net < printed - view.estimate_totals.not_charged
    )
    text = doc.text()
    for label, value in doc.totals:  # the text printout carries every one of them
        assert label in text and value in text


def test_paper_without_an_estimate_signature_still_shows_what_was_approved_and_the_difference():
    """EST-07 waived, added work approved, the final amount re-approved: the invoice
    said only 'nothing signed' (breaking test of issue 25)."""
    from datetime import datetime
    from types import SimpleNamespace

    from desk.output.text import _signed_notes, _signed_rows

    visit = SimpleNamespace(
        final_approval_cents=107350,
        final_approval_signer="赵涛",
        final_approval_channel="in_person",
        final_approval_reference="",
        final_approval_at=datetime(2026, 12, 7, 23, 38),
    )
    view = SimpleNamespace(signature=None, authorised_amount=42940, void=None, visit=visit)
    rows = dict(_signed_rows(view, 107350, "¥"))
    assert rows["Signed by the customer"] == "nothing signed"
    assert rows["Added work approved"] == "¥429.40" and rows["Difference"] == "+¥644.10"
    assert any("Re-approved by the customer: ¥1,073.50, 赵涛" in n for n in _signed_notes(view, "¥"))


def test_the_ready_screen_without_an_estimate_signature_shows_the_added_work_its_difference_is_against():
    """'nothing signed' beside 'Difference: +¥644.10', an amount taken from what the
    screen never showed (breaking test of issue 25)."""
    from types import SimpleNamespace

    from desk.screens.delivery import signed_text

    view = SimpleNamespace(signature=None, authorised_amount=42940, void=None)
    shown = signed_text(view, "¥").plain
    assert "nothing signed" in shown and "Added work approved: ¥429.40" in shown
