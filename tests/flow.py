"""Drive a visit through the services to a given stage (for setting up tests).

Every step is a real service call, so the guards and the audit apply; the steps
are the shop filler's (desk/filler.py), the same the demo and the benchmark use.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from desk import filler
from desk.domain.checklist import MarkKind
from desk.domain.entities import Disposal
from desk.domain.survey import CSI_FACTORS

ORDER = ["BOOKED", "RECEPTION", "WALKAROUND", "ESTIMATE", "IN_REPAIR", "QC", "READY", "DELIVERED", "FOLLOWED_UP"]


#: Tick every open item a user may tick (the domain's rule): the shop filler's.
tick_open = filler.tick_open


def book(shop, clock, *, minutes_ahead=60, concerns=(("Squeaking noise when braking", ("brake", "noise")),)):
    return shop.desk.booking.book(
        shop.sa,
        customer_id=shop.customer,
        vehicle_id=shop.vehicle,
        booking=shop.desk.booking.draft(at=clock.now + timedelta(minutes=minutes_ahead), concerns=list(concerns)),
    ).id


def to_stage(shop, clock, visit_id, stage: str, *, rush: bool = False):
    """Advance ``visit_id`` from where it is to ``stage`` (each step five minutes
    after the last; ``rush``: the walkaround in the same instant as the move into
    it, a rushed walkaround)."""
    d = shop.desk
    while True:
        current = d.lifecycle.visit_view(visit_id).visit.stage
        if ORDER.index(current) >= ORDER.index(stage):
            return
        before = current
        if current == "BOOKED":
            tick_open(d, shop.sa, visit_id)
            d.lifecycle.arrive(shop.sa, d.lifecycle.ref(visit_id))
        elif current == "RECEPTION":
            d.reception.start_reception(shop.sa, d.lifecycle.ref(visit_id))
            d.reception.confirm_concerns(shop.sa, d.lifecycle.ref(visit_id))
            tick_open(d, shop.sa, visit_id)
            d.lifecycle.advance(shop.sa, d.lifecycle.ref(visit_id))
        elif current == "WALKAROUND":
            last = d.lifecycle.visit_view(visit_id).last_km or 0
            d.reception.record_walkaround(
                shop.sa,
                d.lifecycle.ref(visit_id),
                d.reception.readings(odometer_km=last + 1000, fuel_eighths=4),
                damages=[],
                damage_confirmed=True,
            )
            tick_open(d, shop.sa, visit_id, skip={"WLK-09"})
            if any(s.item.id == "WLK-09" and s.blocking for s in d.checklist.checklist(visit_id)):
                d.checklist.mark_item(shop.tech, d.lifecycle.ref(visit_id), "WLK-09", MarkKind.DONE)
            d.lifecycle.advance(shop.sa, d.lifecycle.ref(visit_id))
        elif current == "ESTIMATE":
            view = d.lifecycle.visit_view(visit_id)
            if not view.lines:
                d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(visit_id), "brake_pads")
            filler.parts_in_stock(d, shop.sa, visit_id)
            filler.promise(d, shop.sa, visit_id, clock.now + timedelta(hours=4))
            tick_open(d, shop.sa, visit_id)
            filler.sign(d, shop.sa, visit_id, signer="李伟", reference="P0001")
            d.lifecycle.advance(shop.sa, d.lifecycle.ref(visit_id))
        elif current == "IN_REPAIR":
            d.lifecycle.assign(shop.mgr, d.lifecycle.ref(visit_id), shop.tech.id, "B1")
            filler.finish_work(d, shop.tech, visit_id)
            tick_open(d, shop.tech, visit_id)
            d.lifecycle.advance(shop.tech, d.lifecycle.ref(visit_id))
        elif current == "QC":
            filler.pass_qc(d, shop.tech, shop.qc, visit_id)
        elif current == "READY":
            filler.hand_over(d, shop.sa, visit_id, call_at=clock.now + timedelta(hours=24), disposal=Disposal.TAKE_AWAY)
        elif current == "DELIVERED":
            d.followup.record_call(
                shop.csr,
                d.lifecycle.ref(visit_id),
                d.followup.call(
                    outcome="reached", scores={f: 5 for f in CSI_FACTORS}, nps=10, next_service_stated=True
                ),
            )
            tick_open(d, shop.csr, visit_id)
            d.lifecycle.advance(shop.csr, d.lifecycle.ref(visit_id))
        if not (rush and before == "RECEPTION"):
            clock.advance(minutes=5)


def setting_version(desk, key: str) -> int:
    """The version of a shop setting as the set-up screen shows it (0: never set)."""
    return next((v.version for v in desk.setup.shop_settings() if v.key == key), 0)


def price(desk, visit_id) -> int:
    return desk.estimate.estimate_total(visit_id)


__all__ = ["Decimal", "book", "price", "setting_version", "tick_open", "to_stage"]
