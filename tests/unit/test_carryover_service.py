"""Declined work comes back: offered on the car's next visit at today's price,
added with its origin, counted as later done on the dashboard."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from desk.domain.carryover import PriceSource
from desk.domain.errors import InvalidInput, StaleEdit
from desk.services.reports import day_range
from tests import flow


def declined_lines(shop, clock, parts: dict[str, int]) -> tuple[int, list[int]]:
    """A visit delivered with found work (part -> price) the customer declined."""
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    lines = [
        d.workshop.add_found_work(
            shop.tech,
            d.lifecycle.ref(vid),
            finding=d.reception.finding(f"{desc}: worn", "yellow"),
            line=d.estimate.draft(
                kind="part", description=desc, qty=Decimal(1), unit_cents=cents, availability="in_stock"
            ),
        ).value
        for desc, cents in parts.items()
    ]
    d.workshop.decide_added_work(
        shop.sa,
        d.lifecycle.ref(vid),
        lines,
        approve=False,
        decision=d.workshop.decision(channel="phone", signer="李伟"),
    )
    flow.to_stage(shop, clock, vid, "DELIVERED")
    return vid, lines


def declined_visit(shop, clock, *, description="Front brake pad set", unit_cents=39000) -> tuple[int, int]:
    """A visit delivered with one line of found work the customer declined."""
    vid, [line] = declined_lines(shop, clock, {description: unit_cents})
    return vid, line


def test_a_declined_line_is_offered_on_the_next_visit_at_todays_price_and_added_with_its_origin(shop, clock):
    d = shop.desk
    first, line = declined_visit(shop, clock)
    assert [o.line_id for o in d.carryover.for_vehicle(shop.vehicle)] == [line]
    clock.advance(days=20)
    nxt = flow.book(shop, clock)
    [offer] = d.carryover.for_visit(nxt)
    assert (offer.line_id, offer.unit_cents, offer.source) == (line, 42000, PriceSource.CATALOGUE)  # not 390.00
    assert offer.earlier.visit_id == first
    saved = d.carryover.add(shop.sa, d.lifecycle.ref(nxt), [line])
    view = d.lifecycle.visit_view(nxt)
    added = next(ln for ln in view.lines if ln.id == saved.value[0])
    assert (added.carried_from_id, added.unit_cents, added.approval, added.availability) == (
        line,
        42000,
        "approved",
        "unknown",
    )  # stock is checked again
    assert saved.ref.version == view.ref.version
    assert d.carryover.for_visit(nxt) == []  # offered once
    assert [e.action for e in d.lifecycle.history(nxt)][-1] == "line.add"
    with pytest.raises(InvalidInput):  # another terminal added it meanwhile
        d.carryover.add(shop.sa, d.lifecycle.ref(nxt), [line])


def test_adding_declined_work_on_a_stale_visit_is_refused(shop, clock):
    d = shop.desk
    _vid, line = declined_visit(shop, clock)
    clock.advance(days=20)
    nxt = flow.book(shop, clock)
    ref = d.lifecycle.ref(nxt)
    d.reception.add_concern(shop.sa, ref, d.reception.concern("Rattle at the back", []))
    with pytest.raises(StaleEdit):
        d.carryover.add(shop.sa, ref, [line])


def test_removing_the_added_line_offers_it_again_and_the_dashboard_counts_it_once_done(shop, clock):
    d = shop.desk
    first, line = declined_visit(shop, clock)
    declined_day = clock.now.date()
    clock.advance(days=20)
    nxt = flow.book(shop, clock)
    [new] = d.carryover.add(shop.sa, d.lifecycle.ref(nxt), [line]).value
    d.estimate.remove_line(shop.sa, d.lifecycle.ref(nxt), new)
    assert [o.line_id for o in d.carryover.for_visit(nxt)] == [line]
    start, end = day_range(declined_day, declined_day)
    m = d.reports.kpi_report(start, end).row("declined_done").measure
    assert (m.num, m.den, m.visits, m.hits) == (0, 1, (first,), ())
    d.carryover.add(shop.sa, d.lifecycle.ref(nxt), [line])
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(nxt), "tyre_rotation")  # labour too (EST-03)
    flow.to_stage(shop, clock, nxt, "DELIVERED")
    report = d.reports.kpi_report(start, end)
    m = report.row("declined_done").measure
    assert (m.num, m.den, m.hits, m.value) == (1, 1, (first,), Decimal("100.0"))
    assert m.notes[first] == "-> " + d.lifecycle.visit_view(nxt).visit.number
    assert (
        d.reports.kpi_report(*day_range(declined_day + timedelta(days=1), clock.now.date()))
        .row("declined_done")
        .measure.den
        == 0
    )  # anchored on the declining visit's delivery
