"""What the services return so a screen redraws in place (issue #6): mark_item
returns the item's new status, add_estimate_line the new line and totals; each
is exactly what a fresh read of the visit says."""

from __future__ import annotations

import pytest

from desk.domain.checklist import ItemState, MarkKind
from desk.domain.errors import NotAllowed
from tests import flow


def _fresh(desk, vid, item_id):
    return next(s for s in desk.lifecycle.visit_view(vid).checklist if s.item.id == item_id)


def test_tick_returns_the_done_status_a_reload_shows(shop, clock):
    vid = flow.book(shop, clock)
    assert _fresh(shop.desk, vid, "APPT-07").state == ItemState.OPEN
    status = shop.desk.checklist.mark_item(shop.sa, shop.desk.lifecycle.ref(vid), "APPT-07", MarkKind.DONE).value
    assert status.item.id == "APPT-07"
    assert status.state == ItemState.DONE and not status.blocking
    assert status.mark is not None and status.mark.by_user == shop.sa.id and status.mark.kind == MarkKind.DONE
    assert status == _fresh(shop.desk, vid, "APPT-07")


def test_waiver_returns_the_waived_status_with_its_reason(shop, clock):
    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    status = shop.desk.checklist.mark_item(
        shop.mgr, shop.desk.lifecycle.ref(vid), "RCP-04", MarkKind.WAIVED, "customer left in a hurry"
    ).value
    assert status.state == ItemState.WAIVED and status.mark.reason == "customer left in a hurry"
    assert status == _fresh(shop.desk, vid, "RCP-04")


def test_refused_mark_returns_nothing_and_writes_nothing(shop, clock):
    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    before = _fresh(shop.desk, vid, "RCP-04")
    with pytest.raises(NotAllowed):
        shop.desk.checklist.mark_item(
            shop.sa, shop.desk.lifecycle.ref(vid), "RCP-04", MarkKind.WAIVED, "customer left in a hurry"
        )
    assert _fresh(shop.desk, vid, "RCP-04") == before and before.state == ItemState.OPEN


def test_add_estimate_line_returns_the_line_and_the_totals_a_reload_shows(shop, clock):
    from decimal import Decimal

    vid = flow.book(shop, clock)
    first = shop.desk.estimate.add_estimate_line(
        shop.sa,
        shop.desk.lifecycle.ref(vid),
        shop.desk.estimate.draft(kind="labour", description="Brake service", qty=Decimal("1.5"), unit_cents=18000),
    ).value
    added = shop.desk.estimate.add_estimate_line(
        shop.sa,
        shop.desk.lifecycle.ref(vid),
        shop.desk.estimate.draft(
            kind="part", description="Wiper set", qty=Decimal(2), unit_cents=16800, discount_pct=Decimal(5)
        ),
    ).value
    view = shop.desk.lifecycle.visit_view(vid)
    assert [ln.id for ln in view.lines][-2:] == [first.line.id, added.line.id]
    assert added.line == view.lines[-1] and added.line.description == "Wiper set"
    assert added.estimate_totals == view.estimate_totals and added.totals == view.totals
    assert added.estimate_totals.gross > first.estimate_totals.gross > 0
    assert added.estimate_version == view.visit.estimate_version == first.estimate_version + 1
    ev = shop.desk.lifecycle.history(vid)[-1]
    assert ev.action == "line.add" and "Wiper set" in ev.after


def test_add_estimate_line_refuses_a_price_override_and_writes_nothing(shop, clock):
    from decimal import Decimal

    vid = flow.book(shop, clock)
    before = shop.desk.lifecycle.visit_view(vid)
    with pytest.raises(NotAllowed):
        shop.desk.estimate.add_estimate_line(
            shop.sa,
            shop.desk.lifecycle.ref(vid),
            shop.desk.estimate.draft(
                kind="labour", description="Goodwill", qty=Decimal(1), unit_cents=10000, discount_pct=Decimal(90)
            ),
        )
    after = shop.desk.lifecycle.visit_view(vid)
    assert after.lines == before.lines and after.estimate_totals == before.estimate_totals
