"""Rows <-> the domain's dataclasses."""

from __future__ import annotations

import json
from decimal import Decimal

from desk.domain.checklist import ItemMark, MarkKind
from desk.domain.entities import (
    Approval,
    Authorisation,
    Availability,
    CallOutcome,
    Channel,
    Complaint,
    Concern,
    Customer,
    EstimateLine,
    Finding,
    FollowUpCall,
    Grade,
    LineKind,
    Role,
    Severity,
    Symptom,
    User,
    Vehicle,
)
from desk.domain.estimate import SignedEstimate
from desk.store.models import (
    AuthorisationRow,
    ComplaintRow,
    ConcernRow,
    CustomerRow,
    EstimateLineRow,
    FindingRow,
    FollowUpCallRow,
    MotMarkRow,
    UserRow,
    VehicleRow,
)

__all__ = [
    "discount_bp",
    "qty_milli",
    "tags_of",
    "to_authorisation",
    "to_call",
    "to_complaint",
    "to_concern",
    "to_customer",
    "to_finding",
    "to_line",
    "to_mark",
    "to_user",
    "to_vehicle",
]


def to_user(row: UserRow) -> User:
    roles = frozenset(Role(r) for r in row.roles.split(",") if r)
    return User(id=row.id, name=row.name, roles=roles, active=row.active)


def to_customer(row: CustomerRow) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        phone=row.phone,
        member=row.member,
        vip=row.vip,
        special_note=row.special_note,
    )


def to_vehicle(row: VehicleRow, last_km: int | None = None) -> Vehicle:
    return Vehicle(
        id=row.id,
        customer_id=row.customer_id,
        vin=row.vin,
        plate=row.plate,
        make=row.make,
        model=row.model,
        year=row.year,
        purchase_date=row.purchase_date,
        last_odometer_km=last_km,
    )


def tags_of(text: str) -> frozenset[Symptom]:
    return frozenset(Symptom(t) for t in text.split(",") if t)


def to_concern(row: ConcernRow) -> Concern:
    return Concern(text=row.text, tags=tags_of(row.tags), confirmed=row.confirmed, id=row.id)


def to_finding(row: FindingRow) -> Finding:
    return Finding(text=row.text, grade=Grade(row.grade), during_repair=row.during_repair, id=row.id)


def to_line(row: EstimateLineRow) -> EstimateLine:
    return EstimateLine(
        kind=LineKind(row.kind),
        description=row.description,
        qty=Decimal(row.qty_milli) / 1000,
        unit_cents=row.unit_cents,
        discount_pct=Decimal(row.discount_bp) / 100,
        tax_code=row.tax_code,
        warranty=row.warranty,
        free=row.free,
        availability=Availability(row.availability),
        eta=row.eta,
        approval=Approval(row.approval),
        added_in_repair=row.added_in_repair,
        started=row.started,
        done_by=row.done_by,
        done_at=row.done_at,
        id=row.id,
        list_cents=row.list_cents,
        list_qty=None if row.list_qty_milli is None else Decimal(row.list_qty_milli) / 1000,
        carried_from_id=row.carried_from_id,
    )


def qty_milli(qty: Decimal) -> int:
    return int((Decimal(qty) * 1000).to_integral_value())


def discount_bp(pct: Decimal) -> int:
    return int((Decimal(pct) * 100).to_integral_value())


def to_authorisation(row: AuthorisationRow) -> Authorisation:
    return Authorisation(
        channel=Channel(row.channel),
        signer=row.signer,
        reference=row.reference,
        amount_cents=row.amount_cents,
        estimate_version=row.estimate_version,
        lines_hash=row.lines_hash,
        at=row.at,
        by_user=row.by_user,
        for_added_work=row.for_added_work,
        id=row.id,
        signed=signed_estimate(row.signed),
    )


def signed_estimate(text: str | None) -> SignedEstimate | None:
    """The signed estimate an authorisation keeps; None on a record from before
    they were kept, or one whose copy cannot be read (then its amount stands)."""
    if not text:
        return None
    try:
        return SignedEstimate.from_dict(json.loads(text))
    except ValueError:
        return None


def to_mark(row: MotMarkRow) -> ItemMark:
    return ItemMark(item_id=row.item_id, kind=MarkKind(row.kind), by_user=row.by_user, at=row.at, reason=row.reason)


def to_call(row: FollowUpCallRow) -> FollowUpCall:
    return FollowUpCall(
        at=row.at,
        outcome=CallOutcome(row.outcome),
        by_user=row.by_user,
        survey_done=row.survey_done,
        next_service_stated=row.next_service_stated,
        id=row.id,
        late=row.late,
    )


def to_complaint(row: ComplaintRow) -> Complaint:
    return Complaint(
        opened_at=row.opened_at,
        severity=Severity(row.severity),
        summary=row.summary,
        owner_id=row.owner_id,
        root_cause=row.root_cause,
        remedy=row.remedy,
        closing_report=row.closing_report,
        closed_at=row.closed_at,
        escalated_at=row.escalated_at,
        id=row.id,
    )


# ----------------------------------------------------------------------------- queries
