"""Keys typed faster than the app handles them go where they were meant: a fast
typist's burst through a form, a barcode scanner's VIN and Enter. The keys are
posted all at once (tests.functional.pilot.burst), not pressed one by one with the
app idle in between."""

from __future__ import annotations

from textual.widgets import Input

from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog
from tests.functional.pilot import burst, screen_name, wait_for


def on(app, name):
    return lambda: screen_name(app) == name


async def test_a_burst_through_the_new_customer_form_fills_each_field(shop, clock, db_url):
    """Ctrl+N opens the form and the name, Tab, phone, Tab, plate typed in the
    same burst land in their own fields (they all went into the lookup box, or
    all into the name, before)."""
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await pilot.press("b")
        await wait_for(pilot, on(app, "LookupScreen"))
        burst(app, "ctrl+n", "Fast Typer", "tab", "13800138555", "tab", "沪F12345")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, FormDialog) and app.screen.query_one("#f-plate", Input).value == "沪F12345",
        )
        values = {i.id: i.value for i in app.screen.query(Input)}
        assert (values["f-name"], values["f-phone"], values["f-plate"]) == ("Fast Typer", "13800138555", "沪F12345")
        assert values["f-vin"] == ""
        burst(app, "ctrl+s")
        await wait_for(pilot, lambda: shop.desk.people.lookup("沪F12345"))
    found = shop.desk.people.lookup("沪F12345")
    assert [(c.name, c.phone) for _v, c in found] == [("Fast Typer", "+8613800138555")]


async def test_a_scanned_vin_and_enter_open_the_car(shop, clock, db_url, monkeypatch):
    """A USB scanner types the VIN and Enter in a few milliseconds: the lookup
    takes every character, and the Enter, which comes before the search has
    answered, picks the car once it is found."""
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    vin = "1M8GDM9AXKP042788"  # the shop's car (tests/conftest.py)
    from desk.screens.lookup import LookupScreen

    picked = []
    dismiss = LookupScreen.dismiss

    def recorded(screen, result=None):
        picked.append((screen.query_one("#q", Input).value, result))
        return dismiss(screen, result)

    monkeypatch.setattr(LookupScreen, "dismiss", recorded)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        burst(app, "/", vin, "enter")
        await wait_for(pilot, lambda: picked)  # the Enter picked the car
        assert picked == [(vin, (shop.customer, shop.vehicle))]  # every character, the car it found
        await wait_for(pilot, on(app, "PickDialog"))  # book, walk in or open its visit


async def test_every_field_of_a_tall_form_is_reachable_and_visible_at_80x24(shop, clock, db_url):
    """The new-customer form has nine fields: at 80x24 Tab brings each into
    view (the lower ones were below the screen), and the form is no wider."""
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await pilot.press("b")
        await wait_for(pilot, on(app, "LookupScreen"))
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        names = [f.name for f in form.fields]
        assert len(names) == 9
        screen_box = form.region
        for i, name in enumerate(names):
            field = form.query_one(f"#f-{name}", Input)
            await wait_for(pilot, lambda field=field: app.focused is field)
            await pilot.pause()
            box = field.region
            assert box.width > 0 and screen_box.contains_region(box), (name, box)
            if i < len(names) - 1:
                await pilot.press("tab")
        assert form.query_one(".dialog").region.width <= 80
