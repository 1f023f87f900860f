"""Follow-up calls after delivery: the call queue and the survey (spec stage 8).
A dissatisfied answer opens a complaint in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from desk.domain import setup as setup_rules
from desk.domain import survey
from desk.domain.drafts import FollowUpCallDraft
from desk.domain.entities import CallOutcome, Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.domain.process import Stage
from desk.domain.survey import CSI_FACTORS
from desk.services.complaints import ComplaintService
from desk.services.context import Service, ServiceContext
from desk.store import repo
from desk.store.models import FollowUpCallRow, SurveyAnswerRow, VisitRow


@dataclass(frozen=True)
class CallRow:
    ref: VisitRef
    number: str
    customer: str
    phone: str
    plate: str
    delivered_at: datetime
    due_at: datetime
    overdue: bool
    attempts: int
    agreed_at: datetime | None
    channel: str

    @property
    def visit_id(self) -> int:
        return self.ref.id


class FollowupService(Service):
    """Needs the complaints area: a dissatisfied answer opens a complaint."""

    def __init__(self, ctx: ServiceContext, *, complaints: ComplaintService) -> None:
        super().__init__(ctx)
        self.complaints = complaints

    @staticmethod
    def call(**values) -> FollowUpCallDraft:
        """A call from typed values, scored on the survey's CSI factors (``FollowUpCallDraft.of``)."""
        return FollowUpCallDraft.of(factors=CSI_FACTORS, **values)

    def record_call(self, actor: User, visit: VisitRef, call: FollowUpCallDraft) -> Saved[int | None]:
        """Record a follow-up call attempt (the domain parsed it). A dissatisfied
        answer (a factor scored 2 or 1) opens a complaint; returns its id."""
        outcome, scores, nps, comment = call.outcome, call.score_map, call.nps, call.comment
        next_service_stated = call.next_service_stated

        def run(session: Session, visit: VisitRow) -> int | None:
            if visit.stage != Stage.DELIVERED:
                raise InvalidInput("call", "The car has not been delivered")
            left = visit.delivered_at
            due = None if left is None else self._due(self._window_changes(session), left)
            row = FollowUpCallRow(
                visit_id=visit.id,
                at=self.now(),
                outcome=outcome.value,
                by_user=actor.id,
                survey_done=outcome == CallOutcome.REACHED,
                next_service_stated=next_service_stated,
                nps=nps,
                comment=comment,
                late=due is not None and self.now() > due,
            )
            session.add(row)
            session.flush()
            for factor, score in scores.items():
                session.add(SurveyAnswerRow(call_id=row.id, factor=factor, score=score))
            complaint_id = None
            low = survey.dissatisfied_factors(scores)
            severity = survey.complaint_severity(scores)
            if severity is not None:
                complaint_id = self.complaints.open_in(
                    session,
                    actor,
                    visit,
                    severity,
                    f"Follow-up: dissatisfied with {', '.join(low)}. {comment}".strip(),
                )
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                f"call.{outcome.value}",
                "followup_call",
                row.id,
                visit_id=visit.id,
                after={"scores": scores, "nps": nps, "comment": comment, "late": row.late, "due": due},
            )
            return complaint_id

        return self._change(visit, run)

    def _window_changes(self, session: Session) -> list:
        return repo.setting_changes(session=session, keys={"followup_window_hours"})

    def _due(self, changes: list, delivered_at: datetime) -> datetime:
        """The end of a visit's follow-up window (FUP-01): its departure plus the
        window in force then (a standard with a history: a change after the car
        left does not move it); ``changes``: the window's audited changes."""
        now_hours = str(self.policy.followup_window_hours)
        hours = setup_rules.in_force("followup_window_hours", now_hours, changes, delivered_at)
        return delivered_at + timedelta(hours=int(hours))

    def followup_queue(self) -> list[CallRow]:
        """Delivered visits awaiting their call, overdue first."""

        def run(session: Session) -> list[CallRow]:
            rows = repo.visits_in_stage(session=session, stage=Stage.DELIVERED.value)
            tries = repo.call_counts(session=session, visit_ids=[v.id for v, _, _ in rows])
            now = self.now()
            changes = self._window_changes(session)
            out = []
            for v, c, veh in rows:
                delivered = v.delivered_at or now
                due = self._due(changes, delivered)
                out.append(
                    CallRow(
                        ref=VisitRef(v.id, v.version),
                        number=v.number,
                        customer=c.name,
                        phone=c.phone,
                        plate=veh.plate,
                        delivered_at=delivered,
                        due_at=due,
                        overdue=now > due,
                        attempts=tries.get(v.id, 0),
                        agreed_at=v.followup_agreed_at,
                        channel=v.followup_channel,
                    )
                )
            out.sort(key=lambda r: (not r.overdue, r.due_at))
            return out

        return self._read(run)
