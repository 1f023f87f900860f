"""Visits: the facts the rules look at, the board's and the shop floor's rows,
the appointment book's counts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from desk.domain.comebacks import Proposal, open_proposal
from desk.domain.entities import (
    Concern,
    Disposal,
    PastVisit,
)
from desk.domain.payment import paid
from desk.domain.rules import Policy, VisitFacts, billable_lines, estimate_lines_of, signed_terms
from desk.store.models import (
    AuthorisationRow,
    ComplaintRow,
    ConcernRow,
    CustomerRow,
    FollowUpCallRow,
    ReminderRow,
    VehicleRow,
    VisitRow,
)
from desk.store.repo.lines import concerns, findings, lines
from desk.store.repo.mapping import (
    to_authorisation,
    to_call,
    to_complaint,
    to_concern,
    to_customer,
    to_finding,
    to_line,
    to_vehicle,
)
from desk.store.repo.payments import payments
from desk.store.repo.people import last_odometer

__all__ = [
    "authorisations",
    "comeback_proposal",
    "day_counts",
    "day_visits",
    "in_shop_visits",
    "next_visit_serial",
    "past_visits",
    "slot_load",
    "visit_facts",
    "visits_delivered",
    "visits_in_stage",
    "visits_of_days",
]


def comeback_proposal(*, session: Session, visit: VisitRow) -> Proposal | None:
    """The comeback the data proposed for ``visit`` while the advisor has not
    decided it: the original's number, how many days before, its concern."""
    if not open_proposal(visit.comeback_proposed_id, visit.comeback_decision):
        return None
    orig = session.get(VisitRow, visit.comeback_proposed_id)
    if orig is None:
        return None
    when = orig.delivered_at or orig.arrived_at or orig.created_at
    at = visit.appointment_at or visit.arrived_at or visit.created_at
    concern = next((c.text for c in concerns(session=session, visit_id=orig.id)), "")
    return Proposal(orig.id, orig.number, max(0, (at.date() - when.date()).days), concern)


def past_visits(*, session: Session, vehicle_id: int, before_visit: int, limit: int = 20) -> list[PastVisit]:
    """The vehicle's last ``limit`` visits with their concerns: two queries, not
    one per visit (a car with years of history stays as fast as a new one)."""
    rows = session.exec(
        select(VisitRow)
        .where(
            VisitRow.vehicle_id == vehicle_id,
            VisitRow.id != before_visit,
            col(VisitRow.arrived_at).is_not(None),
        )
        .order_by(VisitRow.arrived_at.desc())
        .limit(limit)
    ).all()
    by_visit: dict[int, list[Concern]] = {r.id: [] for r in rows}
    if by_visit:
        for c in session.exec(
            select(ConcernRow).where(col(ConcernRow.visit_id).in_(list(by_visit))).order_by(ConcernRow.id)
        ).all():
            by_visit[c.visit_id].append(to_concern(c))
    return [
        PastVisit(
            id=r.id,
            delivered_at=r.delivered_at,
            arrived_at=r.arrived_at,
            concerns=by_visit[r.id],
            technician_id=r.technician_id,
        )
        for r in rows
    ]


def authorisations(*, session: Session, visit_id: int) -> list:
    """A visit's authorisations (``entities.Authorisation``), oldest first."""
    rows = session.exec(
        select(AuthorisationRow).where(AuthorisationRow.visit_id == visit_id).order_by(AuthorisationRow.id)
    ).all()
    return [to_authorisation(a) for a in rows]


def visit_facts(*, session: Session, visit: VisitRow, now: datetime, policy: Policy, totals_fn) -> VisitFacts:
    """Assemble everything the MOT rules look at for one visit."""
    customer = session.get(CustomerRow, visit.customer_id)
    vehicle = session.get(VehicleRow, visit.vehicle_id)
    last_km = last_odometer(session=session, vehicle_id=visit.vehicle_id)
    line_objs = [to_line(r) for r in lines(session=session, visit_id=visit.id)]
    # the car's earlier arrivals, newest first: also what says a first visit (none)
    past = past_visits(session=session, vehicle_id=visit.vehicle_id, before_visit=visit.id)
    calls = session.exec(
        select(FollowUpCallRow).where(FollowUpCallRow.visit_id == visit.id).order_by(FollowUpCallRow.id)
    ).all()
    complaints = session.exec(select(ComplaintRow).where(ComplaintRow.visit_id == visit.id)).all()
    estimate, billable = estimate_lines_of(line_objs), billable_lines(line_objs)
    auth_objs = authorisations(session=session, visit_id=visit.id)
    signed = signed_terms(auth_objs, visit.estimate_version, estimate)
    return VisitFacts(
        now=now,
        stage=visit.stage,
        walk_in=visit.walk_in,
        customer=to_customer(customer) if customer else None,
        vehicle=to_vehicle(vehicle, last_km) if vehicle else None,
        advisor_id=visit.advisor_id,
        first_visit=not past,
        concerns=[to_concern(c) for c in concerns(session=session, visit_id=visit.id)],
        findings=[to_finding(f) for f in findings(session=session, visit_id=visit.id)],
        lines=line_objs,
        authorisations=auth_objs,
        signed=signed,
        estimate_version=visit.estimate_version,
        estimate_total_cents=totals_fn(estimate, customer, signed).total,
        final_total_cents=totals_fn(billable, customer, signed).total,
        appointment_at=visit.appointment_at,
        arrived_at=visit.arrived_at,
        reception_at=visit.reception_at,
        promised_at=visit.promised_at,
        technician_id=visit.technician_id,
        bay=visit.bay,
        odometer_km=visit.odometer_km,
        fuel_eighths=visit.fuel_eighths,
        damage_confirmed=visit.damage_confirmed,
        past_visits=past,
        welcome_listed=visit.welcome_listed,
        disposal=Disposal(visit.disposal) if visit.disposal else None,
        amount_explanation=visit.amount_explanation,
        final_approval_cents=visit.final_approval_cents,
        followup_agreed_at=visit.followup_agreed_at,
        followup_channel=visit.followup_channel,
        delivered_at=visit.delivered_at,
        notified_by=visit.notified_by,
        comeback_of_id=visit.comeback_of_id,
        comeback_cause=visit.comeback_cause,
        calls=[to_call(c) for c in calls],
        next_service_date=visit.next_service_date,
        next_service_km=visit.next_service_km,
        complaints=[to_complaint(c) for c in complaints],
        reminders=tuple(
            (r.kind, r.done_at)
            for r in session.exec(
                select(ReminderRow).where(ReminderRow.visit_id == visit.id).order_by(ReminderRow.id)
            ).all()
        ),
        policy=policy,
        paid_cents=paid(payments(session=session, visit_id=visit.id)),
    )


