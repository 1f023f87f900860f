"""The appointment book's arithmetic: slots, capacity, opening hours and the
reminder times of a booking (spec APPT-01..08). Pure: the service counts the
appointments of a slot and asks this module what follows.

A day is cut into slots of ``slot_minutes`` from midnight; a slot holds
``capacity`` appointments (one per advisor on duty); only slots starting within
opening hours are offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

#: Reminder calls before an appointment: (kind, offset from the appointment time).
Offsets = tuple[tuple[str, timedelta], ...]


def reminder_offsets(day_hours: int = 24, hour_minutes: int = 60) -> Offsets:
    """The two reminders before an appointment (APPT-09): the "day" reminder
    ``day_hours`` before it, the "hour" reminder ``hour_minutes`` before it. Both
    are shop settings with a history (``reminder_day_hours``,
    ``reminder_hour_minutes``); the "late" call after the appointment is
    :func:`late_due`, its offset a shop setting too."""
    return (("day", -timedelta(hours=day_hours)), ("hour", -timedelta(minutes=hour_minutes)))


#: The source's "1 day and 1 hour before", the settings' defaults.
REMINDER_OFFSETS: Offsets = reminder_offsets()


def offsets_text(offsets: Offsets) -> str:
    """The reminder offsets as a standard's language-neutral text: "1 d / 1 h"."""
    return " / ".join(span_text(-delta) for _kind, delta in offsets)


