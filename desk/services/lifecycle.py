"""A visit's life cycle: stage moves (advance, arrive, cancel, no-show, rework),
the promised time, assignment, washing, the ready call, the next service, and
the visit as a screen shows it with its history."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from desk.domain import checklist as ck
from desk.domain import fields, payment, staff
from desk.domain import process as proc
from desk.domain.checklist import MarkKind
from desk.domain.comebacks import Proposal
from desk.domain.entities import Authorisation, Customer, EstimateLine, Saved, User, Vehicle, VisitRef
from desk.domain.errors import GuardFailed, InvalidInput
from desk.domain.estimate import Signature, check_promise_change, check_promised, promise_needs_approval
from desk.domain.money import Totals
from desk.domain.process import Action, Stage
from desk.domain.rules import (
    VOID_WORDS,
    EstimateChange,
    authorised_amount,
    billable_lines,
    estimate_lines_of,
    last_signature,
    next_service,
    valid_authorisation,
    void_words,
)
from desk.services.checklist import ChecklistService
from desk.services.context import Service
from desk.services.settlement import issue_invoice
from desk.store import audit, repo
from desk.store.models import AuditEventRow, CustomerRow, UserRow, VisitRow

#: The check of the settlement item (DLV-13): a balance left open is a manager's to let go.
SETTLED = "settled"

#: A line's stored fields that the signature covers (``rules.lines_hash``).
PRICED_FIELDS = ("description", "qty_milli", "unit_cents", "discount_bp", "tax_code", "warranty", "free")


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
    #: A comeback the data proposed and the advisor has not decided (desk.domain.comebacks).
    comeback_proposal: Proposal | None = None
    #: The customer's last signature of the estimate (valid, or voided since): what they signed.
    signature: Authorisation | None = None
    #: Why that signature no longer covers the estimate (message id, values), or None.
    void: tuple[str, dict] | None = None
    #: Every voided signature of the estimate (authorisation id -> why, as ``void``).
    voids: dict = field(default_factory=dict)
    #: The car's last visits with their concerns and declined lines (``people.vehicle_visits``),
    #: read with the visit when asked (``visit_view(past=n)``); empty otherwise.
    last_visits: list = field(default_factory=list)
    #: The visit's payments and refunds (``payment.Payment``), oldest first (DLV-13).
    payments: list = field(default_factory=list)

    @property
    def paid(self) -> int:
        return payment.paid(self.payments)

    @property
    def balance(self) -> int:
        """What is still due on the final amount (negative: a refund is due)."""
        return payment.balance_due(self.totals.total, self.payments)

    @property
    def ref(self) -> VisitRef:
        """The visit as this view shows it: what a command on it passes."""
        return VisitRef(self.visit.id, self.visit.version)


class LifecycleService(Service):
    def __init__(self, ctx, *, checklist: ChecklistService) -> None:
        super().__init__(ctx)
        #: Ticks the items a move was asked to tick, in the move's transaction.
        self.checklist = checklist

    def ref(self, visit_id: int) -> VisitRef:
        """The visit's current version (for a list that holds only ids, and tests)."""
        return self._read(lambda s: (lambda v: VisitRef(v.id, v.version))(self._visit_row(s, visit_id)))

    def visit_view(self, visit_id: int, *, past: int = 0) -> VisitView:
        """The visit as a screen shows it, in one read transaction and a fixed
        number of queries however many lines and earlier visits it has; ``past``:
        also the car's last ``past`` visits in detail (``VisitView.last_visits``)."""

        def run(session: Session) -> VisitView:
            visit = self._visit_row(session, visit_id)
            # held here, so the facts' read of the customer finds it in the session
            customer_row = session.get(CustomerRow, visit.customer_id)
            totals = self._kept_totals()
            facts = self._facts(session, visit, totals)
            marks = repo.marks(session=session, visit_id=visit_id)
            stage = visit.stage if visit.stage in self.templates.stages else Stage.BOOKED
            billable, estimate = billable_lines(facts.lines), estimate_lines_of(facts.lines)

            return VisitView(
                visit=visit,
                customer=facts.customer,
                vehicle=facts.vehicle,
                lines=facts.lines,
                totals=totals(billable, customer_row, facts.signed),
                estimate_totals=totals(estimate, customer_row, facts.signed),
                checklist=ck.evaluate(self.templates, stage, facts, marks),
                concerns=facts.concerns,
                findings=facts.findings,
                hold=(h.value if (h := proc.hold(facts.lines)) and visit.stage == Stage.IN_REPAIR else None),
                authorised=valid_authorisation(facts) is not None,
                authorised_amount=authorised_amount(facts),
                last_km=facts.vehicle.last_odometer_km if facts.vehicle else None,
                prior_km=repo.prior_odometer(session=session, vehicle_id=visit.vehicle_id, visit_id=visit.id),
                advisor=advisor.name
                if visit.advisor_id and (advisor := session.get(UserRow, visit.advisor_id))
                else "",
                comeback_proposal=repo.comeback_proposal(session=session, visit=visit),
                signature=(signature := last_signature(facts)),
                voids=(voids := self._voids(session, visit.id, facts)),
                void=voids.get(signature.id) if signature is not None else None,
                last_visits=repo.vehicle_visits(
                    session=session, vehicle_id=visit.vehicle_id, exclude=visit.id, limit=past
                )
                if past
                else [],
                payments=repo.payments(session=session, visit_id=visit.id),
            )

        return self._read(run)

    @staticmethod
    def _voids(session: Session, visit_id: int, facts) -> dict[int, tuple[str, dict]]:
        """Why each signature of the estimate that no longer covers it is void: the
        first audited change of the estimate's priced lines after it (a line added
        to the estimate, changed or removed; not a part's stock or ETA, nor work
        added in repair, which do not void it)."""
        valid = valid_authorisation(facts)
        void = [a for a in facts.authorisations if not a.for_added_work and a is not valid]
        if not void:
            return {}
        open_: set[int] = set()  # signatures whose voiding change is still to come
        found: dict[int, EstimateChange] = {}
        ids = {a.id for a in void}
        for e in audit.history(session, visit_id):
            if e.action == "estimate.authorise" and e.entity_id in ids:
                open_.add(e.entity_id)
                continue
            if not open_ or e.action not in VOID_WORDS:
                continue
            before, after = (json.loads(x) if x else {} for x in (e.before, e.after))
            if e.action == "line.add" and after.get("added_in_repair"):
                continue
            if e.action == "line.update" and all(before.get(k) == after.get(k) for k in PRICED_FIELDS):
                continue
            change = EstimateChange(e.at, e.action, e.user_name, (after or before).get("description", ""))
            found.update(dict.fromkeys(open_, change))
            open_.clear()
        return {a.id: void_words(a, found.get(a.id)) for a in void}

    def history(self, visit_id: int) -> list[AuditEventRow]:
        return self._read(lambda s: audit.history(s, visit_id))

    def history_with_voids(self, visit_id: int) -> tuple[list[AuditEventRow], dict[int, tuple[str, dict]]]:
        """The audit log and why each voided signature is void (``VisitView.voids``),
        read together."""

        def run(session: Session):
            visit = self._visit_row(session, visit_id)
            return audit.history(session, visit_id), self._voids(session, visit_id, self._facts(session, visit))

        return self._read(run)

    def advance(self, actor: User, visit: VisitRef, *, tick: Sequence[str] = ()) -> Saved[Stage]:
        """Move the visit to the next stage; refused with the open required items.

        ``tick``: items of the stage the user was shown and confirmed as done
        (the arrival's confirm, the signature form): ticked by ``actor`` in the
        move's transaction, each audited; an item they may not tick refuses the
        whole move, and a refused move leaves them open."""
        return self._transition(actor, visit, Action.ADVANCE, tick=tick)

    def arrive(self, actor: User, visit: VisitRef, *, tick: Sequence[str] = ()) -> Saved[Stage]:
        """The booked car is here (``tick`` as for :meth:`advance`)."""
        return self._transition(actor, visit, Action.ARRIVE, tick=tick)

    def cancel(self, actor: User, visit: VisitRef, reason: str) -> Saved[Stage]:
        return self._transition(actor, visit, Action.CANCEL, reason=reason)

    def no_show(self, actor: User, visit: VisitRef) -> Saved[Stage]:
        return self._transition(actor, visit, Action.NO_SHOW)

    def rework(self, actor: User, visit: VisitRef, reason: str) -> Saved[Stage]:
        """QC sends the car back to the workshop (the reason is audited)."""
        return self._transition(actor, visit, Action.REWORK, reason=reason)

    def _transition(
        self, actor: User, visit: VisitRef, action: Action, *, reason: str = "", tick: Sequence[str] = ()
    ) -> Saved[Stage]:
        """``reason``: as ``fields.OPTIONAL_REASON`` parses it (whether one is
        needed is the action's)."""
        reason = fields.OPTIONAL_REASON.check(reason)
        if action in proc.NEEDS_REASON and not reason:
            raise InvalidInput("reason", "A reason is required")

        def run(session: Session, visit: VisitRow) -> Stage:
            frm = Stage(visit.stage)
            to, guarded = proc.target(frm, action)
            for item_id in tick:
                if item_id not in {i.id for i in self.templates.for_stage(frm)}:
                    raise InvalidInput("item", "{item} is not an item of this stage", {"item": item_id})
                self.checklist.mark_in(session, actor, visit, item_id, MarkKind.DONE)
            balance = 0
            if guarded:
                facts = self._facts(session, visit)
                balance = self._guard(actor, frm, facts, repo.marks(session=session, visit_id=visit.id))
            now = self.now()
            before = {"stage": frm.value}
            visit.stage = to.value
            if action == Action.ARRIVE:
                visit.arrived_at = now
                visit.day = now.date()
            elif to == Stage.IN_REPAIR and frm == Stage.ESTIMATE:
                visit.signed_at = visit.signed_at or now
            elif to == Stage.READY:
                visit.ready_at = now
            elif to == Stage.DELIVERED:
                visit.delivered_at = now
                issue_invoice(session, visit)  # the invoice is issued, paid or not
                if visit.next_service_date is None:
                    due, km = next_service(now.date(), visit.odometer_km, self.policy)
                    visit.next_service_date, visit.next_service_km = due, km
            if reason:
                visit.close_reason = reason
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                f"visit.{action.value}",
                "visit",
                visit.id,
                visit_id=visit.id,
                before=before,
                after={
                    "stage": to.value,
                    **({"reason": reason} if reason else {}),
                    **({"balance_cents": balance} if balance else {}),
                },
            )
            return to

        return self._change(visit, run)

    def _guard(self, actor: User, stage: Stage, facts, marks) -> int:
        """Refuse to leave ``stage`` with a required item open; the balance due left
        open at delivery (DLV-13, the only item open) is the manager's to let go
        (``staff.may_deliver_with_balance``). Returns that balance (0: none)."""
        try:
            ck.guard(self.templates, stage, facts, marks)
        except GuardFailed as exc:
            balance = facts.final_total_cents - facts.paid_cents
            if balance <= 0 or any(s.item.check != SETTLED for s in exc.items):
                raise
            staff.may_deliver_with_balance(actor).check()
            return balance
        return 0

    def set_promised(
        self, actor: User, visit: VisitRef, at: datetime, *, approval: Signature | None = None
    ) -> Saved[None]:
        """The promised completion time (EST-04), as ``fields.PROMISED`` parsed it (not in
        the past); refused before a back-ordered part's ETA (``estimate.check_promised``).
        After the signature a later time is a change the customer approves
        (``approval``: who and how, recorded with the change; refused without it)."""

        return self._change(visit, lambda session, row: self.promise_in(session, actor, row, at, approval=approval))

    def promise_in(
        self, session: Session, actor: User, row: VisitRow, at: datetime, *, approval: Signature | None = None
    ) -> None:
        """:meth:`set_promised` inside a write transaction already open on the visit
        (the signature form carries the promised time: ``EstimateService.authorise``).
        The time is checked against the parts' ETAs even when it is the one already
        promised (a promise pre-filled before an ETA changed is refused, the part
        named); nothing is written when it is unchanged."""
        check_promised(at, [repo.to_line(r) for r in repo.lines(session=session, visit_id=row.id)])
        if row.promised_at == at:
            return
        check_promise_change(row.signed_promised_at, row.promised_at, at, approval)
        before = {"promised_at": row.promised_at}
        after: dict = {"promised_at": at}
        if approval is not None and promise_needs_approval(row.signed_promised_at, row.promised_at, at):
            # the customer's consent to the later time, recorded with the change (REP-04),
            # by whom the domain lets record a customer's approval
            staff.may_record_consent(actor).check()
            after["approved_by"] = {
                "signer": approval.signer,
                "channel": approval.channel.value,
                "reference": approval.reference,
                "at": self.now(),
            }
        row.promised_at = at
        self._touch(session, row)
        self._audit(session, actor, "visit.promised", "visit", row.id, visit_id=row.id, before=before, after=after)

    def assign(self, actor: User, visit: VisitRef, technician_id: int, bay: str = "") -> Saved[None]:
        """Assign (or reassign) the technician and bay (REP-01); ``bay`` as ``fields.BAY`` parses it."""
        bay = fields.BAY.check(bay)

        def check(session: Session) -> None:
            row = session.get(UserRow, technician_id)
            if row is None or not staff.is_technician(repo.to_user(row)):
                raise InvalidInput("technician", "Not a technician")

        self._read(check)
        return self._set_fields(actor, visit, "visit.assign", technician_id=technician_id, bay=bay)

    def set_washing(self, actor: User, visit: VisitRef, washing: bool = True) -> Saved[None]:
        return self._set_fields(actor, visit, "visit.washing", washing=washing)

    def notify_ready(self, actor: User, visit: VisitRef) -> Saved[None]:
        """The advisor tells the customer the car is ready (DLV-03 compares who)."""
        return self._set_fields(actor, visit, "visit.notified", notified_by=actor.id)

    def next_service_due(self, visit_id: int) -> tuple[date, int | None]:
        def run(session: Session):
            visit: VisitRow = self._visit_row(session, visit_id)
            if visit.next_service_date:
                return visit.next_service_date, visit.next_service_km
            return next_service((visit.delivered_at or self.now()).date(), visit.odometer_km, self.policy)

        return self._read(run)
