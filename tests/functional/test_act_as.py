"""Terminals people share, by real keys, two apps on one database: a technician
ticks the road test on the advisor's terminal with their own PIN (act as, one
action); another terminal switches user with one key; each is audited under the
right name. And the picker after the idle lock never signs a PIN holder in
without the PIN."""

from __future__ import annotations

import json

import sqlalchemy as sa
from textual.widgets import Input, OptionList

from desk.shell.app import make_app
from desk.widgets.checklist import Checklist
from tests import flow
from tests.functional.pilot import screen_name, wait_for
from tests.functional.test_signin import cheap_pin, error_text, type_pin


def events(desk, action: str) -> list:
    with desk.ctx.engine.connect() as conn:
        return conn.execute(
            sa.text("select user_name, before, after from audit_event where action = :a order by id"), {"a": action}
        ).all()


def state(desk, visit_id: int, item_id: str) -> str:
    return {s.item.id: s.state for s in desk.checklist.checklist(visit_id)}[item_id]


def tick_key(app):
    """The footer's space key as the screen has it now (its binding, enabled or
    not), asked as ``app`` (two apps in one process: not the last one started)."""
    with app._context():
        return app.screen.active_bindings["space"]


def options(app, selector: str) -> list[str]:
    table = app.screen.query_one(selector, OptionList)
    return [str(table.get_option_at_index(i).prompt) for i in range(table.option_count)]


async def test_act_as_tick_and_switch_user_on_two_terminals(shop, clock, db_url):
    d = shop.desk
    for user, pin in ((shop.tech, "3333"), (shop.tech2, "5555"), (shop.qc, "6666")):
        cheap_pin(d, user.id, pin)
    vid = flow.book(shop, clock, minutes_ahead=0)  # brake noise: the road test WLK-09 is required
    flow.to_stage(shop, clock, vid, "WALKAROUND")
    assert state(d, vid, "WLK-09") == "open"
    desk_pc = make_app(db_url=db_url, clock=clock, user_name="王丽")  # the advisor, no PIN: signed in
    workshop_pc = make_app(db_url=db_url, clock=clock, user_name="赵敏")
    async with desk_pc.run_test(size=(120, 40)) as a, workshop_pc.run_test(size=(120, 40)) as b:
        # --- the front desk: the advisor may not tick the road test; the technician does, here
        await wait_for(a, lambda: screen_name(desk_pc) == "AppointmentsScreen" and desk_pc.screen.rows)
        await a.press("enter")
        await wait_for(a, lambda: screen_name(desk_pc) == "WalkaroundScreen" and desk_pc.screen.view is not None)
        checklist = desk_pc.screen.query_one(Checklist)

        def cursor_on(item_id: str) -> None:  # in the app's own task (two apps in one process)
            desk_pc.call_later(lambda: (checklist.focus(), checklist.focus_item(item_id)))

        cursor_on("WLK-09")
        await wait_for(a, lambda: checklist.current_item_id == "WLK-09" and not tick_key(desk_pc).enabled)
        own = next(s.item.id for s in checklist.statuses if s.item.id != "WLK-09" and s.blocking)
        cursor_on(own)  # greyed above: the road test is a technician's; the advisor's own item: lit
        await wait_for(a, lambda: checklist.current_item_id == own and tick_key(desk_pc).enabled)
        cursor_on("WLK-09")
        await wait_for(a, lambda: checklist.current_item_id == "WLK-09" and not tick_key(desk_pc).enabled)
        await a.press("space")  # pressed anyway: the same key asks who may, with their PIN
        await wait_for(
            a,
            lambda: (
                screen_name(desk_pc) == "ActAs" and desk_pc.screen.query_one("#approval-users", OptionList).option_count
            ),
        )
        offered = options(desk_pc, "#approval-users")
        assert [o.split()[0] for o in offered] == ["张强", "Mike"]  # technicians with a PIN, not QC or the advisor
        assert "Not allowed" in str(desk_pc.screen.query_one("#approval-action").render())
        await a.press("enter")  # 张强
        await type_pin(a, "5555")  # Mike's PIN is not 张强's
        await wait_for(a, lambda: "Wrong PIN" in error_text(desk_pc, "#approval-error"))
        assert state(d, vid, "WLK-09") == "open"
        await type_pin(a, "3333")
        await wait_for(a, lambda: state(d, vid, "WLK-09") == "done")
        await wait_for(a, lambda: screen_name(desk_pc) == "WalkaroundScreen")
        assert desk_pc.user.name == "王丽" and not desk_pc.session.locked  # the advisor stays signed in
        tick = events(d, "mot.done")[-1]
        assert tick.user_name == "张强" and json.loads(tick.after)["item"] == "WLK-09"

        # --- the workshop PC: the CSR hands over to the technician with one key and his PIN
        await wait_for(b, lambda: workshop_pc.user is not None and screen_name(workshop_pc) == "AppointmentsScreen")
        await b.press("ctrl+l")
        await wait_for(
            b,
            lambda: (
                screen_name(workshop_pc) == "SignInScreen"
                and workshop_pc.screen.query_one("#signin-users", OptionList).option_count
            ),
        )
        names = [o.split()[0] for o in options(workshop_pc, "#signin-users")]
        assert "赵敏" not in names and "张强" in names
        workshop_pc.screen.query_one("#signin-users", OptionList).highlighted = names.index("张强")
        await b.press("enter")
        await wait_for(b, lambda: workshop_pc.screen.query_one("#signin-pin", Input).has_focus)
        await type_pin(b, "3333")
        await wait_for(b, lambda: workshop_pc.user is not None and workshop_pc.user.name == "张强")
        assert screen_name(workshop_pc) == "AppointmentsScreen"
        assert "张强" in workshop_pc.sub_title
        switch = events(d, "user.switch")
        assert len(switch) == 1 and switch[0].user_name == "张强"
        assert json.loads(switch[0].before)["user"] == "赵敏"
        assert json.loads(switch[0].after)["source"].startswith("terminal ")
        # Escape on the switch keeps whoever is signed in
        await b.press("ctrl+l")
        await wait_for(b, lambda: screen_name(workshop_pc) == "SignInScreen")
        await b.press("escape")
        await wait_for(b, lambda: screen_name(workshop_pc) == "AppointmentsScreen")
        assert workshop_pc.user.name == "张强" and len(events(d, "user.switch")) == 1
        assert desk_pc.user.name == "王丽"  # the other terminal is untouched
    assert d.reports.verify_audit() == []


