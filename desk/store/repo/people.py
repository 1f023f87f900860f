"""Users, customers, vehicles and odometer readings."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, or_, select

from desk.domain.entities import (
    Customer,
    User,
    Vehicle,
)
from desk.domain.errors import OnFile
from desk.store import reads
from desk.store.models import (
    ConcernRow,
    CustomerRow,
    EstimateLineRow,
    OdometerRow,
    UserRow,
    VehicleRow,
    VisitRow,
)

__all__ = [
    "insert_customers",
    "insert_readings",
    "insert_vehicles",
    "known_customers",
    "known_phones",
    "known_plate_owners",
    "known_plates",
    "known_vins",
    "last_odometer",
    "lookup",
    "on_file",
    "own_odometer",
    "pin_hashes",
    "pin_user_ids",
    "prior_odometer",
    "user_names",
    "users",
    "vehicle_history",
    "vehicle_visits",
    "vin_taken",
]


def users(*, session: Session) -> list[User]:
    """Every user, in creation order (desk.store.reads: the query the app also
    runs before the services are loaded)."""
    return reads.users(reads.Reader.of_connection(session.connection()))


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


def lookup(*, connection: sa.Connection, query: str, limit: int = 20) -> list[tuple[Vehicle, Customer]]:
    """Vehicles (with their owner) whose plate, VIN, owner's phone or name starts
    or ends with the query (desk.domain.search): one statement over a few index
    range scans, however many customers the shop has. It runs at every keypress,
    so it is plain SQL straight through the driver's cursor, returning the
    domain's dataclasses."""
    from desk.domain import search

    probes = search.probes(query) if query.strip() else []
    if not probes:
        return []
    postgres = connection.dialect.name == "postgresql"
    # code-point order on both (SQLite's own; PostgreSQL's "C" collation, whose
    # index on each key migration 0016 made): a range scan with any query plan
    order = ' COLLATE "C"' if postgres else ""
    mark = (lambda name: f"%({name})s") if postgres else (lambda name: f":{name}")  # the driver's own style
    parts, params = [], {}
    for i, probe in enumerate(probes):
        table = "vehicle" if probe.column in search.VEHICLE_KEYS else "customer"
        key = f"{probe.column}{order}"
        params[f"p{i}"], params[f"u{i}"] = probe.prefix, search.prefix_upper(probe.prefix)
        parts.append(
            f"SELECT * FROM (SELECT '{table[0]}' AS kind, id FROM {table} WHERE {key} >= {mark(f'p{i}')} "
            f"AND {key} < {mark(f'u{i}')} ORDER BY {key} LIMIT {int(limit)}) AS p{i}"
        )
    columns = (
        "v.id, v.customer_id, v.vin, v.plate, v.make, v.model, v.year, v.purchase_date, "
        "c.name, c.phone, c.member, c.vip, c.special_note"
    )
    if postgres:  # its planner scans every vehicle for the OR of two IN lists: a union of two index joins
        sql = (
            f"WITH hit(kind, id) AS ({' UNION ALL '.join(parts)}), "
            "found(id) AS (SELECT id FROM hit WHERE kind = 'v' UNION SELECT v.id FROM hit "
            "JOIN vehicle v ON v.customer_id = hit.id WHERE hit.kind = 'c') "
            f"SELECT {columns} FROM found JOIN vehicle v ON v.id = found.id "
            "JOIN customer c ON c.id = v.customer_id "
            f'ORDER BY v.plate COLLATE "C", v.id LIMIT {int(limit)}'
        )
    else:
        sql = (
            f"WITH hit(kind, id) AS ({' UNION ALL '.join(parts)}) "
            f"SELECT {columns} FROM vehicle v JOIN customer c ON c.id = v.customer_id "
            "WHERE v.id IN (SELECT id FROM hit WHERE kind = 'v') "
            "OR v.customer_id IN (SELECT id FROM hit WHERE kind = 'c') "
            f"ORDER BY v.plate, v.id LIMIT {int(limit)}"
        )
    # straight through the driver's cursor: no SQLAlchemy statement to build; on
    # PostgreSQL prepared at once (a handful of shapes, each planned once per connection)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        if postgres:
            cursor.execute(sql, params, prepare=True)
        else:
            cursor.execute(sql, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    out = []
    for vid, cid, vin, plate, make, model, year, bought, name, phone, member, vip, note in rows:
        if isinstance(bought, str):  # SQLite hands dates back as text here
            bought = date.fromisoformat(bought)
        out.append(
            (
                Vehicle(
                    id=vid,
                    customer_id=cid,
                    vin=vin,
                    plate=plate,
                    make=make,
                    model=model,
                    year=year,
                    purchase_date=bought,
                ),
                Customer(id=cid, name=name, phone=phone, member=bool(member), vip=bool(vip), special_note=note),
            )
        )
    return out


def user_names(*, session: Session) -> dict[int, str]:
    return {u.id: u.name for u in users(session=session)}


def vin_taken(*, session: Session, vin: str) -> bool:
    return session.exec(select(VehicleRow.id).where(VehicleRow.vin == vin)).first() is not None


def own_odometer(*, session: Session, visit_id: int) -> OdometerRow | None:
    """The reading taken on ``visit_id`` (a visit records one)."""
    return session.exec(select(OdometerRow).where(OdometerRow.visit_id == visit_id)).first()


def pin_hashes(*, session: Session) -> list[str]:
    """Every stored PIN hash (which shop keys the shop's PINs need)."""
    return list(session.exec(select(UserRow.pin_hash).where(col(UserRow.pin_hash).is_not(None))).all())


def pin_user_ids(*, session: Session) -> set[int]:
    return reads.pin_user_ids(reads.Reader.of_connection(session.connection()))


def vehicle_visits(*, session: Session, vehicle_id: int, exclude: int | None, limit: int) -> list[dict]:
    """The last visits of a vehicle with their concerns and declined lines: three
    queries for all the visits, not two per visit."""
    stmt = select(VisitRow).where(VisitRow.vehicle_id == vehicle_id)
    if exclude is not None:
        stmt = stmt.where(VisitRow.id != exclude)
    rows = session.exec(stmt.order_by(VisitRow.day.desc(), VisitRow.id.desc()).limit(limit)).all()
    ids = [v.id for v in rows]
    concerns: dict[int, list[str]] = {i: [] for i in ids}
    declined: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for vid, text in session.exec(
            select(ConcernRow.visit_id, ConcernRow.text)
            .where(col(ConcernRow.visit_id).in_(ids))
            .order_by(ConcernRow.id)
        ).all():
            concerns[vid].append(text)
        for vid, text in session.exec(
            select(EstimateLineRow.visit_id, EstimateLineRow.description)
            .where(col(EstimateLineRow.visit_id).in_(ids), EstimateLineRow.approval == "declined")
            .order_by(EstimateLineRow.position, EstimateLineRow.id)
        ).all():
            declined[vid].append(text)
    return [
        {
            "id": v.id,
            "day": v.day,
            "number": v.number,
            "stage": v.stage,
            "concerns": concerns[v.id],
            "declined": declined[v.id],
            "odometer_km": v.odometer_km,
        }
        for v in rows
    ]


def vehicle_history(*, session: Session, vehicle_id: int, limit: int) -> list[VisitRow]:
    return list(
        session.exec(
            select(VisitRow).where(VisitRow.vehicle_id == vehicle_id).order_by(VisitRow.day.desc()).limit(limit)
        ).all()
    )


def on_file(*, session: Session, phone: str, plate: str) -> list[OnFile]:
    """The customers ``phone`` belongs to, then those of the cars with ``plate``."""
    found = [
        OnFile("phone", phone, c.id, c.name)
        for c in session.exec(select(CustomerRow).where(CustomerRow.phone == phone).order_by(CustomerRow.id)).all()
    ]
    if plate:
        rows = session.exec(
            select(VehicleRow, CustomerRow)
            .join(CustomerRow, CustomerRow.id == VehicleRow.customer_id)
            .where(VehicleRow.plate == plate)
            .order_by(VehicleRow.id)
        ).all()
        found += [OnFile("plate", plate, c.id, c.name, v.id) for v, c in rows]
    return found


def known_customers(*, session: Session) -> dict[str, tuple[int, str]]:
    """Every customer's phone -> (id, name) (an import reuses known customers and
    names a row of another name)."""
    return {p: (i, n) for p, i, n in session.exec(select(CustomerRow.phone, CustomerRow.id, CustomerRow.name)).all()}


def known_plate_owners(*, session: Session) -> dict[str, str]:
    """Every plate -> the name of its (first) car's customer (an import names a
    row whose name is not that customer's)."""
    owners: dict[str, str] = {}
    for plate, name in session.exec(
        select(VehicleRow.plate, CustomerRow.name)
        .join(CustomerRow, CustomerRow.id == VehicleRow.customer_id)
        .order_by(VehicleRow.id)
    ).all():
        owners.setdefault(plate, name)
    return owners


def known_phones(*, session: Session) -> dict[str, int]:
    """Every customer's phone -> id (an import reuses known customers)."""
    return {p: i for p, i in session.exec(select(CustomerRow.phone, CustomerRow.id)).all()}


def known_vins(*, session: Session) -> set[str]:
    return set(session.exec(select(VehicleRow.vin).where(VehicleRow.vin != "")).all())


def known_plates(*, session: Session) -> set[str]:
    return set(session.exec(select(VehicleRow.plate)).all())


def insert_customers(*, session: Session, rows: list[dict]) -> list[int]:
    """Insert many customers in one statement; their new ids, in order."""
    result = session.execute(sa.insert(CustomerRow).returning(CustomerRow.id, sort_by_parameter_order=True), rows)
    return list(result.scalars().all())


def insert_vehicles(*, session: Session, rows: list[dict]) -> list[int]:
    result = session.execute(sa.insert(VehicleRow).returning(VehicleRow.id, sort_by_parameter_order=True), rows)
    return list(result.scalars().all())


def insert_readings(*, session: Session, rows: list[dict]) -> None:
    session.execute(sa.insert(OdometerRow), rows)
