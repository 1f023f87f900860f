"""The estimate: lines, canned jobs, totals and the customer's authorisation
(spec stage 4)."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session

from desk.domain import carryover
from desk.domain.checklist import MarkKind
from desk.domain.entities import EstimateLine, LineKind, Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.domain.estimate import (
    EDITABLE,
    AuthorisationDraft,
    LineDraft,
    LinePatch,
    changes_estimate,
    check_add,
    check_change,
    check_remove,
    sign,
)
from desk.domain.money import Totals
from desk.domain.process import Stage
from desk.domain.rules import billable_lines, estimate_lines_of, lines_hash
from desk.resources import fixture
from desk.services.context import Service
from desk.services.lifecycle import LifecycleService
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
    return [CannedJob(id=j["id"], en=j["en"], zh=j["zh"], lines=tuple(j["line"])) for j in data.get("job", [])]


class EstimateService(Service):
    """Estimate lines and the signature. Every command takes what the domain has
    already parsed and checked (:class:`LineDraft`, :class:`LinePatch`,
    :class:`AuthorisationDraft`): the field rules are ``desk.domain.fields``' and
    are not checked again here; who may give a price is ``staff.may_price``."""

    def __init__(self, ctx, *, lifecycle: LifecycleService) -> None:
        super().__init__(ctx)
        #: Sets the promised time the customer signs for, in the signature's transaction.
        self.lifecycle = lifecycle

    # ------------------------------------------------------------------ drafts

    def draft(self, **values) -> LineDraft:
        """A line from typed values (a script, the CLI, a test), checked by the
        domain against the tax table in force and today."""
        return LineDraft.of(taxes=self.pricing.taxes, today=self.now().date(), **values)

    def form_line(self, values: dict, *, kind: LineKind | str) -> LineDraft:
        """A line from a form dialog's values, each read by its spec in the form."""
        return LineDraft.from_form(values, kind=kind, taxes=self.pricing.taxes, today=self.now().date())

    def patch(self, **changes) -> LinePatch:
        """A change of a line from typed values, checked by the domain."""
        return LinePatch.of(taxes=self.pricing.taxes, today=self.now().date(), **changes)

    @staticmethod
    def signature(**values) -> AuthorisationDraft:
        """The customer's signature from typed values (``AuthorisationDraft.of``)."""
        return AuthorisationDraft.of(**values)

    def list_terms(self, line: LineDraft) -> tuple[int | None, Decimal | None]:
        """The catalogue's price and quantity (or hours) of a typed line: a canned
        job's line that is this one (``carryover.book_line``: the name with case,
        spacing and punctuation aside, or one alike, of any kind), else the labour
        rate for labour and no quantity. A part typed under a catalogue name (or
        one a full stop away) at a fraction of its price, or a fraction of its
        quantity or hours, is a lower price (``staff.price_override``)."""
        if line.description:
            lines = (ln for job in self.canned_jobs() for ln in job.lines)
            found = carryover.book_line(line.kind, line.description, lines)
            if found is not None:
                return int(found["unit_cents"]), Decimal(str(found.get("qty", "1")))
        return (self.pricing.labour_rate_cents if line.kind == LineKind.LABOUR else None), None

    def check_price(self, actor: User, line: LineDraft) -> None:
        """Refuse (``NotAllowed``) a typed line that lowers the price beyond the
        actor's authority, before anything is written."""
        self._check_price(actor, line, *self.list_terms(line))

    def add_line(self, actor: User, visit: VisitRef, line: LineDraft) -> Saved[int]:
        """Add an estimate line. Before the customer signs it joins the estimate;
        after, it is added work and starts *pending approval* (REP-03/04)."""
        list_cents, list_qty = self.list_terms(line)
        self._check_price(actor, line, list_cents, list_qty)
        return self._change(
            visit, lambda session, row: self._insert_line(session, actor, row, line, list_cents, list_qty=list_qty)
        )

    def add_estimate_line(self, actor: User, visit: VisitRef, line: LineDraft) -> Saved[LineAdded]:
        """:meth:`add_line` (same checks, same audit), returning the new line and
        the visit's new totals, computed in the same transaction from the lines it
        reads anyway: a screen shows the line and the totals without reading the
        whole visit again."""
        list_cents, list_qty = self.list_terms(line)
        self._check_price(actor, line, list_cents, list_qty)

        def run(session: Session, visit: VisitRow) -> LineAdded:
            line_id = self._insert_line(session, actor, visit, line, list_cents, list_qty=list_qty)
            lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=visit.id)]
            customer = session.get(CustomerRow, visit.customer_id)
            signed = self._signed(session, visit, lines)
            return LineAdded(
                line=next(ln for ln in lines if ln.id == line_id),
                estimate_totals=self.totals(estimate_lines_of(lines), customer, signed),
                totals=self.totals(billable_lines(lines), customer, signed),
                estimate_version=visit.estimate_version,
            )

        return self._change(visit, run)

    def _insert_line(
        self,
        session: Session,
        actor: User,
        visit: VisitRow,
        line: LineDraft,
        list_cents: int | None,
        *,
        carried_from: int | None = None,
        list_qty: Decimal | None = None,
    ) -> int:
        placement = check_add(visit.stage)
        if not placement.added_in_repair:
            visit.estimate_version += 1
        position = len(repo.lines(session=session, visit_id=visit.id))
        row = EstimateLineRow(
            visit_id=visit.id,
            position=position,
            kind=line.kind.value,
            description=line.description,
            qty_milli=repo.qty_milli(line.qty),
            unit_cents=line.unit_cents,
            discount_bp=repo.discount_bp(line.discount_pct),
            tax_code=line.tax_code,
            warranty=line.warranty,
            free=line.free,
            availability=line.availability.value,
            eta=line.eta,
            approval=placement.approval.value,
            added_in_repair=placement.added_in_repair,
            list_cents=list_cents,
            list_qty_milli=None if list_qty is None else repo.qty_milli(list_qty),
            carried_from_id=carried_from,
        )
        session.add(row)
        session.flush()
        self._touch(session, visit)
        self._audit(
            session,
            actor,
            "line.add",
            "estimate_line",
            row.id,
            visit_id=visit.id,
            after=row.model_dump(exclude={"version"}),
        )
        return row.id

    def _line(self, session: Session, visit: VisitRow, line_id: int) -> EstimateLineRow:
        row = session.get(EstimateLineRow, line_id)
        if row is None or row.visit_id != visit.id:
            raise InvalidInput("line", "No such line")
        return row

    def update_line(self, actor: User, visit: VisitRef, line_id: int, patch: LinePatch) -> Saved[None]:
        """Change a line of an unsigned estimate (availability/ETA may change later)."""

        def run(session: Session, visit: VisitRow) -> None:
            row = self._line(session, visit, line_id)
            check_change(visit.stage, patch)
            old = repo.to_line(row)
            new = patch.apply(old)
            if patch.touches_price:
                self._check_price_change(actor, old, new)
            before = row.model_dump(exclude={"version"})
            row.description, row.qty_milli, row.unit_cents = new.description, repo.qty_milli(new.qty), new.unit_cents
            row.discount_bp, row.tax_code = repo.discount_bp(new.discount_pct), new.tax_code
            row.warranty, row.free = new.warranty, new.free
            row.availability, row.eta = new.availability.value, new.eta
            session.add(row)
            if changes_estimate(visit.stage, patch):
                visit.estimate_version += 1
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                "line.update",
                "estimate_line",
                line_id,
                visit_id=visit.id,
                before=before,
                after=row.model_dump(exclude={"version"}),
            )

        return self._change(visit, run)

    def remove_line(self, actor: User, visit: VisitRef, line_id: int) -> Saved[None]:
        def run(session: Session, visit: VisitRow) -> None:
            row = self._line(session, visit, line_id)
            check_remove(visit.stage)
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
        out += [
            CannedJob(r.job_id, r.en, r.zh, tuple(json.loads(r.lines)))
            for r in sorted(rows.values(), key=lambda r: r.job_id)
            if not r.deleted
        ]
        return out

    def add_canned_job(self, actor: User, visit: VisitRef, job_id: str) -> Saved[list[int]]:
        job = next((j for j in self.canned_jobs() if j.id == job_id), None)
        if job is None:
            raise InvalidInput("job", "No such canned job")
        # the shop's own prices and quantities (a free check included) are the
        # catalogue: no override, and kept with each line, so cutting them later is
        # one (staff.price_override); all lines or none
        drafts = [
            self.draft(
                kind=ln["kind"],
                description=ln["description"],
                qty=Decimal(str(ln["qty"])),
                unit_cents=int(ln["unit_cents"]),
                free=bool(ln.get("free", False)),
                availability=ln.get("availability"),
            )
            for ln in job.lines
        ]
        return self._change(
            visit,
            lambda session, row: [
                self._insert_line(session, actor, row, d, d.unit_cents, list_qty=d.qty) for d in drafts
            ],
        )

    def estimate_total(self, visit_id: int) -> int:
        def run(session: Session) -> int:
            visit = self._visit_row(session, visit_id)
            lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=visit_id)]
            return self.totals(
                estimate_lines_of(lines),
                session.get(CustomerRow, visit.customer_id),
                self._signed(session, visit, lines),
            ).total

        return self._read(run)

    def authorise(
        self,
        actor: User,
        visit: VisitRef,
        signature: AuthorisationDraft,
        *,
        promised_at: datetime | None = None,
        tick: Sequence[str] = (),
    ) -> Saved[int]:
        """Record the customer's authorisation of this exact estimate version (EST-07),
        with the estimate frozen as signed (:func:`desk.domain.estimate.sign`): its
        lines, rates, member discount and totals never follow later settings.

        ``promised_at``: the completion time the customer signs for (EST-04), as
        ``fields.PROMISED`` parsed it, set in the same transaction (checked against
        the parts' ETAs; a refused time refuses the signature).

        It is saved on its own, before any attempt to advance, so an approval is
        never lost because another item is still open.

        ``tick``: the estimate items the signature form said saving ticks (the
        advisor's own, e.g. EST-06), ticked by ``actor`` in the signature's
        transaction: ticked whether or not the move into the workshop that
        follows is refused, as the form said.
        """

        def run(session: Session, visit: VisitRow) -> int:
            if Stage(visit.stage) not in EDITABLE:
                raise InvalidInput("authorisation", "This estimate is already signed")
            # the promise the customer signs for obeys the one rule (never before an
            # open part's ETA), pre-filled or typed; signing it is their approval
            at = promised_at if promised_at is not None else visit.promised_at
            if at is not None:
                self.lifecycle.promise_in(session, actor, visit, at, approval=signature.signature)
            lines = [repo.to_line(r) for r in repo.lines(session=session, visit_id=visit.id)]
            est = estimate_lines_of(lines)
            if not est:
                raise InvalidInput("authorisation", "The estimate has no lines")
            if self._signed(session, visit, lines) is not None:  # re-signing needs a changed estimate
                raise InvalidInput("authorisation", "This estimate is already signed")
            taxes, member_pct = self.terms(session.get(CustomerRow, visit.customer_id))
            signed = sign(est, taxes, member_pct)
            signature.covers(signed.total)
            for item_id in tick:
                if item_id not in {i.id for i in self.templates.for_stage(Stage.ESTIMATE)}:
                    raise InvalidInput("item", "{item} is not an item of this stage", {"item": item_id})
                self.lifecycle.checklist.mark_in(session, actor, visit, item_id, MarkKind.DONE)
            row = AuthorisationRow(
                visit_id=visit.id,
                channel=signature.channel.value,
                signer=signature.signer,
                reference=signature.reference,
                amount_cents=signature.amount_cents,
                estimate_version=visit.estimate_version,
                lines_hash=lines_hash(est),
                at=self.now(),
                by_user=actor.id,
                signed=json.dumps(signed.to_dict(), ensure_ascii=False),
            )
            session.add(row)
            session.flush()
            # the promise signed with the estimate is kept beside the current one
            visit.signed_promised_at = visit.promised_at
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                "estimate.authorise",
                "authorisation",
                row.id,
                visit_id=visit.id,
                after={
                    "channel": signature.channel,
                    "signer": signature.signer,
                    "reference": signature.reference,
                    "amount_cents": signature.amount_cents,
                    "estimate_version": visit.estimate_version,
                    "lines_hash": row.lines_hash,
                    "signed_total": signed.total,
                    "promised_at": visit.promised_at,
                },
            )
            return row.id

        return self._change(visit, run)
