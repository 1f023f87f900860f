"""The KPI dashboard (f7): its keys pressed for real, and how it looks in English
and Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Input, Static

from desk.domain.checklist import MarkKind
from desk.domain.setup import OPENING_ITEMS
from desk.i18n import set_locale
from desk.services.reports import day_range
from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import screen_name, wait_for

LANGS = ["en", "zh"]


@pytest.fixture
def kpi_shop(shop, clock):
    """Today: one car greeted at once and left at reception; one delivered with a
    waived walkaround item and a survey (pick-up scored 2: a complaint)."""
    d = shop.desk
    a = flow.book(shop, clock)
    flow.tick_open(d, shop.sa, a)
    d.lifecycle.arrive(shop.sa, d.lifecycle.ref(a))
    d.reception.start_reception(shop.sa, d.lifecycle.ref(a))
    b = flow.book(shop, clock, minutes_ahead=90)
    flow.to_stage(shop, clock, b, "WALKAROUND")
    d.reception.record_walkaround(
        shop.sa,
        d.lifecycle.ref(b),
        d.reception.readings(odometer_km=43000, fuel_eighths=4),
        damages=[],
        damage_confirmed=True,
    )
    d.checklist.mark_item(shop.mgr, d.lifecycle.ref(b), "WLK-03", MarkKind.WAIVED, "customer in a hurry")
    flow.to_stage(shop, clock, b, "DELIVERED")
    d.followup.record_call(
        shop.csr,
        d.lifecycle.ref(b),
        d.followup.call(
            outcome="reached", nps=9, scores={"initiation": 5, "advisor": 5, "facility": 4, "pickup": 2, "quality": 4}
        ),
    )
    shop.visits = (a, b)
    return shop


async def open_dashboard(pilot):
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    await pilot.press("f7")
    await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen" and app.screen.complete)
    await wait_for(pilot, lambda: "Loading" not in title(app))
    await wait_for(pilot, lambda: app.screen.query_one("#kpi", DataTable).row_count == len(app.screen.report.rows))


def title(app) -> str:
    return str(app.screen.query_one("#kpi-title", Static).render())


def cell(app, key: str, column: int = 1) -> str:
    table = app.screen.query_one("#kpi", DataTable)
    return str(table.get_row(key)[column])


async def test_a_standard_changed_inside_the_month_shows_both_stretches(kpi_shop, clock, db_url):
    """The greeting seconds changed today: the month's greeting figure is two rows,
    one per standard. Their one key stopped the table, which said "Loading…" for
    good (breaking test of issue 26)."""
    d = kpi_shop.desk
    clock.advance(minutes=5)
    d.setup.set_setting(kpi_shop.mgr, "greet_within_seconds", "45", flow.setting_version(d, "greet_within_seconds"))
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        table = app.screen.query_one("#kpi", DataTable)
        labels = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        greeted = [label for label in labels if label.startswith("Greeted within")]
        assert len(greeted) == 2 and "60 s" in greeted[0] and "45 s" in greeted[1], greeted
        assert cell(app, "greeting#2", 2) == "0/0"


async def test_f7_shows_this_months_figures_as_the_service_computes_them(kpi_shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        assert "2026-11-01 … 2026-11-30" in title(app) and "Whole shop" in title(app)
        start, end = day_range(clock.now.date().replace(day=1), clock.now.date().replace(day=30))
        expected = kpi_shop.desk.reports.kpi_report(start, end)
        assert cell(app, "greeting") == "50.0%"  # one of two greeted within the minute (flow waits 5)
        assert expected.row("greeting").measure.value == 50
        assert cell(app, "greeting", 2) == "1/2"
        assert cell(app, "mot.WALKAROUND") == "0.0%"
        assert cell(app, "waived.WLK-03") == "1"
        assert cell(app, "csi.pickup") == "2.00"
        assert cell(app, "complaints") == "1"


async def test_period_keys_move_the_range(kpi_shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)

        async def press(key, text):
            await pilot.press(key)
            await wait_for(pilot, lambda: text in title(app) and "Loading" not in title(app))

        await press("left_square_bracket", "2026-10-01 … 2026-10-31")
        assert cell(app, "greeting") == "-"  # nothing happened in October
        await press("right_square_bracket", "2026-11-01 … 2026-11-30")
        assert cell(app, "greeting") == "50.0%"
        await press("d", "By day 2026-11-23")
        assert cell(app, "greeting") == "50.0%"
        await press("left_square_bracket", "By day 2026-11-22")
        await press("w", "By week 2026-11-23 … 2026-11-29")
        await press("y", "By year 2026-01-01 … 2026-12-31")
        assert cell(app, "greeting", 3).count("▁") + cell(app, "greeting", 3).count("▅") == 1  # one month has data


async def test_advisor_filter_shows_the_shop_beside(kpi_shop, clock, db_url):
    from desk.widgets.dialogs import PickDialog

    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        assert [label for _id, label in app.screen.choices] == ["Whole shop", "王丽"]
        await pilot.press("down", "enter")
        await wait_for(
            pilot,
            lambda: screen_name(app) == "DashboardScreen" and "王丽" in title(app) and "Loading" not in title(app),
        )
        assert cell(app, "greeting") == "50.0%" and cell(app, "greeting", 4) == "50.0%"
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("enter")  # back to the whole shop: no second column
        await wait_for(pilot, lambda: "Whole shop" in title(app) and "Loading" not in title(app))
        assert cell(app, "greeting") == "50.0%" and cell(app, "greeting", 4) == ""


async def test_enter_opens_the_visits_behind_a_figure_and_then_the_visit(kpi_shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    a, b = kpi_shop.visits
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        table = app.screen.query_one("#kpi", DataTable)
        table.move_cursor(row=table.get_row_index("greeting"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "KpiVisitsScreen" and len(app.screen.rows) == 2)
        assert [v.id for v in app.screen.rows] == [a, b]
        marks = app.screen.query_one(DataTable)
        assert str(marks.get_row_at(0)[0]) == "✓" and str(marks.get_row_at(1)[0]) == "✗"
        await pilot.press("enter")  # visit a is at reception
        await wait_for(pilot, lambda: screen_name(app) == "ReceptionScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "KpiVisitsScreen")
        await pilot.press("down", "enter")  # visit b is delivered: the follow-up call screen
        await wait_for(pilot, lambda: screen_name(app) == "CallScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "KpiVisitsScreen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")


async def test_the_opening_checklist_is_a_figure_of_days_with_its_standard_and_its_days_behind_it(
    kpi_shop, clock, db_url
):
    """The daily opening (facility) checklist (issue 26): yesterday all six items
    ticked, today three (and cars arrived): 1 of 2 days; enter lists the days."""
    d = kpi_shop.desk
    today = clock.now
    clock.now = today - timedelta(days=1)
    for item, _label in OPENING_ITEMS:
        d.setup.tick_opening(kpi_shop.sa, item)
    clock.now = today
    for item, _label in OPENING_ITEMS[:3]:
        d.setup.tick_opening(kpi_shop.sa, item)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        assert cell(app, "opening", 0) == "Opening checklist: all 6 items done"
        assert (cell(app, "opening"), cell(app, "opening", 2)) == ("50.0%", "1/2")
        table = app.screen.query_one("#kpi", DataTable)
        table.move_cursor(row=table.get_row_index("opening"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "KpiDaysScreen" and len(app.screen.rows) == 2)
        days = app.screen.query_one(DataTable)
        assert [[str(c) for c in days.get_row_at(i)] for i in range(2)] == [
            ["✓", f"{today - timedelta(days=1):%Y-%m-%d}", "6/6"],
            ["✗", f"{today:%Y-%m-%d}", "3/6"],
        ]
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")


async def test_a_figure_without_visits_says_so(kpi_shop, clock, db_url):
    from tests.functional.pilot import record_notifications

    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        seen = record_notifications(app)
        table = app.screen.query_one("#kpi", DataTable)
        table.move_cursor(row=table.get_row_index("added_work"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: seen)
        assert seen == ["No visits behind this figure"] and screen_name(app) == "DashboardScreen"


async def test_typed_range_refuses_bad_dates_in_the_dialog(kpi_shop, clock, db_url):
    from desk.widgets.dialogs import FormDialog

    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        first, last = app.screen.query(Input)
        first.value, last.value = "2026-11-30", "2026-11-01"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: "The range ends before it starts" in str(app.screen.query_one("#e-last").render())
        )
        first.value = "2026-13-01"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Not a date: 2026-13-01" in str(app.screen.query_one("#e-first").render()))
        first.value, last.value = "2026-11-20", "2026-11-23"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "DashboardScreen"
                and "Range 2026-11-20 … 2026-11-23" in title(app)
                and "Loading" not in title(app)
            ),
        )
        assert cell(app, "greeting") == "50.0%"
        await pilot.press("left_square_bracket")  # a typed range moves by its own length
        await wait_for(pilot, lambda: "2026-11-16 … 2026-11-19" in title(app))


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard_snapshot(snap_compare, kpi_shop, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    assert snap_compare(app, terminal_size=(120, 44), run_before=open_dashboard)


@pytest.mark.parametrize("lang", LANGS)
def test_visits_behind_a_figure_snapshot(snap_compare, kpi_shop, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")

    async def run_before(pilot):
        await open_dashboard(pilot)
        table = pilot.app.screen.query_one("#kpi", DataTable)
        table.move_cursor(row=table.get_row_index("greeting"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(pilot.app) == "KpiVisitsScreen" and len(pilot.app.screen.rows) == 2)
        await wait_for(pilot, lambda: True)

    assert snap_compare(app, terminal_size=(120, 24), run_before=run_before)


async def test_the_counted_figures_paint_before_those_computed_in_python(kpi_shop, clock, db_url, monkeypatch):
    """The figures the database counts are on screen, with the period's size,
    when the Python part starts reading the period's records (what the screen
    shows is read on the UI thread at that moment)."""
    from desk.services.reports import ReportService

    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    rest = ReportService.kpi_rest
    seen: list = []

    def table():
        return app.screen.query_one("#kpi", DataTable)

    def looked(self, *args):
        seen.append(app.call_from_thread(lambda: (set(table().rows), title(app), app.screen.complete)))
        return rest(self, *args)

    monkeypatch.setattr(ReportService, "kpi_rest", looked)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        rows, text, complete = seen[0]
        assert "complaints_repeat" in rows and "greeting" in rows and "nps" in rows
        assert "waived.WLK-03" not in rows and not complete  # computed in Python: not yet
        assert "Loading" in text and "2 visits" in text
        assert "waived.WLK-03" in table().rows and cell(app, "waived.WLK-03") == "1"
        assert "Loading" not in title(app) and "2 visits" in title(app)


async def test_the_visits_behind_a_counted_figure_come_a_page_at_a_time(kpi_shop, clock, db_url, monkeypatch):
    from desk.screens.dashboard import KpiVisitsScreen

    monkeypatch.setattr(KpiVisitsScreen, "PAGE", 1)
    a, b = kpi_shop.visits
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        table = app.screen.query_one("#kpi", DataTable)
        table.move_cursor(row=table.get_row_index("greeting"))
        await pilot.press("enter")

        def showing(ids, text):
            return (
                screen_name(app) == "KpiVisitsScreen"
                and [v.id for v in app.screen.rows] == ids
                and text in str(app.screen.query_one("#kpi-visits-title", Static).render())
            )

        await wait_for(pilot, lambda: showing([a], "1–1 of 2"))
        assert str(app.screen.query_one(DataTable).get_row_at(0)[0]) == "✓"
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: showing([b], "2–2 of 2"))
        assert str(app.screen.query_one(DataTable).get_row_at(0)[0]) == "✗"
        await pilot.press("right_square_bracket")  # the last page: stays
        await pilot.press("left_square_bracket")
        await wait_for(pilot, lambda: showing([a], "1–1 of 2"))
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "DashboardScreen")
