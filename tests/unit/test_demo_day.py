"""The demo's today is a working day whatever the clock says (issue: the advisor's day)."""

from __future__ import annotations

from datetime import datetime, time

import pytest

from desk.demo import PLAN_AFTER, PLAN_BEFORE, day_anchor
from desk.domain.schedule import Schedule


@pytest.mark.parametrize("clock", ["00:56", "07:59", "09:00", "13:40", "17:59", "23:30"])
def test_todays_plan_stands_inside_opening_hours_on_the_same_day(clock):
    schedule = Schedule(opening=time(8, 0), closing=time(18, 0))
    real = datetime.combine(datetime(2026, 12, 1).date(), time.fromisoformat(clock))
    anchor = day_anchor(real, schedule)
    assert anchor.date() == real.date()
    assert (anchor - PLAN_BEFORE).time() >= schedule.opening
    assert (anchor + PLAN_AFTER).time() <= schedule.closing


def test_the_real_time_is_kept_when_the_plan_fits_around_it():
    real = datetime(2026, 12, 1, 13, 40)
    assert day_anchor(real, Schedule()) == real
