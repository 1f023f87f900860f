"""Drive a visit through the services to a given stage (for setting up tests).

Every step is a real service call, so the guards and the audit apply.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from desk.domain import staff
from desk.domain.checklist import MarkKind
from desk.domain.entities import Availability, Channel, Disposal
from desk.domain.survey import CSI_FACTORS

ORDER = ["BOOKED", "RECEPTION", "WALKAROUND", "ESTIMATE", "IN_REPAIR", "QC", "READY", "DELIVERED", "FOLLOWED_UP"]


def tick_open(desk, user, visit_id, *, skip=()):
    """Tick every open item ``user`` may tick (the domain's rule, ``staff.may_tick``)."""
    view = desk.lifecycle.visit_view(visit_id)
    techs = staff.visit_technicians(view.visit.technician_id, (ln.done_by for ln in view.lines))
    for s in view.checklist:
        if (s.state == "open" and not s.item.from_data and s.item.id not in skip
                and staff.may_tick(user, s.item, technician_ids=techs)):
            desk.checklist.mark_item(user, desk.lifecycle.ref(visit_id), s.item.id, MarkKind.DONE)


def book(shop, clock, *, minutes_ahead=60, concerns=(("Squeaking noise when braking", ("brake", "noise")),)):
    return shop.desk.booking.book(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle,
        at=clock.now + timedelta(minutes=minutes_ahead), concerns=list(concerns),
    ).id


def to_stage(shop, clock, visit_id, stage: str):
    """Advance ``visit_id`` from where it is to ``stage``."""
    d = shop.desk
    while True:
        current = d.lifecycle.visit_view(visit_id).visit.stage
        if ORDER.index(current) >= ORDER.index(stage):
            return
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
            d.reception.record_walkaround(shop.sa, d.lifecycle.ref(visit_id), d.reception.readings(odometer_km=last + 1000, fuel_eighths=4),
                                damages=[], damage_confirmed=True)
            tick_open(d, shop.sa, visit_id, skip={"WLK-09"})
            if any(s.item.id == "WLK-09" and s.blocking for s in d.checklist.checklist(visit_id)):
                d.checklist.mark_item(shop.tech, d.lifecycle.ref(visit_id), "WLK-09", MarkKind.DONE)
            d.lifecycle.advance(shop.sa, d.lifecycle.ref(visit_id))
        elif current == "ESTIMATE":
            view = d.lifecycle.visit_view(visit_id)
            if not view.lines:
                d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(visit_id), "brake_pads")
            for ln in d.lifecycle.visit_view(visit_id).lines:
                if ln.kind == "part" and ln.availability == Availability.UNKNOWN:
                    d.estimate.update_line(shop.sa, d.lifecycle.ref(visit_id), ln.id, d.estimate.patch(availability="in_stock"))
            d.lifecycle.set_promised(shop.sa, d.lifecycle.ref(visit_id), clock.now + timedelta(hours=4))
            tick_open(d, shop.sa, visit_id)
            d.estimate.authorise(shop.sa, d.lifecycle.ref(visit_id), d.estimate.signature(channel=Channel.IN_PERSON, signer="李伟",
                        reference="P0001", amount_cents=d.estimate.estimate_total(visit_id)))
            d.lifecycle.advance(shop.sa, d.lifecycle.ref(visit_id))
        elif current == "IN_REPAIR":
            d.lifecycle.assign(shop.mgr, d.lifecycle.ref(visit_id), shop.tech.id, "B1")
            for ln in d.lifecycle.visit_view(visit_id).lines:
                if ln.approval == "approved" and not ln.is_done:
                    d.workshop.finish_line(shop.tech, d.lifecycle.ref(visit_id), ln.id)
            tick_open(d, shop.tech, visit_id)
            d.lifecycle.advance(shop.tech, d.lifecycle.ref(visit_id))
        elif current == "QC":
            d.checklist.mark_item(shop.tech, d.lifecycle.ref(visit_id), "QC-01", MarkKind.DONE)
            tick_open(d, shop.qc, visit_id)
            d.lifecycle.advance(shop.qc, d.lifecycle.ref(visit_id))
        elif current == "READY":
            d.lifecycle.notify_ready(shop.sa, d.lifecycle.ref(visit_id))
            d.delivery.set_disposal(shop.sa, d.lifecycle.ref(visit_id), Disposal.TAKE_AWAY)
            d.delivery.agree_followup(shop.sa, d.lifecycle.ref(visit_id), clock.now + timedelta(hours=24), "phone")
            tick_open(d, shop.sa, visit_id)
            d.lifecycle.advance(shop.sa, d.lifecycle.ref(visit_id))
        elif current == "DELIVERED":
            d.followup.record_call(shop.csr, d.lifecycle.ref(visit_id), outcome="reached",
                          scores={f: 5 for f in CSI_FACTORS},
                          nps=10, next_service_stated=True)
            tick_open(d, shop.csr, visit_id)
            d.lifecycle.advance(shop.csr, d.lifecycle.ref(visit_id))
        clock.advance(minutes=5)


def setting_version(desk, key: str) -> int:
    """The version of a shop setting as the set-up screen shows it (0: never set)."""
    return next((v.version for v in desk.setup.shop_settings() if v.key == key), 0)


def price(desk, visit_id) -> int:
    return desk.estimate.estimate_total(visit_id)


__all__ = ["Decimal", "book", "price", "setting_version", "tick_open", "to_stage"]
