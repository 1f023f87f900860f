"""The new-customer form reads the VIN as it is typed (offline): make and model
year filled, what the advisor typed left alone, a wrong check digit said under
the VIN without blocking the save (outside North America)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from desk.i18n import set_locale
from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog
from tests.functional.pilot import screen_name, wait_for


async def new_customer_form(pilot):
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    await pilot.press("b")
    await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    return app.screen


def value(form, name: str) -> str:
    return form.query_one(f"#f-{name}", Input).value


async def type_into(pilot, form, name: str, text: str) -> None:
    form.query_one(f"#f-{name}", Input).focus()
    await pilot.press(*text)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_typing_a_vin_fills_make_and_year_and_saves_the_car(shop, clock, db_url, lang):
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(100, 40)) as pilot:
        form = await new_customer_form(pilot)
        await type_into(pilot, form, "name", "Anna Schmidt")
        await type_into(pilot, form, "phone", "13500001234")
        await type_into(pilot, form, "plate", "苏D13579")
        await type_into(pilot, form, "vin", "WBA3A5C53CF25698")
        assert (value(form, "make"), value(form, "year")) == ("", "")  # 16 characters: not yet a VIN
        await pilot.press("5")
        await wait_for(pilot, lambda: value(form, "make") == "BMW")
        assert value(form, "year") == "2012"
        assert str(form.query_one("#e-vin", Static).render()).strip() == ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: shop.desk.people.lookup("苏D13579"))
    (vehicle, _customer), *_ = shop.desk.people.lookup("苏D13579")
    assert (vehicle.vin, vehicle.make, vehicle.year) == ("WBA3A5C53CF256985", "BMW", 2012)


async def test_a_make_typed_first_stays_and_a_doubtful_check_digit_is_said_not_refused(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(100, 40)) as pilot:
        form = await new_customer_form(pilot)
        await type_into(pilot, form, "make", "Volkswagen")
        # a Chinese VIN whose position 9 is no check digit (7 expected)
        await type_into(pilot, form, "vin", "LSVAM4181C2184847")
        await wait_for(pilot, lambda: value(form, "year") == "2012")
        assert value(form, "make") == "Volkswagen"  # the advisor's, not the table's
        note = str(form.query_one("#e-vin", Static).render())
        assert "check digit does not match" in note
        # corrected: the note goes, the year the VIN filled follows it
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press("backspace", "backspace", "backspace")
        await pilot.press(*"7C2184847")
        await wait_for(pilot, lambda: str(form.query_one("#e-vin", Static).render()).strip() == "")
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press("backspace", "backspace", "backspace", "backspace")  # back to "LSVAM4"
        await pilot.press(*"187D2184847")  # D: 2013
        await wait_for(pilot, lambda: value(form, "year") == "2013")
        assert value(form, "make") == "Volkswagen"


async def test_a_make_the_vin_filled_goes_when_the_vin_is_corrected_to_an_unknown_maker(shop, clock, db_url):
    """A Honda VIN filled Honda; corrected to a VIN of a maker the table does not
    know, Honda stayed and was saved with it (breaking test of issue 29)."""
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(100, 40)) as pilot:
        form = await new_customer_form(pilot)
        await type_into(pilot, form, "vin", "1HGCM82633A004352")
        await wait_for(pilot, lambda: value(form, "make") == "Honda")
        await pilot.press("ctrl+u", *"LMMAU2187N2183294")
        await wait_for(pilot, lambda: value(form, "year") == "2022")
        assert value(form, "make") == ""  # nobody typed it, and this VIN does not say it
