"""The stage stopwatch (desk.services.timeline) over voided signatures."""

from datetime import timedelta
from decimal import Decimal

from desk import filler
from tests import flow


def test_a_car_sent_to_repair_on_a_waiver_after_its_signature_was_voided_is_never_timed_from_that_signature(
    shop, clock
):
    """Found by the breaking test of issue 25: sign, add a line (the signature is
    void), a manager waives EST-07, the car goes into repair. The stopwatch shows
    no "Signed", lists the signature as void, and no interval starts at it."""
    d = shop.desk
    vid = flow.book(shop, clock)
    clock.advance(minutes=61)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "brake_pads")
    filler.parts_in_stock(d, shop.sa, vid)
    filler.promise(d, shop.sa, vid, clock.now + timedelta(hours=4))
    flow.tick_open(d, shop.sa, vid)
    clock.advance(minutes=5)
    filler.sign(d, shop.sa, vid, signer="李伟", reference="P0001")
    clock.advance(minutes=5)
    d.estimate.add_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(kind="fee", description="Disposal fee", qty=Decimal(1), unit_cents=1500),
    )
    clock.advance(minutes=5)
    d.checklist.mark_item(shop.mgr, d.lifecycle.ref(vid), "EST-07", "waived", "customer on phone, ok")
    clock.advance(minutes=5)
    d.lifecycle.advance(shop.sa, d.lifecycle.ref(vid))
    clock.advance(minutes=5)
    tl = d.timeline.timeline(vid)
    signed_at = tl.void_signed[0]
    assert "signed" not in dict(tl.milestones)
    assert all(i.start != signed_at for i in [*tl.intervals, tl.running] if i is not None)
    assert tl.running.key == "started" and tl.running.start == dict(tl.milestones)["presented"]
