"""In-place row updates (issue #6): one checklist row redrawn for a mark, estimate
rows appended without rendering the others again; what is on screen is the new
data, the other rows as before."""

from __future__ import annotations

from datetime import datetime

from textual.app import App
from textual.widgets import DataTable

from desk.domain.checklist import ItemMark, ItemState, ItemStatus, MarkKind, MotItem
from desk.domain.entities import Role
from desk.widgets.checklist import Checklist
from desk.widgets.tables import append_rows


def _item(n: int) -> MotItem:
    return MotItem(f"T-{n:02d}", "BOOKED", f"Item {n}", f"项目 {n}", True, Role.ADVISOR)


def _screen_text(table) -> list[str]:
    return ["".join(seg.text for seg in table.render_line(y)) for y in range(table.size.height)]


class Host(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self):
        yield self.widget


async def test_update_status_redraws_that_row_only():
    items = [ItemStatus(_item(n), ItemState.OPEN) for n in range(5)]
    checklist = Checklist()
    async with Host(checklist).run_test(size=(120, 12)) as pilot:
        checklist.show(items)
        await pilot.pause()
        before = _screen_text(checklist)
        assert sum("[ ]" in line for line in before) == 5
        mark = ItemMark("T-02", MarkKind.WAIVED, 1, datetime(2026, 1, 1), "no time")
        assert checklist.update_status(ItemStatus(_item(2), ItemState.WAIVED, mark))
        assert not checklist.update_status(ItemStatus(_item(9), ItemState.DONE))  # not in this checklist
        await pilot.pause()
        after = _screen_text(checklist)
        row = next(i for i, line in enumerate(after) if "T-02" in line)
        assert "[w]" in after[row] and "no time" in after[row]
        assert [line for i, line in enumerate(after) if i != row] == [line for i, line in enumerate(before) if i != row]
        assert checklist.statuses[2].state == ItemState.WAIVED
        # a reload with the same items changes rows in place, a different list replaces them
        checklist.show([ItemStatus(_item(n), ItemState.DONE) for n in range(5)])
        await pilot.pause()
        assert sum("[x]" in line for line in _screen_text(checklist)) == 5
        checklist.show([ItemStatus(_item(7), ItemState.OPEN)])
        assert checklist.row_count == 1 and checklist.statuses[0].item.id == "T-07"


async def test_append_rows_shows_the_new_rows_and_keeps_the_old():
    table = DataTable()
    async with Host(table).run_test(size=(60, 10)) as pilot:
        table.add_column("Description", key="d", width=20)
        table.add_column("Amount", key="a", width=10)
        append_rows(table, [("1", ("Oil", "10.00")), ("2", ("Filter", "5.00"))])
        await pilot.pause()
        before = _screen_text(table)
        append_rows(table, [("3", ("Wipers", "7.50"))])
        await pilot.pause()
        after = _screen_text(table)
        assert any("Wipers" in line and "7.50" in line for line in after)
        assert after[:3] == before[:3]  # header and the two rows as they were
        assert table.row_count == 3


async def test_a_line_form_stays_open_with_its_values_when_no_manager_approves(shop, clock, db_url):
    """The form stays up while the line is saved: a refused override leaves it
    open with what was typed; a line within the advisor's limit closes it with
    the line and the new totals on screen."""
    from textual.widgets import Input, Static

    from desk.shell.app import make_app
    from desk.widgets.dialogs import FormDialog
    from tests import flow
    from tests.functional.pilot import screen_name, wait_for
    from tests.functional.test_checkin_lane import on, type_text

    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    before = len(shop.desk.lifecycle.visit_view(vid).lines)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "EstimateScreen")() and app.screen.view is not None)
        estimate = app.screen
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        await type_text(pilot, "Goodwill labour")
        await pilot.press("tab", "tab")
        await type_text(pilot, "300")
        await pilot.press("tab", "end", "backspace")
        await type_text(pilot, "40")  # beyond the advisor's limit
        await pilot.press("enter", "enter", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval")
        await pilot.press("escape")  # no manager authorises it
        await wait_for(pilot, lambda: app.screen is form)
        assert not form.busy
        assert form.query_one("#f-description", Input).value == "Goodwill labour"
        assert len(shop.desk.lifecycle.visit_view(vid).lines) == before
        # within the limit: saved, the form closes with the line and totals shown
        assert app.focused is not None and app.focused.id == "f-free"  # where Enter was pressed
        await pilot.press("shift+tab", "shift+tab", "end", "backspace", "backspace")
        await type_text(pilot, "5")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is estimate and estimate.query_one("#lines").row_count == before + 1)
        assert "Goodwill labour" in str(estimate.query_one("#lines").get_row_at(before)[1])
        saved = shop.desk.lifecycle.visit_view(vid)
        assert saved.lines[-1].description == "Goodwill labour" and saved.lines[-1].discount_pct == 5
        from desk.domain.money import format_money

        await wait_for(
            pilot,
            lambda: format_money(saved.estimate_totals.total) in str(estimate.query_one("#totals", Static).render()),
        )