def day_visits(*, session: Session, day: date) -> list[tuple[VisitRow, CustomerRow, VehicleRow]]:
    """The board's rows for one day: a single indexed query, cost grows with the day."""
    rows = session.exec(
        select(VisitRow, CustomerRow, VehicleRow)
        .join(CustomerRow, CustomerRow.id == VisitRow.customer_id)
        .join(VehicleRow, VehicleRow.id == VisitRow.vehicle_id)
        .where(VisitRow.day == day)
        .order_by(sa.func.coalesce(VisitRow.appointment_at, VisitRow.arrived_at), VisitRow.id)
    ).all()
    return list(rows)


def in_shop_visits(*, session: Session, stages: list[str]):
    return list(
        session.exec(
            select(VisitRow, CustomerRow, VehicleRow)
            .join(CustomerRow, CustomerRow.id == VisitRow.customer_id)
            .join(VehicleRow, VehicleRow.id == VisitRow.vehicle_id)
            .where(col(VisitRow.stage).in_(stages))
            .order_by(VisitRow.promised_at, VisitRow.id)
        ).all()
    )


def next_visit_serial(*, session: Session) -> int:
    """The serial of the next visit number (the highest id so far, plus one)."""
    return (session.exec(select(func.max(VisitRow.id))).one() or 0) + 1


def slot_load(*, session: Session, start: datetime, end: datetime, not_in: list[str]) -> int:
    """How many appointments of ``[start, end)`` are in none of the stages ``not_in``."""
    return session.exec(
        select(func.count())
        .select_from(VisitRow)
        .where(
            VisitRow.appointment_at >= start,
            VisitRow.appointment_at < end,
            VisitRow.stage.not_in(not_in),
        )
    ).one()


def day_counts(*, session: Session, first: date, days: int, not_in: list[str]) -> dict[date, tuple[int, int]]:
    """day -> (appointments, arrived) for ``days`` days from ``first``."""
    rows = session.exec(
        select(VisitRow.day, func.count(), func.count(VisitRow.arrived_at))
        .where(VisitRow.day >= first, VisitRow.day < first + timedelta(days=days))
        .where(col(VisitRow.stage).not_in(not_in))
        .group_by(VisitRow.day)
    ).all()
    return {d: (n, a) for d, n, a in rows}


def visits_in_stage(*, session: Session, stage: str) -> list[tuple[VisitRow, CustomerRow, VehicleRow]]:
    return list(
        session.exec(
            select(VisitRow, CustomerRow, VehicleRow)
            .join(CustomerRow, CustomerRow.id == VisitRow.customer_id)
            .join(VehicleRow, VehicleRow.id == VisitRow.vehicle_id)
            .where(VisitRow.stage == stage)
        ).all()
    )


def visits_of_days(*, session: Session, first: date, last: date) -> list[tuple[VisitRow, CustomerRow, VehicleRow]]:
    return list(
        session.exec(
            select(VisitRow, CustomerRow, VehicleRow)
            .join(CustomerRow, CustomerRow.id == VisitRow.customer_id)
            .join(VehicleRow, VehicleRow.id == VisitRow.vehicle_id)
            .where(VisitRow.day >= first, VisitRow.day <= last)
            .order_by(VisitRow.day, VisitRow.number)
        ).all()
    )


def visits_delivered(*, session: Session, start: datetime, end: datetime):
    return list(
        session.exec(
            select(VisitRow, CustomerRow, VehicleRow)
            .join(CustomerRow, CustomerRow.id == VisitRow.customer_id)
            .join(VehicleRow, VehicleRow.id == VisitRow.vehicle_id)
            .where(col(VisitRow.delivered_at).is_not(None), VisitRow.delivered_at >= start, VisitRow.delivered_at < end)
            .order_by(VisitRow.delivered_at)
        ).all()
    )
