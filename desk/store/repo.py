"""Queries and row <-> domain mapping. Plain functions taking ``session=``.

No function here commits: the service layer owns the transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, func, or_, select

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
    Disposal,
    EstimateLine,
    Finding,
    FollowUpCall,
    Grade,
    LineKind,
    PastVisit,
    Role,
    Severity,
    Symptom,
    User,
    Vehicle,
)
from desk.domain.rules import Policy, VisitFacts, billable_lines, estimate_lines_of
from desk.store.models import (
    AuditEventRow,
    AuthorisationRow,
    ComplaintRow,
    ConcernRow,
    CustomerRow,
    EstimateLineRow,
    FindingRow,
    FollowUpCallRow,
    MotMarkRow,
    OdometerRow,
    ReminderRow,
    UserRow,
    VehicleRow,
    VisitRow,
)

# ----------------------------------------------------------------------------- mapping


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
    )


def to_mark(row: MotMarkRow) -> ItemMark:
    return ItemMark(
        item_id=row.item_id, kind=MarkKind(row.kind), by_user=row.by_user, at=row.at, reason=row.reason
    )


def to_call(row: FollowUpCallRow) -> FollowUpCall:
    return FollowUpCall(
        at=row.at,
        outcome=CallOutcome(row.outcome),
        by_user=row.by_user,
        survey_done=row.survey_done,
        next_service_stated=row.next_service_stated,
        id=row.id,
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


def users(*, session: Session) -> list[User]:
    return [to_user(r) for r in session.exec(select(UserRow).order_by(UserRow.id)).all()]


def last_odometer(*, session: Session, vehicle_id: int) -> int | None:
    return session.exec(
        select(OdometerRow.km)
        .where(OdometerRow.vehicle_id == vehicle_id)
        .order_by(OdometerRow.at.desc(), OdometerRow.id.desc())
        .limit(1)
    ).first()


def prior_odometer(*, session: Session, vehicle_id: int, visit_id: int) -> int | None:
    """The vehicle's last reading not taken on ``visit_id`` (its own may be re-entered)."""
    return session.exec(
        select(OdometerRow.km)
        .where(
            OdometerRow.vehicle_id == vehicle_id,
            or_(col(OdometerRow.visit_id).is_(None), OdometerRow.visit_id != visit_id),
        )
        .order_by(OdometerRow.at.desc(), OdometerRow.id.desc())
        .limit(1)
    ).first()


def lines(*, session: Session, visit_id: int) -> list[EstimateLineRow]:
    return list(
        session.exec(
            select(EstimateLineRow)
            .where(EstimateLineRow.visit_id == visit_id)
            .order_by(EstimateLineRow.position, EstimateLineRow.id)
        ).all()
    )


def concerns(*, session: Session, visit_id: int) -> list[ConcernRow]:
    return list(
        session.exec(
            select(ConcernRow).where(ConcernRow.visit_id == visit_id).order_by(ConcernRow.id)
        ).all()
    )


def findings(*, session: Session, visit_id: int) -> list[FindingRow]:
    return list(
        session.exec(
            select(FindingRow).where(FindingRow.visit_id == visit_id).order_by(FindingRow.id)
        ).all()
    )


def marks(*, session: Session, visit_id: int) -> list[ItemMark]:
    rows = session.exec(
        select(MotMarkRow).where(MotMarkRow.visit_id == visit_id).order_by(MotMarkRow.id)
    ).all()
    return [to_mark(r) for r in rows]


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


