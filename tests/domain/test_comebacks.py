"""Comebacks closed at the root: the cause, who it counts against, QC-09, and
fix right first time per technician and per cause."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from desk.domain import comebacks as cb
from desk.domain import kpi
from desk.domain.errors import InvalidInput

T0 = datetime(2026, 11, 2, 9, 0)


def test_a_cause_is_one_of_five_and_its_note_is_kept_to_the_spec():
    assert [c.value for c in cb.Cause] == ["diagnosis", "workmanship", "part", "customer_use", "other"]
    assert cb.CauseDraft.of("part", "  Pad  batch faulty ").note == "Pad batch faulty"
    with pytest.raises(InvalidInput):
        cb.CauseDraft.of("weather")
    with pytest.raises(InvalidInput):
        cb.CauseDraft.of("part", "x" * 501)


def test_a_cause_is_recorded_on_a_comeback_at_its_qc_only():
    cb.check_record("QC", 7)
    with pytest.raises(InvalidInput, match="not a comeback"):
        cb.check_record("QC", None)
    with pytest.raises(InvalidInput, match="at its QC"):
        cb.check_record("READY", 7)


def test_qc07_holds_for_a_visit_that_is_no_comeback_or_has_its_cause():
    assert cb.cause_recorded(None, "")
    assert not cb.cause_recorded(7, "")
    assert cb.cause_recorded(7, "diagnosis")


def test_a_comeback_counts_against_the_technician_its_cause_names_else_the_originals():
    assert cb.responsible(5, None, None, None) == 5  # an ordinary visit: its own technician
    assert cb.responsible(5, 1, 9, 3) == 9  # recorded at QC
    assert cb.responsible(5, 1, None, 3) == 3  # not recorded yet: the original visit's


def data() -> kpi.KpiData:
    v = [
        kpi.VisitRec(1, "RO1", technician_id=10, technician="张强", arrived_at=T0 - timedelta(days=20)),
        kpi.VisitRec(2, "RO2", technician_id=11, technician="Mike", arrived_at=T0 - timedelta(days=20)),
        kpi.VisitRec(3, "RO3", technician_id=10, technician="张强", arrived_at=T0),
        kpi.VisitRec(
            4,
            "RO4",
            technician_id=11,
            technician="Mike",
            arrived_at=T0 + timedelta(hours=1),
            comeback_of_id=1,
            comeback_cause="workmanship",
            comeback_technician_id=10,
        ),
        kpi.VisitRec(
            5, "RO5", technician_id=10, technician="张强", arrived_at=T0 + timedelta(hours=2), comeback_of_id=2
        ),  # not recorded yet: against Mike, RO2's technician
        kpi.VisitRec(6, "RO6", technician_id=11, technician="Mike", arrived_at=T0 + timedelta(hours=3)),
    ]
    return kpi.KpiData(visits={x.id: x for x in v})


SCOPE = kpi.Scope(T0, T0 + timedelta(days=1), T0 + timedelta(days=2))


def test_fix_right_first_time_per_technician_counts_the_comeback_against_the_original_technician():
    d = data()
    assert kpi.technicians(d, SCOPE) == [(11, "Mike"), (10, "张强")]
    zhang = kpi.first_time_fix_by_technician(d, SCOPE, 10, "张强")
    assert (zhang.num, zhang.den, zhang.visits, zhang.hits) == (1, 2, (3, 4), (3,))
    assert zhang.notes == {4: "<- RO1 张强"} and zhang.params == {"technician": "张强"}
    mike = kpi.first_time_fix_by_technician(d, SCOPE, 11, "Mike")
    assert (mike.num, mike.den, mike.visits, mike.value) == (1, 2, (5, 6), Decimal("50.0"))


def test_comebacks_by_cause_name_the_original_and_its_technician():
    d = data()
    assert kpi.comeback_causes(d, SCOPE) == ["workmanship", ""]
    work = kpi.comebacks_by_cause(d, SCOPE, "workmanship")
    assert (work.key, work.num, work.den, work.hits) == ("comeback.cause.workmanship", 1, 2, (4,))
    assert work.params == {"cause": "workmanship"} and work.notes[4] == "<- RO1 张强"
    unknown = kpi.comebacks_by_cause(d, SCOPE, "")
    assert (unknown.key, unknown.hits, unknown.params) == ("comeback.cause.none", (5,), {"cause": "cause not recorded"})
    assert unknown.notes[5] == "<- RO2 Mike"


def test_the_report_carries_each_technician_and_each_cause():
    keys = [r.measure.key for r in kpi.report(data(), SCOPE, with_trend=False)]
    at = keys.index("frft")
    assert keys[at : at + 6] == [
        "frft",
        "frft.tech.11",
        "frft.tech.10",
        "comeback",
        "comeback.cause.workmanship",
        "comeback.cause.none",
    ]
    assert "declined_done" in keys


def test_declined_work_later_done_counts_lines_of_the_visits_delivered_in_the_range():
    d = kpi.KpiData(visits={1: kpi.VisitRec(1, "RO1"), 2: kpi.VisitRec(2, "RO2")})
    from desk.domain.carryover import DeclinedRec

    d.declined = [
        DeclinedRec(1, 100, T0, T0 + timedelta(days=30), 9, "RO9"),
        DeclinedRec(1, 101, T0),
        DeclinedRec(2, 102, T0 - timedelta(days=1), T0),
    ]
    m = kpi.declined_done(d, SCOPE)
    assert (m.num, m.den, m.visits, m.hits, m.value) == (1, 2, (1,), (1,), Decimal("50.0"))
    assert m.notes == {1: "-> RO9"}
