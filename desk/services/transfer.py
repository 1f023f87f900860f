"""Import of customers and vehicles from another system's CSV export, and the
tables the exports write (visits, follow-up calls, KPIs).

An import is all or nothing: the file is checked row by row first
(:mod:`desk.domain.csvimport`), then every new customer, vehicle and odometer
reading is written in ONE transaction with ONE audit event ("import.customers"
naming the file, its SHA-256 and the counts). A file with any row error imports
nothing. Customers already known (same phone) are reused, vehicles already
registered (same VIN, or same plate) are skipped: importing the same file twice
adds nothing the second time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlmodel import Session

from desk.domain import csvimport, search, staff
from desk.domain.csvimport import ImportRejected, ParsedImport
from desk.domain.entities import User
from desk.domain.errors import InvalidInput
from desk.domain.payment import balance_due, invoice_text, paid
from desk.domain.process import STAGE_LABELS, Stage
from desk.domain.rules import billable_lines, estimate_lines_of, followup_due_at, signed_terms
from desk.domain.validate import show_phone
from desk.i18n import N_
from desk.services.context import Service, ServiceContext
from desk.services.reports import ReportService
from desk.store import repo

PHONE_OF_ANOTHER = N_(
    "The phone {phone} is on file for {known}, not {name}: correct the row (nothing is merged "
    "into a customer of another name)"
)
PLATE_OF_ANOTHER = N_(
    "The plate {plate} is on file for {known}, not {name}: correct the row (nothing is merged "
    "into a customer of another name)"
)

#: Rows written per INSERT statement.
CHUNK = 1000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImportPlan:
    """What an import does (or did): counts, and the rows that only add a car
    to a known customer or are skipped as already registered."""

    customers_new: int
    customers_known: int
    vehicles_new: int
    vehicles_known: int
    #: (row, plate) of vehicles skipped because they are registered already
    skipped: tuple[tuple[int, str], ...] = ()
    committed: bool = False


@dataclass(frozen=True)
class Table:
    """A sheet to export: a title, column headings (English message ids) and rows
    of plain values (str, int, Decimal, date, datetime, None)."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    #: columns whose values are message ids too (translated when written)
    msgid_columns: tuple[int, ...] = ()
    #: (label msgid, value) lines above the column headings: whose figures these are
    preamble: tuple[tuple[str, str], ...] = ()


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class TransferService(Service):
    """Needs the reports area (the KPI sheet)."""

    def __init__(self, ctx: ServiceContext, *, reports: ReportService) -> None:
        super().__init__(ctx)
        self.reports = reports

    # ------------------------------------------------------------------ import

    def read_import(
        self, data: bytes, progress: Progress | None = None, *, encoding: str | None = None
    ) -> ParsedImport:
        """Check a CSV export (no database access): see :func:`csvimport.parse`;
        ``encoding`` names the file's encoding (None or "auto": detected)."""
        return csvimport.parse(data, today=self.now().date(), progress=progress, encoding=encoding)

    def plan_import(self, parsed: ParsedImport) -> ImportPlan:
        """What importing ``parsed`` would do against the current database (dry
        run). Every row whose name is not the name of the customer its phone or
        plate belongs to (on file, or on an earlier row) is added to
        ``parsed.errors``: nothing is merged into a customer of another name."""
        plan, *_rest, conflicts = self._read(lambda s: self._plan(s, parsed))
        seen = {(e.line, e.field, e.reason) for e in parsed.errors}
        parsed.errors.extend(c for c in conflicts if (c.line, c.field, c.reason) not in seen)
        parsed.errors.sort(key=lambda e: e.line)
        return plan

    def _plan(self, session: Session, parsed: ParsedImport):
        customers = repo.known_customers(session=session)
        phones = {phone: cid for phone, (cid, _name) in customers.items()}
        vins, owners = repo.known_vins(session=session), repo.known_plate_owners(session=session)
        new_customers: dict[str, csvimport.CustomerRecord] = {}
        known = set()
        vehicles: list[csvimport.CustomerRecord] = []
        skipped: list[tuple[int, str]] = []
        conflicts: list[csvimport.RowError] = []
        for rec in parsed.records:
            if rec.phone in customers:
                known.add(rec.phone)
                name = customers[rec.phone][1]
                if name != rec.name and not csvimport.same_name(name, rec.name):
                    conflicts.append(
                        csvimport.RowError(
                            rec.line,
                            "name",
                            PHONE_OF_ANOTHER,
                            {"phone": show_phone(rec.phone), "known": name, "name": rec.name},
                        )
                    )
            else:  # one phone under two names in the file is an error of the file already
                new_customers.setdefault(rec.phone, rec)
            veh = rec.vehicle
            if veh is None:
                continue
            owner = owners.get(veh.plate)
            if owner is not None and owner != rec.name and not csvimport.same_name(owner, rec.name):
                conflicts.append(
                    csvimport.RowError(
                        rec.line, "plate", PLATE_OF_ANOTHER, {"plate": veh.plate, "known": owner, "name": rec.name}
                    )
                )
            if (veh.vin and veh.vin in vins) or owner is not None:
                skipped.append((rec.line, veh.plate))
                continue
            vehicles.append(rec)
        plan = ImportPlan(
            customers_new=len(new_customers),
            customers_known=len(known),
            vehicles_new=len(vehicles),
            vehicles_known=len(skipped),
            skipped=tuple(skipped),
        )
        return plan, phones, list(new_customers.values()), vehicles, conflicts

    def import_customers(
        self,
        actor: User,
        parsed: ParsedImport,
        *,
        source: str,
        data: bytes = b"",
        progress: Progress | None = None,
    ) -> ImportPlan:
        """Import every checked row in one transaction, or nothing.

        Refused (:class:`ImportRejected`) when any row has an error; refused for a
        user who is neither an advisor nor a manager. ``progress(done, total)`` is
        called after each chunk of rows written.
        """
        staff.may_import(actor).check()
        if parsed.errors:
            raise ImportRejected(parsed.errors)
        if not parsed.records:
            raise InvalidInput("file", "The file has a header but no rows")
        now = self.now()

        def run(session: Session) -> ImportPlan:
            plan, phones, new_customers, vehicles, conflicts = self._plan(session, parsed)
            if conflicts:  # checked again in the transaction: a customer saved since the dry run
                raise ImportRejected(conflicts)
            total = len(new_customers) + len(vehicles)
            done = 0
            ids = dict(phones)
            for start in range(0, len(new_customers), CHUNK):
                chunk = new_customers[start : start + CHUNK]
                # a bulk insert skips the mapper events: the lookup's search keys are added here
                new_ids = repo.insert_customers(
                    session=session,
                    rows=[
                        {
                            "name": r.name,
                            "phone": r.phone,
                            "email": r.customer.email,
                            "member": r.customer.member,
                            "vip": False,
                            "special_note": "",
                            "created_at": now,
                            **search.customer_keys(r.name, r.phone),
                        }
                        for r in chunk
                    ],
                )
                for rec, new_id in zip(chunk, new_ids, strict=True):
                    ids[rec.phone] = new_id
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            vehicle_ids: list[int] = []
            for start in range(0, len(vehicles), CHUNK):
                chunk = vehicles[start : start + CHUNK]
                new_ids = repo.insert_vehicles(
                    session=session,
                    rows=[
                        {
                            "customer_id": ids[r.phone],
                            "vin": r.vehicle.vin,
                            "plate": r.vehicle.plate,
                            "make": r.vehicle.make,
                            "model": r.vehicle.model,
                            "year": r.vehicle.year,
                            "purchase_date": r.vehicle.purchase_date,
                            **search.vehicle_keys(r.vehicle.plate, r.vehicle.vin),
                        }
                        for r in chunk
                    ],
                )
                vehicle_ids += new_ids
                readings = [
                    {"vehicle_id": vid, "km": r.vehicle.odometer_km, "at": now, "corrected": False, "reason": ""}
                    for r, vid in zip(chunk, new_ids, strict=True)
                    if r.vehicle.odometer_km is not None
                ]
                if readings:
                    repo.insert_readings(session=session, rows=readings)
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
            self._audit(
                session,
                actor,
                "import.customers",
                "import",
                None,
                after={
                    "file": source,
                    "sha256": hashlib.sha256(data).hexdigest() if data else "",
                    "encoding": parsed.encoding,
                    "rows": parsed.rows,
                    "customers_new": plan.customers_new,
                    "customers_known": plan.customers_known,
                    "vehicles_new": plan.vehicles_new,
                    "vehicles_skipped": plan.vehicles_known,
                    "customer_ids": _span(sorted(v for k, v in ids.items() if k not in phones)),
                    "vehicle_ids": _span(vehicle_ids),
                },
            )
            return ImportPlan(**{**plan.__dict__, "committed": True})

        return self._write(run)

    # ------------------------------------------------------------------ export tables

    def _span_bounds(self, start: date, end: date) -> tuple[datetime, datetime]:
        if end < start:
            raise InvalidInput("to", "The end date is before the start date")
        return datetime.combine(start, time()), datetime.combine(end + timedelta(days=1), time())

    def export_visits(self, start: date, end: date) -> Table:
        """Every visit of the days ``start``..``end``: stage, customer, car, advisor,
        the times of the process and the authorised / final amounts."""
        self._span_bounds(start, end)

        def run(session: Session) -> Table:
            names = repo.user_names(session=session)
            rows = repo.visits_of_days(session=session, first=start, last=end)
            out = []
            for v, c, veh in rows:
                lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=v.id)]
                estimate, billable = estimate_lines_of(lines), billable_lines(lines)
                # a signed visit's amounts are as signed, never today's rates
                signed = signed_terms(repo.authorisations(session=session, visit_id=v.id), v.estimate_version, estimate)
                final = self.totals(billable, c, signed).total
                payments = repo.payments(session=session, visit_id=v.id)
                out.append(
                    (
                        v.number,
                        v.day,
                        STAGE_LABELS.get(Stage(v.stage), v.stage),
                        bool(v.walk_in),
                        c.name,
                        c.phone,
                        veh.plate,
                        f"{veh.make} {veh.model}".strip(),
                        veh.vin,
                        names.get(v.advisor_id, ""),
                        names.get(v.technician_id, ""),
                        v.appointment_at,
                        v.arrived_at,
                        v.signed_at,
                        v.promised_at,
                        v.ready_at,
                        v.delivered_at,
                        v.odometer_km,
                        _money(self.totals(estimate, c, signed).total),
                        _money(final),
                        invoice_text(v.invoice_no),
                        _money(paid(payments)),
                        _money(balance_due(final, payments)),
                        _methods(payments),
                    )
                )
            return Table(
                N_("Visit list"),
                (
                    N_("RO number"),
                    N_("Visit day"),
                    N_("Stage"),
                    N_("Walk-in"),
                    N_("Customer"),
                    N_("Phone"),
                    N_("Plate"),
                    N_("Vehicle"),
                    N_("VIN"),
                    N_("Advisor"),
                    N_("Technician"),
                    N_("Appointment"),
                    N_("Arrived"),
                    N_("Signed at"),
                    N_("Promised"),
                    N_("Ready"),
                    N_("Delivered"),
                    N_("Odometer km"),
                    N_("Estimate total"),
                    N_("Final total"),
                    N_("Invoice No."),
                    N_("Paid"),
                    N_("Balance due"),
                    N_("Payment methods"),
                ),
                out,
                msgid_columns=(2,),
            )

        return self._read(run)

    def export_followups(self, start: date, end: date) -> Table:
        """The follow-up list of the cars delivered ``start``..``end``: when the call
        was due, the attempts, the last outcome and whether it was within the window."""
        lo, hi = self._span_bounds(start, end)

        def run(session: Session) -> Table:
            rows = repo.visits_delivered(session=session, start=lo, end=hi)
            calls = repo.calls_of(session=session, visit_ids=[v.id for v, _c, _veh in rows])
            out = []
            for v, c, veh in rows:
                due = followup_due_at(v.delivered_at, self.policy)
                mine = calls.get(v.id, [])
                last = mine[-1] if mine else None
                reached = next((k for k in mine if k.outcome == "reached"), None)
                out.append(
                    (
                        v.number,
                        c.name,
                        c.phone,
                        veh.plate,
                        v.delivered_at,
                        v.followup_agreed_at,
                        v.followup_channel,
                        due,
                        len(mine),
                        last.outcome if last else "",
                        last.at if last else None,
                        bool(reached and reached.at <= due),
                        reached.nps if reached else None,
                    )
                )
            return Table(
                N_("Follow-up calls"),
                (
                    N_("RO number"),
                    N_("Customer"),
                    N_("Phone"),
                    N_("Plate"),
                    N_("Delivered"),
                    N_("Agreed call"),
                    N_("Call channel"),
                    N_("Call due by"),
                    N_("Attempts"),
                    N_("Last outcome"),
                    N_("Last call"),
                    N_("Reached on time"),
                    N_("NPS score"),
                ),
                out,
            )

        return self._read(run)

    def kpi_export_rows(self, start: date, end: date) -> Table:
        """The dashboard's figures for the days ``start``..``end`` (the shop as a
        whole): one row per measure with its value, numerator and denominator,
        labelled in the interface language."""
        from desk.services.reports import measure_label

        lo, hi = self._span_bounds(start, end)  # a reversed period is refused
        report = self.reports.kpi_report(lo, hi, with_trend=False)
        rows = [
            (measure_label(r.measure), r.measure.value, r.measure.num, r.measure.den, r.measure.standard)
            for r in report.rows
        ]
        st = self.ctx.settings
        identity = (
            (N_("Shop name"), st.shop_name),
            (N_("Shop address"), st.shop_address),
            (N_("Shop phone"), st.shop_phone),
            (N_("Shop tax ID"), st.shop_tax_id),
            (N_("Period"), f"{start:%Y-%m-%d} - {end:%Y-%m-%d}"),
        )
        return Table(
            N_("KPI summary"),
            (N_("Measure"), N_("Result"), N_("Numerator"), N_("Denominator"), N_("Standard")),
            rows,
            preamble=tuple((label, value) for label, value in identity if value),
        )


def _methods(payments) -> str:
    """How a visit was paid, for the export: "card 100.00; cash 414.15" (voids left out)."""
    return "; ".join(
        f"{p.method} {'-' if p.kind == 'refund' else ''}{_money(p.amount_cents)}"
        for p in payments
        if p.voided_at is None
    )


def _span(ids: list[int]) -> list[int]:
    """First and last id (a 10,000-row import does not list every id in the log)."""
    return [ids[0], ids[-1]] if ids else []
