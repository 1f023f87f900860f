"""KPI measures on small hand-made records; every expected figure is worked out
by hand in the test."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from desk.domain import kpi
from desk.domain import schedule as sched
from desk.domain.kpi import AddedLineRec, CallRec, ComplaintRec, KpiData, MarkRec, Scope, VisitRec

T0 = datetime(2026, 11, 2, 8, 0)  # a Monday
WEEK = Scope(start=T0.replace(hour=0), end=T0.replace(hour=0) + timedelta(days=7), now=T0 + timedelta(days=10))


def at(hours: float = 0, days: int = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def visit(i: int, **kw) -> VisitRec:
    kw.setdefault("advisor_id", 1)
    return VisitRec(id=i, number=f"R{i}", **kw)


def data(*visits: VisitRec, **kw) -> KpiData:
    return KpiData(visits={v.id: v for v in visits}, **kw)


def test_pct_rounds_half_up_to_a_tenth_and_has_no_value_without_a_base():
    assert kpi.pct(2, 3) == Decimal("66.7")  # 66.666…
    assert kpi.pct(1, 8) == Decimal("12.5")
    assert kpi.pct(1, 16) == Decimal("6.3")  # 6.25 half-up
    assert kpi.pct(0, 0) is None


def test_greeting_within_a_minute_counts_arrivals_in_the_range_with_the_visits_behind_it():
    d = data(
        visit(1, arrived_at=at(0), reception_at=at(0) + timedelta(seconds=40)),  # 40 s: yes
        visit(2, arrived_at=at(1), reception_at=at(1) + timedelta(seconds=60)),  # 60 s: yes (within)
        visit(3, arrived_at=at(2), reception_at=at(2) + timedelta(seconds=61)),  # 61 s: no
        visit(4, arrived_at=at(3)),  # not received yet: not counted
        visit(5, arrived_at=at(0, days=-1), reception_at=at(0, days=-1)),  # before the range
        visit(6, arrived_at=at(4), reception_at=at(4) + timedelta(seconds=5), advisor_id=2),  # yes
    )
    m = kpi.greeting(d, WEEK, 60)
    assert (m.num, m.den, m.value) == (3, 4, Decimal("75.0"))
    assert m.visits == (1, 2, 3, 6) and m.hits == (1, 2, 6)
    assert m.notes[3] == "1:01"
    # one advisor
    mine = kpi.greeting(d, Scope(WEEK.start, WEEK.end, WEEK.now, advisor_id=1), 60)
    assert (mine.num, mine.den, mine.value) == (2, 3, Decimal("66.7"))


def test_appointment_share_and_no_show_rate():
    d = data(
        visit(1, arrived_at=at(0), appointment_at=at(0)),
        visit(2, arrived_at=at(1), walk_in=True),
        visit(3, arrived_at=at(2), appointment_at=at(2)),
        visit(4, appointment_at=at(3), stage="NO_SHOW"),
        visit(5, appointment_at=at(4), stage="CANCELLED"),  # not in the no-show base
        visit(6, appointment_at=at(5), stage="BOOKED"),  # still pending: not in it either
    )
    share = kpi.appointment_share(d, WEEK)
    assert (share.num, share.den, share.value) == (2, 3, Decimal("66.7"))  # 1 and 3 of 1, 2, 3
    ns = kpi.no_show(d, WEEK)
    assert (ns.num, ns.den, ns.value) == (1, 3, Decimal("33.3"))  # 4 of 1, 3, 4
    assert ns.hits == (4,)


def test_mot_per_stage_counts_visits_that_left_the_stage_without_a_waiver_and_names_the_most_waived():
    d = data(
        visit(1, arrived_at=at(0), stage="IN_REPAIR"),  # left BOOKED…ESTIMATE
        visit(2, arrived_at=at(1), stage="WALKAROUND"),  # left BOOKED, RECEPTION
        visit(3, arrived_at=at(2), stage="FOLLOWED_UP"),
        visit(4, arrived_at=at(3), stage="CANCELLED"),  # passed nothing
        marks=[
            MarkRec(1, "WLK-03", "WALKAROUND", "waived"),
            MarkRec(1, "WLK-04", "WALKAROUND", "waived"),
            MarkRec(3, "WLK-03", "WALKAROUND", "waived"),
            MarkRec(2, "RCP-04", "RECEPTION", "done"),
            MarkRec(3, "EST-06", "ESTIMATE", "waived"),
        ],
    )
    walk = kpi.mot_stage(d, WEEK, "WALKAROUND")
    assert (walk.num, walk.den) == (0, 2)  # visits 1 and 3 left it, both with a waiver
    assert walk.params == {"stage": "Walkaround"}
    rec = kpi.mot_stage(d, WEEK, "RECEPTION")
    assert (rec.num, rec.den, rec.value) == (3, 3, Decimal("100.0"))
    est = kpi.mot_stage(d, WEEK, "ESTIMATE")
    assert (est.num, est.den, est.value) == (1, 2, Decimal("50.0"))
    assert est.hits == (1,)
    assert kpi.most_waived(d, WEEK) == ["WLK-03", "EST-06", "WLK-04"]  # 2, then ties by id
    total = kpi.waivers(d, WEEK)
    assert (total.value, total.visits) == (Decimal(4), (1, 3))
    assert total.notes[1] == "WLK-03, WLK-04"
    one = kpi.waivers(d, WEEK, "WLK-03", "Protection covers")
    assert (one.value, one.visits, one.params["item"]) == (Decimal(2), (1, 3), "WLK-03 Protection covers")


def test_comebacks_name_the_original_visit_and_its_technician():
    original = visit(10, arrived_at=at(0, days=-20), technician="张强")
    d = data(
        original,
        visit(1, arrived_at=at(0), comeback_of_id=10),
        visit(2, arrived_at=at(1)),
        visit(3, arrived_at=at(2)),
        visit(4, arrived_at=at(3)),
    )
    m = kpi.comebacks(d, WEEK)
    assert (m.num, m.den, m.value) == (1, 4, Decimal("25.0"))
    assert m.notes[1] == "<- R10 张强"
    frft = kpi.first_time_fix(d, WEEK)
    assert (frft.num, frft.den, frft.value) == (3, 4, Decimal("75.0"))
    assert frft.hits == (2, 3, 4)


def test_estimate_accuracy_uses_the_larger_tolerance_both_ways():
    d = data(
        visit(1, delivered_at=at(5), authorised_cents=100_000, final_cents=105_000),  # +5 % = tolerance: ok
        visit(2, delivered_at=at(6), authorised_cents=100_000, final_cents=105_001),  # beyond
        visit(3, delivered_at=at(7), authorised_cents=20_000, final_cents=15_000),  # -50.00 = 5000 abs: ok
        visit(4, delivered_at=at(8), authorised_cents=20_000, final_cents=14_999),  # beyond, below
        visit(5, delivered_at=at(9), authorised_cents=0, final_cents=100),  # nothing authorised: left out
    )
    m = kpi.estimate_accuracy(d, WEEK, tolerance_pct=Decimal(5), tolerance_abs_cents=5000)
    assert (m.num, m.den, m.value) == (2, 4, Decimal("50.0"))
    assert m.hits == (1, 3)
    assert m.notes[2] == "1,050.01 / 1,000.00"


def test_on_time_and_repair_duration_distribution():
    d = data(
        visit(1, repair_started_at=at(0), ready_at=at(1.5), promised_at=at(2)),  # 1.5 h, early
        visit(2, repair_started_at=at(0), ready_at=at(3), promised_at=at(3)),  # 3 h, on the minute
        visit(3, repair_started_at=at(0), ready_at=at(9), promised_at=at(4)),  # 9 h, 5 h late
        visit(4, repair_started_at=at(0), ready_at=at(30)),  # 30 h, no promise
    )
    m = kpi.on_time(d, WEEK)
    assert (m.num, m.den, m.value) == (2, 3, Decimal("66.7"))
    assert m.notes == {1: "-0:30", 2: "0:00", 3: "5:00"}
    bands = [kpi.duration_band(d, WEEK, b) for b in range(5)]
    assert [b.num for b in bands] == [1, 1, 0, 1, 1]  # <2, 2-4, 4-8, 8-24, 24+
    assert bands[0].value == Decimal("25.0")
    median = kpi.duration_median(d, WEEK)
    assert median.value == Decimal("6.0")  # median of 1.5, 3, 9, 30 = (3 + 9) / 2


def test_added_work_must_be_approved_before_it_is_done():
    d = data(
        visit(1),
        visit(2),
        visit(3),
        added=[
            AddedLineRec(1, 11, "approved", approved_at=at(1), done_at=at(2)),  # ok
            AddedLineRec(2, 21, "approved", approved_at=at(1), done_at=at(2)),
            AddedLineRec(2, 22, "approved", approved_at=at(3), done_at=at(2.5)),  # done before approval
            AddedLineRec(3, 31, "pending", approved_at=None, done_at=None),  # not done: not counted
            AddedLineRec(3, 32, "declined", approved_at=None, done_at=None),
        ],
    )
    m = kpi.added_work_approved(d, WEEK)
    assert (m.num, m.den, m.value, m.hits) == (1, 2, Decimal("50.0"), (1,))


def test_followup_within_72_hours_leaves_open_windows_out():
    scope = Scope(WEEK.start, WEEK.end, now=at(0, days=4))
    d = data(
        visit(1, delivered_at=at(0)),  # called after 20 h
        visit(2, delivered_at=at(0)),  # called after 73 h (first call counts)
        visit(3, delivered_at=at(0)),  # window closed, never called
        visit(4, delivered_at=at(0, days=3)),  # window open, not called: not counted
        calls=[
            CallRec(1, at(20), "reached"),
            CallRec(2, at(73), "no_answer"),
            CallRec(2, at(80), "reached"),
        ],
    )
    m = kpi.followup_on_time(d, scope, 72)
    assert (m.num, m.den, m.value, m.hits) == (1, 3, Decimal("33.3"), (1,))
    assert m.notes[2] == "73:00"


def test_a_window_raised_inside_the_period_splits_the_figure_instead_of_judging_the_whole_period_by_it():
    """72 h until Thursday 08:00, 720 h from then: the cars delivered before are
    judged by 72 h, those after by 720 h, in two figures that say their standard
    and their dates; the period is never all 100 % because the window was raised."""
    scope = Scope(WEEK.start, WEEK.end, now=at(0, days=40))
    changed = at(0, days=3)
    d = data(
        visit(1, delivered_at=at(0)),  # called after 20 h: on time under 72 h
        visit(2, delivered_at=at(1)),  # called after 200 h: late under 72 h (it was in force then)
        visit(3, delivered_at=at(0, days=4)),  # called after 200 h: on time under 720 h
        calls=[CallRec(1, at(20), "reached"), CallRec(2, at(201), "reached"), CallRec(3, at(200, days=4), "reached")],
    )
    settings = kpi.Settings(
        followup_window_hours=720, changes=(kpi.StandardChange("followup_window_hours", changed, "72", "720"),)
    )
    rows = [fn(scope) for fn in kpi.measure_fns(d, scope, settings) if fn(scope).key == "followup"]
    assert [(m.standard, m.num, m.den, m.value) for m in rows] == [
        ("72 h", 1, 2, Decimal("50.0")),
        ("720 h", 1, 1, Decimal("100.0")),
    ]
    assert [m.params for m in rows] == [
        {"hours": "72", "period": "2026-11-02 00:00 - 2026-11-05 08:00"},
        {"hours": "720", "period": "2026-11-05 08:00 - 2026-11-09 00:00"},
    ]
    # judged by today's 720 h alone, the whole week would read 100 %: that is what the split prevents
    assert kpi.followup_on_time(d, scope, 720).value == Decimal("100.0")
    # a period the change does not cut: one figure, the standard then in force, no dates
    before = Scope(WEEK.start, changed, now=scope.now)
    (only,) = [fn(before) for fn in kpi.measure_fns(d, before, settings) if fn(before).key == "followup"]
    assert (only.standard, only.params, only.value) == ("72 h", {"hours": "72"}, Decimal("50.0"))


def test_every_judged_figure_states_its_standard():
    d = data(
        visit(1, arrived_at=at(0), reception_at=at(0), delivered_at=at(2), authorised_cents=10000, final_cents=10000)
    )
    rows = {m.key: m for m in (fn(WEEK) for fn in kpi.measure_fns(d, WEEK, kpi.Settings(greet_within_seconds=90)))}
    assert rows["greeting"].standard == "90 s" and rows["greeting"].params == {"seconds": "90"}
    assert rows["followup"].standard == "72 h"
    assert rows["estimate_accuracy"].standard == "5 % / 50.00"


def test_csi_factor_means_and_nps():
    d = data(
        visit(1),
        visit(2),
        visit(3),
        visit(4),
        calls=[
            CallRec(1, at(1), "reached", nps=10, scores=(("advisor", 5), ("quality", 4))),
            CallRec(2, at(2), "reached", nps=9, scores=(("advisor", 4), ("quality", 2))),
            CallRec(3, at(3), "reached", nps=6, scores=(("advisor", 4),)),
            CallRec(4, at(4), "reached", nps=8, scores=(("advisor", 2),)),
            CallRec(4, at(0, days=-2), "reached", nps=0, scores=(("advisor", 1),)),  # before the range
        ],
    )
    adv = kpi.csi(d, WEEK, "advisor")
    assert adv.value == Decimal("3.75")  # (5 + 4 + 4 + 2) / 4
    assert adv.visits == (1, 2, 3, 4)
    assert kpi.csi(d, WEEK, "quality").value == Decimal("3.00")  # (4 + 2) / 2
    assert kpi.csi(d, WEEK, "facility").value is None
    n = kpi.nps(d, WEEK)
    # promoters 10, 9 (2 of 4); detractor 6 (1 of 4); 8 passive: 50 % - 25 % = 25
    assert (n.value, n.num, n.den, n.hits) == (Decimal("25.0"), 1, 4, (1, 2))


def test_complaints_opened_resolved_within_24_hours_and_repeats():
    scope = Scope(WEEK.start, WEEK.end, now=at(0, days=3))
    d = data(
        visit(1),
        visit(2),
        visit(3),
        complaints=[
            ComplaintRec(1, 1, customer_id=100, opened_at=at(0), closed_at=at(20)),  # within 24 h
            ComplaintRec(2, 2, customer_id=200, opened_at=at(1), closed_at=at(30)),  # 29 h
            ComplaintRec(3, 3, customer_id=300, opened_at=at(2)),  # open, older than 24 h now
            ComplaintRec(4, None, customer_id=100, opened_at=at(12, days=2)),  # repeat; open for 20 h only
            ComplaintRec(5, 3, customer_id=300, opened_at=at(0, days=-30), closed_at=at(0, days=-29)),  # earlier
        ],
    )
    opened = kpi.complaints_opened(d, scope)
    assert opened.value == Decimal(4)
    assert opened.visits == (1, 2, 3)  # complaint 4 has no visit to open
    in24 = kpi.complaints_24h(d, scope)
    assert (in24.num, in24.den, in24.value) == (1, 3, Decimal("33.3"))  # 1 of 1, 2, 3 (4 is not 24 h old)
    rep = kpi.repeat_complaints(d, scope)
    assert rep.value == Decimal(2)  # 3 (customer 300 complained 30 days before) and 4 (customer 100 again)
    assert rep.visits == (3,)


def test_buckets_are_hours_days_or_months():
    day = kpi.buckets(datetime(2026, 11, 2), datetime(2026, 11, 3))
    assert len(day) == 24 and day[1] == (datetime(2026, 11, 2, 1), datetime(2026, 11, 2, 2))
    month = kpi.buckets(datetime(2026, 11, 1), datetime(2026, 12, 1))
    assert len(month) == 30
    year = kpi.buckets(datetime(2026, 1, 1), datetime(2027, 1, 1))
    assert len(year) == 12 and year[1] == (datetime(2026, 2, 1), datetime(2026, 3, 1))
    weeks = kpi.buckets(datetime(2026, 11, 1), datetime(2027, 1, 1))  # 61 days: 9 weekly steps
    assert len(weeks) == 9 and weeks[-1] == (datetime(2026, 12, 27), datetime(2027, 1, 1))
    five = kpi.buckets(datetime(2022, 1, 1), datetime(2027, 1, 1))  # 60 months: two per step
    assert len(five) == 30 and five[0] == (datetime(2022, 1, 1), datetime(2022, 3, 1))
    odd = kpi.buckets(datetime(2026, 1, 15), datetime(2026, 12, 10))  # a typed range: first step to 1 Feb
    assert odd[0] == (datetime(2026, 1, 15), datetime(2026, 2, 1)) and odd[-1][1] == datetime(2026, 12, 10)
    assert (
        max(len(kpi.buckets(datetime(2026, 1, 1), datetime(2026, 1, 1) + timedelta(days=n))) for n in range(1, 5 * 366))
        <= kpi.MAX_STEPS
    )


def test_sparkline_scales_per_unit_and_leaves_empty_steps_blank():
    assert kpi.spark([Decimal(0), Decimal(50), Decimal(100), None], kpi.PCT) == "▁▅█ "  # 50 % -> 3.5 -> 4
    assert kpi.spark([Decimal(1), Decimal(5)], kpi.SCORE) == "▁█"
    assert kpi.spark([Decimal(2), Decimal(4), Decimal(0)], kpi.COUNT) == "▅█▁"  # 2/4 of 7 = 3.5 -> 4
    assert kpi.spark([Decimal(0), Decimal(0)], kpi.COUNT) == "▁▁"


def test_report_trend_splits_the_range_into_days_and_matches_the_total():
    d = data(
        visit(1, arrived_at=at(0), reception_at=at(0)),  # Monday: greeted
        visit(2, arrived_at=at(0, days=2), reception_at=at(0, days=2) + timedelta(minutes=5)),  # Wednesday: late
        visit(3, arrived_at=at(1, days=2), reception_at=at(1, days=2)),  # Wednesday: greeted
    )
    rows = kpi.report(d, WEEK)
    g = next(r for r in rows if r.measure.key == "greeting")
    assert g.measure.value == Decimal("66.7")
    assert g.trend == (Decimal("100.0"), None, Decimal("50.0"), None, None, None, None)
    assert g.shop is None


@pytest.mark.parametrize(
    "value, unit, text",
    [
        (Decimal("87.5"), kpi.PCT, "87.5%"),
        (Decimal("25.0"), kpi.NPS, "+25.0"),
        (Decimal(3), kpi.COUNT, "3"),
        (Decimal("4.25"), kpi.SCORE, "4.25"),
        (None, kpi.PCT, "-"),
    ],
)
def test_format_value(value, unit, text):
    assert kpi.format_value(kpi.Measure("k", "l", unit, value, 0, 0)) == text


def test_periods_and_their_neighbours():
    from datetime import date

    day = date(2026, 11, 25)  # a Wednesday
    assert kpi.period(kpi.DAY, day) == (day, day)
    assert kpi.period(kpi.WEEK, day) == (date(2026, 11, 23), date(2026, 11, 29))
    assert kpi.period(kpi.MONTH, day) == (date(2026, 11, 1), date(2026, 11, 30))
    assert kpi.period(kpi.YEAR, day) == (date(2026, 1, 1), date(2026, 12, 31))
    assert kpi.shift(kpi.MONTH, date(2026, 1, 1), date(2026, 1, 31), -1) == (date(2025, 12, 1), date(2025, 12, 31))
    assert kpi.shift(kpi.MONTH, date(2026, 12, 1), date(2026, 12, 31), 1) == (date(2027, 1, 1), date(2027, 1, 31))
    assert kpi.shift(kpi.MONTH, date(2026, 2, 1), date(2026, 2, 28), 1) == (date(2026, 3, 1), date(2026, 3, 31))
    assert kpi.shift(kpi.WEEK, date(2026, 11, 23), date(2026, 11, 29), -1) == (date(2026, 11, 16), date(2026, 11, 22))
    assert kpi.shift(kpi.CUSTOM, date(2026, 11, 1), date(2026, 11, 10), 1) == (date(2026, 11, 11), date(2026, 11, 20))


def test_a_typed_range_must_run_forwards_and_stay_within_five_years():
    from datetime import date

    from desk.domain.errors import InvalidInput

    kpi.check_range(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(InvalidInput) as exc:
        kpi.check_range(date(2026, 2, 1), date(2026, 1, 31))
    assert exc.value.reason == "The range ends before it starts"
    with pytest.raises(InvalidInput):
        kpi.check_range(date(2020, 1, 1), date(2026, 1, 31))


def test_recommended_items_done_count_what_was_skipped_per_visit():
    """Reception's recommended items (drink, campaign): visit 1 did both, visit 2
    only the drink, visit 3 marked the campaign n.a. (not due) and skipped the
    drink; visit 4 is still in reception (not counted)."""
    items = ("RCP-03", "RCP-05")
    d = data(
        visit(1, arrived_at=at(0), stage="WALKAROUND"),
        visit(2, arrived_at=at(1), stage="ESTIMATE"),
        visit(3, arrived_at=at(2), stage="DELIVERED"),
        visit(4, arrived_at=at(3), stage="RECEPTION"),
        marks=[
            MarkRec(1, "RCP-03", "RECEPTION", "done"),
            MarkRec(1, "RCP-05", "RECEPTION", "done"),
            MarkRec(2, "RCP-03", "RECEPTION", "done"),
            MarkRec(3, "RCP-05", "RECEPTION", "na"),
        ],
    )
    m = kpi.recommended_done(d, WEEK, "RECEPTION", items)
    assert (m.num, m.den, m.value) == (3, 5, Decimal("60.0"))
    assert m.visits == (1, 2, 3) and m.hits == (1,)
    assert m.notes == {2: "RCP-05", 3: "RCP-03"}
    # it is on the dashboard only for the stages given
    keys = [fn(WEEK).key for fn in kpi.measure_fns(d, WEEK, recommended={"RECEPTION": items})]
    assert "recommended.RECEPTION" in keys and not any(k == "recommended.QC" for k in keys)


def test_followup_reach_reached_unreached_and_wrong_number():
    d = data(
        visit(1, delivered_at=at(0)),
        visit(2, delivered_at=at(0)),
        visit(3, delivered_at=at(0)),
        visit(4, delivered_at=at(0)),  # never tried: not in the base
        calls=[
            CallRec(1, at(20), "no_answer"),
            CallRec(1, at(30), "reached"),
            CallRec(2, at(20), "no_answer"),
            CallRec(3, at(20), "wrong_number"),
        ],
    )
    got = {o: kpi.followup_reach(d, WEEK, o) for o in ("reached", "unreached", "wrong_number")}
    assert {o: (m.num, m.den) for o, m in got.items()} == {
        "reached": (1, 3),
        "unreached": (1, 3),
        "wrong_number": (1, 3),
    }
    assert got["reached"].hits == (1,) and got["unreached"].hits == (2,) and got["wrong_number"].hits == (3,)


def test_overall_csi_is_the_mean_of_the_factor_means_and_top_two_box():
    d = data(
        visit(1),
        visit(2),
        calls=[
            CallRec(1, at(1), "reached", scores=(("advisor", 5), ("quality", 3))),
            CallRec(2, at(2), "reached", scores=(("advisor", 4),)),
        ],
    )
    overall = kpi.csi_overall(d, WEEK)
    assert overall.value == Decimal("3.75")  # advisor 4.5, quality 3 -> 3.75
    top2 = kpi.satisfied(d, WEEK)
    assert (top2.num, top2.den, top2.value, top2.hits) == (2, 3, Decimal("66.7"), (2,))


def test_complaints_open_overdue_time_to_close_and_per_100_visits():
    d = data(
        visit(1, arrived_at=at(0)),
        visit(2, arrived_at=at(1)),
        visit(3, arrived_at=at(2)),
        visit(4, arrived_at=at(3)),
        complaints=[
            ComplaintRec(1, 1, 10, at(0), at(6)),
            ComplaintRec(2, 2, 11, at(1)),
            ComplaintRec(3, 3, 12, at(0, days=6)),
        ],
    )
    scope = Scope(WEEK.start, WEEK.end, now=at(12, days=6))
    still = kpi.complaints_open(d, scope)
    assert (still.value, still.den, still.num) == (Decimal(2), 2, 1)  # 2 open, 1 of them over 24 h
    assert still.hits == (2,)
    assert kpi.complaints_close_hours(d, scope).value == Decimal("6.0")
    assert kpi.complaints_per_100(d, scope).value == Decimal("75.0")  # 3 complaints, 4 visits


def test_returning_customers_share():
    d = data(visit(1, arrived_at=at(0), returning=True), visit(2, arrived_at=at(1)), visit(3, arrived_at=at(2)))
    m = kpi.returning_share(d, WEEK)
    assert (m.num, m.den, m.hits) == (1, 3, (1,))


def test_same_advisor_counts_cars_told_by_the_advisor_who_received_them():
    d = data(
        visit(1, delivered_at=at(1), advisor_id=1, notified_by=1),
        visit(2, delivered_at=at(2), advisor_id=1, notified_by=2),  # another advisor told the customer
        visit(3, delivered_at=at(3), advisor_id=2),  # nobody told yet: not counted
    )
    m = kpi.same_advisor(d, WEEK)
    assert (m.num, m.den, m.hits) == (1, 2, (1,))
    mine = kpi.same_advisor(d, Scope(WEEK.start, WEEK.end, WEEK.now, advisor_id=1))
    assert (mine.num, mine.den) == (1, 2)


def test_reminders_made_on_time_count_each_reminder_by_its_deadline():
    from desk.domain.kpi import ReminderRec

    scope = Scope(WEEK.start, WEEK.end, now=at(0, days=6))
    d = data(
        visit(1, appointment_at=at(10, days=1), arrived_at=at(10, days=1)),  # both made in time
        visit(2, appointment_at=at(10, days=2), arrived_at=at(10, days=2)),  # day one made after the hour's time
        visit(3, appointment_at=at(10, days=3), stage="NO_SHOW"),  # none made
        visit(4, appointment_at=at(10, days=4), arrived_at=at(10, days=4)),  # booked 5 h ahead: hour only
        visit(5, appointment_at=at(10, days=4), stage="CANCELLED"),  # cancelled: no call needed
        visit(6, appointment_at=at(10, days=9)),  # outside the range
        reminders=[
            ReminderRec(1, "day", at(11)),
            ReminderRec(1, "hour", at(9, days=1)),
            ReminderRec(2, "day", at(9, days=2) + timedelta(minutes=30)),
            ReminderRec(2, "hour", at(9.5, days=2)),
            ReminderRec(3, "day"),
            ReminderRec(3, "hour"),
            ReminderRec(4, "hour", at(9, days=4)),
            ReminderRec(5, "day"),
            ReminderRec(5, "hour"),
        ],
    )
    m = kpi.reminders_on_time(d, scope)
    assert (m.num, m.den, m.value) == (4, 7, Decimal("57.1"))
    assert m.visits == (1, 2, 3, 4) and m.hits == (1, 4)
    assert m.notes[3] == "day:- hour:-" and m.standard == "1 d / 1 h"
    # a reminder whose deadline is still ahead and not made yet is not counted yet
    early = Scope(WEEK.start, WEEK.end, now=at(8, days=3))
    assert kpi.reminders_on_time(d, early).visits == (1, 2, 4)


def test_reminder_offsets_are_a_standard_the_figure_states_and_splits_at_its_change():
    """The first reminder moved from 1 day to 2 days before on Thursday: the
    appointments before are judged by 1 d / 1 h, those after by 2 d / 1 h, each
    stretch with its standard and its dates; the deadline moves with the offsets."""
    from desk.domain.kpi import ReminderRec

    scope = Scope(WEEK.start, WEEK.end, now=at(0, days=8))
    d = data(
        visit(1, appointment_at=at(10, days=1), arrived_at=at(10, days=1)),
        visit(2, appointment_at=at(10, days=5), arrived_at=at(10, days=5)),
        reminders=[
            ReminderRec(1, "day", at(11)),  # 23 h before: under 1 d, on time (before the hour's)
            ReminderRec(1, "hour", at(9, days=1)),
            ReminderRec(2, "day", at(4, days=4)),  # 30 h before
            ReminderRec(2, "hour", at(9.5, days=5)),  # 30 min before: on time for either
        ],
    )
    settings = kpi.Settings(
        reminder_day_hours=48, changes=(kpi.StandardChange("reminder_day_hours", at(0, days=3), "24", "48"),)
    )
    rows = [fn(scope) for fn in kpi.measure_fns(d, scope, settings) if fn(scope).key == "reminders"]
    assert [(r.standard, r.num, r.den, r.visits) for r in rows] == [
        ("1 d / 1 h", 2, 2, (1,)),
        ("2 d / 1 h", 2, 2, (2,)),
    ]
    assert [r.params["hours"] for r in rows] == ["24", "48"] and all(r.params["period"] for r in rows)
    # 3 h / 2 h before: the first reminder made 1.5 h before is late (its deadline is the
    # second's time), though under 1 d / 1 h it would have been on time
    late = data(
        visit(1, appointment_at=at(10, days=1), arrived_at=at(10, days=1)),
        reminders=[ReminderRec(1, "day", at(8.5, days=1)), ReminderRec(1, "hour", at(9, days=1))],
    )
    m = kpi.reminders_on_time(late, scope, sched.reminder_offsets(3, 120))
    assert (m.num, m.den, m.standard, m.params) == (1, 2, "3 h / 2 h", {"hours": "3", "minutes": "120"})
    assert kpi.reminders_on_time(late, scope).num == 2


def test_the_greeting_seconds_and_the_amount_tolerance_split_their_figures_at_a_change():
    """Greeting 60 s, then 120 s from Thursday; tolerance 5 % / 50.00, then 20 % /
    50.00: a visit greeted in 90 s and a bill 10 % over are judged by the
    standard of their own stretch, never by today's alone."""
    d = data(
        visit(1, arrived_at=at(0), reception_at=at(0) + timedelta(seconds=90), delivered_at=at(5)),
        visit(
            2, arrived_at=at(0, days=4), reception_at=at(0, days=4) + timedelta(seconds=90), delivered_at=at(5, days=4)
        ),
    )
    d = replace(
        d,
        visits={i: replace(v, authorised_cents=100000, final_cents=110000) for i, v in d.visits.items()},
    )
    changed = at(0, days=3)
    settings = kpi.Settings(
        greet_within_seconds=120,
        tolerance_pct=Decimal(20),
        changes=(
            kpi.StandardChange("greet_within_seconds", changed, "60", "120"),
            kpi.StandardChange("tolerance_pct", changed, "5", "20"),
        ),
    )
    rows = [fn(WEEK) for fn in kpi.measure_fns(d, WEEK, settings)]
    assert [(m.standard, m.num, m.den) for m in rows if m.key == "greeting"] == [("60 s", 0, 1), ("120 s", 1, 1)]
    assert [(m.standard, m.num, m.den) for m in rows if m.key == "estimate_accuracy"] == [
        ("5 % / 50.00", 0, 1),
        ("20 % / 50.00", 1, 1),
    ]
    assert all(m.params["period"] for m in rows if m.key in ("greeting", "estimate_accuracy"))


