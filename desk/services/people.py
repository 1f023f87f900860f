"""Users, customers and their cars: registration, look-up and a car's history."""

from __future__ import annotations

from sqlmodel import Session

from desk.domain import fields
from desk.domain.drafts import CustomerDraft, VehicleDraft
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
        """A new user: ``name`` as ``fields.NAME`` parses it (set-up's form, the demo)."""
        name = fields.NAME.check(name)

        def run(session: Session) -> int:
            row = UserRow(name=name, roles=",".join(Role(r).value for r in roles))
            session.add(row)
            session.flush()
            who = actor or repo.to_user(row)
            self._audit(session, who, "user.create", "user", row.id, after={"name": name, "roles": row.roles})
            return row.id

        return self._write(run)

    # ------------------------------------------------------------------ customers & cars

    @staticmethod
    def customer_draft(**values) -> CustomerDraft:
        """A customer from typed values (a script, the demo, a test): ``CustomerDraft.of``."""
        return CustomerDraft.of(**values)

    def vehicle_draft(self, **values) -> VehicleDraft:
        """A car from typed values, its year and purchase date checked against today."""
        return VehicleDraft.of(today=self.now().date(), **values)

    def register_customer(self, actor: User, customer: CustomerDraft) -> int:
        row = self._customer_row(customer)
        return self._write(lambda s: self._insert_customer(s, actor, row))

    def register_vehicle(self, actor: User, customer_id: int, vehicle: VehicleDraft) -> int:
        row = self._vehicle_row(customer_id, vehicle)
        return self._write(lambda s: self._insert_vehicle(s, actor, row, vehicle.odometer_km))

    def register(self, actor: User, customer: CustomerDraft, vehicle: VehicleDraft) -> tuple[int, int]:
        """A new customer and their car in one transaction: both or neither."""
        crow = self._customer_row(customer)
        vrow = self._vehicle_row(0, vehicle)

        def run(session: Session) -> tuple[int, int]:
            cid = self._insert_customer(session, actor, crow)
            vrow.customer_id = cid
            return cid, self._insert_vehicle(session, actor, vrow, vehicle.odometer_km)

        return self._write(run)

    def _customer_row(self, c: CustomerDraft) -> CustomerRow:
        return CustomerRow(name=c.name, phone=c.phone, member=c.member, vip=c.vip, special_note=c.special_note,
                           email=c.email, created_at=self.now())

    def _insert_customer(self, session: Session, actor: User, row: CustomerRow) -> int:
        session.add(row)
        session.flush()
        self._audit(session, actor, "customer.create", "customer", row.id, after=row.model_dump())
        return row.id

    @staticmethod
    def _vehicle_row(customer_id: int, v: VehicleDraft) -> VehicleRow:
        return VehicleRow(customer_id=customer_id, vin=v.vin, plate=v.plate, make=v.make, model=v.model,
                          year=v.year, purchase_date=v.purchase_date)

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
