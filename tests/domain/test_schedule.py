"""The appointment book's arithmetic (desk.domain.schedule) and the survey's
words (desk.domain.survey): pure, no database."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from desk.domain import schedule as sched
from desk.domain import survey
from desk.domain.entities import Severity
from desk.domain.schedule import Schedule

DAY = datetime(2026, 11, 23)
BOOK = Schedule(slot_minutes=30, capacity=2, opening=time(8, 0), closing=time(18, 0))


@pytest.mark.parametrize(
    "at, start",
    [
        (DAY.replace(hour=9, minute=0), DAY.replace(hour=9, minute=0)),
        (DAY.replace(hour=9, minute=29, second=59), DAY.replace(hour=9, minute=0)),
        (DAY.replace(hour=9, minute=30), DAY.replace(hour=9, minute=30)),
        (DAY.replace(hour=23, minute=59), DAY.replace(hour=23, minute=30)),
    ],
)
def test_a_time_falls_in_the_slot_that_starts_on_the_grid(at, start):
    assert BOOK.slot_start(at) == start
    assert BOOK.slot_span(at) == (start, start + timedelta(minutes=30))


def test_twenty_minute_slots():
    book = Schedule(slot_minutes=20)
    assert book.slot_start(DAY.replace(hour=10, minute=59)) == DAY.replace(hour=10, minute=40)
    assert book.next_slot(DAY.replace(hour=10, minute=59, second=5)) == DAY.replace(hour=11, minute=0)


def test_opening_hours_are_half_open():
    assert BOOK.is_open(DAY.replace(hour=8))
    assert BOOK.is_open(DAY.replace(hour=17, minute=59))
    assert not BOOK.is_open(DAY.replace(hour=18))
    assert not BOOK.is_open(DAY.replace(hour=7, minute=59))


def test_capacity_and_the_past():
    assert not BOOK.is_full(1) and BOOK.is_full(2) and BOOK.is_full(3)
    now = DAY.replace(hour=10)
    assert not BOOK.in_past(now - timedelta(minutes=30), now)  # the current slot may still be booked
    assert BOOK.in_past(now - timedelta(minutes=31), now)


def test_earliest_free_slot_skips_full_slots_and_closed_hours():
    full = {DAY.replace(hour=17, minute=0), DAY.replace(hour=17, minute=30)}
    load = lambda at: 2 if at in full else 0
    assert BOOK.earliest_free(DAY.replace(hour=16, minute=50), load) == DAY.replace(day=24, hour=8)
    assert BOOK.earliest_free(DAY.replace(hour=9, minute=10), load) == DAY.replace(hour=9, minute=30)
    assert BOOK.earliest_free(DAY.replace(hour=9), lambda at: 2, days=2) is None


def test_reminders_of_an_appointment():
    at = DAY.replace(hour=10)
    assert sched.reminder_times(at, 15) == [
        ("day", at - timedelta(days=1)),
        ("hour", at - timedelta(hours=1)),
        ("late", at + timedelta(minutes=15)),
    ]
    later = at + timedelta(hours=2)
    assert [sched.reminder_due(k, later, 15) for k, _ in sched.reminder_times(at, 15)] == [
        due for _, due in sched.reminder_times(later, 15)
    ]


def test_a_booking_less_than_a_day_ahead_gets_no_overdue_day_reminder():
    at = DAY.replace(hour=10)
    kinds = lambda booked: [k for k, _ in sched.reminder_times(at, 15, booked_at=booked)]
    assert kinds(at - timedelta(days=2)) == ["day", "hour", "late"]
    assert kinds(at - timedelta(hours=5)) == ["hour", "late"]
    assert kinds(at - timedelta(minutes=30)) == ["late"]


def test_reminders_leave_at_the_appointment_time_and_the_late_call_comes_then_with_a_deadline():
    at = DAY.replace(hour=10)
    assert not sched.task_open("day", at, at - timedelta(days=1, minutes=1), 15)
    assert sched.task_open("day", at, at - timedelta(days=1), 15)
    assert sched.task_open("hour", at, at - timedelta(minutes=1), 15)
    assert not sched.task_open("hour", at, at, 15)  # gone once the appointment time has passed
    assert not sched.task_open("day", at, at + timedelta(minutes=5), 15)
    assert not sched.task_open("late", at, at - timedelta(seconds=1), 15)
    assert sched.task_open("late", at, at, 15)  # shown from the appointment time …
    assert sched.task_open("late", at, at + timedelta(hours=2), 15)  # … and stays, overdue, until done
    assert sched.task_window("late", at, 15) == (at, at + timedelta(minutes=15))
    assert sched.task_window("day", at, 15) == (at - timedelta(days=1), at - timedelta(hours=1))
    assert sched.task_window("hour", at, 15) == (at - timedelta(hours=1), at)
    assert sched.made_on_time("late", at, at + timedelta(minutes=15), 15)
    assert not sched.made_on_time("late", at, at + timedelta(minutes=16), 15)
    assert not sched.made_on_time("hour", at, None, 15)


def test_a_progress_update_is_due_near_the_promised_time():
    promised = DAY.replace(hour=16)
    assert not sched.update_due(None, promised, None)
    assert not sched.update_due(promised, promised - timedelta(minutes=61), None)
    assert sched.update_due(promised, promised - timedelta(minutes=60), None)
    assert sched.update_due(promised, promised + timedelta(hours=2), promised - timedelta(hours=3))
    assert not sched.update_due(promised, promised, promised - timedelta(minutes=59))


def test_survey_answers():
    assert survey.CSI_FACTORS == tuple(survey.FACTOR_LABELS)
    assert [n for n in survey.SCORES if survey.is_dissatisfied(n)] == [1, 2]
    fine = dict.fromkeys(survey.CSI_FACTORS, 4)
    assert survey.complaint_severity(fine) is None
    assert survey.dissatisfied_factors({**fine, "pickup": 2}) == ["pickup"]
    assert survey.complaint_severity({**fine, "pickup": 2}) == Severity.ORDINARY
    assert survey.complaint_severity({**fine, "pickup": 2, "quality": 1}) == Severity.MAJOR
    assert 0 in survey.NPS_SCORES and 10 in survey.NPS_SCORES and 11 not in survey.NPS_SCORES


def test_the_booking_default_is_inside_opening_hours_on_the_day_looked_at():
    book = Schedule(slot_minutes=30, opening=time(8, 0), closing=time(18, 0))
    assert book.booking_default(DAY.replace(hour=10, minute=5)) == DAY.replace(hour=10, minute=30)
    # late in the evening: tomorrow's first slot, not 22:30 today
    assert book.booking_default(DAY.replace(hour=22, minute=10)) == (DAY + timedelta(days=1)).replace(hour=8, minute=0)
    # before opening: today's first slot
    assert book.booking_default(DAY.replace(hour=6, minute=0)) == DAY.replace(hour=8, minute=0)
    # viewing a later day: that day's first slot
    later = (DAY + timedelta(days=3)).date()
    assert book.booking_default(DAY.replace(hour=10, minute=5), later) == (DAY + timedelta(days=3)).replace(hour=8)
    # the last slot of the day is still offered; the one after closing is not
    assert book.booking_default(DAY.replace(hour=17, minute=0)) == DAY.replace(hour=17, minute=30)
    assert book.booking_default(DAY.replace(hour=17, minute=40)) == (DAY + timedelta(days=1)).replace(hour=8)


def test_the_promise_offered_is_the_work_plus_an_hour_within_opening_hours():
    from datetime import date, datetime

    from desk.domain.schedule import Schedule

    s = Schedule(opening=time(8, 0), closing=time(18, 0))
    assert s.promise_default(datetime(2026, 12, 2, 9, 47), 1.1) == datetime(2026, 12, 2, 12, 0)
    # hours that do not fit today run on from tomorrow's opening
    assert s.promise_default(datetime(2026, 12, 2, 16, 47), 3) == datetime(2026, 12, 3, 11, 0)
    # not before the last back-ordered part can be there
    assert s.promise_default(datetime(2026, 12, 2, 9, 47), 1, [date(2026, 12, 4)]) == datetime(2026, 12, 4, 10, 0)
    # in the evening: tomorrow
    assert s.promise_default(datetime(2026, 12, 2, 20, 0), 0.5) == datetime(2026, 12, 3, 9, 30)


def test_a_cars_service_is_due_within_thirty_days_or_overdue():
    from datetime import date

    today = date(2026, 12, 2)
    assert sched.service_due(date(2026, 12, 20), today)
    assert sched.service_due(date(2026, 10, 1), today)  # overdue
    assert not sched.service_due(date(2027, 3, 1), today)
    assert not sched.service_due(None, today)
