"""Comebacks closed at the root: what QC sees of the original visit, and the
cause it records (the rules are desk.domain.comebacks')."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from desk.domain import comebacks, staff
from desk.domain.comebacks import CauseDraft
from desk.domain.entities import Saved, User, VisitRef
from desk.services.context import Service
from desk.store.models import UserRow, VisitRow


@dataclass(frozen=True)
class Original:
    """The visit a comeback came back from, as QC sees it beside the cause."""

    visit_id: int
    number: str
    day: object
    technician_id: int | None
    technician: str
    #: What is recorded so far ("" until QC records it).
    cause: str
    note: str
    #: The technician the cause was put down to (the original's, once recorded).
    cause_technician: str


class ComebackService(Service):
    @staticmethod
    def draft(cause, note: str = "") -> CauseDraft:
        return CauseDraft.of(cause, note)

    def original(self, visit_id: int) -> Original | None:
        """The original visit of a comeback (None when the visit is not one)."""

        def run(session: Session) -> Original | None:
            visit = self._visit_row(session, visit_id)
            if visit.comeback_of_id is None:
                return None
            orig = self._visit_row(session, visit.comeback_of_id)

            def name(uid):
                row = session.get(UserRow, uid) if uid is not None else None
                return row.name if row else ""

            return Original(
                orig.id,
                orig.number,
                orig.day,
                orig.technician_id,
                name(orig.technician_id),
                visit.comeback_cause,
                visit.comeback_cause_note,
                name(visit.comeback_technician_id),
            )

        return self._read(run)

    def decide(self, actor: User, visit: VisitRef, *, confirm: bool, reason: str = "") -> Saved[None]:
        """The advisor confirms the comeback the data proposed (the visit is then
        linked to its original and counts as a comeback) or rejects it with a
        reason (it counts as a visit of its own); audited either way."""
        staff.may_decide_comeback(actor).check()

        def run(session: Session, row: VisitRow) -> None:
            before = row.comeback_decision
            kept = comebacks.check_decide(row.comeback_proposed_id, before, confirm, reason, row.comeback_cause)
            orig = self._visit_row(session, row.comeback_proposed_id)
            row.comeback_decision = comebacks.CONFIRMED if confirm else comebacks.REJECTED
            row.comeback_reason = kept
            row.comeback_of_id = orig.id if confirm else None
            self._touch(session, row)
            self._audit(
                session,
                actor,
                f"comeback.{row.comeback_decision}",
                "visit",
                row.id,
                visit_id=row.id,
                before={"decision": before} if before else None,
                after={"original": orig.number, "reason": kept},
            )

        return self._change(visit, run)

    def record_cause(self, actor: User, visit: VisitRef, draft: CauseDraft) -> Saved[None]:
        """QC records why the car came back, put down to the original visit's
        technician (QC-09), audited with what was there before."""
        staff.may_record_cause(actor).check()

        def run(session: Session, row: VisitRow) -> None:
            comebacks.check_record(row.stage, row.comeback_of_id)
            orig = self._visit_row(session, row.comeback_of_id)
            before = {
                "cause": row.comeback_cause,
                "note": row.comeback_cause_note,
                "technician_id": row.comeback_technician_id,
            }
            row.comeback_cause, row.comeback_cause_note = draft.cause.value, draft.note
            row.comeback_technician_id = orig.technician_id
            self._touch(session, row)
            self._audit(
                session,
                actor,
                "comeback.cause",
                "visit",
                row.id,
                visit_id=row.id,
                before=before,
                after={
                    "cause": draft.cause.value,
                    "note": draft.note,
                    "technician_id": orig.technician_id,
                    "original": orig.number,
                },
            )

        return self._change(visit, run)
