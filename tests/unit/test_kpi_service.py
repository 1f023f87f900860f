"""The KPI service: figures on `desk demo` data against an independent SQL path,
and figures of visits driven through the real services."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from desk.domain import kpi
from desk.domain.checklist import MarkKind
from desk.services import open_desk
from desk.services.reports import day_range
from tests import flow


@pytest.fixture(scope="module")
def demo(module_db_url):
    """Built once per backend: the tests that use it only read."""
    from desk.demo import build

    d = open_desk(module_db_url)
    build(d, visits=200, seed=7)
    yield d
    d.ctx.engine.dispose()


def _pct(num: int, den: int) -> Decimal:
    return (Decimal(num) * 100 / den).quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")


@pytest.mark.xdist_group("kpi_demo")  # one worker builds the shared demo shop
def test_demo_figures_match_an_independent_sql_computation(demo):
    end = datetime.now().replace(microsecond=0) + timedelta(days=1)
    start = end - timedelta(days=400)
    report = demo.reports.kpi_report(start, end)
    with demo.ctx.engine.connect() as conn:
        q = lambda sql: conn.execute(sa.text(sql), {"s": start, "e": end}).all()
        greet = q(
            "SELECT arrived_at, reception_at FROM visit WHERE arrived_at >= :s AND arrived_at < :e "
            "AND reception_at IS NOT NULL"
        )
        share = q("SELECT walk_in FROM visit WHERE arrived_at >= :s AND arrived_at < :e")
        quality = q(
            "SELECT a.score FROM survey_answer a JOIN followup_call c ON c.id = a.call_id "
            "WHERE a.factor = 'quality' AND c.at >= :s AND c.at < :e"
        )
        nps = q("SELECT nps FROM followup_call WHERE at >= :s AND at < :e AND nps IS NOT NULL")
        ready = q(
            "SELECT ready_at, COALESCE(signed_promised_at, promised_at) FROM visit "
            "WHERE ready_at >= :s AND ready_at < :e "
            "AND promised_at IS NOT NULL"
        )

    def dt(v):
        return v if isinstance(v, datetime) else datetime.fromisoformat(v)

    greeted = sum(1 for a, r in greet if (dt(r) - dt(a)).total_seconds() <= 60)
    g = report.row("greeting").measure
    assert len(greet) > 20  # the demo has history in the last year
    assert (g.num, g.den, g.value) == (greeted, len(greet), _pct(greeted, len(greet)))

    s = report.row("appointment_share").measure
    booked = sum(1 for (w,) in share if not w)
    assert (s.num, s.den, s.value) == (booked, len(share), _pct(booked, len(share)))

    scores = [x for (x,) in quality]
    expect = (Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert report.row("csi.quality").measure.value == expect

    answers = [x for (x,) in nps]
    expect_nps = Decimal(sum(x >= 9 for x in answers) - sum(x <= 6 for x in answers)) * 100 / len(answers)
    assert report.row("nps").measure.value == expect_nps.quantize(Decimal("0.1"), rounding="ROUND_HALF_UP")

    on_time = sum(1 for r, p in ready if dt(r) <= dt(p))
    o = report.row("on_time").measure
    assert (o.num, o.den) == (on_time, len(ready))


def test_a_waiver_added_work_and_a_complaint_show_in_the_figures(desk, shop, clock):
    d = desk
    first_day = clock.now.date()
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "WALKAROUND")
    d.reception.record_walkaround(
        shop.sa,
        d.lifecycle.ref(vid),
        d.reception.readings(odometer_km=43000, fuel_eighths=4),
        damages=[],
        damage_confirmed=True,
    )
    d.checklist.mark_item(shop.mgr, d.lifecycle.ref(vid), "WLK-03", MarkKind.WAIVED, "customer in a hurry")
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    line = d.workshop.add_found_work(
        shop.tech,
        d.lifecycle.ref(vid),
        finding=d.reception.finding("Rear discs worn", "red"),
        line=d.estimate.draft(
            kind="part", description="Rear brake disc pair", qty=Decimal(1), unit_cents=68000, availability="in_stock"
        ),
    ).value
    clock.advance(minutes=10)
    d.workshop.decide_added_work(
        shop.sa,
        d.lifecycle.ref(vid),
        [line],
        approve=True,
        decision=d.workshop.decision(channel="phone", signer="李伟"),
    )
    clock.advance(minutes=10)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    d.followup.record_call(
        shop.csr,
        d.lifecycle.ref(vid),
        d.followup.call(
            outcome="reached", nps=3, scores={"initiation": 4, "advisor": 4, "facility": 4, "pickup": 2, "quality": 3}
        ),
    )

    start, end = day_range(first_day, first_day)
    report = d.reports.kpi_report(start, end)
    walk = report.row("mot.WALKAROUND").measure
    assert (walk.num, walk.den, walk.visits) == (0, 1, (vid,))
    assert report.row("waived.WLK-03").measure.value == Decimal(1)
    assert report.row("mot.RECEPTION").measure.value == Decimal("100.0")
    added = report.row("added_work").measure
    assert (added.num, added.den, added.hits) == (1, 1, (vid,))
    assert report.row("complaints").measure.visits == (vid,)
    assert report.row("csi.pickup").measure.value == Decimal("2.00")
    assert report.row("nps").measure.value == Decimal("-100.0")
    acc = report.row("estimate_accuracy").measure
    view = d.lifecycle.visit_view(vid)
    assert acc.den == 1 and report.visits[vid].final_cents == view.totals.total
    assert report.visits[vid].authorised_cents == view.authorised_amount
    # the advisor's own figures, and the shop's beside them
    mine = d.reports.kpi_report(start, end, advisor_id=shop.sa.id)
    assert mine.advisor == "王丽"
    assert mine.row("mot.WALKAROUND").shop.den == 1
    other = d.reports.kpi_report(start, end, advisor_id=shop.tech.id)
    assert other.row("mot.WALKAROUND").measure.den == 0


def test_trend_has_one_step_per_day_of_the_range(desk, shop, clock):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "WALKAROUND")  # arrived, then received
    day = clock.now.date()
    start, end = day_range(day - timedelta(days=6), day)
    row = desk.reports.kpi_report(start, end).row("greeting")
    assert len(row.trend) == 7
    assert row.measure.value == Decimal("0.0")  # flow.to_stage receives 5 minutes after arrival
    assert row.trend[:6] == (None,) * 6 and row.trend[6] == row.measure.value
    assert kpi.spark(row.trend, row.measure.unit)[-1] in kpi.BLOCKS


@pytest.mark.xdist_group("kpi_demo")  # one worker builds the shared demo shop
def test_loading_a_range_takes_the_same_few_queries_however_many_visits(demo):
    from sqlalchemy import event

    statements: list[str] = []

    #: what the PostgreSQL driver asks a connection it opens (a new one in the pool,
    #: now and then under load): not the load's queries
    setup = ("SELECT PG_CATALOG.", "SELECT CURRENT_SCHEMA")

    def count(conn, cursor, statement, *args):
        said = statement.strip().upper()
        if said.startswith("SELECT") and not said.startswith(setup) and said != "SELECT 1":
            statements.append(statement)

    end = datetime.now().replace(microsecond=0) + timedelta(days=1)
    event.listen(demo.ctx.engine, "before_cursor_execute", count)
    try:
        small = demo.reports.kpi_data(end - timedelta(days=1), end)
        n_small = len(statements)
        statements.clear()
        big = demo.reports.kpi_data(end - timedelta(days=5 * 365), end)
        n_big = len(statements)
    finally:
        event.remove(demo.ctx.engine, "before_cursor_execute", count)
    assert len(big.visits) > 150 > len(small.visits)
    assert n_small <= n_big <= 11  # a fixed set of queries (two are skipped when nothing needs them)


def test_raising_the_followup_window_splits_the_figure_at_the_change(desk, shop, clock):
    """A car delivered under 72 h and called after 100 h stays late when a
    manager then raises the window to 720 h: the report's follow-up figure comes
    in two stretches, each with its standard, the change's time from the audit log."""
    from tests.flow import setting_version

    early = flow.book(shop, clock)
    flow.to_stage(shop, clock, early, "READY")
    flow.to_stage(shop, clock, early, "DELIVERED")
    delivered = clock.now
    clock.advance(minutes=100 * 60)
    desk.followup.record_call(shop.csr, desk.lifecycle.ref(early), desk.followup.call(outcome="no_answer"))
    clock.advance(minutes=10)
    desk.setup.set_setting(shop.mgr, "followup_window_hours", "720", setting_version(desk, "followup_window_hours"))
    changed = clock.now
    report = desk.reports.kpi_report(delivered - timedelta(days=1), clock.now + timedelta(days=1), with_trend=False)
    rows = [r.measure for r in report.rows if r.measure.key == "followup"]
    assert [(m.standard, m.num, m.den) for m in rows] == [("72 h", 0, 1), ("720 h", 0, 0)]
    assert rows[0].params["period"].endswith(f"{changed:%Y-%m-%d %H:%M}")
    from desk.services.reports import measure_label

    assert measure_label(rows[0]).startswith("Follow-up call within 72 h [")


