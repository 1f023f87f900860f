"""Sign-in with a PIN, the idle auto-lock (frozen clock), manager approval on
someone else's terminal, and typed text shown literally — all by real keys."""

from __future__ import annotations

import sqlalchemy as sa
from rich.text import Text
from textual.app import App
from textual.widgets import Input, OptionList, Static

from desk import auth
from desk.shell.app import make_app
from desk.store import pinkey
from desk.store.models import UserRow
from desk.widgets.safe import literal
from tests.functional.pilot import screen_name, wait_for

CHEAP = dict(n=2**4, r=8, p=1)  # the policy is under test here, not scrypt's cost


def cheap_pin(desk, user_id: int, pin: str) -> None:
    with desk.ctx.engine.begin() as conn:
        conn.execute(
            sa.update(UserRow)
            .where(UserRow.id == user_id)
            .values(pin_hash=auth.hash_pin(pin, key=pinkey.current(create=True), **CHEAP))
        )


def error_text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def type_pin(pilot, pin: str) -> None:
    await pilot.press(*pin, "enter")


async def test_pin_sign_in_wrong_then_right(shop, clock, db_url):
    cheap_pin(shop.desk, shop.sa.id, "2468")
    app = make_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(OptionList)))
        await pilot.press("enter")  # 王丽, first in the list, has a PIN
        pin = app.screen.query_one("#signin-pin", Input)
        await wait_for(pilot, lambda: pin.display and pin.has_focus)
        assert pin.password
        await type_pin(pilot, "1111")
        await wait_for(pilot, lambda: "Wrong PIN" in error_text(app, "#signin-error"))
        assert app.user is None and screen_name(app) == "SignInScreen"
        await type_pin(pilot, "2468")
        await wait_for(pilot, lambda: app.user is not None)
        assert app.user.name == "王丽"


async def test_user_option_still_asks_for_the_pin(shop, clock, db_url):
    cheap_pin(shop.desk, shop.mgr.id, "1357")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
        await wait_for(pilot, lambda: app.screen.query_one("#signin-pin", Input).has_focus)
        assert app.user is None
        await type_pin(pilot, "1357")
        await wait_for(pilot, lambda: app.user is not None and app.screen.query("#board"))
        assert app.user.name == "周经理"


async def test_idle_terminal_locks_and_the_pin_unlocks_it(shop, clock, db_url):
    cheap_pin(shop.desk, shop.sa.id, "2468")
    app = make_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(OptionList)))
        await pilot.press("enter")
        await type_pin(pilot, "2468")
        await wait_for(pilot, lambda: app.user is not None and app.screen.query("#board"))
        assert app.session.idle_timer is not None  # the check runs on its own every few seconds
        minutes = app.session.idle_lock_minutes()
        assert minutes == auth.IDLE_LOCK_MINUTES
        # a key press counts as activity: not locked after twice the idle time in two halves
        clock.advance(minutes=minutes - 1)
        await pilot.press("t")
        clock.advance(minutes=minutes - 1)
        app.session.check_idle()
        await pilot.pause()
        assert app.user is not None and not app.session.locked
        clock.advance(minutes=1)
        app.session.check_idle()
        await wait_for(pilot, lambda: screen_name(app) == "LockScreen")
        assert app.user is None
        await pilot.press("f2", "slash")  # nothing opens behind a locked screen
        await pilot.pause()
        assert screen_name(app) == "LockScreen"
        await wait_for(pilot, lambda: app.screen.query_one("#signin-pin", Input).has_focus)
        await pilot.press("escape")  # back to the list at most, never unlocked
        await pilot.press("escape")
        assert screen_name(app) == "LockScreen" and app.user is None
        await pilot.press("enter")
        await type_pin(pilot, "2468")
        await wait_for(pilot, lambda: app.user is not None)
        assert app.user.name == "王丽" and app.screen.query("#board") and not app.session.locked