def test_the_opening_checklist_counts_the_open_days_on_which_every_facility_item_was_ticked():
    day = WEEK.start.date()
    ticked = {day: 6, day + timedelta(days=1): 4, day + timedelta(days=8): 6}  # the last one outside the week
    opened = {day, day + timedelta(days=1), day + timedelta(days=2)}  # a car arrived; nothing ticked on the 3rd
    m = kpi.opening_checklist(ticked, opened, WEEK, 6)
    assert (m.key, m.num, m.den, m.value, m.standard) == ("opening", 1, 3, Decimal("33.3"), "6/6")
    assert m.days == (
        (day, True, "6/6"),
        (day + timedelta(days=1), False, "4/6"),
        (day + timedelta(days=2), False, "0/6"),
    )
    # a day still to come is not counted; a range without an open day has no figure
    early = Scope(WEEK.start, WEEK.end, now=WEEK.start + timedelta(hours=12))
    assert kpi.opening_checklist(ticked, opened, early, 6).den == 1
    assert kpi.opening_checklist({}, set(), WEEK, 6).value is None


def test_the_comeback_window_and_the_integrity_minimums_are_stated_with_their_figures():
    d = data(visit(1, arrived_at=at(0)), visit(2, arrived_at=at(0, days=4), comeback_of_id=1))
    settings = kpi.Settings(
        comeback_window_days=14, changes=(kpi.StandardChange("comeback_window_days", at(0, days=3), "30", "14"),)
    )
    rows = [fn(WEEK) for fn in kpi.measure_fns(d, WEEK, settings)]
    assert [(m.key, m.standard, m.num, m.den) for m in rows if m.key in ("comeback", "frft")] == [
        ("frft", "30 d", 1, 1),
        ("frft", "14 d", 0, 1),
        ("comeback", "30 d", 0, 1),
        ("comeback", "14 d", 1, 1),
    ]
    from desk.domain import integrity

    m = integrity.integrity({}, {}, [], WEEK, integrity.Thresholds(90, 30), period="x")
    assert m.standard == "90 s / 30 s" and m.params == {"walkaround": "90", "qc": "30", "period": "x"}


