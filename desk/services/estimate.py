"""The estimate: lines, canned jobs, totals and the customer's authorisation
(spec stage 4)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session

from desk.domain import validate
from desk.domain.entities import Approval, Availability, Channel, EstimateLine, LineKind, Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.domain.money import Totals
from desk.domain.process import EDITABLE, Stage
from desk.domain.rules import billable_lines, estimate_lines_of, lines_hash, valid_authorisation
from desk.resources import fixture
from desk.services.context import Service
from desk.store import repo
from desk.store.models import AuthorisationRow, CustomerRow, EstimateLineRow, VisitRow


@dataclass(frozen=True)
class LineAdded:
    """What adding an estimate line changed: the line, the estimate's and the
    billable totals (as :class:`VisitView` has them) and the estimate version."""

    line: EstimateLine
    estimate_totals: Totals
    totals: Totals
    estimate_version: int


@dataclass(frozen=True)
class CannedJob:
    id: str
    en: str
    zh: str
    lines: tuple[dict, ...]


def load_canned_jobs(path=None) -> list[CannedJob]:
    """The canned jobs shipped with desk (the shop's own are in the database)."""
    with (path or fixture("canned_jobs.toml")).open("rb") as fh:
        data = tomllib.load(fh)
    return [
        CannedJob(id=j["id"], en=j["en"], zh=j["zh"], lines=tuple(j["line"]))
        for j in data.get("job", [])
    ]


class EstimateService(Service):
    def add_line(
        self,
        actor: User,
        visit: VisitRef,
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
    ) -> Saved[int]:
        """Add an estimate line. Before the customer signs it joins the estimate;
        after, it is added work and starts *pending approval* (REP-03/04)."""
        spec = self._line_spec(kind=kind, description=description, qty=qty, unit_cents=unit_cents,
                               discount_pct=discount_pct, tax_code=tax_code, warranty=warranty, free=free,
                               availability=availability, eta=eta)
        self._check_price(actor, discount=spec["discount"], free=free, warranty=warranty)
        return self._change(visit, lambda session, row: self._insert_line(session, actor, row, spec))

    def add_estimate_line(self, actor: User, visit: VisitRef, **line) -> Saved[LineAdded]:
        """:meth:`add_line` (same arguments, same checks, same audit), returning
        the new line and the visit's new totals, computed in the same
        transaction from the lines it reads anyway: a screen shows the line and
        the totals without reading the whole visit again."""
        spec = self._line_spec(**line)
        self._check_price(actor, discount=spec["discount"], free=spec["free"], warranty=spec["warranty"])

        def run(session: Session, visit: VisitRow) -> LineAdded:
            line_id = self._insert_line(session, actor, visit, spec)
            lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=visit.id)]
            customer = session.get(CustomerRow, visit.customer_id)
            return LineAdded(
                line=next(ln for ln in lines if ln.id == line_id),
                estimate_totals=self.totals(estimate_lines_of(lines), customer),
                totals=self.totals(billable_lines(lines), customer),
                estimate_version=visit.estimate_version,
            )

        return self._change(visit, run)

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

    def _insert_line(self, session: Session, actor: User, visit: VisitRow, spec: dict) -> int:
        visit_id = visit.id
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

    def _line(self, session: Session, visit: VisitRow, line_id: int) -> EstimateLineRow:
        row = session.get(EstimateLineRow, line_id)
        if row is None or row.visit_id != visit.id:
            raise InvalidInput("line", "No such line")
        return row

    def update_line(self, actor: User, visit: VisitRef, line_id: int, **changes) -> Saved[None]:
        """Change a line of an unsigned estimate (availability/ETA may change later)."""
        allowed_late = {"availability", "eta"}

        def run(session: Session, visit: VisitRow) -> None:
            row = self._line(session, visit, line_id)
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

        return self._change(visit, run)

    def remove_line(self, actor: User, visit: VisitRef, line_id: int) -> Saved[None]:
        def run(session: Session, visit: VisitRow) -> None:
            row = self._line(session, visit, line_id)
            if Stage(visit.stage) not in EDITABLE:
                raise InvalidInput("line", "The customer signed this line: it cannot be removed")
            before = row.model_dump(exclude={"version"})
            session.delete(row)
            visit.estimate_version += 1
            self._touch(session, visit)
            self._audit(session, actor, "line.remove", "estimate_line", line_id, visit_id=visit.id, before=before)

        return self._change(visit, run)

    def canned_jobs(self) -> list[CannedJob]:
        """The shipped canned jobs, replaced or hidden by the shop's, plus its own."""

        rows = self._read(lambda s: repo.canned_job_rows(session=s))
        out: list[CannedJob] = []
        for job in load_canned_jobs():
            row = rows.pop(job.id, None)
            if row is None:
                out.append(job)
            elif not row.deleted:
                out.append(CannedJob(row.job_id, row.en, row.zh, tuple(json.loads(row.lines))))
        out += [CannedJob(r.job_id, r.en, r.zh, tuple(json.loads(r.lines)))
                for r in sorted(rows.values(), key=lambda r: r.job_id) if not r.deleted]
        return out

    def add_canned_job(self, actor: User, visit: VisitRef, job_id: str) -> Saved[list[int]]:
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
        return self._change(visit, lambda session, row: [self._insert_line(session, actor, row, spec)
                                                         for spec in specs])

    def estimate_total(self, visit_id: int) -> int:
        def run(session: Session) -> int:
            visit = self._visit_row(session, visit_id)
            lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=visit_id)]
            return self.totals(estimate_lines_of(lines), session.get(CustomerRow, visit.customer_id)).total

        return self._read(run)

    def authorise(
        self,
        actor: User,
        visit: VisitRef,
        *,
        channel: Channel | str,
        signer: str,
        reference: str = "",
        amount_cents: int,
    ) -> Saved[int]:
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

        def run(session: Session, visit: VisitRow) -> int:
            if Stage(visit.stage) not in EDITABLE:
                raise InvalidInput("authorisation", "This estimate is already signed")
            if valid_authorisation(self._facts(session, visit)) is not None:
                # signed at this version already (e.g. on another terminal): never twice
                raise InvalidInput("authorisation", "This estimate is already signed")
            lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=visit.id)]
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
                visit_id=visit.id, channel=channel.value, signer=signer, reference=reference,
                amount_cents=amount_cents, estimate_version=visit.estimate_version,
                lines_hash=lines_hash(est), at=self.now(), by_user=actor.id,
            )
            session.add(row)
            session.flush()
            self._touch(session, visit)
            self._audit(session, actor, "estimate.authorise", "authorisation", row.id, visit_id=visit.id,
                        after={"channel": channel, "signer": signer, "reference": reference,
                               "amount_cents": amount_cents, "estimate_version": visit.estimate_version,
                               "lines_hash": row.lines_hash})
            return row.id

        return self._change(visit, run)



def validate_qty(text) -> Decimal:
    from desk.domain.money import parse_qty

    return parse_qty(str(text))
