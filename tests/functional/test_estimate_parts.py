"""A part on back order by keyboard: noted before the supplier gives a date (EST-02
stays open, the visit and the progress board say to chase the supplier), the date
given later; a promised time before a part's ETA refused with the part named; the
line tables show stock, ETA, the work and who did it at 80 columns."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog, PickDialog
from tests import flow
from tests.functional.pilot import record_notifications, screen_name, wait_for


def add_part(shop, vid, **kw):
    d = shop.desk
    d.estimate.add_estimate_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(kind="part", description="Rear brake disc pair", qty=Decimal(1), unit_cents=68000, **kw),
    )


def row_text(table, row: int) -> str:
    return " ".join(str(getattr(c, "plain", c)) for c in table.get_row_at(row))


def column_end(table, key: str) -> int:
    """The screen column where ``key``'s column ends (the table at the left edge)."""
    end = 0
    for col in table.columns.values():
        end += col.get_render_width(table)
        if col.key.value == key:
            return end
    raise AssertionError(f"no column {key}")


async def open_estimate(pilot, app):
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen" and app.screen.view is not None)


async def test_a_back_order_without_a_date_is_noted_and_the_supplier_chased(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    add_part(shop, vid)
    d = shop.desk

    def est02():
        return next(s for s in d.checklist.checklist(vid) if s.item.id == "EST-02")

    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_estimate(pilot, app)
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("down", "enter")  # back order
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("enter")  # the supplier has given no date yet
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).lines[0].availability == "back_order")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "EstimateScreen"
                and "Chase the supplier" in str(app.screen.query_one("#visit-heading").render())
            ),
        )
        line = d.lifecycle.visit_view(vid).lines[0]
        assert line.eta is None
        assert est02().blocking  # EST-02 open until a date is given
        heading = str(app.screen.query_one("#visit-heading").render())
        assert "Chase the supplier for an arrival date: Rear brake disc pair" in heading
        table = app.screen.query_one("#lines")
        assert "ordered ?" in row_text(table, 0)
        assert table.virtual_size.width <= 80  # every column on screen at 80 columns
        # the progress board says it too
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and app.screen.rows)
        board = app.screen.query_one("#progress")
        assert "chase supplier" in row_text(board, 0)
        assert column_end(board, "flags") <= 80  # where the advisor sees it, not scrolled off
        # on a wide screen the customer comes back beside the car, the flags still on screen
        await pilot.resize_terminal(120, 40)
        await wait_for(pilot, lambda: [c.key.value for c in board.columns.values()][2] == "customer")
        assert "chase supplier" in row_text(board, 0) and column_end(board, "flags") <= 120
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: [c.key.value for c in board.columns.values()][2] == "status")
        assert board.row_count == 1 and "chase supplier" in row_text(board, 0)
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen")
        # the supplier calls back: the date goes in, EST-02 holds, the reminder goes
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("+", "2", "enter")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).lines[0].eta is not None)
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "EstimateScreen"
                and "Chase" not in str(app.screen.query_one("#visit-heading").render())
            ),
        )
        eta = clock.now.date() + timedelta(days=2)
        assert f"ordered {eta:%m-%d}" in row_text(app.screen.query_one("#lines"), 0)
    assert d.lifecycle.visit_view(vid).lines[0].eta == eta
    assert not est02().blocking


async def test_a_promise_before_a_parts_eta_is_refused_naming_the_part(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    eta = clock.now.date() + timedelta(days=3)
    add_part(shop, vid, availability="back_order", eta=eta)
    d = shop.desk
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        notes = record_notifications(app)
        await open_estimate(pilot, app)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press(*"tomorrow 17:00", "enter")
        await wait_for(pilot, lambda: any("arrives" in n for n in notes))
        refusal = next(n for n in notes if "arrives" in n)
        assert "Rear brake disc pair" in refusal and f"{eta:%Y-%m-%d}" in refusal
        assert isinstance(app.screen, FormDialog)  # still open with what was typed
        assert d.lifecycle.visit_view(vid).visit.promised_at is None
        # a time on the day the part arrives is taken
        form = app.screen
        form.query_one("Input").value = f"{eta:%Y-%m-%d} 17:00"
        await pilot.press("enter")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).visit.promised_at is not None)
    assert d.lifecycle.visit_view(vid).visit.promised_at.date() == eta


async def test_the_workshop_lines_show_stock_eta_work_and_technician_within_80_columns(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")  # the canned brake pads job, its parts in stock
    d = shop.desk
    d.lifecycle.assign(shop.mgr, d.lifecycle.ref(vid), shop.tech.id, "B1")
    first, second = d.lifecycle.visit_view(vid).lines[:2]
    d.workshop.finish_line(shop.tech, d.lifecycle.ref(vid), first.id)
    d.workshop.start_line(shop.tech, d.lifecycle.ref(vid), second.id)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "WorkshopScreen" and app.screen.view is not None)
        await wait_for(pilot, lambda: app.screen.query_one("#work-lines").row_count >= 2)
        table = app.screen.query_one("#work-lines")
        assert "done 张强" in row_text(table, 0)
        assert "in work 张强" in row_text(table, 1)
        assert any("in stock" in row_text(table, i) for i in range(table.row_count))
        # every column is on screen: the table is no wider than the terminal
        assert table.virtual_size.width <= 80
        assert table.region.right <= 80