def test_late_calls_within_the_minutes_split_when_the_standard_changes_in_the_period():
    from desk.domain.kpi import ReminderRec

    scope = Scope(WEEK.start, WEEK.end, now=at(0, days=6))
    d = data(
        visit(1, appointment_at=at(10, days=0), arrived_at=at(11, days=0)),  # called after 10 min
        visit(2, appointment_at=at(10, days=1), stage="NO_SHOW"),  # called after 25 min
        visit(3, appointment_at=at(10, days=2), arrived_at=at(10.1, days=2)),  # came at +6 min, no call: not due
        visit(4, appointment_at=at(10, days=4), stage="NO_SHOW"),  # never called
        visit(5, appointment_at=at(10, days=4), stage="NO_SHOW"),  # called after 25 min: in time under 30
        reminders=[
            ReminderRec(1, "late", at(10, days=0) + timedelta(minutes=10)),
            ReminderRec(2, "late", at(10, days=1) + timedelta(minutes=25)),
            ReminderRec(4, "late"),
            ReminderRec(5, "late", at(10, days=4) + timedelta(minutes=25)),
        ],
    )
    m = kpi.late_calls_on_time(d, scope, 15)
    assert (m.num, m.den, m.visits, m.hits) == (1, 4, (1, 2, 4, 5), (1,))
    assert m.notes[2] == "+25:00" and m.notes[4] == "-" and m.standard == "15 min"
    settings = kpi.Settings(
        late_after_minutes=30, changes=(kpi.StandardChange("late_after_minutes", at(0, days=3), "15", "30"),)
    )
    rows = [fn(scope) for fn in kpi.measure_fns(d, scope, settings) if fn(scope).key == "late_calls"]
    assert [(r.standard, r.num, r.den) for r in rows] == [("15 min", 1, 2), ("30 min", 1, 2)]
    assert all(r.params["period"] for r in rows)