def test_the_greeting_seconds_and_the_integrity_minimum_changed_on_f9_split_the_report(desk, shop, clock):
    """The greeting's seconds and the rushed-walkaround minimum are settings with a
    history: changed by a manager between two visits, the report judges each by
    the standard of its stretch and says which (the change's time from the audit log)."""
    first = flow.book(shop, clock)
    flow.to_stage(shop, clock, first, "WALKAROUND")  # greeted 5 minutes after arrival
    start = clock.now - timedelta(hours=1)
    clock.advance(minutes=30)
    for key, value in (("greet_within_seconds", "600"), ("integrity_walkaround_seconds", "30")):
        desk.setup.set_setting(shop.mgr, key, value, flow.setting_version(desk, key))
    clock.advance(minutes=30)
    second = flow.book(shop, clock)
    flow.to_stage(shop, clock, second, "WALKAROUND")
    report = desk.reports.kpi_report(start, clock.now + timedelta(hours=1), with_trend=False)
    greeting = [r.measure for r in report.rows if r.measure.key == "greeting"]
    assert [(m.standard, m.num, m.den) for m in greeting] == [("60 s", 0, 1), ("600 s", 1, 1)]
    integrity = [r.measure for r in report.rows if r.measure.key == "integrity"]
    assert [(m.standard, m.den) for m in integrity] == [("120 s / 60 s", 1), ("30 s / 60 s", 1)]
    assert all(m.params["period"] for m in greeting + integrity)
