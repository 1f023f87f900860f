"""The stage stopwatch: milestones, each interval against its standard, the
running interval a board colours, and the dashboard's median and p90."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from desk.domain import kpi
from desk.domain import timeline as tl

T0 = datetime(2026, 11, 2, 9, 0)
STDS = tl.standards(None)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


#: A whole visit, every milestone recorded (minutes after 09:00).
WHOLE = {
    "booked": -1440,
    "arrived": 0,
    "greeted": 0.5,
    "written_up": 15,
    "presented": 25,
    "signed": 35,
    "started": 45,
    "qc_passed": 200,
    "washed": 220,
    "ready": 230,
    "told": 235,
    "delivered": 300,
    "followed_up": 300 + 24 * 60,
}


def whole(**changes) -> tl.VisitClock:
    times = {**WHOLE, **changes}
    lines = (tl.LineClock(1, "Brake pads", at(45), at(125), 1500), tl.LineClock(2, "Pads (part)", at(46), at(126), 0))
    return tl.VisitClock(7, "RO1", 3, "FOLLOWED_UP", {k: at(v) for k, v in times.items() if v is not None}, lines)


def test_standards_come_from_the_settings_and_the_policy():
    class Shop:
        std_writeup_minutes = 25

    stds = tl.standards(Shop(), greet_within_seconds=90, followup_window_hours=48)
    assert stds["greeted"] == 90  # the seed: greet within one minute, the policy's figure
    assert stds["written_up"] == 25 * 60
    assert stds["presented"] == tl.DEFAULT_MINUTES["presented"] * 60  # not set: the default
    assert stds["followed_up"] == 48 * 3600
    assert STDS["greeted"] == 60


@pytest.mark.parametrize(
    "key,start,end,std",
    [
        ("greeted", 0, 0.5, 60),
        ("written_up", 0.5, 15, 20 * 60),
        ("presented", 15, 25, 15 * 60),
        ("signed", 25, 35, 15 * 60),
        ("started", 35, 45, 15 * 60),
        ("work_done", 45, 126, 1.5 * 3600),  # the hours sold for the visit's labour
        ("qc_passed", 126, 200, 30 * 60),
        ("washed", 200, 220, 30 * 60),
        ("ready", 220, 230, 15 * 60),
        ("told", 230, 235, 10 * 60),
        ("delivered", 235, 300, None),
        ("followed_up", 300, 300 + 24 * 60, 72 * 3600),
    ],
)
def test_each_interval_runs_from_the_milestone_before_it(key, start, end, std):
    iv = next(i for i in tl.intervals(whole(), STDS) if i.key == key)
    assert (iv.start, iv.end) == (at(start), at(end))
    assert iv.standard_seconds == std
    assert iv.seconds(at(9999)) == int((end - start) * 60)


def test_arrival_is_measured_against_the_appointment_not_the_booking():
    # no appointment (as ``whole()``): no interval ends at the arrival, not the day since booking
    assert "arrived" not in {i.key for i in tl.intervals(whole(), STDS)}
    late = tl.VisitClock(7, at={"booked": at(-1440), "arrived": at(7)}, appointment_at=T0)
    iv = next(i for i in tl.intervals(late, STDS) if i.key == "arrived")
    assert (iv.start, iv.end, iv.early, iv.standard_seconds) == (T0, at(7), False, None)
    early = tl.VisitClock(7, at={"booked": at(-1440), "arrived": at(-10)}, appointment_at=T0)
    iv = next(i for i in tl.intervals(early, STDS) if i.key == "arrived")
    assert (iv.start, iv.end, iv.early, iv.seconds(T0)) == (at(-10), T0, True, 600)


def test_no_interval_ends_before_it_starts():
    # EST-06 ticked again after a signature (a later change, explained again):
    # the signature's interval starts at the write-up, the last milestone not after it
    clock = whole(presented=40, signed=35)
    ivs = {i.key: i for i in tl.intervals(clock, STDS)}
    assert (ivs["signed"].start, ivs["signed"].end) == (at(15), at(35))
    assert all(i.end is None or i.start <= i.end for i in ivs.values())
    # a milestone earlier than every one before it has no interval at all
    assert "written_up" not in {i.key for i in tl.intervals(whole(written_up=-2000), STDS)}


def test_an_interval_over_its_standard_is_over():
    ivs = {i.key: i for i in tl.intervals(whole(qc_passed=180), STDS)}
    assert ivs["qc_passed"].over(T0)  # 54 min from the last line's end, 30 allowed
    assert not ivs["greeted"].over(T0)
    assert not ivs["delivered"].over(T0)  # no standard: never over


def test_each_line_has_its_own_interval_against_the_hours_sold():
    ivs = {i.key: i for i in tl.intervals(whole(), STDS)}
    assert ivs["line:1"].seconds(T0) == 80 * 60 and ivs["line:1"].standard_seconds == 5400
    assert not ivs["line:1"].over(T0)
    assert ivs["line:2"].standard_seconds is None  # a part: no hours sold


def test_a_skipped_step_leaves_no_hole():
    ivs = {i.key: i for i in tl.intervals(whole(washed=None), STDS)}
    assert "washed" not in ivs
    assert ivs["ready"].start == at(200)  # from QC passed


def test_a_walk_in_has_no_booking():
    clock = whole(booked=None)
    assert clock.milestones()[0][0] == "arrived"


def test_work_is_done_only_when_every_line_is():
    clock = tl.VisitClock(
        1,
        stage="IN_REPAIR",
        at={"arrived": at(0), "started": at(10)},
        lines=(tl.LineClock(1, "a", at(10), at(20), 1000), tl.LineClock(2, "b", at(20), None, 500)),
    )
    assert "work_done" not in dict(clock.milestones())
    run = tl.running(clock, STDS)
    assert run.key == "work_done" and run.start == at(10) and run.standard_seconds == 5400
    assert not run.over(at(100)) and run.over(at(101))


@pytest.mark.parametrize(
    "stage,times,waits,over_at",
    [
        ("RECEPTION", {"arrived": 0}, "greeted", 1.05),
        ("RECEPTION", {"arrived": 0, "greeted": 0.5}, "written_up", 20.6),
        ("ESTIMATE", {"arrived": 0, "greeted": 0.5, "written_up": 15}, "presented", 30.1),
        ("ESTIMATE", {"arrived": 0, "greeted": 0.5, "written_up": 15, "presented": 25, "signed": 30}, "started", 45.1),
        ("QC", {"arrived": 0, "started": 10, "qc_passed": 60}, "washed", 90.1),
        ("READY", {"arrived": 0, "ready": 60}, "told", 70.1),
    ],
)
def test_the_running_interval_of_each_stage(stage, times, waits, over_at):
    clock = tl.VisitClock(1, stage=stage, at={k: at(v) for k, v in times.items()})
    run = tl.running(clock, STDS)
    assert run.key == waits and run.end is None
    assert tl.over_standard(clock, STDS, at(over_at - 0.1)) is None
    assert tl.over_standard(clock, STDS, at(over_at)) is not None


def test_nothing_runs_for_a_booked_or_delivered_visit():
    assert tl.running(tl.VisitClock(1, stage="BOOKED", at={"booked": at(0)}), STDS) is None
    assert tl.running(tl.VisitClock(1, stage="DELIVERED", at={"delivered": at(0)}), STDS) is None
    told = tl.VisitClock(1, stage="READY", at={"ready": at(0), "told": at(1)})
    assert tl.running(told, STDS).standard_seconds is None  # the customer comes when they come
    assert tl.over_standard(told, STDS, at(600)) is None


def test_percentiles_by_nearest_rank():
    assert tl.percentile([], 50) is None
    assert tl.percentile([4, 1, 3, 2], 50) == 2
    assert tl.percentile(range(1, 11), 90) == 9
    assert tl.percentile([5], 90) == 5


def test_the_dashboard_measures_median_and_p90_per_advisor_with_the_visits_behind():
    clocks = {}
    for i, greet in enumerate([0.5, 0.75, 2.0, 0.25], start=1):
        clocks[i] = tl.VisitClock(
            i,
            f"RO{i}",
            advisor_id=1 if i < 4 else 2,
            stage="RECEPTION",
            at={"arrived": at(i * 10), "greeted": at(i * 10 + greet)},
        )
    scope = kpi.Scope(T0, T0 + timedelta(days=1), at(600))
    med = tl.interval_measure(clocks, scope, "greeted", 50, STDS)
    assert med.value == Decimal("0.5") and med.den == 4
    assert med.visits == (1, 2, 3, 4) and med.hits == (1, 2, 4)  # RO3 waited 2 min
    assert med.notes[3] == "0:02"
    p90 = tl.interval_measure(clocks, scope, "greeted", 90, STDS)
    assert p90.value == Decimal("2.0")
    mine = tl.interval_measure(
        clocks, kpi.Scope(T0, T0 + timedelta(days=1), at(600), advisor_id=2), "greeted", 50, STDS
    )
    assert mine.visits == (4,) and mine.value == Decimal("0.3")
    outside = tl.interval_measure(clocks, kpi.Scope(at(600), at(700), at(700)), "greeted", 50, STDS)
    assert outside.value is None and outside.den == 0


def test_every_measured_interval_has_a_median_and_a_p90_row():
    fns = tl.measure_fns({}, STDS)
    keys = [f(kpi.Scope(T0, at(60), at(60))).key for f in fns]
    assert keys[:2] == ["interval.greeted.p50", "interval.greeted.p90"]
    assert len(keys) == 2 * len(tl.MEASURED)
