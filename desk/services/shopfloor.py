"""Use cases of the shop floor and hand-back: work on lines, added work and its
approval, progress updates, QC and delivery facts, follow-up calls, complaints
(spec stages 5-8)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from desk.domain import validate
from desk.domain.entities import (
    Approval,
    Availability,
    CallOutcome,
    Channel,
    Disposal,
    LineKind,
    Role,
    Severity,
    User,
)
from desk.i18n import N_
from desk.domain.errors import InvalidInput, NotAllowed
from desk.domain.process import Stage
from desk.domain.rules import added_line_can_start, lines_hash
from desk.services.base import Base
from desk.store import repo
from desk.store.models import (
    AuthorisationRow,
    ComplaintRow,
    CustomerRow,
    EstimateLineRow,
    FollowUpCallRow,
    ProgressUpdateRow,
    SurveyAnswerRow,
    UserRow,
    VisitRow,
)

#: The five CSI factors of the survey (seed 002), each scored 1..5.
CSI_FACTORS = ("initiation", "advisor", "facility", "pickup", "quality")
#: A score at or below this is a dissatisfied answer and opens a complaint.
DISSATISFIED = 2


class ShopFloorMixin(Base):
    # ------------------------------------------------------------------ work on lines

    def _line(self, session: Session, line_id: int) -> tuple[EstimateLineRow, VisitRow]:
        row = session.get(EstimateLineRow, line_id)
        if row is None:
            raise InvalidInput("line", "No such line")
        return row, self._visit(session, row.visit_id)

    def start_line(self, actor: User, line_id: int) -> None:
        """Start work on a line: refused while the customer has not approved it
        (REP-04) or its part has not arrived."""

        def run(session: Session) -> None:
            row, visit = self._line(session, line_id)
            line = repo.to_line(row)
            if visit.stage != Stage.IN_REPAIR:
                raise InvalidInput("line", "The visit is not in repair")
            if not added_line_can_start(line):
                raise InvalidInput("line", "The customer has not approved this line")
            if line.kind == LineKind.PART and line.availability == Availability.BACK_ORDER:
                raise InvalidInput("line", "The part has not arrived")
            row.started = True
            session.add(row)
            if visit.repair_started_at is None:
                visit.repair_started_at = self.now()
            self._touch(session, visit)
            self._audit(session, actor, "line.start", "estimate_line", line_id, visit_id=visit.id)

        self._write(run)

    def finish_line(self, actor: User, line_id: int, technician_id: int | None = None) -> None:
        """The technician records the line done (REP-07). Unapproved lines cannot be."""

        def run(session: Session) -> None:
            row, visit = self._line(session, line_id)
            if visit.stage != Stage.IN_REPAIR:
                raise InvalidInput("line", "The visit is not in repair")
            if not added_line_can_start(repo.to_line(row)):
                raise InvalidInput("line", "The customer has not approved this line")
            if row.kind == LineKind.PART and row.availability == Availability.BACK_ORDER:
                raise InvalidInput("line", "The part has not arrived")
            tech_id = technician_id or actor.id
            tech = session.get(UserRow, tech_id)
            if tech is None or Role.TECHNICIAN not in repo.to_user(tech).roles:
                raise InvalidInput("technician", "Not a technician")
            row.started, row.done_by, row.done_at = True, tech_id, self.now()
            session.add(row)
            if visit.repair_started_at is None:
                visit.repair_started_at = self.now()
            self._touch(session, visit)
            self._audit(session, actor, "line.done", "estimate_line", line_id, visit_id=visit.id,
                        after={"done_by": tech_id})

        self._write(run)

    def part_arrived(self, actor: User, line_id: int) -> None:
        def run(session: Session) -> None:
            row, visit = self._line(session, line_id)
            if row.availability != Availability.BACK_ORDER:
                raise InvalidInput("line", "This part was not on back order")
            row.availability = Availability.ARRIVED.value
            session.add(row)
            self._touch(session, visit)
            self._audit(session, actor, "line.part_arrived", "estimate_line", line_id, visit_id=visit.id)

        self._write(run)

    def add_found_work(self, actor: User, visit_id: int, *, finding: str, grade: str = "yellow", **line) -> int:
        """A technician's finding during repair becomes a line pending approval."""
        self.add_finding(actor, visit_id, finding, grade, during_repair=True)
        return self.add_line(actor, visit_id, **line)

    def decide_added_work(
        self,
        actor: User,
        visit_id: int,
        line_ids: list[int],
        *,
        approve: bool,
        channel: Channel | str,
        signer: str,
        reference: str = "",
    ) -> None:
        """Record the customer's decision on added lines (REP-03/04). Approved
        lines get an authorisation of their amount; declined ones stay as
        recommendations for the next visit."""
        channel = Channel(channel)
        signer = validate.name(signer)
        reference = validate.text(reference, field="reference", max_len=40)
        if not line_ids:
            raise InvalidInput("line", "Choose the lines the customer decided on")

        def run(session: Session) -> None:
            visit = self._visit(session, visit_id)
            rows = [session.get(EstimateLineRow, i) for i in line_ids]
            if any(r is None or r.visit_id != visit_id or r.approval != Approval.PENDING for r in rows):
                raise InvalidInput("line", "Only lines waiting for approval can be decided")
            decided = Approval.APPROVED if approve else Approval.DECLINED
            for r in rows:
                r.approval = decided.value
                session.add(r)
            if approve:
                lines = [repo.to_line(r) for r in rows]
                amount = self.totals(lines, session.get(CustomerRow, visit.customer_id)).total
                session.add(
                    AuthorisationRow(
                        visit_id=visit_id, channel=channel.value, signer=signer, reference=reference,
                        amount_cents=amount, estimate_version=visit.estimate_version,
                        lines_hash=lines_hash(lines), for_added_work=True,
                        line_ids=",".join(str(i) for i in line_ids), at=self.now(), by_user=actor.id,
                    )
                )
            self._touch(session, visit)
            self._audit(session, actor, f"added_work.{decided.value}", "visit", visit_id, visit_id=visit_id,
                        after={"lines": line_ids, "channel": channel, "signer": signer, "reference": reference})

        self._write(run)

    def progress_update(self, actor: User, visit_id: int, text: str) -> None:
        """A progress message to the waiting customer (REP-02), logged."""
        text = validate.text(text, field="update", max_len=500, required=True)

        def run(session: Session) -> None:
            visit = self._visit(session, visit_id)
            session.add(ProgressUpdateRow(visit_id=visit_id, text=text, at=self.now(), by_user=actor.id))
            self._touch(session, visit)
            self._audit(session, actor, "visit.progress_update", "visit", visit_id, visit_id=visit_id,
                        after={"text": text})

        self._write(run)

    def update_due(self, visit: VisitRow, last_update: datetime | None) -> bool:
        """An update is due when the promised time is at risk: within an hour of it
        (or past it) and no update in the last hour."""
        if visit.promised_at is None or visit.stage not in (Stage.IN_REPAIR, Stage.QC):
            return False
        now = self.now()
        at_risk = now >= visit.promised_at - timedelta(hours=1)
        recent = last_update is not None and now - last_update < timedelta(hours=1)
        return at_risk and not recent

    # ------------------------------------------------------------------ delivery facts

    def set_disposal(self, actor: User, visit_id: int, choice: Disposal | str) -> None:
        choice = Disposal(choice)
        self._set_fields(actor, visit_id, "visit.disposal", None, disposal=choice.value)

    def explain_amount(self, actor: User, visit_id: int, text: str) -> None:
        """DLV-02: the explanation (or re-approval note) of a final beyond tolerance."""
        text = validate.text(text, field="explanation", max_len=1000, required=True)
        self._set_fields(actor, visit_id, "visit.amount_explained", None, amount_explanation=text)

    def agree_followup(self, actor: User, visit_id: int, at: datetime, channel: str) -> None:
        """DLV-09: agree when and how the follow-up call happens (within the window)."""
        channel = validate.text(channel, field="channel", max_len=20, required=True)
        now = self.now()
        if not now <= at <= now + timedelta(hours=self.policy.followup_window_hours):
            raise InvalidInput(
                "followup", "Agree a time within {hours} hours", {"hours": self.policy.followup_window_hours}
            )
        self._set_fields(actor, visit_id, "visit.followup_agreed", None,
                         followup_agreed_at=at, followup_channel=channel)

    # ------------------------------------------------------------------ follow-up

    def record_call(
        self,
        actor: User,
        visit_id: int,
        *,
        outcome: CallOutcome | str,
        scores: dict[str, int] | None = None,
        nps: int | None = None,
        comment: str = "",
        next_service_stated: bool = False,
    ) -> int | None:
        """Record a follow-up call attempt. A dissatisfied answer (a factor scored
        2 or 1) opens a complaint; returns its id."""
        outcome = CallOutcome(outcome)
        scores = scores or {}
        comment = validate.text(comment, field="comment", max_len=1000, multiline=True)
        for factor, score in scores.items():
            if factor not in CSI_FACTORS or not isinstance(score, int) or not 1 <= score <= 5:
                raise InvalidInput("score", "Scores are 1 to 5")
        if nps is not None and not (isinstance(nps, int) and 0 <= nps <= 10):
            raise InvalidInput("nps", "NPS is 0 to 10")
        if outcome == CallOutcome.REACHED and set(scores) != set(CSI_FACTORS):
            raise InvalidInput("score", "Score all five factors")

        def run(session: Session) -> int | None:
            visit = self._visit(session, visit_id)
            if visit.stage != Stage.DELIVERED:
                raise InvalidInput("call", "The car has not been delivered")
            call = FollowUpCallRow(
                visit_id=visit_id, at=self.now(), outcome=outcome.value, by_user=actor.id,
                survey_done=outcome == CallOutcome.REACHED, next_service_stated=next_service_stated,
                nps=nps, comment=comment,
            )
            session.add(call)
            session.flush()
            for factor, score in scores.items():
                session.add(SurveyAnswerRow(call_id=call.id, factor=factor, score=score))
            complaint_id = None
            low = [f for f, s in scores.items() if s <= DISSATISFIED]
            if low:
                severity = Severity.MAJOR if min(scores.values()) == 1 else Severity.ORDINARY
                complaint_id = self._open_complaint(
                    session, actor, visit, severity,
                    f"Follow-up: dissatisfied with {', '.join(low)}. {comment}".strip(),
                )
            self._touch(session, visit)
            self._audit(session, actor, f"call.{outcome.value}", "followup_call", call.id, visit_id=visit_id,
                        after={"scores": scores, "nps": nps, "comment": comment})
            return complaint_id

        return self._write(run)

    # ------------------------------------------------------------------ complaints

    def _open_complaint(self, session, actor, visit: VisitRow, severity: Severity, summary: str) -> int:
        now = self.now()
        row = ComplaintRow(
            visit_id=visit.id, customer_id=visit.customer_id, opened_at=now, severity=severity.value,
            summary=summary[:1000], owner_id=visit.advisor_id,
            escalated_at=now if severity == Severity.MAJOR else None,
        )
        session.add(row)
        session.flush()
        self._audit(session, actor, "complaint.open", "complaint", row.id, visit_id=visit.id,
                    after={"severity": severity, "summary": row.summary})
        return row.id

    def open_complaint(self, actor: User, visit_id: int, severity: Severity | str, summary: str) -> int:
        severity = Severity(severity)
        summary = validate.text(summary, field="summary", max_len=1000, required=True, multiline=True)
        return self._write(
            lambda s: self._open_complaint(s, actor, self._visit(s, visit_id), severity, summary)
        )

    def close_complaint(
        self, actor: User, complaint_id: int, *, root_cause: str, remedy: str, closing_report: str,
        owner_id: int | None = None,
    ) -> None:
        """Close the loop: root cause, remedy and a closing report are all required."""
        root_cause = validate.text(root_cause, field="root cause", max_len=1000, required=True, multiline=True)
        remedy = validate.text(remedy, field="remedy", max_len=1000, required=True, multiline=True)
        closing_report = validate.text(closing_report, field="report", max_len=2000, required=True, multiline=True)

        def run(session: Session) -> None:
            row = session.get(ComplaintRow, complaint_id)
            if row is None:
                raise InvalidInput("complaint", "No such complaint")
            if row.closed_at is not None:
                raise InvalidInput("complaint", "The complaint is already closed")
            if row.severity == Severity.MAJOR and not actor.may_waive:
                raise NotAllowed(N_("close major complaint"), N_("manager"))
            row.root_cause, row.remedy, row.closing_report = root_cause, remedy, closing_report
            row.owner_id = owner_id or row.owner_id or actor.id
            row.closed_at = self.now()
            session.add(row)
            self._audit(session, actor, "complaint.close", "complaint", row.id, visit_id=row.visit_id,
                        after={"root_cause": root_cause, "remedy": remedy, "report": closing_report})

        self._write(run)

    def repeat_complaints(self, customer_id: int) -> int:
        def run(session: Session) -> int:
            rows = session.exec(select(ComplaintRow.id).where(ComplaintRow.customer_id == customer_id)).all()
            return max(0, len(rows) - 1)

        return self._read(run)
