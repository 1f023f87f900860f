"""Complaints: opened by hand or by a dissatisfied follow-up answer, closed with
root cause, remedy and report (spec COMP-01..05)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from desk.domain import fields, staff
from desk.domain.drafts import ComplaintClosing, ComplaintDraft
from desk.domain.entities import ComplaintRef, Saved, Severity, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.services.context import Service, stale_edit
from desk.store import repo
from desk.store.models import ComplaintRow, VisitRow


@dataclass(frozen=True)
class ComplaintView:
    ref: ComplaintRef
    visit_id: int | None
    customer: str
    severity: str
    summary: str
    opened_at: datetime
    due_at: datetime
    overdue: bool
    closed: bool
    repeat: int

    @property
    def id(self) -> int:
        return self.ref.id


class ComplaintService(Service):
    def open_in(self, session: Session, actor: User, visit: VisitRow, severity: Severity, summary: str) -> int:
        """Open a complaint in the caller's transaction (a follow-up call's)."""
        summary = fields.SUMMARY.check(summary)
        now = self.now()
        row = ComplaintRow(
            visit_id=visit.id,
            customer_id=visit.customer_id,
            opened_at=now,
            severity=severity.value,
            summary=summary,
            owner_id=visit.advisor_id,
            escalated_at=now if severity == Severity.MAJOR else None,
        )
        session.add(row)
        session.flush()
        self._audit(
            session,
            actor,
            "complaint.open",
            "complaint",
            row.id,
            visit_id=visit.id,
            after={"severity": severity, "summary": row.summary},
        )
        return row.id

    @staticmethod
    def complaint(severity: Severity | str, summary: str) -> ComplaintDraft:
        """A complaint from typed values (``ComplaintDraft.of``: the field specs)."""
        return ComplaintDraft.of(severity=severity, summary=summary)

    @staticmethod
    def closing(**values) -> ComplaintClosing:
        """A complaint's closing from typed values (``ComplaintClosing.of``)."""
        return ComplaintClosing.of(**values)

    def open_complaint(self, actor: User, visit: VisitRef, complaint: ComplaintDraft) -> Saved[int]:
        def run(session: Session, visit: VisitRow) -> int:
            complaint_id = self.open_in(session, actor, visit, complaint.severity, complaint.summary)
            self._touch(session, visit)
            return complaint_id

        return self._change(visit, run)

    def close_complaint(self, actor: User, complaint: ComplaintRef, closing: ComplaintClosing) -> ComplaintRef:
        """Close the loop with root cause, remedy and closing report (the domain
        parsed them). Refused (``StaleEdit``) when the complaint changed since
        ``complaint`` was read; who may close it is ``staff.may_close_complaint``."""
        root_cause, remedy, closing_report = closing.root_cause, closing.remedy, closing.closing_report
        owner_id = closing.owner_id

        def run(session: Session) -> ComplaintRef:
            row = session.get(ComplaintRow, complaint.id)
            if row is None:
                raise InvalidInput("complaint", "No such complaint")
            if row.version != complaint.version:
                raise stale_edit(
                    f"complaint {row.id} changed on another terminal",
                    repo.latest_event(session=session, entity="complaint", entity_id=row.id),
                    current=None if row.closed_at is not None else ComplaintRef(row.id, row.version),
                )
            if row.closed_at is not None:
                raise InvalidInput("complaint", "The complaint is already closed")
            staff.may_close_complaint(actor, row.severity).check()
            row.root_cause, row.remedy, row.closing_report = root_cause, remedy, closing_report
            row.owner_id = owner_id or row.owner_id or actor.id
            row.closed_at = self.now()
            session.add(row)
            session.flush()
            self._audit(
                session,
                actor,
                "complaint.close",
                "complaint",
                row.id,
                visit_id=row.visit_id,
                after={"root_cause": root_cause, "remedy": remedy, "report": closing_report},
            )
            return ComplaintRef(row.id, row.version)

        return self._write(run)

    def repeat_complaints(self, customer_id: int) -> int:
        return self._read(lambda s: max(0, repo.complaints_of_customer(session=s, customer_id=customer_id) - 1))

    def major_open(self, after_id: int | None = None) -> list[ComplaintView]:
        """The open major complaints (escalated to the manager at once), those
        opened after ``after_id`` only when it is given, oldest first."""
        return [
            c for c in self.complaints() if c.severity == Severity.MAJOR.value and (after_id is None or c.id > after_id)
        ]

    def complaints(self, include_closed: bool = False) -> list[ComplaintView]:
        def run(session: Session) -> list[ComplaintView]:
            rows = repo.complaints_with_customers(session=session, include_closed=include_closed)
            per_customer = repo.complaint_counts(session=session)
            now = self.now()
            out = []
            for comp, cust in rows:
                due = comp.opened_at + timedelta(hours=24)
                out.append(
                    ComplaintView(
                        ref=ComplaintRef(comp.id, comp.version),
                        visit_id=comp.visit_id,
                        customer=cust.name,
                        severity=comp.severity,
                        summary=comp.summary,
                        opened_at=comp.opened_at,
                        due_at=due,
                        overdue=comp.closed_at is None and now > due,
                        closed=comp.closed_at is not None,
                        repeat=per_customer.get(cust.id, 1) - 1,
                    )
                )
            return out

        return self._read(run)
