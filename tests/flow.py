"""Drive a visit through the services to a given stage (for setting up tests).

Every step is a real service call, so the guards and the audit apply.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from desk.domain import staff
from desk.domain.checklist import MarkKind
from desk.domain.entities import Availability, Channel, Disposal

ORDER = ["BOOKED", "RECEPTION", "WALKAROUND", "ESTIMATE", "IN_REPAIR", "QC", "READY", "DELIVERED", "FOLLOWED_UP"]


def tick_open(desk, user, visit_id, *, skip=()):
    for s in desk.checklist(visit_id):
        if (s.state == "open" and not s.item.from_data and s.item.id not in skip
                and staff.may_tick_role(user, s.item)):
            desk.mark_item(user, visit_id, s.item.id, MarkKind.DONE)


def book(shop, clock, *, minutes_ahead=60, concerns=(("Squeaking noise when braking", ("brake", "noise")),)):
    return shop.desk.book(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle,
        at=clock.now + timedelta(minutes=minutes_ahead), concerns=list(concerns),
    )


def to_stage(shop, clock, visit_id, stage: str):
    """Advance ``visit_id`` from where it is to ``stage``."""
    d = shop.desk
    while True:
        current = d.visit_view(visit_id).visit.stage
        if ORDER.index(current) >= ORDER.index(stage):
            return
        if current == "BOOKED":
            tick_open(d, shop.sa, visit_id)
            d.arrive(shop.sa, visit_id)
        elif current == "RECEPTION":
            d.start_reception(shop.sa, visit_id)
            d.confirm_concerns(shop.sa, visit_id)
            tick_open(d, shop.sa, visit_id)
            d.advance(shop.sa, visit_id)
        elif current == "WALKAROUND":
            last = d.visit_view(visit_id).last_km or 0
            d.record_walkaround(shop.sa, visit_id, odometer_km=last + 1000, fuel_eighths=4,
                                damages=[], damage_confirmed=True)
            tick_open(d, shop.sa, visit_id, skip={"WLK-09"})
            if any(s.item.id == "WLK-09" and s.blocking for s in d.checklist(visit_id)):
                d.mark_item(shop.tech, visit_id, "WLK-09", MarkKind.DONE)
            d.advance(shop.sa, visit_id)
        elif current == "ESTIMATE":
            view = d.visit_view(visit_id)
            if not view.lines:
                d.add_canned_job(shop.sa, visit_id, "brake_pads")
            for ln in d.visit_view(visit_id).lines:
                if ln.kind == "part" and ln.availability == Availability.UNKNOWN:
                    d.update_line(shop.sa, ln.id, availability="in_stock")
            d.set_promised(shop.sa, visit_id, clock.now + timedelta(hours=4))
            tick_open(d, shop.sa, visit_id)
            d.authorise(shop.sa, visit_id, channel=Channel.IN_PERSON, signer="李伟",
                        reference="P0001", amount_cents=d.estimate_total(visit_id))
            d.advance(shop.sa, visit_id)
        elif current == "IN_REPAIR":
            d.assign(shop.mgr, visit_id, shop.tech.id, "B1")
            for ln in d.visit_view(visit_id).lines:
                if ln.approval == "approved" and not ln.is_done:
                    d.finish_line(shop.tech, ln.id)
            tick_open(d, shop.tech, visit_id)
            d.advance(shop.tech, visit_id)
        elif current == "QC":
            d.mark_item(shop.tech, visit_id, "QC-01", MarkKind.DONE)
            tick_open(d, shop.qc, visit_id)
            d.advance(shop.qc, visit_id)
        elif current == "READY":
            d.notify_ready(shop.sa, visit_id)
            d.set_disposal(shop.sa, visit_id, Disposal.TAKE_AWAY)
            d.agree_followup(shop.sa, visit_id, clock.now + timedelta(hours=24), "phone")
            tick_open(d, shop.sa, visit_id)
            d.advance(shop.sa, visit_id)
        elif current == "DELIVERED":
            d.record_call(shop.csr, visit_id, outcome="reached",
                          scores={f: 5 for f in ("initiation", "advisor", "facility", "pickup", "quality")},
                          nps=10, next_service_stated=True)
            tick_open(d, shop.csr, visit_id)
            d.advance(shop.csr, visit_id)
        clock.advance(minutes=5)


def price(desk, visit_id) -> int:
    return desk.estimate_total(visit_id)


__all__ = ["Decimal", "book", "price", "tick_open", "to_stage"]
