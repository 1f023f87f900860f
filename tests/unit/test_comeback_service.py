"""Comebacks closed at the root: QC records the cause, put down to the original
technician; QC-09 holds the comeback until it does; the dashboard shows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.domain.entities import VisitRef
from desk.domain.errors import GuardFailed, InvalidInput, NotAllowed, StaleEdit
from desk.services.reports import day_range
from tests import flow


def comeback_at_qc(shop, clock) -> tuple[int, int]:
    """A brake job delivered, then the same complaint ten days later, now at QC."""
    first = flow.book(shop, clock)
    flow.to_stage(shop, clock, first, "DELIVERED")
    clock.advance(days=10)
    again = flow.book(shop, clock, concerns=(("Brakes squeak again when braking", ("brake", "noise")),))
    assert shop.desk.lifecycle.visit_view(again).comeback_proposal.original_id == first  # proposed
    shop.desk.comebacks.decide(shop.sa, shop.desk.lifecycle.ref(again), confirm=True)
    assert shop.desk.lifecycle.visit_view(again).visit.comeback_of_id == first
    flow.to_stage(shop, clock, again, "QC")
    return first, again


def test_qc_records_the_cause_against_the_original_technician_and_qc07_holds_until_then(shop, clock):
    d = shop.desk
    first, again = comeback_at_qc(shop, clock)
    orig = d.comebacks.original(again)
    assert (orig.visit_id, orig.technician, orig.cause) == (first, "张强", "")
    d.checklist.mark_item(shop.tech, d.lifecycle.ref(again), "QC-01", "done")
    flow.tick_open(d, shop.qc, again)
    with pytest.raises(GuardFailed) as refused:
        d.lifecycle.advance(shop.qc, d.lifecycle.ref(again))
    assert [s.item.id for s in refused.value.items] == ["QC-09"]
    with pytest.raises(NotAllowed):
        d.comebacks.record_cause(shop.sa, d.lifecycle.ref(again), d.comebacks.draft("part"))
    saved = d.comebacks.record_cause(shop.qc, d.lifecycle.ref(again), d.comebacks.draft("workmanship", "Pads glazed"))
    visit = d.lifecycle.visit_view(again).visit
    assert (visit.comeback_cause, visit.comeback_cause_note, visit.comeback_technician_id) == (
        "workmanship",
        "Pads glazed",
        shop.tech.id,
    )
    assert saved.ref.version == visit.version
    event = d.lifecycle.history(again)[-1]
    assert event.action == "comeback.cause" and "RO" in event.after
    with pytest.raises(StaleEdit):
        d.comebacks.record_cause(shop.qc, VisitRef(again, saved.ref.version - 1), d.comebacks.draft("part"))
    d.lifecycle.advance(shop.qc, d.lifecycle.ref(again))  # QC-09 holds now
    with pytest.raises(InvalidInput, match="at its QC"):
        d.comebacks.record_cause(shop.qc, d.lifecycle.ref(again), d.comebacks.draft("part"))


def test_a_visit_that_is_no_comeback_has_no_cause_and_no_qc07(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "QC")
    assert d.comebacks.original(vid) is None
    with pytest.raises(InvalidInput, match="not a comeback"):
        d.comebacks.record_cause(shop.qc, d.lifecycle.ref(vid), d.comebacks.draft("part"))
    assert not any(s.item.id == "QC-09" and s.blocking for s in d.checklist.checklist(vid))


def test_the_dashboard_shows_fix_right_first_time_per_technician_and_per_cause(shop, clock):
    d = shop.desk
    first, again = comeback_at_qc(shop, clock)
    d.comebacks.record_cause(shop.qc, d.lifecycle.ref(again), d.comebacks.draft("diagnosis"))
    day = clock.now.date()
    report = d.reports.kpi_report(*day_range(day, day))
    tech = report.row(f"frft.tech.{shop.tech.id}").measure
    assert (tech.num, tech.den, tech.visits, tech.params) == (0, 1, (again,), {"technician": "张强"})
    cause = report.row("comeback.cause.diagnosis").measure
    assert (cause.num, cause.den, cause.hits) == (1, 1, (again,))
    assert cause.notes[again] == f"<- {report.visits[first].number} 张强"
    whole = d.reports.kpi_report(*day_range(day - timedelta(days=10), day))
    assert whole.row(f"frft.tech.{shop.tech.id}").measure.den == 2  # the original job counts too


def test_a_decision_is_turned_only_with_a_reason_and_only_until_qc_records_the_cause():
    from desk.domain import comebacks

    c, r = comebacks.CONFIRMED, comebacks.REJECTED
    assert comebacks.check_decide(7, "", True, "") == ""
    assert comebacks.check_decide(7, c, False, "other fault") == "other fault"
    assert comebacks.check_decide(7, r, True, "same noise again") == "same noise again"
    for decision, confirm, reason, cause in (
        (c, True, "x", ""),  # the same decision twice
        (r, False, "x", ""),
        (c, False, "", ""),  # turned without a reason
        (r, True, "  ", ""),
        (c, False, "x", "workmanship"),  # QC recorded the cause
        (None, True, "", ""),  # nothing proposed
    ):
        with pytest.raises(InvalidInput):
            comebacks.check_decide(None if decision is None else 7, decision or "", confirm, reason, cause)
    assert comebacks.changeable(7, c) == r and comebacks.changeable(7, r) == c
    assert comebacks.changeable(7, "") == "" and comebacks.changeable(None, c) == ""
    assert comebacks.changeable(7, c, "workmanship") == ""
