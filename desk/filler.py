"""One shop filler: the steps that take a visit through the service lane by the
real services (so every guard, authority rule and audit event applies), shared by
``desk demo``, the tests (``tests/flow.py``) and the benchmark's today
(``bench/generate.py``, through the demo). None of them decides a rule: who may
tick an item is asked of the domain (:func:`desk.domain.staff.may_tick`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from desk.domain import staff
from desk.domain.checklist import MarkKind
from desk.domain.entities import Availability, Channel, Disposal, User


def tick_open(desk, actor: User, visit_id: int, *, skip=(), pace=None) -> None:
    """Tick every open item of the visit that ``actor`` may tick, except ``skip``;
    ``pace()`` after each tick (the demo moves its clock: an item takes time)."""
    view = desk.lifecycle.visit_view(visit_id)
    techs = staff.visit_technicians(view.visit.technician_id, (ln.done_by for ln in view.lines))
    for status in view.checklist:
        if (
            status.state == "open"
            and not status.item.from_data
            and status.item.id not in skip
            and staff.may_tick(actor, status.item, technician_ids=techs)
        ):
            desk.checklist.mark_item(actor, desk.lifecycle.ref(visit_id), status.item.id, MarkKind.DONE)
            if pace is not None:
                pace()


def parts_in_stock(desk, actor: User, visit_id: int) -> None:
    """Every part of the estimate whose availability is not known yet: in stock."""
    for ln in desk.lifecycle.visit_view(visit_id).lines:
        if ln.kind == "part" and ln.availability == Availability.UNKNOWN:
            desk.estimate.update_line(
                actor, desk.lifecycle.ref(visit_id), ln.id, desk.estimate.patch(availability=Availability.IN_STOCK)
            )


def sign(desk, actor: User, visit_id: int, *, signer: str, reference: str) -> None:
    """The customer authorises the estimate as it stands, in person, for its total."""
    desk.estimate.authorise(
        actor,
        desk.lifecycle.ref(visit_id),
        desk.estimate.signature(
            channel=Channel.IN_PERSON,
            signer=signer,
            reference=reference,
            amount_cents=desk.estimate.estimate_total(visit_id),
        ),
    )


def finish_work(desk, technician: User, visit_id: int) -> None:
    """The technician finishes every approved line not done yet."""
    for ln in desk.lifecycle.visit_view(visit_id).lines:
        if ln.approval == "approved" and not ln.is_done:
            desk.workshop.finish_line(technician, desk.lifecycle.ref(visit_id), ln.id)


def pass_qc(desk, technician: User, inspector: User, visit_id: int, *, cause: str = "workmanship") -> None:
    """QC: the technician's own check (QC-01), the inspector's items (a
    comeback's cause, QC-09, ``cause``), then Ready."""
    desk.checklist.mark_item(technician, desk.lifecycle.ref(visit_id), "QC-01", MarkKind.DONE)
    tick_open(desk, inspector, visit_id)
    view = desk.lifecycle.visit_view(visit_id)
    if view.visit.comeback_of_id is not None and not view.visit.comeback_cause:
        desk.comebacks.record_cause(inspector, view.ref, desk.comebacks.draft(cause))
    desk.lifecycle.advance(inspector, desk.lifecycle.ref(visit_id))


def hand_over(desk, advisor: User, visit_id: int, *, call_at: datetime, disposal: Disposal) -> None:
    """Delivery: the customer told, the old parts' fate, the follow-up call agreed,
    the bill paid, delivered."""
    desk.lifecycle.notify_ready(advisor, desk.lifecycle.ref(visit_id))
    desk.delivery.set_disposal(advisor, desk.lifecycle.ref(visit_id), disposal)
    desk.delivery.agree_followup(advisor, desk.lifecycle.ref(visit_id), desk.delivery.agreement(call_at, "phone"))
    settle(desk, advisor, visit_id)
    tick_open(desk, advisor, visit_id)
    desk.lifecycle.advance(advisor, desk.lifecycle.ref(visit_id))


def settle(desk, actor: User, visit_id: int, method: str = "card") -> None:
    """The customer pays the balance due in one payment (DLV-13)."""
    balance = desk.lifecycle.visit_view(visit_id).balance
    if balance > 0:
        desk.settlement.pay(
            actor, desk.lifecycle.ref(visit_id), desk.settlement.draft(method=method, amount_cents=balance)
        )


__all__ = ["finish_work", "hand_over", "parts_in_stock", "pass_qc", "settle", "sign", "tick_open", "timedelta"]


def promise(desk, actor: User, visit_id: int, at: datetime) -> None:
    """Promise the car for ``at``, or for the afternoon of the day its last
    back-ordered part arrives when that is later (a promise before a part's ETA
    is refused: ``estimate.check_promised``)."""
    etas = [
        ln.eta
        for ln in desk.lifecycle.visit_view(visit_id).lines
        if ln.availability == Availability.BACK_ORDER and ln.eta is not None
    ]
    if etas and at.date() < max(etas):
        at = datetime.combine(max(etas), datetime.min.time()).replace(hour=17)
    desk.lifecycle.set_promised(actor, desk.lifecycle.ref(visit_id), at)
