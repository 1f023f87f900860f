"""Users, customers and their cars: registration, look-up and a car's history."""

from __future__ import annotations

from sqlmodel import Session

from desk.domain import fields
from desk.domain.drafts import CustomerDraft, VehicleDraft
from desk.domain.entities import CustomerRef, Role, User
from desk.domain.errors import AlreadyOnFile, InvalidInput
from desk.i18n import N_
from desk.services.context import Service, stale_edit
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

    def register(
        self,
        actor: User,
        customer: CustomerDraft,
        vehicle: VehicleDraft,
        *,
        same_as: int | None = None,
        reason: str = "",
    ) -> tuple[int, int]:
        """A new customer and their car in one transaction: both or neither.

        A phone or plate already on file is never saved again without a word:
        :class:`AlreadyOnFile` names whose they are, and the user chooses.
        ``same_as``: it is that customer (their car of that plate, or the car
        added to them; what was typed for the customer is kept in the audit).
        ``reason`` (``fields.REASON``): a new customer all the same, the reason
        and the customers it resembles kept in the audit. Returns
        ``(customer_id, vehicle_id)``."""
        crow = self._customer_row(customer)
        vrow = self._vehicle_row(0, vehicle)
        reason = fields.REASON.check(reason) if reason else ""

        def run(session: Session) -> tuple[int, int]:
            matches = repo.on_file(session=session, phone=customer.phone, plate=vehicle.plate)
            typed = {"name": customer.name, "phone": customer.phone, "plate": vehicle.plate}
            if same_as is not None:
                if same_as not in {m.customer_id for m in matches}:
                    raise InvalidInput("customer", N_("That customer's phone and plate are not the ones typed"))
                car = next((m.vehicle_id for m in matches if m.field == "plate" and m.customer_id == same_as), None)
                others = sorted({m.customer_id for m in matches if m.field == "plate" and m.customer_id != same_as})
                if car is None and others and not reason:
                    raise AlreadyOnFile([m for m in matches if m.customer_id in others])
                self._audit(
                    session,
                    actor,
                    "customer.matched",
                    "customer",
                    same_as,
                    after={
                        "typed": typed,
                        "matched_by": sorted({m.field for m in matches if m.customer_id == same_as}),
                        "vehicle_id": car,
                        "reason": reason,
                        "plate_also_of": others,
                    },
                )
                if car is not None:
                    return same_as, car
                return same_as, self._car_for(session, actor, same_as, vrow, vehicle, matches, reason)
            if matches and not reason:
                raise AlreadyOnFile(matches)
            cid = self._insert_customer(
                session,
                actor,
                crow,
                on_file=[{"field": m.field, "customer_id": m.customer_id, "vehicle_id": m.vehicle_id} for m in matches],
                reason=reason,
            )
            return cid, self._car_for(session, actor, cid, vrow, vehicle, matches, reason)

        return self._write(run)

    def _car_for(
        self,
        session: Session,
        actor: User,
        customer_id: int,
        vrow: VehicleRow,
        vehicle: VehicleDraft,
        matches: list,
        reason: str,
    ) -> int:
        """The customer's car of the typed plate. A plate on file is one car: it
        changes hands to this customer (audited, with the reason and the owner
        before), never a second car with the same plate; a different VIN typed
        for it is refused in words (the car on file is another car)."""
        taken = next((m for m in matches if m.field == "plate" and m.vehicle_id is not None), None)
        if taken is None:
            vrow.customer_id = customer_id
            return self._insert_vehicle(session, actor, vrow, vehicle.odometer_km)
        car = session.get(VehicleRow, taken.vehicle_id)
        if vrow.vin and car.vin and vrow.vin != car.vin:
            raise InvalidInput(
                "plate",
                N_("The plate {plate} is on file for another car (VIN {vin}, {owner}): correct that car's plate first"),
                {"plate": car.plate, "vin": car.vin, "owner": taken.customer_name},
            )
        before = car.customer_id
        car.customer_id = customer_id
        session.add(car)
        session.flush()
        self._audit(
            session,
            actor,
            "vehicle.owner",
            "vehicle",
            car.id,
            before={"customer_id": before, "owner": taken.customer_name},
            after={"customer_id": customer_id, "reason": reason},
        )
        return car.id

    # ------------------------------------------------------------------ a customer's details

    def customer_details(self, customer_id: int) -> tuple[CustomerRef, CustomerDraft]:
        """The customer as the edit form opens on it: its version and its details."""

        def run(session: Session) -> tuple[CustomerRef, CustomerDraft]:
            row = session.get(CustomerRow, customer_id)
            if row is None:
                raise InvalidInput("customer", "No such customer")
            return CustomerRef(customer_id, row.version), CustomerDraft(
                name=row.name,
                phone=row.phone,
                email=row.email,
                special_note=row.special_note,
                member=row.member,
                vip=row.vip,
            )

        return self._read(run)

    def update_customer(self, actor: User, customer: CustomerRef, changes: dict[str, str]) -> CustomerRef:
        """Correct what the user changed of a customer's name, phone, e-mail or
        note (``changes``: field -> typed text, each parsed here by the domain's
        field, whoever calls; fields not named stay as they are, so a save on top
        of another terminal's change keeps theirs). Refused (``StaleEdit``,
        naming the other change) when the customer changed since ``customer``
        was read; a phone that is another customer's is named (``AlreadyOnFile``),
        never saved twice. Audited with what was there before; returns the
        customer's new version."""
        specs = {"name": fields.NAME, "phone": fields.PHONE, "email": fields.EMAIL, "special_note": fields.SPECIAL_NOTE}
        unknown = sorted(set(changes) - set(specs))
        if unknown:
            raise InvalidInput(unknown[0], N_("Not a customer's detail"))
        parsed = {k: specs[k].check(v) for k, v in changes.items()}

        def run(session: Session) -> CustomerRef:
            row = session.get(CustomerRow, customer.id)
            if row is None:
                raise InvalidInput("customer", "No such customer")
            if row.version != customer.version:
                raise stale_edit(
                    f"customer {row.id} changed on another terminal",
                    repo.latest_event(session=session, entity="customer", entity_id=customer.id),
                    current=CustomerRef(customer.id, row.version),
                )
            changed = {k: v for k, v in parsed.items() if v != getattr(row, k)}
            if not changed:
                return customer
            if "phone" in changed:
                taken = [
                    m
                    for m in repo.on_file(session=session, phone=changed["phone"], plate="")
                    if m.customer_id != row.id
                ]
                if taken:
                    raise AlreadyOnFile(taken)
            before = {k: getattr(row, k) for k in changed}
            for k, v in changed.items():
                setattr(row, k, v)
            session.add(row)
            session.flush()
            self._audit(session, actor, "customer.update", "customer", customer.id, before=before, after=changed)
            return CustomerRef(customer.id, row.version)

        return self._write(run)

    def _customer_row(self, c: CustomerDraft) -> CustomerRow:
        return CustomerRow(
            name=c.name,
            phone=c.phone,
            member=c.member,
            vip=c.vip,
            special_note=c.special_note,
            email=c.email,
            created_at=self.now(),
        )

    def _insert_customer(
        self, session: Session, actor: User, row: CustomerRow, *, on_file: list | None = None, reason: str = ""
    ) -> int:
        session.add(row)
        session.flush()
        after = row.model_dump()
        if on_file:  # a new customer although the phone or plate was on file: why, and whose
            after |= {"on_file": on_file, "reason": reason}
        self._audit(session, actor, "customer.create", "customer", row.id, after=after)
        return row.id

    @staticmethod
    def _vehicle_row(customer_id: int, v: VehicleDraft) -> VehicleRow:
        return VehicleRow(
            customer_id=customer_id,
            vin=v.vin,
            plate=v.plate,
            make=v.make,
            model=v.model,
            year=v.year,
            purchase_date=v.purchase_date,
        )

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
        return self._read_connection(lambda c: repo.lookup(connection=c, query=q, limit=limit), one_statement=True)

    def vehicle_visits(self, vehicle_id: int, *, exclude: int | None = None, limit: int = 5) -> list[dict]:
        """The last visits of a vehicle with their concerns and the recommendations
        the customer declined (to offer again)."""

        return self._read(lambda s: repo.vehicle_visits(session=s, vehicle_id=vehicle_id, exclude=exclude, limit=limit))

    def vehicle_history(self, vehicle_id: int, limit: int = 10) -> list[VisitRow]:
        return self._read(lambda s: repo.vehicle_history(session=s, vehicle_id=vehicle_id, limit=limit))
