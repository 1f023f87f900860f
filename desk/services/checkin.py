"""Use cases of the check-in lane: customers, booking, reception, walkaround,
estimate and authorisation (spec stages 1-4)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlmodel import Session, func, select

from desk.domain import validate
from desk.domain.entities import (
    Approval,
    Availability,
    Channel,
    Concern,
    EstimateLine,
    Grade,
    LineKind,
    Role,
    Symptom,
    User,
)
from desk.domain.money import Totals
from desk.i18n import N_
from desk.domain.errors import InvalidInput, NotAllowed
from desk.domain.process import WALK_IN_START, Stage
from desk.domain.rules import comeback_of, lines_hash
from desk.resources import fixture
from desk.services.base import Base
from desk.store import repo
from desk.store.models import (
    AuthorisationRow,
    ConcernRow,
    CustomerRow,
    EstimateLineRow,
    FindingRow,
    OdometerRow,
    ReminderRow,
    UserRow,
    VehicleRow,
    VisitRow,
)

@dataclass(frozen=True)
class LineAdded:
    """What adding an estimate line changed: the line, the estimate's and the
    billable totals (as :class:`VisitView` has them) and the estimate version."""

    line: EstimateLine
    estimate_totals: Totals
    totals: Totals
    estimate_version: int


#: Stages in which the estimate itself may still be edited (before signature).
EDITABLE = frozenset({Stage.BOOKED, Stage.RECEPTION, Stage.WALKAROUND, Stage.ESTIMATE})

PANELS = (
    "front_bumper", "bonnet", "roof", "boot", "rear_bumper",
    "front_left", "front_right", "rear_left", "rear_right",
    "door_front_left", "door_front_right", "door_rear_left", "door_rear_right",
    "windscreen", "wheels",
)
DAMAGE_KINDS = ("scratch", "dent", "crack", "chip")


@dataclass(frozen=True)
class CannedJob:
    id: str
    en: str
    zh: str
    lines: tuple[dict, ...]


def load_canned_jobs(path=None) -> list[CannedJob]:
    with (path or fixture("canned_jobs.toml")).open("rb") as fh:
        data = tomllib.load(fh)
    return [
        CannedJob(id=j["id"], en=j["en"], zh=j["zh"], lines=tuple(j["line"]))
        for j in data.get("job", [])
    ]


class CheckinMixin(Base):
    # ------------------------------------------------------------------ people & cars

    def create_user(self, actor: User | None, name: str, roles: list[Role]) -> int:
        name = validate.name(name)

        def run(session: Session) -> int:
            row = UserRow(name=name, roles=",".join(Role(r).value for r in roles))
            session.add(row)
            session.flush()
            who = actor or repo.to_user(row)
            self._audit(session, who, "user.create", "user", row.id, after={"name": name, "roles": row.roles})
            return row.id

        return self._write(run)

    def register_customer(
        self,
        actor: User,
        *,
        name: str,
        phone: str,
        member: bool = False,
        vip: bool = False,
        special_note: str = "",
        email: str = "",
    ) -> int:
        row = self._customer_row(name=name, phone=phone, member=member, vip=vip,
                                 special_note=special_note, email=email)
        return self._write(lambda s: self._insert_customer(s, actor, row))

    def register_vehicle(self, actor: User, *, customer_id: int, **fields) -> int:
        row, km = self._vehicle_row(customer_id=customer_id, **fields)
        return self._write(lambda s: self._insert_vehicle(s, actor, row, km))

    def register(self, actor: User, *, customer: dict, vehicle: dict) -> tuple[int, int]:
        """A new customer and their car in one transaction: both or neither."""
        crow = self._customer_row(**customer)
        vrow, km = self._vehicle_row(customer_id=0, **vehicle)

        def run(session: Session) -> tuple[int, int]:
            cid = self._insert_customer(session, actor, crow)
            vrow.customer_id = cid
            return cid, self._insert_vehicle(session, actor, vrow, km)

        return self._write(run)

    def _customer_row(self, *, name, phone, member=False, vip=False, special_note="", email="") -> CustomerRow:
        return CustomerRow(
            name=validate.name(name), phone=validate.phone(phone), member=member, vip=vip,
            special_note=validate.text(special_note, field="note", max_len=500, multiline=True),
            email=validate.email(email), created_at=self.now(),
        )

    def _insert_customer(self, session: Session, actor: User, row: CustomerRow) -> int:
        session.add(row)
        session.flush()
        self._audit(session, actor, "customer.create", "customer", row.id, after=row.model_dump())
        return row.id

    def _vehicle_row(
        self, *, customer_id: int, vin: str = "", plate: str, make: str = "", model: str = "",
        year: int | None = None, purchase_date: date | None = None, odometer_km=None,
    ) -> tuple[VehicleRow, int | None]:
        vin_value = validate.vin(vin).vin if vin.strip() else ""
        if year is not None and not (1950 <= int(year) <= self.now().year + 1):
            raise InvalidInput("year", "Not a model year: {value}", {"value": year})
        km = validate.odometer(odometer_km, None) if odometer_km not in (None, "") else None
        row = VehicleRow(
            customer_id=customer_id, vin=vin_value, plate=validate.plate(plate),
            make=validate.text(make, field="make", max_len=40),
            model=validate.text(model, field="model", max_len=40),
            year=int(year) if year is not None else None, purchase_date=purchase_date,
        )
        return row, km

    def _insert_vehicle(self, session: Session, actor: User, row: VehicleRow, km: int | None) -> int:
        if session.get(CustomerRow, row.customer_id) is None:
            raise InvalidInput("customer", "No such customer")
        if row.vin and session.exec(select(VehicleRow.id).where(VehicleRow.vin == row.vin)).first():
            raise InvalidInput("vin", "A vehicle with this VIN is already registered")
        session.add(row)
        session.flush()
        if km is not None:
            session.add(OdometerRow(vehicle_id=row.id, km=km, at=self.now()))
        self._audit(session, actor, "vehicle.create", "vehicle", row.id, after=row.model_dump())
        return row.id

    def earliest_free_slot(self, after: datetime, *, days: int = 7) -> datetime | None:
        """The first slot with room from ``after`` within opening hours (APPT-03:
        a comeback customer is offered the earliest one)."""
        at = self._slot_start(after)
        if at < after:
            at += timedelta(minutes=self.slot_minutes)
        end = after + timedelta(days=days)
        while at < end:
            if self.opening <= at.time() < self.closing and self.slot_load(at) < self.slot_capacity:
                return at
            at += timedelta(minutes=self.slot_minutes)
        return None

    # ------------------------------------------------------------------ booking

    def _new_number(self, session: Session) -> str:
        count = session.exec(select(func.max(VisitRow.id))).one() or 0
        return f"RO{self.now():%y}{count + 1:06d}"

    def _add_concerns(self, session: Session, visit_id: int, concerns) -> list[Concern]:
        out = []
        for c in concerns:
            text, tags = (c, ()) if isinstance(c, str) else c
            text = validate.text(text, field="concern", max_len=500, required=True)
            tagset = frozenset(Symptom(t) for t in tags)
            session.add(
                ConcernRow(visit_id=visit_id, text=text, tags=",".join(sorted(tagset)))
            )
            out.append(Concern(text=text, tags=tagset))
        return out

    def slot_load(self, at: datetime) -> int:
        """How many appointments already take the slot that ``at`` falls in."""
        start = self._slot_start(at)

        def run(session: Session) -> int:
            return session.exec(
                select(func.count())
                .select_from(VisitRow)
                .where(
                    VisitRow.appointment_at >= start,
                    VisitRow.appointment_at < start + timedelta(minutes=self.slot_minutes),
                    VisitRow.stage.not_in([Stage.CANCELLED.value, Stage.NO_SHOW.value]),
                )
            ).one()

        return self._read(run)

    def _slot_start(self, at: datetime) -> datetime:
        minute = at.minute - at.minute % self.slot_minutes
        return at.replace(minute=minute, second=0, microsecond=0)

    def book(
        self,
        actor: User,
        *,
        customer_id: int,
        vehicle_id: int,
        at: datetime,
        concerns: list,
        advisor_id: int | None = None,
        overbook: bool = False,
        notes_reviewed: bool = False,
    ) -> int:
        """Book an appointment (a visit in BOOKED). A full slot is refused unless a
        manager overbooks it explicitly."""
        if at < self.now() - timedelta(minutes=self.slot_minutes):
            raise InvalidInput("when", "The appointment time is in the past")
        if self.slot_load(at) >= self.slot_capacity:
            if not overbook:
                raise InvalidInput(
                    "when", "The {time} slot is full", {"time": self._slot_start(at).strftime("%H:%M")}
                )
            if not actor.may_waive:
                raise NotAllowed(N_("overbook"), N_("manager"))
        return self._create_visit(
            actor, customer_id=customer_id, vehicle_id=vehicle_id, at=at, concerns=concerns,
            advisor_id=advisor_id or actor.id, walk_in=False, overbooked=overbook,
        )

    def walk_in(
        self, actor: User, *, customer_id: int, vehicle_id: int, concerns: list, advisor_id: int | None = None
    ) -> int:
        """A customer without appointment: the visit starts at reception, arrived now."""
        return self._create_visit(
            actor, customer_id=customer_id, vehicle_id=vehicle_id, at=None, concerns=concerns,
            advisor_id=advisor_id or actor.id, walk_in=True,
        )

    def _create_visit(
        self, actor, *, customer_id, vehicle_id, at, concerns, advisor_id, walk_in, overbooked=False
    ) -> int:
        def run(session: Session) -> int:
            vehicle = session.get(VehicleRow, vehicle_id)
            if vehicle is None or vehicle.customer_id != customer_id:
                raise InvalidInput("vehicle", "This vehicle does not belong to this customer")
            now = self.now()
            visit = VisitRow(
                number=self._new_number(session),
                customer_id=customer_id,
                vehicle_id=vehicle_id,
                advisor_id=advisor_id,
                stage=(WALK_IN_START if walk_in else Stage.BOOKED).value,
                walk_in=walk_in,
                day=(at or now).date(),
                appointment_at=at,
                arrived_at=now if walk_in else None,
                created_at=now,
                updated_at=now,
            )
            session.add(visit)
            session.flush()
            new = self._add_concerns(session, visit.id, concerns)
            past = repo.past_visits(session=session, vehicle_id=vehicle_id, before_visit=visit.id)
            prior = comeback_of(new, past, at or now, self.policy.comeback_window_days)
            if prior is not None:
                visit.comeback_of_id = prior.id
            if at is not None:
                for kind, delta in (("day", timedelta(days=1)), ("hour", timedelta(hours=1))):
                    session.add(ReminderRow(visit_id=visit.id, kind=kind, due_at=at - delta))
                session.add(
                    ReminderRow(
                        visit_id=visit.id, kind="late",
                        due_at=at + timedelta(minutes=self.policy.late_after_minutes),
                    )
                )
            session.flush()
            self._audit(
                session, actor, "visit.walk_in" if walk_in else "visit.book", "visit", visit.id,
                visit_id=visit.id,
                after={
                    "number": visit.number, "at": at, "concerns": [c.text for c in new],
                    "comeback_of": visit.comeback_of_id, "overbooked": overbooked,
                },
            )
            return visit.id

        return self._write(run)

    def reschedule(self, actor: User, visit_id: int, at: datetime, *, version: int | None = None) -> None:
        if self.slot_load(at) >= self.slot_capacity and not actor.may_waive:
            raise InvalidInput("when", "The {time} slot is full", {"time": self._slot_start(at).strftime("%H:%M")})

        def run(session: Session) -> None:
            visit = self._visit(session, visit_id, version)
            if visit.stage != Stage.BOOKED:
                raise InvalidInput("when", "Only a booked visit can be rescheduled")
            before = {"at": visit.appointment_at}
            visit.appointment_at, visit.day = at, at.date()
            for rem in session.exec(select(ReminderRow).where(ReminderRow.visit_id == visit_id)).all():
                if rem.done_at is None:
                    delta = {"day": -timedelta(days=1), "hour": -timedelta(hours=1)}.get(
                        rem.kind, timedelta(minutes=self.policy.late_after_minutes)
                    )
                    rem.due_at = at + delta
                    session.add(rem)
            self._touch(session, visit)
            self._audit(session, actor, "visit.reschedule", "visit", visit_id, visit_id=visit_id,
                        before=before, after={"at": at})

        self._write(run)

    def complete_reminder(self, actor: User, reminder_id: int, outcome: str) -> None:
        outcome = validate.text(outcome, field="outcome", max_len=200, required=True)

        def run(session: Session) -> None:
            rem = session.get(ReminderRow, reminder_id)
            if rem is None:
                raise InvalidInput("reminder", "No such reminder")
            rem.done_at, rem.outcome, rem.by_user = self.now(), outcome, actor.id
            session.add(rem)
            visit = self._visit(session, rem.visit_id)
            self._touch(session, visit)
            self._audit(session, actor, f"reminder.{rem.kind}", "reminder", rem.id,
                        visit_id=rem.visit_id, after={"outcome": outcome})

        self._write(run)

    def welcome_list(self, actor: User, day: date) -> list[str]:
        """Names for tomorrow's lounge and gate welcome boards (APPT-08); marks the
        visits as listed."""

        def run(session: Session) -> list[str]:
            names = []
            for visit, customer, vehicle in repo.day_visits(session=session, day=day):
                if visit.stage != Stage.BOOKED:
                    continue
                names.append(f"{visit.appointment_at:%H:%M}  {customer.name}  {vehicle.plate}")
                if not visit.welcome_listed:
                    visit.welcome_listed = True
                    self._touch(session, visit)
            self._audit(session, actor, "welcome.export", "day", None, after={"day": day, "count": len(names)})
            return names

        return self._write(run)

    # ------------------------------------------------------------------ reception & walkaround

    def add_concern(self, actor: User, visit_id: int, text: str, tags=(), *, version: int | None = None) -> None:
        def run(session: Session) -> None:
            visit = self._visit(session, visit_id, version)
            added = self._add_concerns(session, visit_id, [(text, tags)])
            self._touch(session, visit)
            self._audit(session, actor, "concern.add", "concern", None, visit_id=visit_id,
                        after={"text": added[0].text, "tags": added[0].tags})

        self._write(run)

    def confirm_concerns(self, actor: User, visit_id: int) -> None:
        """The advisor repeated the requests back and the customer confirmed (RCP-04)."""

        def run(session: Session) -> None:
            visit = self._visit(session, visit_id)
            rows = repo.concerns(session=session, visit_id=visit_id)
            if not rows:
                raise InvalidInput("concern", "Record at least one customer concern")
            for row in rows:
                row.confirmed = True
                session.add(row)
            self._touch(session, visit)
            self._audit(session, actor, "concern.confirm", "visit", visit_id, visit_id=visit_id,
                        after={"count": len(rows)})

        self._write(run)

    def record_walkaround(
        self,
        actor: User,
        visit_id: int,
        *,
        odometer_km=None,
        fuel_eighths: int | None = None,
        damages: list[dict] | None = None,
        damage_confirmed: bool | None = None,
        warning_lights: str | None = None,
        tyres: str | None = None,
        valuables: str | None = None,
        version: int | None = None,
    ) -> None:
        """Record the walkaround. The odometer may not go below the vehicle's last
        reading (a correction is :meth:`correct_odometer`, which is audited)."""
        if fuel_eighths is not None and not 0 <= int(fuel_eighths) <= 8:
            raise InvalidInput("fuel", "Fuel level is 0 to 8 eighths")
        for d in damages or []:
            if d.get("panel") not in PANELS or d.get("kind") not in DAMAGE_KINDS:
                raise InvalidInput("damage", "Unknown panel or damage kind")

        def run(session: Session) -> None:
            visit = self._visit(session, visit_id, version)
            before = {
                "odometer_km": visit.odometer_km, "fuel_eighths": visit.fuel_eighths,
                "damages": visit.damages, "damage_confirmed": visit.damage_confirmed,
            }
            if odometer_km is not None and odometer_km != "":
                last = repo.prior_odometer(session=session, vehicle_id=visit.vehicle_id, visit_id=visit_id)
                km = validate.odometer(odometer_km, last)
                own = session.exec(
                    select(OdometerRow).where(OdometerRow.visit_id == visit_id)
                ).first() or OdometerRow(vehicle_id=visit.vehicle_id, visit_id=visit_id, km=km, at=self.now())
                own.km, own.at = km, self.now()
                session.add(own)
                visit.odometer_km = km
            if fuel_eighths is not None:
                visit.fuel_eighths = int(fuel_eighths)
            if damages is not None:
                visit.damages = json.dumps(damages, ensure_ascii=False)
            if damage_confirmed is not None:
                visit.damage_confirmed = damage_confirmed
            for field_name, value in (("warning_lights", warning_lights), ("tyres", tyres), ("valuables", valuables)):
                if value is not None:
                    setattr(visit, field_name, validate.text(value, field=field_name, max_len=500))
            self._touch(session, visit)
            self._audit(session, actor, "visit.walkaround", "visit", visit_id, visit_id=visit_id,
                        before=before,
                        after={"odometer_km": visit.odometer_km, "fuel_eighths": visit.fuel_eighths,
                               "damages": visit.damages, "damage_confirmed": visit.damage_confirmed})

        self._write(run)

    def correct_odometer(self, actor: User, visit_id: int, km, reason: str) -> None:
        """Record a reading below the last one (a wrong earlier entry, a replaced
        cluster). Needs a manager or foreman and a reason; both are audited."""
        if not actor.may_waive:
            raise NotAllowed(N_("correct odometer"), N_("manager"))
        reason = validate.text(reason, field="reason", max_len=500, required=True)
        km = validate.odometer(km, None)

        def run(session: Session) -> None:
            visit = self._visit(session, visit_id)
            previous = repo.last_odometer(session=session, vehicle_id=visit.vehicle_id)
            own = session.exec(select(OdometerRow).where(OdometerRow.visit_id == visit_id)).first()
            if own is None:
                own = OdometerRow(vehicle_id=visit.vehicle_id, visit_id=visit_id, km=km, at=self.now())
            own.km, own.at, own.corrected, own.reason = km, self.now(), True, reason
            session.add(own)
            visit.odometer_km = km
            self._touch(session, visit)
            self._audit(session, actor, "odometer.correct", "visit", visit_id, visit_id=visit_id,
                        before={"km": previous}, after={"km": km, "reason": reason})

        self._write(run)

    def add_finding(
        self, actor: User, visit_id: int, text: str, grade: Grade | str, *, during_repair: bool = False
    ) -> int:
        text = validate.text(text, field="finding", max_len=500, required=True)
        grade = Grade(grade)

        def run(session: Session) -> int:
            visit = self._visit(session, visit_id)
            row = FindingRow(visit_id=visit_id, text=text, grade=grade.value,
                             during_repair=during_repair, at=self.now(), by_user=actor.id)
            session.add(row)
            session.flush()
            self._touch(session, visit)
            self._audit(session, actor, "finding.add", "finding", row.id, visit_id=visit_id,
                        after={"text": text, "grade": grade})
            return row.id

        return self._write(run)

    # ------------------------------------------------------------------ estimate

    def add_line(
        self,
        actor: User,
        visit_id: int,
        *,
        kind: LineKind | str,
        description: str,
        qty: Decimal | str,
        unit_cents: int,
        discount_pct: Decimal | str = Decimal(0),
        tax_code: str | None = None,
        warranty: bool = False,
        free: bool = False,
        availability: Availability | str | None = None,
        eta: date | None = None,
        version: int | None = None,
    ) -> int:
        """Add an estimate line. Before the customer signs it joins the estimate;
        after, it is added work and starts *pending approval* (REP-03/04)."""
        spec = self._line_spec(kind=kind, description=description, qty=qty, unit_cents=unit_cents,
                               discount_pct=discount_pct, tax_code=tax_code, warranty=warranty, free=free,
                               availability=availability, eta=eta)
        self._check_price(actor, discount=spec["discount"], free=free, warranty=warranty)
        return self._write(lambda session: self._insert_line(session, actor, visit_id, spec, version))

    def add_estimate_line(self, actor: User, visit_id: int, *, version: int | None = None, **line) -> LineAdded:
        """:meth:`add_line` (same arguments, same checks, same audit), returning
        the new line and the visit's new totals, computed in the same
        transaction from the lines it reads anyway: a screen shows the line and
        the totals without reading the whole visit again."""
        spec = self._line_spec(**line)
        self._check_price(actor, discount=spec["discount"], free=spec["free"], warranty=spec["warranty"])

        def run(session: Session) -> LineAdded:
            line_id = self._insert_line(session, actor, visit_id, spec, version)
            visit = self._visit(session, visit_id)
            lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=visit_id)]
            customer = session.get(CustomerRow, visit.customer_id)
            return LineAdded(
                line=next(ln for ln in lines if ln.id == line_id),
                estimate_totals=self.totals([ln for ln in lines if not ln.added_in_repair], customer),
                totals=self.totals([ln for ln in lines if ln.approval == "approved"], customer),
                estimate_version=visit.estimate_version,
            )

        return self._write(run)

    def _line_spec(self, *, kind, description, qty, unit_cents, discount_pct=Decimal(0), tax_code=None,
                   warranty=False, free=False, availability=None, eta=None) -> dict:
        """A line's validated values (nothing is written)."""
        kind = LineKind(kind)
        description = validate.text(description, field="description", max_len=200, required=True)
        qty = qty if isinstance(qty, Decimal) else validate_qty(qty)
        if not isinstance(unit_cents, int) or isinstance(unit_cents, bool) or unit_cents < 0:
            raise InvalidInput("price", "Amount cannot be negative")
        discount = Decimal(str(discount_pct))
        if not Decimal(0) <= discount <= Decimal(100):
            raise InvalidInput("discount", "Discount is 0 to 100 %")
        tax_code = tax_code or next(iter(self.pricing.taxes.rules))
        if tax_code not in self.pricing.taxes.rules:
            raise InvalidInput("tax", "Unknown tax code {code}", {"code": tax_code})
        avail = Availability(availability) if availability else (
            Availability.IN_STOCK if kind != LineKind.PART else Availability.UNKNOWN
        )
        if avail == Availability.BACK_ORDER and eta is not None and eta < self.now().date():
            raise InvalidInput("eta", "The arrival date is in the past")
        return dict(kind=kind, description=description, qty=qty, unit_cents=unit_cents, discount=discount,
                    tax_code=tax_code, warranty=warranty, free=free, availability=avail, eta=eta)

    def _insert_line(self, session: Session, actor: User, visit_id: int, spec: dict, version: int | None) -> int:
        visit = self._visit(session, visit_id, version)
        stage = Stage(visit.stage)
        if stage in EDITABLE:
            added, approval = False, Approval.APPROVED
            visit.estimate_version += 1
        elif stage == Stage.IN_REPAIR:
            added, approval = True, Approval.PENDING
        else:
            raise InvalidInput("line", "Lines can no longer be added at this stage")
        position = len(repo.lines(session=session, visit_id=visit_id))
        row = EstimateLineRow(
            visit_id=visit_id, position=position, kind=spec["kind"].value, description=spec["description"],
            qty_milli=repo.qty_milli(spec["qty"]), unit_cents=spec["unit_cents"],
            discount_bp=repo.discount_bp(spec["discount"]), tax_code=spec["tax_code"], warranty=spec["warranty"],
            free=spec["free"], availability=spec["availability"].value, eta=spec["eta"], approval=approval.value,
            added_in_repair=added,
        )
        session.add(row)
        session.flush()
        self._touch(session, visit)
        self._audit(session, actor, "line.add", "estimate_line", row.id, visit_id=visit_id,
                    after=row.model_dump(exclude={"version"}))
        return row.id

    def update_line(self, actor: User, line_id: int, *, version: int | None = None, **changes) -> None:
        """Change a line of an unsigned estimate (availability/ETA may change later)."""
        allowed_late = {"availability", "eta"}

        def run(session: Session) -> None:
            row = session.get(EstimateLineRow, line_id)
            if row is None:
                raise InvalidInput("line", "No such line")
            if version is not None and row.version != version:
                raise InvalidInput("line", "This line changed on another terminal; reload")
            visit = self._visit(session, row.visit_id)
            if Stage(visit.stage) not in EDITABLE and not set(changes) <= allowed_late:
                raise InvalidInput("line", "The customer signed this line: add a new line instead")
            before = row.model_dump(exclude={"version"})
            for key, value in changes.items():
                if key == "qty":
                    row.qty_milli = repo.qty_milli(value if isinstance(value, Decimal) else validate_qty(value))
                elif key == "discount_pct":
                    row.discount_bp = repo.discount_bp(Decimal(str(value)))
                elif key == "unit_cents":
                    if not isinstance(value, int) or value < 0:
                        raise InvalidInput("price", "Amount cannot be negative")
                    row.unit_cents = value
                elif key == "description":
                    row.description = validate.text(value, field="description", max_len=200, required=True)
                elif key == "availability":
                    row.availability = Availability(value).value
                elif key in {"eta", "warranty", "free", "tax_code"}:
                    setattr(row, key, value)
                else:
                    raise InvalidInput(key, "This field cannot be changed")
            if set(changes) & {"discount_pct", "free", "warranty"}:
                self._check_price(actor, discount=Decimal(row.discount_bp) / 100, free=row.free,
                                  warranty=row.warranty)
            session.add(row)
            if Stage(visit.stage) in EDITABLE and not set(changes) <= allowed_late:
                visit.estimate_version += 1
            self._touch(session, visit)
            self._audit(session, actor, "line.update", "estimate_line", line_id, visit_id=visit.id,
                        before=before, after=row.model_dump(exclude={"version"}))

        self._write(run)

    def remove_line(self, actor: User, line_id: int) -> None:
        def run(session: Session) -> None:
            row = session.get(EstimateLineRow, line_id)
            if row is None:
                raise InvalidInput("line", "No such line")
            visit = self._visit(session, row.visit_id)
            if Stage(visit.stage) not in EDITABLE:
                raise InvalidInput("line", "The customer signed this line: it cannot be removed")
            before = row.model_dump(exclude={"version"})
            session.delete(row)
            visit.estimate_version += 1
            self._touch(session, visit)
            self._audit(session, actor, "line.remove", "estimate_line", line_id, visit_id=visit.id, before=before)

        self._write(run)

    def canned_jobs(self) -> list[CannedJob]:
        return load_canned_jobs()

    def add_canned_job(self, actor: User, visit_id: int, job_id: str) -> list[int]:
        job = next((j for j in self.canned_jobs() if j.id == job_id), None)
        if job is None:
            raise InvalidInput("job", "No such canned job")
        # the shop's own prices (a free check included): no override; all lines or none
        specs = [
            self._line_spec(kind=ln["kind"], description=ln["description"], qty=Decimal(str(ln["qty"])),
                            unit_cents=int(ln["unit_cents"]), free=bool(ln.get("free", False)),
                            availability=ln.get("availability"))
            for ln in job.lines
        ]
        return self._write(lambda session: [self._insert_line(session, actor, visit_id, spec, None)
                                            for spec in specs])

    def estimate_total(self, visit_id: int) -> int:
        def run(session: Session) -> int:
            visit = self._visit(session, visit_id)
            lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=visit_id)]
            return self.totals(estimate_lines_of(lines), session.get(CustomerRow, visit.customer_id)).total

        return self._read(run)

    def authorise(
        self,
        actor: User,
        visit_id: int,
        *,
        channel: Channel | str,
        signer: str,
        reference: str = "",
        amount_cents: int,
        version: int | None = None,
    ) -> int:
        """Record the customer's authorisation of this exact estimate version (EST-07).

        It is saved on its own, before any attempt to advance, so an approval is
        never lost because another item is still open.
        """
        channel = Channel(channel)
        signer = validate.name(signer)
        reference = validate.text(reference, field="reference", max_len=40)
        if channel == Channel.PHONE and not reference:
            raise InvalidInput("reference", "Give the phone number the customer approved from")
        if not isinstance(amount_cents, int) or amount_cents < 0:
            raise InvalidInput("amount", "Amount cannot be negative")

        def run(session: Session) -> int:
            visit = self._visit(session, visit_id, version)
            if Stage(visit.stage) not in EDITABLE:
                raise InvalidInput("authorisation", "This estimate is already signed")
            lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=visit_id)]
            est = estimate_lines_of(lines)
            if not est:
                raise InvalidInput("authorisation", "The estimate has no lines")
            total = self.totals(est, session.get(CustomerRow, visit.customer_id)).total
            if amount_cents < total:
                raise InvalidInput(
                    "amount", "The amount authorised is less than the estimate total {total}",
                    {"total": total},
                )
            row = AuthorisationRow(
                visit_id=visit_id, channel=channel.value, signer=signer, reference=reference,
                amount_cents=amount_cents, estimate_version=visit.estimate_version,
                lines_hash=lines_hash(est), at=self.now(), by_user=actor.id,
            )
            session.add(row)
            session.flush()
            self._touch(session, visit)
            self._audit(session, actor, "estimate.authorise", "authorisation", row.id, visit_id=visit_id,
                        after={"channel": channel, "signer": signer, "reference": reference,
                               "amount_cents": amount_cents, "estimate_version": visit.estimate_version,
                               "lines_hash": row.lines_hash})
            return row.id

        return self._write(run)


def estimate_lines_of(lines):
    return [ln for ln in lines if not ln.added_in_repair]


def validate_qty(text) -> Decimal:
    from desk.domain.money import parse_qty

    return parse_qty(str(text))
