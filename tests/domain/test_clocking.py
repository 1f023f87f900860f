"""Technician time: one key clocks on or off, one line at a time; efficiency
shares a job's sold hours by the time each technician clocked on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from desk.domain import clocking as ck
from desk.domain import kpi, staff
from desk.domain.entities import Role, User
from desk.domain.errors import InvalidInput, NotAllowed

T0 = datetime(2026, 11, 2, 9, 0)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def c(id_, line, tech, on, off=None, visit=1) -> ck.Clocking:
    return ck.Clocking(id_, visit, line, tech, at(on), None if off is None else at(off))


def test_the_key_clocks_on_then_off():
    assert ck.toggle([], 5, 10, line_done=False) == ck.Toggle(True, ())
    assert ck.toggle([c(1, 10, 5, 0)], 5, 10, line_done=False) == ck.Toggle(False, (1,))


def test_clocking_on_another_line_clocks_off_the_one_before():
    assert ck.toggle([c(1, 10, 5, 0), c(2, 10, 6, 0)], 5, 11, line_done=False) == ck.Toggle(True, (1,))


def test_a_closed_clocking_or_another_technician_is_not_touched():
    assert ck.toggle([c(1, 10, 5, 0, 30), c(2, 10, 6, 0)], 5, 10, line_done=False) == ck.Toggle(True, ())


def test_nobody_clocks_on_a_done_line_but_may_clock_off_it():
    with pytest.raises(InvalidInput):
        ck.toggle([], 5, 10, line_done=True)
    assert ck.toggle([c(1, 10, 5, 0)], 5, 10, line_done=True).on is False


def test_clocked_time_runs_until_now_while_open():
    assert ck.clocked([c(1, 10, 5, 0, 30), c(2, 10, 5, 40)], at(50)) == 40 * 60


def data() -> ck.TimeData:
    lines = {
        10: ck.LineRec(1, 10, "Brake pads", 1500, at(120)),  # 1.5 h sold
        11: ck.LineRec(2, 11, "Service", 1000, at(200)),  # 1 h sold
        12: ck.LineRec(2, 12, "Not done yet", 2000, None),
    }
    clockings = (
        c(1, 10, 5, 0, 60),
        c(2, 10, 6, 30, 90),  # 1 h each on the pads: 2 h for 1.5 sold
        c(3, 11, 5, 100, 130, visit=2),  # 30 min for 1 h sold
        c(4, 12, 6, 130, 160, visit=2),
    )
    return ck.TimeData(lines, clockings, {1: 7, 2: 8})


SCOPE = kpi.Scope(T0, T0 + timedelta(days=1), at(600))


def test_shop_efficiency_is_sold_over_clocked_hours_of_the_lines_done():
    m = ck.efficiency(data(), SCOPE)
    assert m.value == Decimal("100.0")  # (1.5 + 1) h sold / (2 + 0.5) h clocked
    assert (m.num, m.den) == (150, 150)
    assert m.visits == (1, 2) and m.hits == (2,)  # the pads took longer than sold
    assert m.notes == {1: "1:30 / 2:00", 2: "1:00 / 0:30"}


def test_a_technician_is_credited_a_share_of_a_job_by_the_time_they_clocked():
    five = ck.technician_efficiency(data(), SCOPE, 5, "张强")
    assert five.value == Decimal("116.7")  # (0.75 + 1) h / (1 + 0.5) h
    assert five.params == {"user": "张强"} and five.visits == (1, 2)
    six = ck.technician_efficiency(data(), SCOPE, 6, "Mike")
    assert six.value == Decimal("75.0") and six.visits == (1,)  # line 12 is not done: not counted yet
    assert ck.technicians(data()) == [5, 6]


def test_efficiency_follows_the_advisor_and_the_range():
    assert ck.efficiency(data(), kpi.Scope(T0, T0 + timedelta(days=1), at(600), advisor_id=8)).visits == (2,)
    assert ck.efficiency(data(), kpi.Scope(at(150), at(600), at(600))).visits == (2,)
    assert ck.efficiency(ck.TimeData({}, (), {}), SCOPE).value is None


def test_who_may_clock():
    tech = User(5, "张强", frozenset({Role.TECHNICIAN}))
    advisor = User(2, "王丽", frozenset({Role.ADVISOR}))
    foreman = User(3, "老李", frozenset({Role.FOREMAN}))
    assert staff.may_clock(tech, 5)
    assert not staff.may_clock(tech, 6)  # not for another technician
    assert not staff.may_clock(advisor, 5)
    with pytest.raises(NotAllowed):
        staff.may_clock(advisor, 2).check()
    assert staff.may_clock(foreman, 5)
    assert staff.who_may_clock([tech, advisor, foreman], {5, 2}) == [tech]  # technicians with a PIN
