"""A move the advisor confirms ticks the items they were shown, in the move's own
transaction (the arrival's question, the signature form); the signature carries
the promised time. A refused move or signature changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from desk.domain import staff
from desk.domain.errors import GuardFailed, InvalidInput, NotAllowed
from desk.filler import parts_in_stock
from tests import flow


def open_ids(d, vid) -> list[str]:
    return [s.item.id for s in d.checklist.checklist(vid) if s.blocking]


def actions(d, vid) -> list[str]:
    return [e.action for e in d.lifecycle.history(vid)]


def signature(d, vid):
    return d.estimate.signature(channel="1", signer="李伟", reference="P1", amount_cents=d.estimate.estimate_total(vid))


def at_estimate(shop, clock) -> int:
    d = shop.desk
    vid = flow.book(shop, clock, concerns=(("Oil service due", ("service",)),))
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "oil")
    parts_in_stock(d, shop.sa, vid)
    return vid


def test_arrival_ticks_the_confirmed_item_and_arrives_in_one_change(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock)
    assert open_ids(d, vid) == ["APPT-07"]
    mine = staff.yours_to_tick(shop.sa, d.checklist.checklist(vid))
    assert [s.item.id for s in mine] == ["APPT-07"]
    before = d.lifecycle.ref(vid)
    saved = d.lifecycle.arrive(shop.sa, before, tick=["APPT-07"])
    assert saved.value == "RECEPTION" and saved.ref.version > before.version
    view = d.lifecycle.visit_view(vid)
    assert view.visit.stage == "RECEPTION" and view.visit.arrived_at is not None
    (mark,) = [s for s in d.checklist.checklist(vid, "BOOKED") if s.item.id == "APPT-07"]
    assert mark.state == "done" and mark.mark.by_user == shop.sa.id
    tail = actions(d, vid)[-2:]
    assert tail == ["mot.done", "visit.arrive"], tail


def test_a_refused_move_leaves_the_confirmed_items_open(shop, clock):
    d = shop.desk
    vid = at_estimate(shop, clock)  # not signed, no promised time: EST-04 and EST-07 are open
    assert "EST-06" in open_ids(d, vid)
    before = d.lifecycle.ref(vid)
    count = len(actions(d, vid))
    with pytest.raises(GuardFailed) as refused:
        d.lifecycle.advance(shop.sa, before, tick=["EST-06"])
    assert {s.item.id for s in refused.value.items} >= {"EST-04", "EST-07"}
    assert "EST-06" in open_ids(d, vid)  # rolled back with the move
    assert d.lifecycle.ref(vid) == before and len(actions(d, vid)) == count


def test_an_item_not_theirs_or_not_of_the_stage_refuses_the_whole_move(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock)  # a braking noise: WLK-09 is the technician's road test
    flow.to_stage(shop, clock, vid, "WALKAROUND")
    ref = d.lifecycle.ref(vid)
    d.reception.record_walkaround(
        shop.sa, ref, d.reception.readings(odometer_km=50000, fuel_eighths=4), damages=[], damage_confirmed=True
    )
    mine = [s.item.id for s in staff.yours_to_tick(shop.sa, d.checklist.checklist(vid))]
    assert "WLK-09" not in mine and "WLK-01" in mine
    before = d.lifecycle.ref(vid)
    with pytest.raises(NotAllowed):
        d.lifecycle.advance(shop.sa, before, tick=[*mine, "WLK-09"])
    with pytest.raises(InvalidInput, match="not an item of this stage"):
        d.lifecycle.advance(shop.sa, before, tick=["EST-06"])
    assert d.lifecycle.ref(vid) == before and set(mine) <= set(open_ids(d, vid))


def test_the_signature_sets_the_promised_time_it_was_signed_for(shop, clock):
    d = shop.desk
    vid = at_estimate(shop, clock)
    at = (clock.now + timedelta(hours=3)).replace(second=0, microsecond=0)
    saved = d.estimate.authorise(shop.sa, d.lifecycle.ref(vid), signature(d, vid), promised_at=at)
    view = d.lifecycle.visit_view(vid)
    assert view.authorised and view.visit.promised_at == at
    assert actions(d, vid)[-2:] == ["visit.promised", "estimate.authorise"]
    # the advisor's own item named on the form is ticked by the move that follows
    moved = d.lifecycle.advance(shop.sa, saved.ref, tick=["EST-06"])
    assert moved.value == "IN_REPAIR"


def test_the_same_promised_time_signed_again_writes_no_second_promise(shop, clock):
    d = shop.desk
    vid = at_estimate(shop, clock)
    at = (clock.now + timedelta(hours=3)).replace(second=0, microsecond=0)
    d.lifecycle.set_promised(shop.sa, d.lifecycle.ref(vid), at)
    d.estimate.authorise(shop.sa, d.lifecycle.ref(vid), signature(d, vid), promised_at=at)
    assert actions(d, vid).count("visit.promised") == 1


def test_a_promise_before_a_parts_eta_refuses_the_signature(shop, clock):
    d = shop.desk
    vid = at_estimate(shop, clock)
    d.estimate.add_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(
            kind="part",
            description="Wiper set",
            qty=Decimal(1),
            unit_cents=16800,
            availability="back_order",
            eta=(clock.now + timedelta(days=3)).date(),
        ),
    )
    before = d.lifecycle.ref(vid)
    with pytest.raises(InvalidInput):
        d.estimate.authorise(shop.sa, before, signature(d, vid), promised_at=clock.now + timedelta(hours=2))
    view = d.lifecycle.visit_view(vid)
    assert not view.authorised and view.visit.promised_at is None and d.lifecycle.ref(vid) == before
