"""Technician time by keys, two terminals on one database: the technician clocks
on a line at the workshop PC (c), the advisor's terminal hands the key to him
(act as, his PIN) to move him to another line; each terminal shows the other's
change from the feed; the progress board shows who is on what; finishing the
line clocks him off; the dashboard shows his clocked against sold hours."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, OptionList

from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import open_dashboard, screen_name, wait_for
from tests.functional.test_signin import cheap_pin, type_pin

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def clocked(app, line_id: int) -> str:
    return str(app.screen.query_one("#work-lines", DataTable).get_cell(str(line_id), "clocked"))


async def open_workshop(pilot):
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    await pilot.press("f3")
    await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and app.screen.rows)
    await pilot.press("enter")
    await wait_for(
        pilot,
        lambda: (
            screen_name(app) == "WorkshopScreen"
            and app.screen.view is not None
            and app.screen.query_one("#work-lines", DataTable).row_count
        ),
    )


async def test_clocking_on_two_terminals(shop, clock, db_url):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    d.lifecycle.assign(shop.mgr, d.lifecycle.ref(vid), shop.tech.id, "B1")
    lines = d.lifecycle.visit_view(vid).lines
    labour = next(ln for ln in lines if ln.kind == "labour")
    part = next(ln for ln in lines if ln.kind == "part")
    workshop_pc = make_app(db_url=db_url, clock=clock, user_name="张强")
    desk_pc = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with workshop_pc.run_test(size=(120, 40)) as a, desk_pc.run_test(size=(120, 40)) as b:
        await open_workshop(a)  # signed in before he has a PIN: no sign-in screen
        cheap_pin(d, shop.tech.id, "3333")
        await open_workshop(b)
        table = workshop_pc.screen.query_one("#work-lines", DataTable)
        table.move_cursor(row=table.get_row_index(str(part.id)))
        await a.press("c")  # on the part's fitting
        await wait_for(a, lambda: "▶张强" in clocked(workshop_pc, part.id))
        await wait_for(b, lambda: "▶张强" in clocked(desk_pc, part.id))  # the other terminal, from the feed
        clock.advance(minutes=8)  # within the idle lock (10 min): the terminals stay signed in
        # the advisor's terminal: the technician moves to the labour line with his PIN
        other = desk_pc.screen.query_one("#work-lines", DataTable)
        other.move_cursor(row=other.get_row_index(str(labour.id)))
        await b.press("c")
        await wait_for(
            b,
            lambda: (
                screen_name(desk_pc) == "ActAs" and desk_pc.screen.query_one("#approval-users", OptionList).option_count
            ),
        )
        await b.press("enter")
        await type_pin(b, "3333")
        await wait_for(b, lambda: screen_name(desk_pc) == "WorkshopScreen" and "▶张强" in clocked(desk_pc, labour.id))
        assert clocked(desk_pc, part.id) == "0:08"  # off the part: one line at a time
        await wait_for(
            a, lambda: "▶张强" in clocked(workshop_pc, labour.id) and clocked(workshop_pc, part.id) == "0:08"
        )
        on = [e for e in d.lifecycle.history(vid) if e.action == "clock.on"]
        assert [e.user_name for e in on] == ["张强", "张强"]  # in his name on both terminals
        # the progress board shows who is on what
        await b.press("escape")
        await wait_for(b, lambda: screen_name(desk_pc) == "ProgressScreen" and desk_pc.screen.rows)
        board = desk_pc.screen.query_one(DataTable)
        assert str(board.get_row(str(vid))[4]).startswith("▶张强 " + labour.description[:4])
        clock.advance(minutes=6)
        # finishing the line clocks him off it
        table.move_cursor(row=table.get_row_index(str(labour.id)))
        await a.press("d")
        await wait_for(
            a, lambda: "▶" not in clocked(workshop_pc, labour.id) and clocked(workshop_pc, labour.id).startswith("0:06")
        )
        await wait_for(b, lambda: "▶" not in str(board.get_row(str(vid))[4]))
    times = d.clocking.line_times(vid)
    assert times[labour.id].clocked_seconds == 6 * 60 and times[part.id].clocked_seconds == 8 * 60
    assert d.clocking.on_now([vid]) == {}


async def test_the_dashboard_shows_clocked_against_sold_hours(shop, clock, db_url):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    labour = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.kind == "labour")
    d.clocking.clock(shop.tech, d.lifecycle.ref(vid), labour.id)
    clock.advance(minutes=45)
    d.workshop.finish_line(shop.tech, d.lifecycle.ref(vid), labour.id)
    sold = labour.qty * 60  # minutes
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        kpi = app.screen.query_one("#kpi", DataTable)
        row = [str(x) for x in kpi.get_row(f"efficiency.tech.{shop.tech.id}")]
        assert row[0] == "Efficiency: 张强" and row[2] == f"{int(sold)}/45"
        assert row[1] == f"{round(sold * 100 / 45, 1)}%"
        kpi.move_cursor(row=kpi.get_row_index("efficiency"))
        await pilot.press("enter")  # the jobs behind it, each sold / clocked
        await wait_for(pilot, lambda: screen_name(app) == "KpiVisitsScreen" and app.screen.rows)
        assert str(app.screen.query_one(DataTable).get_row_at(0)[-1]).endswith("/ 0:45")
