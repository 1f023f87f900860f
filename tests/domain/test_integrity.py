"""Honest checklists: each rule flags what it should, with its reason and the
user it counts against, and no more; accepted flags stop counting."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from desk.domain import integrity as ig
from desk.domain import kpi

T0 = datetime(2026, 11, 2, 9, 0)
T = ig.Thresholds()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ticks(*seconds: float, by: int = 5) -> tuple[ig.Tick, ...]:
    return tuple(ig.Tick(f"WLK-0{i + 1}", at(s), by) for i, s in enumerate(seconds))


def facts(**kw) -> ig.CheckFacts:
    return ig.CheckFacts(visit_id=1, advisor_id=5, arrived_at=T0, **kw)


# ------------------------------------------------------------------ rushed walkaround


def walk(seconds: float, **kw) -> dict:
    """A walkaround stage begun at T0 and finished ``seconds`` later."""
    return dict(walkaround_started_at=T0, walkaround_done_at=at(seconds), walkaround_done_by=5, **kw)


def test_a_walkaround_finished_faster_than_its_plausible_minimum_is_rushed():
    flag = ig.rushed_walkaround(facts(**walk(20, walkaround_ticks=ticks(5, 8, 11, 14, 17))), T)
    assert flag.rule == ig.RUSHED_WALKAROUND and flag.user_id == 5 and flag.at == at(20)
    assert flag.params == {"s": 20, "min": 120}
    assert flag.reason == "Walkaround finished {s} s after it began (plausible minimum {min} s)"


def test_ticking_every_item_at_once_after_a_walkaround_of_plausible_length_is_not_rushed():
    # ctrl+a: every item in the same second, after four minutes round the car
    assert ig.rushed_walkaround(facts(**walk(240, walkaround_ticks=ticks(239, 239, 239, 239, 239))), T) is None
    assert ig.rushed_walkaround(facts(**walk(120)), T) is None  # the minimum itself is plausible
    assert ig.rushed_walkaround(facts(**walk(119)), T) is not None


def test_a_walkaround_not_finished_yet_is_not_judged():
    assert ig.rushed_walkaround(facts(walkaround_started_at=T0, walkaround_ticks=ticks(0, 0, 0, 0)), T) is None


def test_the_minimum_is_the_shops_and_judged_by_the_one_in_force_at_arrival():
    slow = facts(**walk(100))
    assert ig.rushed_walkaround(slow, T) is not None
    assert ig.rushed_walkaround(slow, ig.Thresholds(walkaround_seconds=90)) is None
    now = ig.Thresholds(walkaround_seconds=90)
    changes = [("integrity_walkaround_seconds", T0 + timedelta(days=1), "120", "90")]
    assert ig.in_force(now, changes, T0).walkaround_seconds == 120  # before the change: the old one
    assert ig.in_force(now, changes, T0 + timedelta(days=2)).walkaround_seconds == 90
    assert ig.in_force(now, [], T0) == now
    lowered = [("integrity_qc_seconds", T0 - timedelta(days=1), None, "30")]
    assert ig.in_force(now, lowered, T0).qc_seconds == 30


def test_a_rushed_walkaround_counts_against_who_ticked_most_else_who_moved_it_on():
    mixed = ticks(0, 1, 2, by=7) + (ig.Tick("WLK-09", at(3), 9),)
    assert ig.rushed_walkaround(facts(**walk(10, walkaround_ticks=mixed)), T).user_id == 7
    assert ig.rushed_walkaround(facts(**walk(10)), T).user_id == 5


# ------------------------------------------------------------------ blank walkaround

BLANK = dict(walkaround_at=at(100), walkaround_by=5, odometer_km=42000, booked_km=42000)


def test_a_walkaround_with_nothing_noted_and_the_booked_odometer_is_blank():
    flag = ig.blank_walkaround(facts(**BLANK), T)
    assert flag.rule == ig.BLANK_WALKAROUND and flag.user_id == 5 and flag.params == {"km": 42000}


def test_any_entry_makes_a_walkaround_not_blank():
    assert ig.blank_walkaround(facts(**{**BLANK, "damages": 1}), T) is None
    assert ig.blank_walkaround(facts(**{**BLANK, "tyres": "FL 3 mm"}), T) is None
    assert ig.blank_walkaround(facts(**{**BLANK, "warning_lights": "ABS"}), T) is None
    assert ig.blank_walkaround(facts(**{**BLANK, "odometer_km": 42310}), T) is None


def test_no_walkaround_or_no_earlier_reading_is_not_blank():
    assert ig.blank_walkaround(facts(**{**BLANK, "walkaround_at": None}), T) is None
    assert ig.blank_walkaround(facts(**{**BLANK, "booked_km": None}), T) is None


# ------------------------------------------------------------------ rushed QC


def test_qc_passed_within_a_minute_of_the_last_line_is_rushed():
    flag = ig.rushed_qc(facts(last_line_done_at=at(0), qc_passed_at=at(40), qc_by=8), T)
    assert flag.rule == ig.RUSHED_QC and flag.user_id == 8 and flag.params == {"s": 40}


def test_qc_after_the_threshold_is_not():
    assert ig.rushed_qc(facts(last_line_done_at=at(0), qc_passed_at=at(61), qc_by=8), T) is None
    assert (
        ig.rushed_qc(facts(last_line_done_at=at(0), qc_passed_at=at(61), qc_by=8), ig.Thresholds(qc_seconds=120))
        is not None
    )
    assert ig.rushed_qc(facts(qc_passed_at=at(61)), T) is None  # no line done


# ------------------------------------------------------------------ empty survey


def test_a_reached_call_with_no_answer_is_flagged_per_call():
    calls = (
        ig.Call(11, at(0), "reached", 6),
        ig.Call(12, at(10), "no_answer", 6),
        ig.Call(13, at(20), "reached", 6, answers=5, nps=9),
        ig.Call(14, at(30), "reached", 6, nps=8),
    )
    found = ig.empty_surveys(facts(calls=calls), T)
    assert [f.key for f in found] == ["empty_survey:11"]
    assert found[0].user_id == 6


# ------------------------------------------------------------------ together


def test_flags_of_a_visit_in_time_order_and_accepting_one():
    f = facts(**walk(3, walkaround_ticks=ticks(0, 1, 2, 3)), **BLANK, calls=(ig.Call(11, at(500), "reached", 6),))
    found = ig.flags(f, T)
    assert [x.rule for x in found] == [ig.RUSHED_WALKAROUND, ig.BLANK_WALKAROUND, ig.EMPTY_SURVEY]
    review = ig.Review(1, ig.BLANK_WALKAROUND, 9, "周经理", at(600), "new car, nothing to note")
    assert [x.rule for x in ig.open_flags(found, [review])] == [ig.RUSHED_WALKAROUND, ig.EMPTY_SURVEY]


def test_integrity_and_flags_per_user_on_the_dashboard():
    fs = {
        1: facts(**walk(3, walkaround_ticks=ticks(0, 1, 2, 3, by=5))),
        2: ig.CheckFacts(2, advisor_id=5, arrived_at=at(60)),
        3: ig.CheckFacts(3, advisor_id=6, arrived_at=at(120), calls=(ig.Call(1, at(900), "reached", 6),)),
        4: ig.CheckFacts(
            4, advisor_id=6, arrived_at=T0 - timedelta(days=3), **walk(0, walkaround_ticks=ticks(0, 0, 0, 0, by=6))
        ),  # before the range
    }
    found = {vid: ig.flags(f, T) for vid, f in fs.items()}
    scope = kpi.Scope(T0, T0 + timedelta(days=1), at(1000))
    m = ig.integrity(fs, found, [], scope)
    assert (m.value, m.num, m.den) == (Decimal("33.3"), 1, 3)
    assert m.visits == (1, 2, 3) and m.hits == (2,)
    assert m.notes == {1: "rushed_walkaround", 3: "empty_survey"}
    accepted = [ig.Review(1, ig.RUSHED_WALKAROUND, 9, "周经理", at(2000), "checked with the customer")]
    assert ig.integrity(fs, found, accepted, scope).hits == (1, 2)
    assert ig.flagged_users(found, []) == [6, 5]  # over every visit read: 6 has two
    assert ig.flagged_users(found, accepted) == [6]
    user = ig.user_flags(fs, found, [], scope, 5, "王丽")
    assert (user.value, user.visits, user.params) == (Decimal(1), (1,), {"user": "王丽"})
    assert ig.user_flags(fs, found, accepted, scope, 5, "王丽").value == 0
    mine = ig.integrity(fs, found, [], kpi.Scope(T0, T0 + timedelta(days=1), at(1000), advisor_id=6))
    assert mine.visits == (3,) and mine.value == 0