def test_recommended_items_per_item_and_per_advisor_with_the_visits_that_skipped_them():
    """The drink (RCP-03) and the campaign (RCP-05) at reception, the wash (QC-05)
    at QC. Advisor 1 has visits 1 and 2, advisor 2 visit 3."""
    rec = {"RECEPTION": ("RCP-03", "RCP-05"), "QC": ("QC-05",)}
    d = data(
        visit(1, arrived_at=at(0), stage="DELIVERED", advisor="Wang"),
        visit(2, arrived_at=at(1), stage="ESTIMATE", advisor="Wang"),  # has not reached QC
        visit(3, arrived_at=at(2), stage="READY", advisor_id=2, advisor="Li"),
        marks=[
            MarkRec(1, "RCP-03", "RECEPTION", "done"),
            MarkRec(1, "RCP-05", "RECEPTION", "done"),
            MarkRec(1, "QC-05", "QC", "na"),
            MarkRec(2, "RCP-03", "RECEPTION", "done"),
            MarkRec(3, "QC-05", "QC", "done"),
        ],
    )
    drink = kpi.recommended_item(d, WEEK, "RECEPTION", "RCP-03", "Offer a drink")
    assert (drink.num, drink.den, drink.visits, drink.hits) == (2, 3, (1, 2, 3), (1, 2))
    assert drink.params == {"item": "RCP-03 Offer a drink"} and drink.notes == {3: "RCP-03"}
    wash = kpi.recommended_item(d, WEEK, "QC", "QC-05")
    assert (wash.num, wash.den, wash.visits, wash.hits) == (1, 1, (3,), (3,))  # n.a. on visit 1: not due
    assert kpi.recommended_advisors(d, WEEK) == [(2, "Li"), (1, "Wang")]
    wang = kpi.recommended_by_advisor(d, WEEK, 1, "Wang", rec)
    assert (wang.num, wang.den, wang.visits, wang.hits) == (3, 4, (1, 2), (1,))
    assert wang.notes == {2: "RCP-05"}
    li = kpi.recommended_by_advisor(d, WEEK, 2, "Li", rec)
    assert (li.num, li.den, li.notes) == (1, 3, {3: "RCP-03 RCP-05"})
    keys = [fn(WEEK).key for fn in kpi.measure_fns(d, WEEK, recommended=rec)]
    assert {
        "recommended.item.RCP-03",
        "recommended.item.QC-05",
        "recommended.advisor.1",
        "recommended.advisor.2",
    } <= set(keys)
    hidden = kpi.hidden_item("RCP-03", "Offer a drink", at(0), "Zhou")
    assert hidden.value is None and hidden.params == {
        "item": "RCP-03 Offer a drink",
        "since": "2026-11-02",
        "by": "Zhou",
    }


