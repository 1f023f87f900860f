"""Declined work comes back: which earlier lines are offered, and at what price."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from desk.domain import carryover as co
from desk.domain.entities import Approval, EstimateLine, LineKind


def earlier(
    line_id,
    desc="Front brake pad set",
    kind=LineKind.PART,
    unit=40000,
    day=date(2026, 10, 1),
    visit=1,
    list_cents=None,
    qty="1",
):
    ln = EstimateLine(
        kind=kind,
        description=desc,
        qty=Decimal(qty),
        unit_cents=unit,
        approval=Approval.DECLINED,
        added_in_repair=True,
        id=line_id,
        list_cents=list_cents,
        discount_pct=Decimal(5),
    )
    return co.Earlier(line_id=line_id, visit_id=visit, visit_number=f"RO{visit}", day=day, line=ln)


PRICES = co.catalogue(
    [
        {"kind": "part", "description": "Front brake pad set", "unit_cents": 42000},
        {"kind": "labour", "description": "Free 21-point check", "unit_cents": 18000, "free": True},
        {"kind": "part", "description": "front  BRAKE pad set", "unit_cents": 1},  # a later job: the first wins
    ]
)


def test_a_catalogue_line_is_priced_at_todays_catalogue_price():
    offer = co.reprice(earlier(1, "Front Brake Pad  Set"), PRICES, 20000)
    assert (offer.unit_cents, offer.list_cents, offer.source) == (42000, 42000, co.PriceSource.CATALOGUE)


def test_labour_the_catalogue_does_not_know_takes_todays_labour_rate():
    offer = co.reprice(earlier(1, "Replace wiper motor", LineKind.LABOUR, unit=15000, qty="1.5"), PRICES, 20000)
    assert (offer.unit_cents, offer.source) == (20000, co.PriceSource.LABOUR_RATE)
    assert offer.draft_values()["qty"] == Decimal("1.5")


def test_a_free_catalogue_line_is_no_price_for_a_paid_one():
    offer = co.reprice(earlier(1, "Free 21-point check", LineKind.LABOUR, unit=9000), PRICES, None)
    assert (offer.unit_cents, offer.source) == (9000, co.PriceSource.LAST_PRICE)


def test_an_unknown_part_keeps_its_last_price_and_no_discount_is_carried():
    offer = co.reprice(earlier(1, "Wiper blades", unit=6000, list_cents=6500), PRICES, 20000)
    assert (offer.unit_cents, offer.list_cents, offer.source) == (6000, 6500, co.PriceSource.LAST_PRICE)
    assert set(offer.draft_values()) == {"kind", "description", "qty", "unit_cents"}


def test_offers_leave_out_carried_lines_and_later_visits_and_keep_the_newest_of_the_same_work():
    old = earlier(1, day=date(2026, 9, 1), visit=1)
    newer = earlier(2, "front brake pad set", day=date(2026, 10, 1), visit=2)
    carried = earlier(3, "Wiper blades", day=date(2026, 10, 1), visit=2)
    future = earlier(4, "Cabin air filter", day=date(2026, 12, 1), visit=5)
    out = co.open_offers([old, newer, carried, future], carried=[3], before=date(2026, 11, 1))
    assert [e.line_id for e in out] == [2]


def test_a_declined_line_is_later_done_only_when_a_line_added_from_it_was_done():
    assert co.later_done(co.DeclinedRec(1, 10, datetime(2026, 10, 1), datetime(2026, 11, 1), 7))
    assert not co.later_done(co.DeclinedRec(1, 10, datetime(2026, 10, 1)))


def test_a_typed_line_is_the_catalogue_line_its_name_is_or_is_alike():
    book = [
        {"kind": "part", "description": "Front brake pad set", "unit_cents": 42000},
        {"kind": "part", "description": "Rear brake pad set", "unit_cents": 38000},
        {"kind": "part", "description": "Engine oil 5W-30 4L", "unit_cents": 32000},
        {"kind": "labour", "description": "Replace front brake pads", "unit_cents": 18000},
        {"kind": "labour", "description": "Free safety check", "unit_cents": 0, "free": True},
        {"kind": "part", "description": "机油滤清器", "unit_cents": 6000},
    ]

    def found(kind, name):
        ln = co.book_line(kind, name, book)
        return None if ln is None else ln["description"]

    assert found("part", "Front brake pad set.") == "Front brake pad set"
    assert found("part", "FRONT-BRAKE-PAD-SET") == "Front brake pad set"
    assert found("part", "Front brake pads set") == "Front brake pad set"  # alike
    assert found("fee", "Front brake pad set") == "Front brake pad set"  # any kind
    assert found("part", "Rear brake pad set") == "Rear brake pad set"  # not the front's
    assert found("labour", "Replace front brake pads.") == "Replace front brake pads"
    assert found("part", "机油滤清器。") == "机油滤清器"
    assert found("part", "Engine oil 5W-40 4L") is None  # another grade, not alike
    assert found("part", "Oil filter") is None
    assert found("labour", "Free safety check") is None  # a free line is no price
    assert found("part", "...") is None