def span_text(delta: timedelta) -> str:
    """A span as the largest whole unit: "1 d", "3 h", "90 min"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes and minutes % (24 * 60) == 0:
        return f"{minutes // (24 * 60)} d"
    if minutes and minutes % 60 == 0:
        return f"{minutes // 60} h"
    return f"{minutes} min"


#: The reminder kind of the call to a customer who has not arrived.
LATE = "late"


@dataclass(frozen=True)
class Schedule:
    slot_minutes: int = 30
    capacity: int = 2
    opening: time = time(8, 0)
    closing: time = time(18, 0)

    @property
    def slot(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    def slot_start(self, at: datetime) -> datetime:
        """The start of the slot ``at`` falls in."""
        minute = at.minute - at.minute % self.slot_minutes
        return at.replace(minute=minute, second=0, microsecond=0)

    def slot_span(self, at: datetime) -> tuple[datetime, datetime]:
        """``[start, end)`` of the slot ``at`` falls in."""
        start = self.slot_start(at)
        return start, start + self.slot

    def next_slot(self, now: datetime) -> datetime:
        """The whole slot after the one ``now`` falls in (the booking form's default)."""
        return self.slot_start(now + self.slot)

    def booking_default(self, now: datetime, day: date | None = None) -> datetime:
        """The booking form's default time: the next whole slot within opening
        hours, on the day the advisor is looking at if that is later (late in the
        evening it is tomorrow's first slot, never 22:30 today)."""
        after = self.next_slot(now)
        if day is not None and day > now.date():
            after = max(after, datetime.combine(day, self.opening))
        return next(self.slots_from(after, days=14), after)

    def promise_default(self, now: datetime, work_hours: float, etas=()) -> datetime:
        """The promised time the estimate form offers: the work's hours plus an
        hour (QC, washing, the hand-back) from now, or from opening on the day the
        last back-ordered part arrives, on the first slot within opening hours;
        hours that do not fit today run on from the next day's opening. The
        advisor changes it when they know better."""
        start = now
        if etas:
            start = max(start, datetime.combine(max(etas), self.opening))
        need = timedelta(hours=work_hours + 1)
        at = start
        while True:
            day_open = datetime.combine(at.date(), self.opening)
            day_close = datetime.combine(at.date(), self.closing)
            at = max(at, day_open)
            if at + need <= day_close:
                at += need
                break
            need -= max(day_close - at, timedelta(0))
            at = datetime.combine(at.date() + timedelta(days=1), self.opening)
        return next(self.slots_from(at, days=14), at)

    def is_open(self, at: datetime) -> bool:
        return self.opening <= at.time() < self.closing

    def is_full(self, load: int) -> bool:
        return load >= self.capacity

    def in_past(self, at: datetime, now: datetime) -> bool:
        """A booking time earlier than the current slot's length ago."""
        return at < now - self.slot

    def slots_from(self, after: datetime, *, days: int = 7) -> Iterator[datetime]:
        """Slot starts at or after ``after`` within opening hours, for ``days``."""
        at = self.slot_start(after)
        if at < after:
            at += self.slot
        end = after + timedelta(days=days)
        while at < end:
            if self.is_open(at):
                yield at
            at += self.slot

    def earliest_free(self, after: datetime, load: Callable[[datetime], int], *, days: int = 7) -> datetime | None:
        """The first open slot from ``after`` whose ``load`` leaves room (APPT-03)."""
        return next((at for at in self.slots_from(after, days=days) if not self.is_full(load(at))), None)


#: A customer waiting for the car hears from the advisor when the promised time
#: is this close (or past) and no update was given for this long (REP-02).
UPDATE_WINDOW = timedelta(hours=1)


def update_due(promised_at: datetime | None, now: datetime, last_update: datetime | None) -> bool:
    """A progress update is due: the promised time is within the window (or past)
    and the last update is older than the window."""
    if promised_at is None:
        return False
    at_risk = now >= promised_at - UPDATE_WINDOW
    recent = last_update is not None and now - last_update < UPDATE_WINDOW
    return at_risk and not recent


#: Minutes before the promised time from which a car is at risk.
AT_RISK_MINUTES = 60


@dataclass(frozen=True)
class TimeLeft:
    """How long until a car's promised time, and whether it is late or at risk."""

    minutes: int | None
    late: bool
    at_risk: bool


def time_left(promised_at: datetime | None, now: datetime, *, ready: bool) -> TimeLeft:
    """The board's "time left": minutes to the promised time (negative: late). A
    car that is ready is never late (it waits for its customer)."""
    if promised_at is None:
        return TimeLeft(None, False, False)
    left = int((promised_at - now).total_seconds() // 60)
    return TimeLeft(left, left < 0 and not ready, 0 <= left < AT_RISK_MINUTES)


def late_due(at: datetime, late_after_minutes: int) -> datetime:
    return at + timedelta(minutes=late_after_minutes)


def reminder_times(
    at: datetime, late_after_minutes: int, booked_at: datetime | None = None, offsets: Offsets = REMINDER_OFFSETS
) -> list[tuple[str, datetime]]:
    """Every reminder of an appointment at ``at``: (kind, due). A reminder whose
    time has already passed when the booking is made (a booking less than a day,
    or an hour, ahead) is left out: it could only ever be overdue. The late
    call's "due" is its deadline (:func:`task_window`)."""
    before = [(kind, at + delta) for kind, delta in offsets if booked_at is None or at + delta >= booked_at]
    return before + [(LATE, late_due(at, late_after_minutes))]


def reminder_due(kind: str, at: datetime, late_after_minutes: int, offsets: Offsets = REMINDER_OFFSETS) -> datetime:
    """When the reminder ``kind`` of an appointment at ``at`` is due."""
    return dict(reminder_times(at, late_after_minutes, offsets=offsets)).get(kind, late_due(at, late_after_minutes))


def task_window(
    kind: str, at: datetime, late_after_minutes: int, offsets: Offsets = REMINDER_OFFSETS
) -> tuple[datetime, datetime]:
    """``[shown from, deadline]`` of a reminder task of an appointment at ``at``
    (APPT-09/10). A reminder is on the list from its time (1 day / 1 hour before)
    and made on time before the next one is due (the day's before the hour's,
    the hour's before the appointment); the late call is on the list from the
    appointment time and made on time within ``late_after_minutes`` of it."""
    if kind == LATE:
        return at, late_due(at, late_after_minutes)
    by_kind = dict(offsets)
    later = [delta for _, delta in offsets if delta > by_kind[kind]]
    return at + by_kind[kind], at + (min(later) if later else timedelta(0))


def task_open(
    kind: str, at: datetime, now: datetime, late_after_minutes: int, offsets: Offsets = REMINDER_OFFSETS
) -> bool:
    """A reminder not yet made is on the task list now: a reminder from its time
    until the appointment time (after that it can remind nobody: it leaves); the
    late call from the appointment time on, overdue after its deadline, until
    the customer arrives or the visit is closed."""
    shown, _deadline = task_window(kind, at, late_after_minutes, offsets)
    return shown <= now and (kind == LATE or now < at)


def made_on_time(
    kind: str, at: datetime, done_at: datetime | None, late_after_minutes: int, offsets: Offsets = REMINDER_OFFSETS
) -> bool:
    """The reminder (or late call) was made by its deadline (:func:`task_window`)."""
    return done_at is not None and done_at <= task_window(kind, at, late_after_minutes, offsets)[1]


#: A car recorded as here (one key on the board) waits at most this long for its
#: write-up; an older entry was forgotten, not a car still waiting.
WALK_IN_WAIT = timedelta(hours=4)


def walk_in_arrival(waiting: Iterable[tuple[int, datetime]], now: datetime) -> tuple[int, datetime] | None:
    """The waiting car a walk-in written up now came in: the one recorded as
    here longest ago (first come, first served) within :data:`WALK_IN_WAIT`;
    None when no car was recorded (the visit's arrival is then the write-up)."""
    fresh = [(at, i) for i, at in waiting if now - WALK_IN_WAIT <= at <= now]
    if not fresh:
        return None
    at, i = min(fresh)
    return i, at


#: Days before its next service date that a car's booking is taken to be for it.
SERVICE_DUE_DAYS = 30


def service_due(next_service: date | None, today: date, days: int = SERVICE_DUE_DAYS) -> bool:
    """The car's next service is due (or overdue) within ``days``: the booking
    form offers "Regular service" as the customer's request (typed over when it
    is something else), so a returning customer's service is booked with Enter."""
    return next_service is not None and next_service <= today + timedelta(days=days)
