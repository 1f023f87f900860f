"""The shop floor: work on lines, parts arriving, work found during repair and
the customer's decision on it, progress updates and the progress board (spec
stage 5)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from desk.domain import fields, staff
from desk.domain import process as proc
from desk.domain import schedule as sched
from desk.domain.drafts import DecisionDraft, FindingDraft
from desk.domain.entities import Approval, Availability, LineKind, Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.domain.estimate import LineDraft, parts_to_chase, sign
from desk.domain.process import Stage
from desk.domain.rules import added_line_can_start, lines_hash
from desk.services.context import Service, ServiceContext
from desk.services.estimate import EstimateService
from desk.services.reception import ReceptionService
from desk.store import repo
from desk.store.models import (
    AuditEventRow,
    AuthorisationRow,
    CustomerRow,
    EstimateLineRow,
    ProgressUpdateRow,
    UserRow,
    VisitRow,
)


@dataclass(frozen=True)
class ShopRow:
    """One visit on the progress board."""

    ref: VisitRef
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
    #: Back-ordered parts whose supplier has given no date yet (chase them).
    chase: int = 0

    @property
    def visit_id(self) -> int:
        return self.ref.id


class WorkshopService(Service):
    """Needs the reception (a finding) and the estimate (its line) for work found
    during repair."""

    def __init__(self, ctx: ServiceContext, *, reception: ReceptionService, estimate: EstimateService) -> None:
        super().__init__(ctx)
        self.reception = reception
        self.estimate = estimate

    @staticmethod
    def _line(session: Session, visit: VisitRow, line_id: int) -> EstimateLineRow:
        row = session.get(EstimateLineRow, line_id)
        if row is None or row.visit_id != visit.id:
            raise InvalidInput("line", "No such line")
        return row

    def start_line(
        self, actor: User, visit: VisitRef, line_id: int, *, technician_id: int | None = None, bay: str | None = None
    ) -> Saved[None]:
        """Start work on a line: refused while the customer has not approved it
        (REP-04) or its part has not arrived. ``technician_id``: nobody is on the
        car yet and the advisor says who starts it; the assignment and the start
        are one change, so a refused start assigns nobody. ``bay``: as
        ``fields.BAY`` parsed it.

        The start is in a technician's name (``technician_id``, else the actor,
        else the car's technician): only they may record it
        (``staff.may_work_as``; another's terminal acts as them with their PIN)."""

        def run(session: Session, visit: VisitRow) -> None:
            # whether the line may start is said before anyone is asked for a PIN
            self._startable(visit, repo.to_line(self._line(session, visit, line_id)))
            worker = technician_id or (actor.id if staff.is_technician(actor) else visit.technician_id)
            staff.may_work_as(actor, worker).check()
            self.start_in(session, actor, visit, line_id, technician_id=technician_id, bay=bay)

        return self._change(visit, run)

    def start_in(
        self,
        session: Session,
        actor: User,
        visit: VisitRow,
        line_id: int,
        *,
        technician_id: int | None = None,
        bay: str | None = None,
    ) -> None:
        """:meth:`start_line` in the caller's transaction (clocking on a line not
        yet started: the start and the clocking are one change)."""
        bay = None if bay is None else fields.BAY.check(bay)
        row = self._line(session, visit, line_id)
        self._startable(visit, repo.to_line(row))
        if technician_id is not None:
            tech = session.get(UserRow, technician_id)
            if tech is None or not staff.is_technician(repo.to_user(tech)):
                raise InvalidInput("technician", "Not a technician")
            before = {"technician_id": visit.technician_id, "bay": visit.bay}
            visit.technician_id = technician_id
            if bay is not None:
                visit.bay = bay
            self._audit(
                session,
                actor,
                "visit.assign",
                "visit",
                visit.id,
                visit_id=visit.id,
                before=before,
                after={"technician_id": visit.technician_id, "bay": visit.bay},
            )
        row.started = True
        session.add(row)
        if visit.repair_started_at is None:
            visit.repair_started_at = self.now()
        self._touch(session, visit)
        self._audit(session, actor, "line.start", "estimate_line", line_id, visit_id=visit.id)

    @staticmethod
    def _startable(visit: VisitRow, line) -> None:
        """Work on ``line`` may start or be recorded: in repair, approved, its part here."""
        if visit.stage != Stage.IN_REPAIR:
            raise InvalidInput("line", "The visit is not in repair")
        if not added_line_can_start(line):
            raise InvalidInput("line", "The customer has not approved this line")
        if line.kind == LineKind.PART and line.availability == Availability.BACK_ORDER:
            raise InvalidInput("line", "The part has not arrived")

    def finish_line(self, actor: User, visit: VisitRef, line_id: int, technician_id: int | None = None) -> Saved[None]:
        """The technician records the line done (REP-07), in their own name
        (``staff.may_work_as``: another's terminal acts as them with their PIN).
        Unapproved lines cannot be."""

        def run(session: Session, visit: VisitRow) -> None:
            row = self._line(session, visit, line_id)
            self._startable(visit, repo.to_line(row))
            staff.may_work_as(actor, technician_id or actor.id).check()
            tech_id = technician_id or actor.id
            tech = session.get(UserRow, tech_id)
            if tech is None or not staff.is_technician(repo.to_user(tech)):
                raise InvalidInput("technician", "Not a technician")
            row.started, row.done_by, row.done_at = True, tech_id, self.now()
            session.add(row)
            for c in repo.open_clockings(session=session, line_id=line_id):  # the line is done: all off it
                c.off_at = self.now()
                session.add(c)
            if visit.repair_started_at is None:
                visit.repair_started_at = self.now()
            self._touch(session, visit)
            self._audit(
                session, actor, "line.done", "estimate_line", line_id, visit_id=visit.id, after={"done_by": tech_id}
            )

        return self._change(visit, run)

    def part_arrived(self, actor: User, visit: VisitRef, line_id: int) -> Saved[None]:
        def run(session: Session, visit: VisitRow) -> None:
            row = self._line(session, visit, line_id)
            if row.availability != Availability.BACK_ORDER:
                raise InvalidInput("line", "This part was not on back order")
            row.availability = Availability.ARRIVED.value
            session.add(row)
            self._touch(session, visit)
            self._audit(session, actor, "line.part_arrived", "estimate_line", line_id, visit_id=visit.id)

        return self._change(visit, run)

    def add_found_work(self, actor: User, visit: VisitRef, *, finding: FindingDraft, line: LineDraft) -> Saved[int]:
        """A technician's finding during repair becomes a line pending approval
        (``line`` parsed by the domain, priced by the same rule as any line:
        checked before the finding is written, so a refused price leaves nothing)."""
        self.estimate.check_price(actor, line)
        saved = self.reception.add_finding(actor, visit, dataclasses.replace(finding, during_repair=True))
        return self.estimate.add_line(actor, saved.ref, line)

    def decide_added_work(
        self,
        actor: User,
        visit: VisitRef,
        line_ids: list[int],
        *,
        approve: bool,
        decision: DecisionDraft,
    ) -> Saved[None]:
        """Record the customer's decision on added lines (REP-03/04). Approved
        lines get an authorisation of their amount; declined ones stay as
        recommendations for the next visit."""
        channel, signer, reference = decision.channel, decision.signer, decision.reference
        if not line_ids:
            raise InvalidInput("line", "Choose the lines the customer decided on")

        def run(session: Session, visit: VisitRow) -> None:
            rows = [session.get(EstimateLineRow, i) for i in line_ids]
            if any(r is None or r.visit_id != visit.id or r.approval != Approval.PENDING for r in rows):
                raise InvalidInput("line", "Only lines waiting for approval can be decided")
            staff.may_record_decision(actor, self._found_by(session, line_ids)).check()
            decided = Approval.APPROVED if approve else Approval.DECLINED
            for r in rows:
                r.approval = decided.value
                session.add(r)
            if approve:
                lines = [repo.to_line(r) for r in rows]
                # priced on the visit's terms (as signed, when a signature stands), frozen
                facts = self._facts(session, visit)
                signed = sign(lines, *self.terms(session.get(CustomerRow, visit.customer_id), facts.signed))
                session.add(
                    AuthorisationRow(
                        visit_id=visit.id,
                        channel=channel.value,
                        signer=signer,
                        reference=reference,
                        amount_cents=signed.total,
                        estimate_version=visit.estimate_version,
                        lines_hash=lines_hash(lines),
                        for_added_work=True,
                        line_ids=",".join(str(i) for i in line_ids),
                        at=self.now(),
                        by_user=actor.id,
                        signed=json.dumps(signed.to_dict(), ensure_ascii=False),
                    )
                )
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                f"added_work.{decided.value}",
                "visit",
                visit.id,
                visit_id=visit.id,
                after={"lines": line_ids, "channel": channel, "signer": signer, "reference": reference},
            )

        return self._change(visit, run)

    @staticmethod
    def _found_by(session: Session, line_ids: list[int]) -> set[int]:
        """Who added the lines (found the work): read from their audited addition."""
        return {
            uid
            for uid in session.exec(
                select(AuditEventRow.user_id).where(
                    AuditEventRow.action == "line.add",
                    AuditEventRow.entity == "estimate_line",
                    col(AuditEventRow.entity_id).in_(line_ids),
                )
            ).all()
            if uid is not None
        }

    def who_may_decide(self, line_ids: list[int]) -> list[User]:
        """Whom a terminal may offer to record the customer's decision on
        ``line_ids`` with their PIN (act as): advisors who did not find the work."""
        return self._read(
            lambda s: staff.who_may_record_decision(
                repo.users(session=s), repo.pin_user_ids(session=s), self._found_by(s, line_ids)
            )
        )

    def who_may_work(self) -> list[User]:
        """The technicians a terminal may start or finish a line as, with their PIN."""
        return self._read(lambda s: staff.who_may_work(repo.users(session=s), repo.pin_user_ids(session=s)))

    @staticmethod
    def decision(**values) -> DecisionDraft:
        """The customer's decision from typed values (``DecisionDraft.of``)."""
        return DecisionDraft.of(**values)

    def progress_update(self, actor: User, visit: VisitRef, text: str) -> Saved[None]:
        """A progress message to the waiting customer (REP-02), logged: ``text``
        as ``fields.PROGRESS_UPDATE`` parses it."""
        text = fields.PROGRESS_UPDATE.check(text)

        def run(session: Session, visit: VisitRow) -> None:
            session.add(ProgressUpdateRow(visit_id=visit.id, text=text, at=self.now(), by_user=actor.id))
            self._touch(session, visit)
            self._audit(
                session, actor, "visit.progress_update", "visit", visit.id, visit_id=visit.id, after={"text": text}
            )

        return self._change(visit, run)

    def progress_board(self) -> list[ShopRow]:
        def run(session: Session) -> list[ShopRow]:
            stages = [s.value for s in proc.IN_SHOP]
            rows = repo.in_shop_visits(session=session, stages=stages)
            names = repo.user_names(session=session)
            ids = [v.id for v, _, _ in rows]
            lines_by = repo.lines_by_visit(session=session, visit_ids=ids)
            last_update = repo.last_updates(session=session, visit_ids=ids)
            now = self.now()
            out = []
            for v, c, veh in rows:
                status = proc.board_status(Stage(v.stage), lines_by[v.id], washing=v.washing)
                left = sched.time_left(v.promised_at, now, ready=v.stage == Stage.READY)
                out.append(
                    ShopRow(
                        ref=VisitRef(v.id, v.version),
                        number=v.number,
                        plate=veh.plate,
                        customer=c.name,
                        vehicle=f"{veh.make} {veh.model}".strip(),
                        status=status.value if status else "",
                        stage=v.stage,
                        technician=names.get(v.technician_id, ""),
                        technician_id=v.technician_id,
                        advisor=names.get(v.advisor_id, ""),
                        advisor_id=v.advisor_id,
                        bay=v.bay,
                        promised_at=v.promised_at,
                        minutes_left=left.minutes,
                        late=left.late,
                        at_risk=left.at_risk,
                        comeback=v.comeback_of_id is not None,
                        update_due=v.stage in (Stage.IN_REPAIR, Stage.QC)
                        and sched.update_due(v.promised_at, now, last_update.get(v.id)),
                        chase=len(parts_to_chase(lines_by[v.id])),
                    )
                )
            return out

        return self._read(run)
