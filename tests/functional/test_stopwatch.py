"""The stage stopwatch by keys: a visit walked through every stage shows its
timeline (opened from the KPI dashboard's interval row), and the boards colour
a visit whose running interval is over its standard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable

from desk import filler
from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import open_dashboard, open_from_board, screen_name, wait_for


def newest_in_view(table: DataTable, app) -> bool:
    """The history focused, its cursor on the newest (last) change, scrolled to the end."""
    if app.focused is not table or table.row_count == 0 or table.cursor_row != table.row_count - 1:
        return False
    return table.scroll_offset.y == table.max_scroll_y  # scrolled to the end: the newest in view


def cells(table: DataTable, key: str) -> list[str]:
    return [str(c) for c in table.get_row(key)]


async def test_a_visit_through_every_stage_shows_its_timeline(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "QC")  # five minutes between stages
    shop.desk.lifecycle.set_washing(shop.sa, shop.desk.lifecycle.ref(vid))
    shop.desk.checklist.mark_item(shop.tech, shop.desk.lifecycle.ref(vid), "QC-05", "done")  # washed
    flow.to_stage(shop, clock, vid, "FOLLOWED_UP")
    line_ids = [ln.id for ln in shop.desk.lifecycle.visit_view(vid).lines]
    line_id = line_ids[0]
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        kpi = app.screen.query_one("#kpi", DataTable)
        assert cells(kpi, "interval.greeted.p50")[:3] == ["Greeted: median (min)", "5.0", "1"]
        assert cells(kpi, "interval.written_up.p90")[1] == "5.0"
        kpi.move_cursor(row=kpi.get_row_index("interval.greeted.p50"))
        await pilot.press("enter")  # the visits behind the figure
        await wait_for(pilot, lambda: screen_name(app) == "KpiVisitsScreen" and app.screen.rows)
        assert [v.id for v in app.screen.rows] == [vid]
        listed = app.screen.query_one(DataTable)
        assert str(listed.get_row_at(0)[0]) == "✗"  # greeted after 5 minutes, 1 allowed
        assert str(listed.get_row_at(0)[-1]) == "0:05"
        await pilot.press("enter")  # followed up: its history
        await wait_for(
            pilot,
            lambda: screen_name(app) == "HistoryScreen" and app.screen.query_one("#timeline", DataTable).row_count > 0,
        )
        table = app.screen.query_one("#timeline", DataTable)
        keys = [r.value for r in table.rows]
        assert keys == [
            "booked",
            "arrived",
            "greeted",
            "written_up",
            "presented",
            "signed",
            "started",
            "work_done",
            "qc_passed",
            "washed",
            "ready",
            "told",
            "delivered",
            "followed_up",
            *(f"line:{i}" for i in line_ids),
        ]
        greeted = cells(table, "greeted")
        assert greeted[0] == "Greeted" and greeted[3:] == ["5:00", "≤ 1:00"]
        assert table.get_row("greeted")[3].style == "bold red"  # over its standard
        assert cells(table, "written_up")[3:] == ["5:00", "≤ 20:00"]
        assert table.get_row("written_up")[3].style == "green"
        assert cells(table, "delivered")[4] == "-"  # no standard
        assert cells(table, f"line:{line_id}")[0].strip().startswith("Line:")
        assert app.screen.query_one("#history", DataTable).row_count > 10


async def test_the_boards_colour_a_visit_over_its_standard(shop, clock, db_url):
    d = shop.desk
    vid = flow.book(shop, clock, minutes_ahead=0)
    flow.tick_open(d, shop.sa, vid)
    d.lifecycle.arrive(shop.sa, d.lifecycle.ref(vid))  # arrived, nobody greets the customer
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        board = app.screen.query_one(DataTable)
        assert "⏱" not in str(board.get_row(str(vid))[4])  # within the minute
        clock.advance(minutes=3)
        await pilot.press("r")
        await wait_for(pilot, lambda: "⏱" in str(board.get_row(str(vid))[4]))
        assert "⏱+0:02 Greeted" in str(board.get_row(str(vid))[4])
        assert board.get_row(str(vid))[1].style == "magenta"
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and app.screen.rows)
        progress = app.screen.query_one(DataTable)
        assert "⏱+0:02 Greeted" in str(progress.get_row(str(vid))[8])
        assert progress.get_row(str(vid))[0].style == "magenta"
        # the clock moves on: the board works it out again without a read
        d.reception.start_reception(shop.sa, d.lifecycle.ref(vid))  # greeted now: the write-up runs
        await wait_for(pilot, lambda: "⏱" not in str(progress.get_row(str(vid))[8]))
        clock.advance(minutes=21)
        app.screen.tick_clock()
        await wait_for(pilot, lambda: "⏱+0:01 Write-up done" in str(progress.get_row(str(vid))[8]))


def heading(app) -> str:
    return str(app.screen.query_one("#visit-heading").render())


async def test_a_rushed_walkaround_is_flagged_and_a_manager_accepts_it_with_a_note(shop, clock, db_url):
    from textual.widgets import Input

    from desk.widgets.dialogs import ReasonDialog

    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE", rush=True)  # the walkaround over in the instant it began
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_board(pilot, "EstimateScreen")
        # the visit says so on its heading, and where the reasons are
        await wait_for(pilot, lambda: "1 flag (h)" in heading(app))
        await pilot.press("h")
        await wait_for(pilot, lambda: screen_name(app) == "HistoryScreen" and app.screen.flags is not None)
        flags = app.screen.query_one("#flags", DataTable)
        row = cells(flags, "rushed_walkaround")
        assert row[0] == "Rushed walkaround" and row[1] == "王丽" and row[3] == "Open"
        assert "Walkaround finished 0 s after it began (plausible minimum 120 s)" in row[2]
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonDialog))
        app.screen.query_one("#reason", Input).value = "Watched it done: a regular's car"
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "HistoryScreen"
                and "Accepted by 周经理" in cells(app.screen.query_one("#flags", DataTable), "rushed_walkaround")[3]
            ),
        )
        await pilot.press("escape")  # back on the visit: accepted, the badge is gone
        await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen" and "flag (h)" not in heading(app))
    event = [e for e in d.lifecycle.history(vid) if e.action == "integrity.accept"]
    assert len(event) == 1 and event[0].user_name == "周经理" and "regular" in event[0].after
    assert d.integrity.visit_flags(vid).open() == []


async def test_an_advisor_needs_a_manager_to_accept_a_flag(shop, clock, db_url):
    from textual.widgets import Input

    from desk.widgets.approval import ManagerApproval
    from desk.widgets.dialogs import ReasonDialog

    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE", rush=True)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_board(pilot, "EstimateScreen")
        await pilot.press("h")
        await wait_for(pilot, lambda: screen_name(app) == "HistoryScreen" and app.screen.flags is not None)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonDialog))
        app.screen.query_one("#reason", Input).value = "fine"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ManagerApproval))
    assert len(shop.desk.integrity.visit_flags(vid).open()) == 1


async def test_the_dashboard_counts_flags_per_user_beside_mot_compliance(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE", rush=True)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_dashboard(pilot)
        kpi = app.screen.query_one("#kpi", DataTable)
        keys = [r.value for r in kpi.rows]
        at = keys.index("integrity")
        assert keys[at - 1].startswith(("mot.", "waive")) and keys[at + 1] == f"integrity.user.{shop.sa.id}"
        assert cells(kpi, "integrity")[1:3] == ["0.0%", "0/1"]
        assert cells(kpi, f"integrity.user.{shop.sa.id}")[:2] == ["Checklist flags: 王丽", "1"]
        kpi.move_cursor(row=at + 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "KpiVisitsScreen" and app.screen.rows)
        assert [v.id for v in app.screen.rows] == [vid]
        assert str(app.screen.query_one(DataTable).get_row_at(0)[-1]) == "rushed_walkaround"


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_history_timeline_and_flags_snapshot(snap_compare, shop, clock, db_url, size):
    """A car in repair: its timeline (the greeting over its standard, a line
    running), the rushed walkaround flag, then the audit log."""
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR", rush=True)
    labour = next(ln for ln in shop.desk.lifecycle.visit_view(vid).lines if ln.kind == "labour")
    shop.desk.clocking.clock(shop.tech, shop.desk.lifecycle.ref(vid), labour.id)
    clock.advance(minutes=20)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")

    async def run_before(pilot):
        await open_from_board(pilot, "WorkshopScreen")
        await pilot.press("h")
        await wait_for(pilot, lambda: screen_name(app) == "HistoryScreen" and app.screen.flags is not None)

        def settled() -> bool:  # the newest change under the cursor, scrolled into view
            return newest_in_view(app.screen.query_one("#history", DataTable), app)

        await wait_for(pilot, settled)
        # then the oldest changes: a view that stays put (the newest's scroll is
        # tested by test_the_history_opens_on_its_newest_change)
        table = app.screen.query_one("#history", DataTable)
        table.move_cursor(row=0, animate=False)
        await wait_for(pilot, lambda: table.cursor_row == 0 and table.scroll_offset.y == 0)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_a_voided_signature_shows_void_and_the_stopwatch_never_runs_backwards(shop, clock, db_url):
    """Issue 25: the "Signed" row of a visit whose signature was voided showed an
    end before its start and kept counting the void signature; "Arrived" measured
    how long ago the booking was made, not lateness against the appointment."""
    d = shop.desk
    vid = flow.book(shop, clock, minutes_ahead=60)
    appointment = clock.now + timedelta(minutes=60)
    clock.advance(minutes=67)  # the car comes 7 minutes late
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "brake_pads")
    filler.parts_in_stock(d, shop.sa, vid)
    d.checklist.mark_item(shop.sa, d.lifecycle.ref(vid), "EST-06", "done")  # explained
    clock.advance(minutes=5)
    filler.sign(d, shop.sa, vid, signer="李伟", reference="P0001")
    first_signature = clock.now
    clock.advance(minutes=5)
    pads = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.kind == "part")
    d.estimate.update_line(shop.sa, d.lifecycle.ref(vid), pads.id, d.estimate.patch(qty="2"))  # voids it
    clock.advance(minutes=5)
    d.checklist.mark_item(shop.sa, d.lifecycle.ref(vid), "EST-06", "undone", "Two sets of pads now")
    d.checklist.mark_item(shop.sa, d.lifecycle.ref(vid), "EST-06", "done")  # explained again
    explained = clock.now
    clock.advance(minutes=4)

    def rows(table: DataTable) -> dict[str, list[str]]:
        return {r.value: cells(table, r.value) for r in table.rows}

    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_board(pilot, "EstimateScreen")
        await pilot.press("h")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "HistoryScreen" and "presented" in app.screen.query_one("#timeline", DataTable).rows
            ),
        )
        table = app.screen.query_one("#timeline", DataTable)
        shown = rows(table)
        assert shown["arrived"][1:4] == [
            f"{appointment:%m-%d %H:%M:%S}",
            f"{appointment + timedelta(minutes=7):%m-%d %H:%M:%S}",
            "late 7:00",
        ]
        assert "signed" not in shown  # no signature covers the estimate: not signed
        assert shown["void:0"][2:4] == [f"{first_signature:%m-%d %H:%M:%S}", "void"]
        assert shown["signed:running"][1] == f"{explained:%m-%d %H:%M:%S}"  # waiting for the signature since
        # the customer signs the changed estimate: the interval runs from the explanation to it
        filler.sign(d, shop.sa, vid, signer="李伟", reference="P0002")
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen")
        await pilot.press("h")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "HistoryScreen" and "signed" in app.screen.query_one("#timeline", DataTable).rows
            ),
        )
        shown = rows(app.screen.query_one("#timeline", DataTable))
        assert shown["signed"][1:4] == [f"{explained:%m-%d %H:%M:%S}", f"{clock.now:%m-%d %H:%M:%S}", "4:00"]
        assert shown["void:0"][3] == "void"
        for key, row in shown.items():  # never an end before a start
            if row[1] and row[2] and key != "arrived":
                assert row[1] <= row[2], key


async def test_the_history_opens_on_its_newest_change(shop, clock, db_url):
    """At 120x40 the history's newest rows were out of reach below the timeline
    (breaking test of issue 25): `h` puts the cursor, and the view, on the newest
    change, and up/down move through the changes."""
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    for n in range(30):
        d.reception.add_concern(shop.sa, d.lifecycle.ref(vid), d.reception.concern(f"noise {n}"))
    events = d.lifecycle.history(vid)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_board(pilot, "EstimateScreen")
        await pilot.press("h")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "HistoryScreen"
                and app.screen.query_one("#history", DataTable).row_count == len(events)
            ),
        )
        table = app.screen.query_one("#history", DataTable)
        await wait_for(pilot, lambda: newest_in_view(table, app))
        assert app.focused is table and table.cursor_row == len(events) - 1 and table.scroll_offset.y > 0
        await pilot.press("up")
        assert table.cursor_row == len(events) - 2


async def test_the_history_reads_in_words_not_json(shop, clock, db_url):
    """h on a visit: each change is what happened and its details in the shop's
    words (issue 29: the history showed {"at": "2026-…", "comeback_of": null…})."""
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    events = d.lifecycle.history(vid)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_from_board(pilot, "EstimateScreen")
        await pilot.press("h")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "HistoryScreen"
                and app.screen.query_one("#history", DataTable).row_count == len(events)
            ),
        )
        table = app.screen.query_one("#history", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert rows[0][2] == "Booked" and "concerns Squeaking noise when braking" in rows[0][3]
        assert not any("{" in r[3] or "visit." in r[2] for r in rows), rows
        assert ["Moved to the next stage", "stage Walkaround"] in [r[2:] for r in rows]
