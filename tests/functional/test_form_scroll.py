"""A tall form at 80x24 opens with its title and first label in view, and Tab
brings each field into view with its label (issue 29: the new-customer form
opened with its first label scrolled away)."""

from __future__ import annotations

from textual.widgets import Input

from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog
from tests.functional.pilot import screen_name, wait_for
from tests.functional.test_screens_fit import screen_text


async def test_the_new_customer_form_opens_at_its_top_and_tab_shows_each_label(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await pilot.press("slash")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog) and app.screen.focused is not None)
        form = app.screen
        await wait_for(pilot, lambda: "New customer and vehicle" in screen_text(app) and "Name" in screen_text(app))
        labels = ["Phone", "Plate", "VIN", "Make", "Model", "Year", "Purchase date", "Odometer km"]
        for label in labels:
            await pilot.press("tab")
            name = form.focused.id
            await wait_for(pilot, lambda label=label: f"  {label}" in screen_text(app))
            box = form.query_one(f"#{name}", Input)
            assert box.region.height and form.query_one("FormBody").region.contains_region(box.region), label
