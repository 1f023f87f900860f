"""Pasted text by a real paste event: kept as it came (every line, in its order),
less the control characters, escape sequences and bidi overrides, with the count
said; a text over its limit is never cut: its counter shows, the save is refused
with the length named, nothing is lost."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, Static

from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog
from tests.functional.pilot import record_notifications, screen_name, wait_for


async def booking_form(pilot, app):
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    await pilot.press("b")
    await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
    await pilot.press(*"京A12345")
    await wait_for(pilot, lambda: app.screen.rows)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    await pilot.press("tab")  # the customer's request
    await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "f-concern")


async def paste(pilot, app, text: str) -> None:
    app.post_message(events.Paste(text))
    await wait_for(pilot, lambda: True)


async def test_a_paste_keeps_its_text_in_order_less_the_controls_and_says_so(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        notes = record_notifications(app)
        await booking_form(pilot, app)
        await paste(pilot, app, "ansi \x1b[31mred\x1b[0m text \u202eevil\u202c\nsecond line\x07")
        field = app.screen.query_one("#f-concern", Input)
        await wait_for(pilot, lambda: field.value)
        assert field.value == "ansi red text evil second line"
        assert any("12 control characters removed" in n for n in notes), notes
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
    booked = [v for v in shop.desk.people.vehicle_visits(shop.vehicle) if v["stage"] == "BOOKED"]
    assert booked[0]["concerns"] == ["ansi red text evil second line"]


async def test_a_long_paste_is_not_cut_its_counter_shows_and_the_save_is_refused(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await booking_form(pilot, app)
        await paste(pilot, app, "x" * 10_000)
        field = app.screen.query_one("#f-concern", Input)
        await wait_for(pilot, lambda: len(field.value) == 10_000)  # nothing cut
        counter = app.screen.query_one("#c-concern", Static)
        await wait_for(pilot, lambda: "10000/500" in str(counter.render()))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "Too long" in str(app.screen.query_one("#e-concern", Static).render()))
        assert "10000" in str(app.screen.query_one("#e-concern", Static).render())
        assert isinstance(app.screen, FormDialog) and len(field.value) == 10_000
        # cut to the limit by hand: the counter says where it is, and it saves
        field.value = "y" * 487
        await wait_for(pilot, lambda: "487/500" in str(counter.render()))
        field.value = "Brakes squeak"
        await wait_for(pilot, lambda: str(counter.render()).strip() == "")  # far from the limit: no counter
    assert not [v for v in shop.desk.people.vehicle_visits(shop.vehicle) if v["stage"] == "BOOKED"]


async def test_a_reason_near_its_limit_shows_its_counter(shop, clock, db_url):
    from desk.widgets.dialogs import ReasonDialog

    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        app.push_screen(ReasonDialog("Why?"))
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await paste(pilot, app, "r" * 495)
        counter = app.screen.query_one("#reason-counter", Static)
        await wait_for(pilot, lambda: "495/500" in str(counter.render()))
        await paste(pilot, app, "r" * 10)
        await wait_for(pilot, lambda: "505/500" in str(counter.render()))
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Too long" in str(app.screen.query_one("#reason-error", Static).render()))
        assert len(app.screen.query_one("#reason", Input).value) == 505  # nothing cut


async def test_a_terminal_paste_with_escape_and_tab_stays_in_its_field(shop, clock, db_url):
    """What a terminal sends for a paste (bracketed: ESC [200~ … ESC [201~),
    read by the parser the app's terminal and web drivers use: the ESC inside
    it used to end the paste, the rest became keys (tab moved focus, the digits
    landed in quantity and price)."""
    from textual.drivers import linux_driver, web_driver

    from tests import flow

    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "EstimateScreen" and app.screen.view is not None)
        await pilot.press("p")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, FormDialog) and app.focused is not None and app.focused.id == "f-description"
            ),
        )
        form = app.screen
        assert web_driver.XTermParser is linux_driver.XTermParser  # one parser for both
        parser = linux_driver.XTermParser()
        sent = "\x1b[200~Brake pads\x1b[31m front\x1b[0m\t99\t12.50\x1b\x07\x1b[201~"
        for event in [*parser.feed(sent[:9]), *parser.feed(sent[9:])]:
            app.post_message(event)
        description = form.query_one("#f-description", Input)
        await wait_for(pilot, lambda: description.value)
        assert app.focused is description
        assert description.value == "Brake pads front 99 12.50"
        assert form.query_one("#f-qty", Input).value == "1"
        assert form.query_one("#f-unit_cents", Input).value == ""
        await wait_for(pilot, lambda: any("control character" in n for n in notes))