def test_complaints_overdue_and_by_severity():
    d = data(
        visit(1, arrived_at=at(0)),
        visit(2, arrived_at=at(1)),
        visit(3, arrived_at=at(2)),
        complaints=[
            ComplaintRec(1, 1, 10, at(0), at(6), "major"),  # closed in 6 h
            ComplaintRec(2, 2, 11, at(1), None, "ordinary"),  # open 5 days: overdue
            ComplaintRec(3, 3, 12, at(0, days=6), None, "major"),
        ],  # open 12 h: not yet
    )
    scope = Scope(WEEK.start, WEEK.end, now=at(12, days=6))
    late = kpi.complaints_overdue(d, scope)
    assert (late.value, late.visits, late.standard) == (Decimal(1), (2,), "24 h")
    assert late.notes == {2: "ordinary 155:00"}
    major = kpi.complaints_by_severity(d, scope, "major")
    assert (major.value, major.den, major.visits, major.notes) == (Decimal(2), 3, (1, 3), {1: "closed", 3: "open"})
    assert kpi.complaints_by_severity(d, scope, "ordinary").value == Decimal(1)
    # looked at later, the range is judged at its end: the major one was 16 h old then
    assert kpi.complaints_overdue(d, replace(scope, now=at(12, days=7))).value == Decimal(1)
