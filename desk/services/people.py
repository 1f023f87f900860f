"""Users, customers and their cars: registration, look-up and a car's history."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from desk.domain import validate
from desk.domain.entities import Role, User
from desk.domain.errors import InvalidInput
from desk.services.context import Service
from desk.store import repo
from desk.store.models import CustomerRow, OdometerRow, UserRow, VehicleRow, VisitRow


class PeopleService(Service):
    # ------------------------------------------------------------------ users

    def user(self, user_id: int) -> User:
        def run(session: Session) -> User:
            row = session.get(UserRow, user_id)
            if row is None:
                raise InvalidInput("user", "No such user")
            return repo.to_user(row)

        return self._read(run)

    def users(self) -> list[User]:
        return self._read(lambda s: repo.users(session=s))

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

    # ------------------------------------------------------------------ customers & cars

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
        if row.vin and repo.vin_taken(session=session, vin=row.vin):
            raise InvalidInput("vin", "A vehicle with this VIN is already registered")
        session.add(row)
        session.flush()
        if km is not None:
            session.add(OdometerRow(vehicle_id=row.id, km=km, at=self.now()))
        self._audit(session, actor, "vehicle.create", "vehicle", row.id, after=row.model_dump())
        return row.id

    # ------------------------------------------------------------------ look-up & history

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

        return self._read(lambda s: repo.vehicle_visits(session=s, vehicle_id=vehicle_id, exclude=exclude, limit=limit))

    def vehicle_history(self, vehicle_id: int, limit: int = 10) -> list[VisitRow]:
        return self._read(lambda s: repo.vehicle_history(session=s, vehicle_id=vehicle_id, limit=limit))
