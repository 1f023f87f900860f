"""The appointment book: slots, booking and walk-ins, rescheduling, reminder
calls, the welcome list, the day's board and the week (spec stage 1)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from desk.domain import fields, staff
from desk.domain import schedule as sched
from desk.domain.drafts import BookingDraft, ConcernDraft
from desk.domain.entities import Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.domain.process import WALK_IN_START, Stage
from desk.domain.rules import comeback_of
from desk.services.context import Service
from desk.services.reception import add_concerns
from desk.store import reads, repo
from desk.store.models import CustomerRow, ReminderRow, VehicleRow, VisitRow, WalkInArrivalRow
from desk.store.reads import BoardRow


class BookingService(Service):
    # ------------------------------------------------------------------ slots

    def slot_load(self, at: datetime) -> int:
        """How many appointments already take the slot that ``at`` falls in."""
        start, end = self.schedule.slot_span(at)

        closed = [Stage.CANCELLED.value, Stage.NO_SHOW.value]
        return self._read(lambda s: repo.slot_load(session=s, start=start, end=end, not_in=closed))

    def earliest_free_slot(self, after: datetime, *, days: int = 7) -> datetime | None:
        """The first slot with room from ``after`` within opening hours (APPT-03:
        a comeback customer is offered the earliest one)."""
        return self.schedule.earliest_free(after, self.slot_load, days=days)

    def _full(self, at: datetime) -> InvalidInput:
        return InvalidInput("when", "The {time} slot is full", {"time": self.schedule.slot_start(at).strftime("%H:%M")})

    # ------------------------------------------------------------------ booking

    def draft(self, *, at: datetime, concerns) -> BookingDraft:
        """An appointment from typed values (a script, the demo, a test): ``BookingDraft.of``."""
        return BookingDraft.of(at=at, concerns=concerns, now=self.now())

    @staticmethod
    def concerns(concerns) -> tuple[ConcernDraft, ...]:
        """A walk-in's concerns from typed values (texts, or (text, tags)): ``ConcernDraft.many``."""
        drafts = ConcernDraft.many(concerns)
        if not drafts:
            raise InvalidInput("concern", "Record at least one customer concern")
        return drafts

    def book(
        self,
        actor: User,
        *,
        customer_id: int,
        vehicle_id: int,
        booking: BookingDraft,
        advisor_id: int | None = None,
        overbook: bool = False,
    ) -> VisitRef:
        """Book an appointment (a visit in BOOKED). A full slot is refused unless a
        manager overbooks it explicitly."""
        at, concerns = booking.at, booking.concerns
        if self.schedule.in_past(at, self.now()):
            raise InvalidInput("when", "The appointment time is in the past")
        if self.schedule.is_full(self.slot_load(at)):
            if not overbook:
                raise self._full(at)
            staff.may_overbook(actor).check()
        return self._create_visit(
            actor,
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            at=at,
            concerns=concerns,
            advisor_id=advisor_id or actor.id,
            walk_in=False,
            overbooked=overbook,
        )

    def walk_in(
        self,
        actor: User,
        *,
        customer_id: int,
        vehicle_id: int,
        concerns: tuple[ConcernDraft, ...],
        advisor_id: int | None = None,
    ) -> VisitRef:
        """A customer without appointment: the visit starts at reception, arrived now."""
        return self._create_visit(
            actor,
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            at=None,
            concerns=concerns,
            advisor_id=advisor_id or actor.id,
            walk_in=True,
        )

    def car_here(self, actor: User) -> int:
        """A car without appointment is here: its arrival is recorded with one
        key, before anyone writes it up (the walk-in visit written up next takes
        it: ``sched.walk_in_arrival``, so the greeting counts from now)."""

        def run(session: Session) -> int:
            row = WalkInArrivalRow(at=self.now(), by_user=actor.id)
            session.add(row)
            session.flush()
            self._audit(session, actor, "walk_in.arrived", "walk_in_arrival", row.id, after={"at": row.at})
            return row.id

        return self._write(run)

    def waiting_walk_ins(self) -> list[datetime]:
        """When each car recorded as here and not yet written up came, oldest first."""
        now = self.now()

        def run(session: Session) -> list[datetime]:
            return [at for _, at in repo.waiting_walk_ins(session=session, since=now - sched.WALK_IN_WAIT) if at <= now]

        return self._read(run)

    def _new_number(self, session: Session) -> str:
        return f"RO{self.now():%y}{repo.next_visit_serial(session=session):06d}"

    def _create_visit(
        self, actor, *, customer_id, vehicle_id, at, concerns, advisor_id, walk_in, overbooked=False
    ) -> VisitRef:
        def run(session: Session) -> VisitRef:
            vehicle = session.get(VehicleRow, vehicle_id)
            if vehicle is None or vehicle.customer_id != customer_id:
                raise InvalidInput("vehicle", "This vehicle does not belong to this customer")
            now = self.now()
            # a walk-in's car recorded as here earlier (one key on the board) arrived then
            came = (
                sched.walk_in_arrival(repo.waiting_walk_ins(session=session, since=now - sched.WALK_IN_WAIT), now)
                if walk_in
                else None
            )
            visit = VisitRow(
                number=self._new_number(session),
                customer_id=customer_id,
                vehicle_id=vehicle_id,
                advisor_id=advisor_id,
                stage=(WALK_IN_START if walk_in else Stage.BOOKED).value,
                walk_in=walk_in,
                day=(at or now).date(),
                appointment_at=at,
                arrived_at=(came[1] if came else now) if walk_in else None,
                created_at=now,
                updated_at=now,
            )
            session.add(visit)
            session.flush()
            if came is not None:
                repo.claim_walk_in(session=session, arrival_id=came[0], visit_id=visit.id)
            new = add_concerns(session, visit.id, concerns)
            past = repo.past_visits(session=session, vehicle_id=vehicle_id, before_visit=visit.id)
            prior = comeback_of(new, past, at or now, self.policy.comeback_window_days)
            if prior is not None:  # proposed: the advisor confirms or rejects it (comebacks.decide)
                visit.comeback_proposed_id = prior.id
            if at is not None:
                for kind, due in sched.reminder_times(
                    at, self.policy.late_after_minutes, booked_at=now, offsets=self.policy.reminder_offsets
                ):
                    session.add(ReminderRow(visit_id=visit.id, kind=kind, due_at=due))
            session.flush()
            self._audit(
                session,
                actor,
                "visit.walk_in" if walk_in else "visit.book",
                "visit",
                visit.id,
                visit_id=visit.id,
                after={
                    "number": visit.number,
                    "at": at,
                    "concerns": [c.text for c in new],
                    "comeback_proposed": visit.comeback_proposed_id,
                    "overbooked": overbooked,
                    **({"arrived_at": visit.arrived_at} if came else {}),
                },
            )
            session.flush()
            return VisitRef(visit.id, visit.version)

        return self._write(run)

    def reschedule(self, actor: User, visit: VisitRef, at: datetime) -> Saved[None]:
        if self.schedule.is_full(self.slot_load(at)) and not staff.may_overbook(actor):
            raise self._full(at)

        def run(session: Session, row: VisitRow) -> None:
            if row.stage != Stage.BOOKED:
                raise InvalidInput("when", "Only a booked visit can be rescheduled")
            before = {"at": row.appointment_at}
            row.appointment_at, row.day = at, at.date()
            for rem in repo.reminders_of(session=session, visit_id=row.id):
                if rem.done_at is None:
                    rem.due_at = sched.reminder_due(
                        rem.kind, at, self.policy.late_after_minutes, self.policy.reminder_offsets
                    )
                    session.add(rem)
            self._touch(session, row)
            self._audit(
                session, actor, "visit.reschedule", "visit", row.id, visit_id=row.id, before=before, after={"at": at}
            )

        return self._change(visit, run)

    # ------------------------------------------------------------------ reminders & welcome

    def reminders(self) -> list[tuple[ReminderRow, VisitRow, CustomerRow]]:
        """The reminder and late-call tasks on the list now (``sched.task_open``):
        a reminder until the appointment time, the late call from it on."""
        now, late, offsets = self.now(), self.policy.late_after_minutes, self.policy.reminder_offsets

        def run(session: Session):
            out = []
            # a late call is stored with its deadline: read far enough ahead to find it
            for rem in repo.reminders_due(session=session, until=now + timedelta(days=1, minutes=late)):
                visit = session.get(VisitRow, rem.visit_id)
                if visit is None or visit.stage != Stage.BOOKED or visit.appointment_at is None:
                    continue
                if sched.task_open(rem.kind, visit.appointment_at, now, late, offsets):
                    out.append((rem, visit, session.get(CustomerRow, visit.customer_id)))
            return out

        return self._read(run)

    def complete_reminder(self, actor: User, visit: VisitRef, reminder_id: int, outcome: str) -> Saved[None]:
        """A reminder call of ``visit`` made, with what the customer said
        (``outcome`` as ``fields.REMINDER_OUTCOME`` parses it)."""
        outcome = fields.REMINDER_OUTCOME.check(outcome)

        def run(session: Session, row: VisitRow) -> None:
            rem = session.get(ReminderRow, reminder_id)
            if rem is None or rem.visit_id != row.id:
                raise InvalidInput("reminder", "No such reminder")
            # a second call's outcome (a re-apply on top of another terminal's) keeps the first in the audit
            before = {"outcome": rem.outcome} if rem.done_at is not None else None
            rem.done_at, rem.outcome, rem.by_user = self.now(), outcome, actor.id
            session.add(rem)
            self._touch(session, row)
            self._audit(
                session,
                actor,
                f"reminder.{rem.kind}",
                "reminder",
                rem.id,
                visit_id=row.id,
                before=before,
                after={"outcome": outcome},
            )

        return self._change(visit, run)

    def welcome_list(self, actor: User, day: date) -> list[str]:
        """Names for tomorrow's lounge and gate welcome boards (APPT-08); marks the
        visits as listed."""

        def run(session: Session) -> list[str]:
            names = []
            for visit, customer, vehicle in repo.day_visits(session=session, day=day):
                if visit.stage != Stage.BOOKED:
                    continue
                names.append(f"{visit.appointment_at:%H:%M}  {customer.name}  {vehicle.plate}")
                if not visit.welcome_listed:
                    visit.welcome_listed = True
                    self._touch(session, visit)
            self._audit(session, actor, "welcome.export", "day", None, after={"day": day, "count": len(names)})
            return names

        return self._write(run)

    # ------------------------------------------------------------------ board & week

    def board(self, day: date) -> list[BoardRow]:
        """The appointment board of one day (one indexed query plus four small
        ones): the store's plain-SQL read, the same the app runs at start-up
        before the services are loaded (desk.store.reads)."""
        return self._read_connection(
            lambda conn: reads.board(
                reads.Reader.of_connection(conn), day, now=self.now(), late_after_minutes=self.policy.late_after_minutes
            )
        )

    def week(self, start: date) -> list[tuple[date, int, int]]:
        """(day, appointments, arrived) for seven days from ``start``."""

        def run(session: Session):
            counts = repo.day_counts(session=session, first=start, days=7, not_in=[Stage.CANCELLED.value])
            return [(start + timedelta(days=i), *counts.get(start + timedelta(days=i), (0, 0))) for i in range(7)]

        return self._read(run)
