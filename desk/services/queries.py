"""Read models for the screens: flat rows, computed once in a worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, func, select

from desk.domain import checklist as ck
from desk.domain import process as proc
from desk.domain.entities import Customer, EstimateLine, Vehicle
from desk.domain.money import Totals
from desk.domain.process import Stage
from desk.domain.rules import followup_due_at
from desk.services.base import Base
from desk.store import audit, repo
from desk.store.models import (
    AuditEventRow,
    ComplaintRow,
    CustomerRow,
    ProgressUpdateRow,
    ReminderRow,
    UserRow,
    VehicleRow,
    VisitRow,
)


@dataclass(frozen=True)
class BoardRow:
    """One appointment/visit on the appointment board."""

    visit_id: int
    version: int
    number: str
    time: datetime | None
    stage: str
    customer: str
    phone: str
    plate: str
    vehicle: str
    concern: str
    advisor: str
    vip: bool
    special_note: str
    comeback: bool
    new_customer: bool
    late: bool
    arrived: bool
    reminder_due: bool
    walk_in: bool


@dataclass(frozen=True)
class ShopRow:
    """One visit on the progress board."""

    visit_id: int
    version: int
    number: str
    plate: str
    customer: str
    vehicle: str
    status: str
    stage: str
    technician: str
    technician_id: int | None
    advisor: str
    advisor_id: int | None
    bay: str
    promised_at: datetime | None
    minutes_left: int | None
    late: bool
    at_risk: bool
    comeback: bool
    update_due: bool


@dataclass
class VisitView:
    visit: VisitRow
    customer: Customer
    vehicle: Vehicle
    lines: list[EstimateLine]
    totals: Totals
    estimate_totals: Totals
    checklist: list[ck.ItemStatus]
    concerns: list = field(default_factory=list)
    findings: list = field(default_factory=list)
    hold: str | None = None
    authorised: bool = False
    history: list = field(default_factory=list)
    last_km: int | None = None
    #: What the customer agreed to pay: the estimate plus approved added work.
    authorised_amount: int = 0
    #: The vehicle's last reading before this visit (the odometer may not go below it).
    prior_km: int | None = None
    #: The name of the visit's service advisor ("" when none is set), for the printouts.
    advisor: str = ""


@dataclass(frozen=True)
class CallRow:
    visit_id: int
    number: str
    customer: str
    phone: str
    plate: str
    delivered_at: datetime
    due_at: datetime
    overdue: bool
    attempts: int
    agreed_at: datetime | None
    channel: str


@dataclass(frozen=True)
class ComplaintView:
    id: int
    visit_id: int | None
    customer: str
    severity: str
    summary: str
    opened_at: datetime
    due_at: datetime
    overdue: bool
    closed: bool
    repeat: int


class QueriesMixin(Base):
    def _names(self, session: Session) -> dict[int, str]:
        return {u.id: u.name for u in session.exec(select(UserRow)).all()}

    def board(self, day: date) -> list[BoardRow]:
        """The appointment board of one day (one indexed query plus two small ones)."""

        def run(session: Session) -> list[BoardRow]:
            rows = repo.day_visits(session=session, day=day)
            names = self._names(session)
            ids = [v.id for v, _, _ in rows]
            first_concern: dict[int, str] = {}
            due: set[int] = set()
            earlier: set[int] = set()
            if ids:
                from desk.store.models import ConcernRow

                for vid, text in session.exec(
                    select(ConcernRow.visit_id, ConcernRow.text)
                    .where(col(ConcernRow.visit_id).in_(ids))
                    .order_by(ConcernRow.id)
                ).all():
                    first_concern.setdefault(vid, text)
                due = set(
                    session.exec(
                        select(ReminderRow.visit_id).where(
                            col(ReminderRow.visit_id).in_(ids),
                            col(ReminderRow.done_at).is_(None),
                            ReminderRow.due_at <= self.now(),
                            ReminderRow.kind != "late",
                        )
                    ).all()
                )
                vehicle_ids = [v.vehicle_id for v, _, _ in rows]
                earlier = set(
                    session.exec(
                        select(VisitRow.vehicle_id)
                        .where(
                            col(VisitRow.vehicle_id).in_(vehicle_ids),
                            col(VisitRow.arrived_at).is_not(None),
                            VisitRow.day < day,
                        )
                        .distinct()
                    ).all()
                )
            now = self.now()
            late_after = timedelta(minutes=self.policy.late_after_minutes)
            out = []
            for v, c, veh in rows:
                late = (
                    v.stage == Stage.BOOKED
                    and v.appointment_at is not None
                    and now >= v.appointment_at + late_after
                )
                out.append(
                    BoardRow(
                        visit_id=v.id, version=v.version, number=v.number,
                        time=v.appointment_at or v.arrived_at, stage=v.stage, customer=c.name,
                        phone=c.phone, plate=veh.plate,
                        vehicle=f"{veh.make} {veh.model}".strip(),
                        concern=first_concern.get(v.id, ""), advisor=names.get(v.advisor_id, ""),
                        vip=c.vip, special_note=c.special_note, comeback=v.comeback_of_id is not None,
                        new_customer=veh.id not in earlier and v.vehicle_id not in earlier,
                        late=late, arrived=v.arrived_at is not None,
                        reminder_due=v.id in due and v.stage == Stage.BOOKED,
                        walk_in=v.walk_in,
                    )
                )
            return out

        return self._read(run)

    def week(self, start: date) -> list[tuple[date, int, int]]:
        """(day, appointments, arrived) for seven days from ``start``."""

        def run(session: Session):
            rows = session.exec(
                select(VisitRow.day, func.count(), func.count(VisitRow.arrived_at))
                .where(VisitRow.day >= start, VisitRow.day < start + timedelta(days=7))
                .where(col(VisitRow.stage).not_in([Stage.CANCELLED.value]))
                .group_by(VisitRow.day)
            ).all()
            counts = {d: (n, a) for d, n, a in rows}
            return [
                (start + timedelta(days=i), *counts.get(start + timedelta(days=i), (0, 0)))
                for i in range(7)
            ]

        return self._read(run)

    def progress_board(self) -> list[ShopRow]:
        def run(session: Session) -> list[ShopRow]:
            stages = [s.value for s in proc.IN_SHOP]
            rows = repo.in_shop_visits(session=session, stages=stages)
            names = self._names(session)
            ids = [v.id for v, _, _ in rows]
            lines_by: dict[int, list] = {i: [] for i in ids}
            last_update: dict[int, datetime] = {}
            if ids:
                from desk.store.models import EstimateLineRow

                for r in session.exec(
                    select(EstimateLineRow).where(col(EstimateLineRow.visit_id).in_(ids))
                ).all():
                    lines_by[r.visit_id].append(repo.to_line(r))
                for vid, at in session.exec(
                    select(ProgressUpdateRow.visit_id, func.max(ProgressUpdateRow.at))
                    .where(col(ProgressUpdateRow.visit_id).in_(ids))
                    .group_by(ProgressUpdateRow.visit_id)
                ).all():
                    last_update[vid] = at
            now = self.now()
            out = []
            for v, c, veh in rows:
                status = proc.board_status(Stage(v.stage), lines_by[v.id], washing=v.washing)
                left = None
                if v.promised_at is not None:
                    left = int((v.promised_at - now).total_seconds() // 60)
                out.append(
                    ShopRow(
                        visit_id=v.id, version=v.version, number=v.number, plate=veh.plate,
                        customer=c.name, vehicle=f"{veh.make} {veh.model}".strip(),
                        status=status.value if status else "", stage=v.stage,
                        technician=names.get(v.technician_id, ""), technician_id=v.technician_id,
                        advisor=names.get(v.advisor_id, ""), advisor_id=v.advisor_id, bay=v.bay,
                        promised_at=v.promised_at, minutes_left=left,
                        late=left is not None and left < 0 and v.stage != Stage.READY,
                        at_risk=left is not None and 0 <= left < 60,
                        comeback=v.comeback_of_id is not None,
                        update_due=self.update_due(v, last_update.get(v.id)),
                    )
                )
            return out

        return self._read(run)

    def visit_view(self, visit_id: int) -> VisitView:
        def run(session: Session) -> VisitView:
            visit = self._visit(session, visit_id)
            facts = self._facts(session, visit)
            marks = repo.marks(session=session, visit_id=visit_id)
            stage = visit.stage if visit.stage in self.templates.stages else Stage.BOOKED
            customer_row = session.get(CustomerRow, visit.customer_id)
            billable = [ln for ln in facts.lines if ln.approval == "approved"]
            estimate = [ln for ln in facts.lines if not ln.added_in_repair]
            from desk.domain.rules import authorised_amount, valid_authorisation

            return VisitView(
                visit=visit,
                customer=facts.customer,
                vehicle=facts.vehicle,
                lines=facts.lines,
                totals=self.totals(billable, customer_row),
                estimate_totals=self.totals(estimate, customer_row),
                checklist=ck.evaluate(self.templates, stage, facts, marks),
                concerns=facts.concerns,
                findings=facts.findings,
                hold=(h.value if (h := proc.hold(facts.lines)) and visit.stage == Stage.IN_REPAIR else None),
                authorised=valid_authorisation(facts) is not None,
                authorised_amount=authorised_amount(facts),
                last_km=facts.vehicle.last_odometer_km if facts.vehicle else None,
                prior_km=repo.prior_odometer(session=session, vehicle_id=visit.vehicle_id, visit_id=visit.id),
                advisor=advisor.name if visit.advisor_id and (advisor := session.get(UserRow, visit.advisor_id))
                else "",
            )

        return self._read(run)

    def lookup(self, query: str, limit: int = 20):
        """Vehicles and owners matching part of a plate, phone, VIN or name. A USB
        scanner reading an imported car's VIN barcode types an 18th, leading 'I'."""
        q = query.strip()
        if len(q) == 18 and q[0] in "Ii" and q[1:].isalnum():
            q = q[1:]
        return self._read_connection(lambda c: repo.lookup(connection=c, query=q, limit=limit))

    def vehicle_visits(self, vehicle_id: int, *, exclude: int | None = None, limit: int = 5) -> list[dict]:
        """The last visits of a vehicle with their concerns and the recommendations
        the customer declined (to offer again)."""

        def run(session: Session) -> list[dict]:
            stmt = select(VisitRow).where(VisitRow.vehicle_id == vehicle_id)
            if exclude is not None:
                stmt = stmt.where(VisitRow.id != exclude)
            rows = session.exec(stmt.order_by(VisitRow.day.desc(), VisitRow.id.desc()).limit(limit)).all()
            ids = [v.id for v in rows]
            concerns: dict[int, list[str]] = {i: [] for i in ids}
            declined: dict[int, list[str]] = {i: [] for i in ids}
            if ids:  # two queries for all the visits, not two per visit
                from desk.store.models import ConcernRow, EstimateLineRow

                for vid, text in session.exec(
                    select(ConcernRow.visit_id, ConcernRow.text)
                    .where(col(ConcernRow.visit_id).in_(ids)).order_by(ConcernRow.id)
                ).all():
                    concerns[vid].append(text)
                for vid, text in session.exec(
                    select(EstimateLineRow.visit_id, EstimateLineRow.description)
                    .where(col(EstimateLineRow.visit_id).in_(ids), EstimateLineRow.approval == "declined")
                    .order_by(EstimateLineRow.position, EstimateLineRow.id)
                ).all():
                    declined[vid].append(text)
            return [
                {"id": v.id, "day": v.day, "number": v.number, "stage": v.stage, "concerns": concerns[v.id],
                 "declined": declined[v.id], "odometer_km": v.odometer_km}
                for v in rows
            ]

        return self._read(run)

    def vehicle_history(self, vehicle_id: int, limit: int = 10) -> list[VisitRow]:
        return self._read(
            lambda s: list(
                s.exec(
                    select(VisitRow)
                    .where(VisitRow.vehicle_id == vehicle_id)
                    .order_by(VisitRow.day.desc())
                    .limit(limit)
                ).all()
            )
        )

    def reminders(self) -> list[tuple[ReminderRow, VisitRow, CustomerRow]]:
        """Reminder and late-call tasks that are due now."""

        def run(session: Session):
            out = []
            for rem in repo.reminders_due(session=session, until=self.now()):
                visit = session.get(VisitRow, rem.visit_id)
                if visit is None or visit.stage != Stage.BOOKED:
                    continue
                out.append((rem, visit, session.get(CustomerRow, visit.customer_id)))
            return out

        return self._read(run)

    def followup_queue(self) -> list[CallRow]:
        """Delivered visits awaiting their call, overdue first."""

        def run(session: Session) -> list[CallRow]:
            from desk.store.models import FollowUpCallRow

            rows = session.exec(
                select(VisitRow, CustomerRow, VehicleRow)
                .join(CustomerRow, CustomerRow.id == VisitRow.customer_id)
                .join(VehicleRow, VehicleRow.id == VisitRow.vehicle_id)
                .where(VisitRow.stage == Stage.DELIVERED.value)
            ).all()
            ids = [v.id for v, _, _ in rows]
            tries: dict[int, int] = {}
            if ids:
                tries = dict(
                    session.exec(
                        select(FollowUpCallRow.visit_id, func.count())
                        .where(col(FollowUpCallRow.visit_id).in_(ids))
                        .group_by(FollowUpCallRow.visit_id)
                    ).all()
                )
            now = self.now()
            out = []
            for v, c, veh in rows:
                delivered = v.delivered_at or now
                due = followup_due_at(delivered, self.policy)
                out.append(
                    CallRow(
                        visit_id=v.id, number=v.number, customer=c.name, phone=c.phone,
                        plate=veh.plate, delivered_at=delivered, due_at=due, overdue=now > due,
                        attempts=tries.get(v.id, 0), agreed_at=v.followup_agreed_at,
                        channel=v.followup_channel,
                    )
                )
            out.sort(key=lambda r: (not r.overdue, r.due_at))
            return out

        return self._read(run)

    def complaints(self, include_closed: bool = False) -> list[ComplaintView]:
        def run(session: Session) -> list[ComplaintView]:
            stmt = select(ComplaintRow, CustomerRow).join(
                CustomerRow, CustomerRow.id == ComplaintRow.customer_id
            )
            if not include_closed:
                stmt = stmt.where(col(ComplaintRow.closed_at).is_(None))
            rows = session.exec(stmt.order_by(ComplaintRow.opened_at)).all()
            per_customer: dict[int, int] = dict(
                session.exec(
                    select(ComplaintRow.customer_id, func.count()).group_by(ComplaintRow.customer_id)
                ).all()
            )
            now = self.now()
            out = []
            for comp, cust in rows:
                due = comp.opened_at + timedelta(hours=24)
                out.append(
                    ComplaintView(
                        id=comp.id, visit_id=comp.visit_id, customer=cust.name, severity=comp.severity,
                        summary=comp.summary, opened_at=comp.opened_at, due_at=due,
                        overdue=comp.closed_at is None and now > due, closed=comp.closed_at is not None,
                        repeat=per_customer.get(cust.id, 1) - 1,
                    )
                )
            return out

        return self._read(run)

    def history(self, visit_id: int) -> list[AuditEventRow]:
        return self._read(lambda s: audit.history(s, visit_id))

    def verify_audit(self):
        return self._read(lambda s: audit.verify(s))