async def test_the_picker_after_the_idle_lock_asks_every_pin_holder_for_the_pin(shop, clock, db_url):
    cheap_pin(shop.desk, shop.sa.id, "2468")
    cheap_pin(shop.desk, shop.mgr.id, "1357")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: app.screen.query("#signin-pin") and app.screen.query_one("#signin-pin", Input).has_focus
        )
        await type_pin(pilot, "2468")
        await wait_for(pilot, lambda: app.user is not None and screen_name(app) == "AppointmentsScreen")
        clock.advance(minutes=app.session.idle_lock_minutes())
        app.session.check_idle()
        await wait_for(pilot, lambda: screen_name(app) == "LockScreen")
        # the same user: her PIN is asked straight away, never signed in by Enter alone
        await wait_for(pilot, lambda: app.screen.query_one("#signin-pin", Input).has_focus)
        await pilot.press("enter")
        await pilot.pause()
        assert app.user is None and screen_name(app) == "LockScreen"
        # someone else from the picker: the manager's PIN is asked too
        await pilot.press("escape")
        users = app.screen.query_one("#signin-users", OptionList)
        names = [str(users.get_option_at_index(i).prompt).split()[0] for i in range(users.option_count)]
        users.highlighted = names.index("周经理")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one("#signin-pin", Input).has_focus)
        assert app.user is None
        await type_pin(pilot, "2468")  # her PIN is not his
        await wait_for(pilot, lambda: "Wrong PIN" in error_text(app, "#signin-error"))
        assert app.user is None
        await type_pin(pilot, "1357")
        await wait_for(pilot, lambda: app.user is not None)
        assert app.user.name == "周经理"


async def test_switch_user_is_one_key_listed_in_help_and_not_offered_before_sign_in(shop, clock, db_url):
    from desk.screens.help import key_rows

    cheap_pin(shop.desk, shop.sa.id, "2468")
    app = make_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
        await pilot.press("ctrl+l")  # nobody signed in yet: nothing to switch from
        await pilot.pause()
        assert len(app.screen_stack) == 2 and app.user is None
        await pilot.press("enter", *"2468", "enter")
        await wait_for(pilot, lambda: app.user is not None and screen_name(app) == "AppointmentsScreen")
        rows = {ident: (keys, what) for keys, what, ident in key_rows(app, app.screen)}
        assert rows["switch_user"] == ("^l", "Switch user") or rows["switch_user"][1] == "Switch user"


async def test_a_manager_clears_a_lockout_on_the_set_up_screen(shop, clock, db_url):
    from textual.widgets import DataTable

    from desk import auth

    d = shop.desk
    cheap_pin(d, shop.tech.id, "3333")
    cheap_pin(d, shop.mgr.id, "1357")
    for _ in range(auth.MAX_FAILURES):
        try:
            d.security.verify_pin(shop.tech.id, "0000")
        except Exception:  # noqa: BLE001 - the wrong PINs are the point
            pass
    assert d.security.locked_for(shop.tech.id) == 60
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")  # an advisor: the manager's PIN on the spot
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.user is not None and screen_name(app) == "AppointmentsScreen")
        await pilot.press("f9", "5")
        await wait_for(
            pilot, lambda: screen_name(app) == "SetupScreen" and app.screen.section == "users" and app.screen.rows
        )
        row = [u.name for u in app.screen.rows].index("张强")
        assert "locked" in str(app.screen.query_one(DataTable).get_row_at(row)[-1])
        app.screen.query_one(DataTable).move_cursor(row=row)
        await pilot.press("u")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "ManagerApproval"
                and app.screen.query_one("#approval-managers", OptionList).option_count == 1
            ),
        )
        assert "1 minute left" in str(app.screen.query_one("#approval-action").render())
        await pilot.press("enter", *"1357", "enter")
        await wait_for(pilot, lambda: d.security.locked_for(shop.tech.id) == 0)
        assert app.user.name == "王丽"
    cleared = events(d, "user.lockout_clear")
    assert len(cleared) == 1 and cleared[0].user_name == "周经理"
    assert json.loads(cleared[0].after)["source"].startswith("terminal ")
    assert d.security.verify_pin(shop.tech.id, "3333").id == shop.tech.id


async def test_a_pin_set_on_another_terminal_meanwhile_is_asked_at_the_picker(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock)  # nobody has a PIN: the picker lists them all
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "SignInScreen" and app.screen.query_one("#signin-users", OptionList).option_count
            ),
        )
        assert shop.sa.id not in app.screen.pin_users
        cheap_pin(shop.desk, shop.sa.id, "2468")  # another terminal, after the list was read
        await pilot.press("enter")  # 王丽
        await wait_for(pilot, lambda: app.screen.query_one("#signin-pin", Input).has_focus)
        assert app.user is None
        await type_pin(pilot, "2468")
        await wait_for(pilot, lambda: app.user is not None)
        assert app.user.name == "王丽"