async def test_wrong_pins_on_the_sign_in_screen_lock_the_user(shop, clock, db_url):
    cheap_pin(shop.desk, shop.sa.id, "2468")
    app = make_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(OptionList)))
        await pilot.press("enter")
        for _ in range(auth.MAX_FAILURES):
            await type_pin(pilot, "0000")
            await wait_for(pilot, lambda: not app.screen.query_one("#signin-pin", Input).disabled)
        assert "60" in error_text(app, "#signin-error")
        await type_pin(pilot, "2468")
        await wait_for(pilot, lambda: "try again" in error_text(app, "#signin-error"))
        assert app.user is None
        clock.advance(seconds=60)
        await type_pin(pilot, "2468")
        await wait_for(pilot, lambda: app.user is not None)


async def test_manager_approves_on_an_advisors_terminal(shop, clock, db_url):
    from desk.widgets.approval import ManagerApproval

    cheap_pin(shop.desk, shop.mgr.id, "1357")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    results = []
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.user is not None and app.screen.query("#board"))
        app.push_screen(ManagerApproval("Waive RCP-04 [bold]now[/bold]"), results.append)
        await wait_for(
            pilot,
            lambda: (
                app.screen.query("#approval-managers")
                and app.screen.query_one("#approval-managers", OptionList).option_count == 1
            ),
        )
        assert "[bold]now[/bold]" in str(app.screen.query_one("#approval-action").render())
        await pilot.press("enter")  # the only manager with a PIN
        await type_pin(pilot, "1358")
        await wait_for(pilot, lambda: "Wrong PIN" in error_text(app, "#approval-error"))
        await type_pin(pilot, "1357")
        await wait_for(pilot, lambda: results)
        assert results[0].name == "周经理"
        assert app.user.name == "王丽"  # the terminal's user stays signed in
        app.push_screen(ManagerApproval("Overbook"), results.append)
        await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval")
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(results) == 2)
        assert results[1] is None


async def test_a_pin_prompts_long_reason_wraps_inside_the_dialog(shop, clock, db_url):
    """The reason of a PIN prompt was cut at the dialog's edge (breaking test of
    issue 25): at 80x24 every word of it is inside the dialog."""
    from desk.widgets.approval import ManagerApproval

    reason = (
        "Deliver with a balance left\nNot allowed: deliver with a balance due needs a manager: "
        "the customer pays 1,234.50 later by bank transfer, as agreed with the service manager"
    )
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.user is not None and app.screen.query("#board"))
        app.push_screen(ManagerApproval(reason))
        await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval")
        await pilot.pause()
        label = app.screen.query_one("#approval-action")
        dialog = app.screen.query_one("#approval")
        assert label.region.right <= dialog.content_region.right
        assert label.region.height >= 3  # wrapped, not cut


def test_literal_never_interprets_markup_or_escapes():
    markup = literal("[bold]x[/bold]")
    assert isinstance(markup, Text) and markup.plain == "[bold]x[/bold]" and not markup.spans
    escaped = literal("\x1b[31mred\x1b[0m")
    assert "\x1b" not in escaped.plain and escaped.plain == "␛[31mred␛[0m"
    assert literal("a\u202eb").plain == "a\ufffdb"
    assert literal("line\nnext").plain == "line␊next"
    assert literal("line\nnext", multiline=True).plain == "line\nnext"
    assert literal(None).plain == ""


async def test_typed_markup_and_escapes_show_literally_on_screen():
    class Show(App):
        def compose(self):
            yield Static(literal("[bold]x[/bold] [@click=app.quit]q[/] \x1b[31mred"), id="typed")

    app = Show()
    async with app.run_test(size=(80, 5)) as pilot:
        await pilot.pause()
        shown = app.query_one("#typed", Static).render()
        assert str(shown) == "[bold]x[/bold] [@click=app.quit]q[/] ␛[31mred"
        assert app.is_running  # the "link" did not quit


async def test_user_names_with_markup_show_literally_at_sign_in(desk, clock, db_url):
    desk.people.create_user(None, "[red]Eve[/red]", ["advisor"])
    desk.people.create_user(None, "Bob", ["advisor"])
    app = make_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(OptionList)))
        option = app.screen.query_one("#signin-users", OptionList).get_option_at_index(0)
        assert "[red]Eve[/red]" in str(option.prompt)