def visit_facts(
    *, session: Session, visit: VisitRow, now: datetime, policy: Policy, totals_fn
) -> VisitFacts:
    """Assemble everything the MOT rules look at for one visit."""
    customer = session.get(CustomerRow, visit.customer_id)
    vehicle = session.get(VehicleRow, visit.vehicle_id)
    last_km = last_odometer(session=session, vehicle_id=visit.vehicle_id)
    line_objs = [to_line(r) for r in lines(session=session, visit_id=visit.id)]
    earlier = session.exec(
        select(func.count())
        .select_from(VisitRow)
        .where(
            VisitRow.vehicle_id == visit.vehicle_id,
            VisitRow.id != visit.id,
            col(VisitRow.arrived_at).is_not(None),
        )
    ).one()
    auths = session.exec(
        select(AuthorisationRow)
        .where(AuthorisationRow.visit_id == visit.id)
        .order_by(AuthorisationRow.id)
    ).all()
    calls = session.exec(
        select(FollowUpCallRow)
        .where(FollowUpCallRow.visit_id == visit.id)
        .order_by(FollowUpCallRow.id)
    ).all()
    complaints = session.exec(
        select(ComplaintRow).where(ComplaintRow.visit_id == visit.id)
    ).all()
    estimate, billable = estimate_lines_of(line_objs), billable_lines(line_objs)
    return VisitFacts(
        now=now,
        stage=visit.stage,
        walk_in=visit.walk_in,
        customer=to_customer(customer) if customer else None,
        vehicle=to_vehicle(vehicle, last_km) if vehicle else None,
        advisor_id=visit.advisor_id,
        first_visit=earlier == 0,
        concerns=[to_concern(c) for c in concerns(session=session, visit_id=visit.id)],
        findings=[to_finding(f) for f in findings(session=session, visit_id=visit.id)],
        lines=line_objs,
        authorisations=[to_authorisation(a) for a in auths],
        estimate_version=visit.estimate_version,
        estimate_total_cents=totals_fn(estimate, customer).total,
        final_total_cents=totals_fn(billable, customer).total,
        appointment_at=visit.appointment_at,
        arrived_at=visit.arrived_at,
        reception_at=visit.reception_at,
        promised_at=visit.promised_at,
        technician_id=visit.technician_id,
        bay=visit.bay,
        odometer_km=visit.odometer_km,
        fuel_eighths=visit.fuel_eighths,
        damage_confirmed=visit.damage_confirmed,
        past_visits=past_visits(session=session, vehicle_id=visit.vehicle_id, before_visit=visit.id),
        welcome_listed=visit.welcome_listed,
        disposal=Disposal(visit.disposal) if visit.disposal else None,
        amount_explanation=visit.amount_explanation,
        followup_agreed_at=visit.followup_agreed_at,
        followup_channel=visit.followup_channel,
        delivered_at=visit.delivered_at,
        notified_by=visit.notified_by,
        calls=[to_call(c) for c in calls],
        next_service_date=visit.next_service_date,
        next_service_km=visit.next_service_km,
        complaints=[to_complaint(c) for c in complaints],
        policy=policy,
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


def lookup(*, connection: sa.Connection, query: str, limit: int = 20) -> list[tuple[Vehicle, Customer]]:
    """Vehicles (with their owner) whose plate, VIN, owner's phone or name starts
    or ends with the query (desk.domain.search): one statement over a few index
    range scans, however many customers the shop has. It runs at every keypress,
    so it is plain SQL (on SQLite straight through the driver's cursor) returning
    the domain's dataclasses."""
    from desk.domain import search

    probes = search.probes(query) if query.strip() else []
    if not probes:
        return []
    postgres = connection.dialect.name == "postgresql"
    parts, params = [], {}
    for i, probe in enumerate(probes):
        table = "vehicle" if probe.column in search.VEHICLE_KEYS else "customer"
        if postgres:  # text_pattern_ops index; the range below assumes code-point order
            cond = f"{probe.column} LIKE :p{i} ESCAPE '\\'"
            params[f"p{i}"] = (probe.prefix.replace("\\", "\\\\").replace("%", "\\%")
                               .replace("_", "\\_") + "%")
        else:
            cond = f"{probe.column} >= :p{i} AND {probe.column} < :u{i}"
            params[f"p{i}"], params[f"u{i}"] = probe.prefix, search.prefix_upper(probe.prefix)
        parts.append(f"SELECT * FROM (SELECT '{table[0]}' AS kind, id FROM {table} WHERE {cond} "
                     f"ORDER BY {probe.column} LIMIT {int(limit)}) AS p{i}")
    sql = (
        f"WITH hit(kind, id) AS ({' UNION ALL '.join(parts)}) "
        "SELECT v.id, v.customer_id, v.vin, v.plate, v.make, v.model, v.year, v.purchase_date, "
        "c.name, c.phone, c.member, c.vip, c.special_note "
        "FROM vehicle v JOIN customer c ON c.id = v.customer_id "
        "WHERE v.id IN (SELECT id FROM hit WHERE kind = 'v') "
        "OR v.customer_id IN (SELECT id FROM hit WHERE kind = 'c') "
        f"ORDER BY v.plate, v.id LIMIT {int(limit)}"
    )
    if postgres:
        rows = connection.execute(sa.text(sql), params).all()
    else:  # named parameters are native to sqlite3: no SQLAlchemy statement to build
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            rows = cursor.execute(sql, params).fetchall()
        finally:
            cursor.close()
    out = []
    for vid, cid, vin, plate, make, model, year, bought, name, phone, member, vip, note in rows:
        if isinstance(bought, str):  # SQLite hands dates back as text here
            bought = date.fromisoformat(bought)
        out.append((
            Vehicle(id=vid, customer_id=cid, vin=vin, plate=plate, make=make, model=model, year=year,
                    purchase_date=bought),
            Customer(id=cid, name=name, phone=phone, member=bool(member), vip=bool(vip), special_note=note),
        ))
    return out


def reminders_due(*, session: Session, until: datetime):
    return list(
        session.exec(
            select(ReminderRow)
            .where(col(ReminderRow.done_at).is_(None), ReminderRow.due_at <= until)
            .order_by(ReminderRow.due_at)
        ).all()
    )


def latest_event(*, session: Session, entity: str, entity_id: int) -> AuditEventRow | None:
    """The most recent audit event of one row (who changed it last, and how)."""
    return session.exec(
        select(AuditEventRow)
        .where(AuditEventRow.entity == entity, AuditEventRow.entity_id == entity_id)
        .order_by(AuditEventRow.id.desc())
        .limit(1)
    ).first()
