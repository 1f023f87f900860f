"""Recommended items counted (issue 26, item 3): per item, per stage and per
advisor on the report, and what the shop hides listed there, hidden only by a
manager and audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from desk.domain.checklist import MarkKind
from desk.domain.entities import Role
from desk.domain.errors import NotAllowed
from tests import flow


def test_a_recommended_item_hidden_by_a_manager_is_audited_and_listed_by_the_report(shop, clock):
    d = shop.desk
    foreman = d.people.user(d.people.create_user(None, "Foreman Wu", [Role.FOREMAN]))
    with pytest.raises(NotAllowed):
        d.setup.delete_template_item(foreman, "RCP-03")
    with pytest.raises(NotAllowed):
        d.setup.delete_template_item(shop.sa, "RCP-03")
    d.setup.delete_template_item(shop.mgr, "RCP-03")
    day = clock.now.replace(hour=0, minute=0)
    report = d.reports.kpi_report(day, day + timedelta(days=1), with_trend=False)
    hidden = report.row("hidden.RCP-03").measure
    assert hidden.params["item"].startswith("RCP-03 Offer") and hidden.params["by"] == "周经理"
    assert hidden.params["since"] == f"{clock.now:%Y-%m-%d}"
    with d.ctx.engine.connect() as conn:
        import sqlalchemy as sa

        ((who, after),) = conn.execute(
            sa.text("SELECT user_name, after FROM audit_event WHERE action = 'setup.item_delete'")
        ).all()
    assert who == "周经理" and '"hidden": true' in after


def test_recommended_items_per_item_and_advisor_drill_down_to_the_visits_that_skipped_them(shop, clock):
    d = shop.desk
    skipped = flow.book(shop, clock)
    flow.to_stage(shop, clock, skipped, "WALKAROUND")  # the filler ticks every item: undo the drink
    d.checklist.mark_item(shop.sa, d.lifecycle.ref(skipped), "RCP-03", MarkKind.UNDONE, "no drink offered")
    kept = flow.book(shop, clock)
    flow.to_stage(shop, clock, kept, "WALKAROUND")
    day = clock.now.replace(hour=0, minute=0) - timedelta(days=1)
    report = d.reports.kpi_report(day, day + timedelta(days=3), with_trend=False)
    drink = report.row("recommended.item.RCP-03").measure
    assert (drink.num, drink.den) == (1, 2) and set(drink.visits) - set(drink.hits) == {skipped}
    mine = report.row(f"recommended.advisor.{shop.sa.id}").measure
    assert mine.num == mine.den - 1 and skipped in mine.notes and "RCP-03" in mine.notes[skipped]
    stage = report.row("recommended.RECEPTION").measure
    assert stage.notes == {skipped: "RCP-03"}


def test_hiding_an_item_never_rewrites_the_figures_of_the_days_before(shop, clock):
    """Hiding RCP-03 today wiped its past from the year: its row went, the stage's
    and the advisor's figures shrank (breaking test of issue 26). The visits that
    arrived before still count it; the period before lists no hidden item."""
    d = shop.desk
    skipped = flow.book(shop, clock)
    flow.to_stage(shop, clock, skipped, "WALKAROUND")
    d.checklist.mark_item(shop.sa, d.lifecycle.ref(skipped), "RCP-03", MarkKind.UNDONE, "no drink offered")
    kept = flow.book(shop, clock)
    flow.to_stage(shop, clock, kept, "WALKAROUND")
    day = clock.now.replace(hour=0, minute=0) - timedelta(days=1)

    def figures():
        report = d.reports.kpi_report(day, day + timedelta(days=3), with_trend=False)
        rows = ("recommended.item.RCP-03", "recommended.RECEPTION", f"recommended.advisor.{shop.sa.id}")
        return {k: (report.row(k).measure.num, report.row(k).measure.den) for k in rows}

    before = figures()
    assert before["recommended.item.RCP-03"] == (1, 2)
    clock.advance(hours=1)
    d.setup.delete_template_item(shop.mgr, "RCP-03")
    assert figures() == before  # the days before keep the item
    later = flow.book(shop, clock)  # arrives after the hiding: RCP-03 is not due on it
    flow.to_stage(shop, clock, later, "WALKAROUND")
    report = d.reports.kpi_report(day, day + timedelta(days=3), with_trend=False)
    assert (report.row("recommended.item.RCP-03").measure.num, report.row("recommended.item.RCP-03").measure.den) == (
        1,
        2,
    )
    earlier = d.reports.kpi_report(day - timedelta(days=5), day, with_trend=False)
    assert not [r for r in earlier.rows if r.measure.key.startswith("hidden.")]
