"""The services behind "signed means signed" (issue 25, items 1 and 7): the
customer's re-approval of a final amount must cover it and is audited; a voided
signature is explained by the change of the priced lines that voided it, and a
part's stock or ETA voids nothing."""

from __future__ import annotations

import pytest

from desk import filler
from desk.domain.errors import InvalidInput, NotAllowed
from desk.domain.estimate import Signature
from tests import flow


def signed_estimate(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "brake_pads")
    filler.parts_in_stock(d, shop.sa, vid)
    filler.sign(d, shop.sa, vid, signer="李伟", reference="P0001")
    return vid


def test_a_stock_change_voids_nothing_a_price_change_says_who_changed_which_line(shop, clock):
    d = shop.desk
    vid = signed_estimate(shop, clock)
    part = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.kind == "part")
    d.estimate.update_line(shop.sa, d.lifecycle.ref(vid), part.id, d.estimate.patch(availability="back_order"))
    view = d.lifecycle.visit_view(vid)
    assert view.authorised and view.void is None and view.voids == {}
    d.estimate.update_line(shop.mgr, d.lifecycle.ref(vid), part.id, d.estimate.patch(unit_cents=40000))
    view = d.lifecycle.visit_view(vid)
    assert not view.authorised
    msg, values = view.void
    assert msg == "signature of {at} void: line '{line}' changed by {by}"
    assert values == {"at": f"{view.signature.at:%H:%M}", "line": "Front brake pad set", "by": "周经理"}
    # signed again, then a line removed: the first signature keeps its reason, the second has its own
    filler.sign(d, shop.sa, vid, signer="李伟", reference="P0002")
    assert d.lifecycle.visit_view(vid).void is None
    d.estimate.remove_line(shop.sa, d.lifecycle.ref(vid), part.id)
    view = d.lifecycle.visit_view(vid)
    reasons = sorted(m for m, _v in view.voids.values())
    assert reasons == [
        "signature of {at} void: line '{line}' changed by {by}",
        "signature of {at} void: line '{line}' removed by {by}",
    ]


def test_the_re_approval_covers_the_final_amount_and_is_audited(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "READY")
    final = d.lifecycle.visit_view(vid).totals.total
    short = d.estimate.signature(channel="phone", signer="李伟", reference="13812345678", amount_cents=final - 1)
    with pytest.raises(InvalidInput) as refused:
        d.delivery.reapprove(shop.sa, d.lifecycle.ref(vid), short)
    assert refused.value.field == "amount_cents"
    assert d.lifecycle.visit_view(vid).visit.final_approval_cents is None
    ok = d.estimate.signature(channel="phone", signer="李伟", reference="13812345678", amount_cents=final)
    from desk.domain.errors import NotAllowed

    with pytest.raises(NotAllowed):  # the technician never records the customer's word himself (breaking test)
        d.delivery.reapprove(shop.tech, d.lifecycle.ref(vid), ok)
    assert d.lifecycle.visit_view(vid).visit.final_approval_cents is None
    d.delivery.reapprove(shop.sa, d.lifecycle.ref(vid), ok)
    v = d.lifecycle.visit_view(vid).visit
    assert (v.final_approval_cents, v.final_approval_signer, v.final_approval_channel, v.final_approval_at) == (
        final,
        "李伟",
        "phone",
        clock.now,
    )
    event = [e for e in d.lifecycle.history(vid) if e.action == "visit.final_approved"][-1]
    assert f'"final_cents": {final}' in event.after and event.user_name == "王丽"


def test_a_later_promise_after_the_signature_needs_approval_an_earlier_one_does_not(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    signed = d.lifecycle.visit_view(vid).visit.signed_promised_at
    assert signed is not None
    earlier = signed.replace(minute=0) if signed.minute else signed.replace(hour=signed.hour - 1)
    d.lifecycle.set_promised(shop.sa, d.lifecycle.ref(vid), earlier)
    with pytest.raises(InvalidInput):
        d.lifecycle.set_promised(shop.sa, d.lifecycle.ref(vid), signed)  # later than the current one
    consent = Signature.of(channel="in_person", signer="李伟")
    # the technician may not record the customer's consent on his own word (issue 25, item 5)
    with pytest.raises(NotAllowed):
        d.lifecycle.set_promised(shop.tech, d.lifecycle.ref(vid), signed, approval=consent)
    assert d.lifecycle.visit_view(vid).visit.promised_at == earlier
    d.lifecycle.set_promised(shop.sa, d.lifecycle.ref(vid), signed, approval=consent)
    v = d.lifecycle.visit_view(vid).visit
    assert v.promised_at == signed and v.signed_promised_at == signed
