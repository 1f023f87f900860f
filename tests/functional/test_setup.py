"""Shop set-up (f9), the help screen (f1) and a remapped key — by real keys."""

from __future__ import annotations

from sqlmodel import Session, select
from textual.widgets import DataTable, Input, OptionList, Static

from desk.config import Settings
from desk.domain.entities import Role
from desk.shell.app import make_app
from desk.store.models import AuditEventRow
from tests.functional.pilot import record_notifications, screen_name, wait_for
from tests.functional.test_signin import cheap_pin, type_pin


def rows(app) -> list[list[str]]:
    table = app.screen.query_one("#setup-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def table_text(app) -> str:
    if screen_name(app) != "SetupScreen":
        return ""
    return "\n".join(" | ".join(r) for r in rows(app))


async def open_setup(pilot, app, section: str | None = None):
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    await pilot.press("f9")
    await wait_for(pilot, lambda: screen_name(app) == "SetupScreen" and app.screen.rows)
    if section:
        await pilot.press(section)
        await wait_for(pilot, lambda: app.screen.rows and app.screen.section and rows(app))


async def to_row(pilot, app, text: str) -> None:
    table = app.screen.query_one("#setup-table", DataTable)
    for i, row in enumerate(rows(app)):
        if any(text == c or text in c for c in row):
            table.move_cursor(row=i)
            await pilot.pause()
            return
    raise AssertionError(f"no row with {text!r}")


async def fill(pilot, app, *values: str) -> None:
    """Type into each field of a FormDialog (replacing what is there), Enter on the last."""
    for i, value in enumerate(values):
        field = app.screen.focused
        assert isinstance(field, Input)
        field.value = ""
        await pilot.press(*value) if value else None
        await pilot.press("enter" if i == len(values) - 1 else "tab")


def stored(shop, key):
    return {v.key: v for v in shop.desk.setup.shop_settings()}[key]


async def test_manager_changes_a_setting_and_a_bad_value_is_explained(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_setup(pilot, app)
        await to_row(pilot, app, "Slot length (minutes)")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "45")  # does not divide 08:00-18:00
        await wait_for(pilot, lambda: "do not divide" in str(app.screen.query_one("#e-value", Static).render()))
        assert screen_name(app) == "FormDialog"  # nothing lost, nothing written
        assert stored(shop, "slot_minutes").source == "desk.toml"
        await fill(pilot, app, "20")
        await wait_for(pilot, lambda: screen_name(app) == "SetupScreen" and "20" in table_text(app))
        assert stored(shop, "slot_minutes").value == 20
        assert "shop (all terminals)" in table_text(app)
        assert app.desk.ctx.schedule.slot_minutes == 20


async def test_the_shop_renamed_by_keys_shows_in_both_terminals_headers(shop, clock, db_url):
    a = make_app(db_url=db_url, clock=clock, user_name="周经理")
    b = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        await wait_for(pb, lambda: screen_name(b) == "AppointmentsScreen" and "王丽" in b.sub_title)
        await open_setup(pa, a)
        await to_row(pa, a, "Shop name")
        await pa.press("e")
        await wait_for(pa, lambda: screen_name(a) == "FormDialog")
        await fill(pa, a, "Hill Road Motors")
        await wait_for(pa, lambda: screen_name(a) == "SetupScreen" and "Hill Road Motors" in table_text(a))
        await wait_for(pa, lambda: a.sub_title.startswith("Hill Road Motors | "))
        await wait_for(pb, lambda: b.sub_title.startswith("Hill Road Motors | "))
        assert "王丽" in b.sub_title and "周经理" in a.sub_title


async def test_manager_moves_the_first_reminder_and_the_next_booking_is_reminded_then(shop, clock, db_url):
    """APPT-09's offsets on f9 (issue 26): the first reminder 48 h before, by keys;
    one not before the second is explained; the next booking's reminder follows."""
    from datetime import timedelta

    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_setup(pilot, app)
        await to_row(pilot, app, "First reminder (hours before)")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "1")  # 1 h before, the second 60 min before: not first
        await wait_for(pilot, lambda: "must come before" in str(app.screen.query_one("#e-value", Static).render()))
        await fill(pilot, app, "48")
        await wait_for(
            pilot, lambda: screen_name(app) == "SetupScreen" and stored(shop, "reminder_day_hours").value == 48
        )
        d = app.desk  # this terminal's services: the setting in force
        at = clock.now + timedelta(days=3)
        vid = d.booking.book(
            shop.sa,
            customer_id=shop.customer,
            vehicle_id=shop.vehicle,
            booking=d.booking.draft(at=at, concerns=[("Annual service", ["service"])]),
        ).id
        clock.advance(hours=23)  # 49 h before the appointment: not yet
        assert d.booking.reminders() == []
        clock.advance(hours=1)  # 48 h before
        assert [(r.visit_id, r.kind) for r, _v, _c in d.booking.reminders()] == [(vid, "day")]


async def test_an_advisor_sees_set_up_read_only_and_needs_a_manager_pin(shop, clock, db_url):
    cheap_pin(shop.desk, shop.mgr.id, "1357")
    # a foreman with a PIN approves price overrides, never set-up: not offered here
    # (he was, and his PIN was then refused; breaking test of issue 24)
    foreman = shop.desk.people.create_user(None, "老李", [Role.FOREMAN])
    cheap_pin(shop.desk, foreman, "2468")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_setup(pilot, app)
        assert "Read-only" in str(app.screen.query_one("#setup-note", Static).render())
        await to_row(pilot, app, "Workshop bays")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "8")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "ManagerApproval"
                and app.screen.query_one("#approval-managers", OptionList).option_count == 1
            ),
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one("#approval-pin", Input).has_focus)
        await type_pin(pilot, "1357")
        await wait_for(pilot, lambda: screen_name(app) == "SetupScreen" and stored(shop, "bays").value == 8)
        with Session(shop.desk.ctx.engine) as s:
            event = s.exec(select(AuditEventRow).where(AuditEventRow.action == "setup.setting")).one()
        assert event.user_name == "周经理"  # the approving manager is the actor


async def test_checklist_templates_make_required_add_own_and_protect_the_standard(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    notes = record_notifications(app)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_setup(pilot, app, "2")
        await wait_for(pilot, lambda: "RCP-03" in table_text(app))
        await to_row(pilot, app, "RCP-03")
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: (
                shop.desk.setup.template_items()
                and next(v for v in shop.desk.setup.template_items() if v.item.id == "RCP-03").item.required
            ),
        )
        # a standard required item: neither optional nor deleted
        await to_row(pilot, app, "RCP-04")
        await pilot.press("r")
        await wait_for(pilot, lambda: any("cannot be made optional" in n for n in notes))
        await pilot.press("d")
        await wait_for(pilot, lambda: any("cannot be deleted" in n for n in notes))
        assert screen_name(app) == "SetupScreen"
        # the shop's own item
        await pilot.press("a")
        await wait_for(pilot, lambda: screen_name(app) == "PickDialog")
        await pilot.press("down", "down", "enter")  # WALKAROUND
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "Photograph the dashboard", "拍摄仪表盘", "y")
        await wait_for(pilot, lambda: "OWN-01" in table_text(app))
        own = next(v for v in shop.desk.setup.template_items() if v.item.id == "OWN-01")
        assert own.item.stage == "WALKAROUND" and own.item.required and own.own
        await to_row(pilot, app, "OWN-01")
        await pilot.press("d")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmDialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: "OWN-01" not in table_text(app))


async def test_canned_job_added_with_a_line(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_setup(pilot, app, "3")
        await wait_for(pilot, lambda: "oil" in table_text(app))
        await pilot.press("a")
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "oil", "Oil again", "")
        await wait_for(pilot, lambda: "is taken" in str(app.screen.query_one("#e-job_id", Static).render()))
        await fill(pilot, app, "wipers", "Wiper blades", "更换雨刮片")  # the cursor is back on the code
        await wait_for(pilot, lambda: "wipers" in table_text(app))
        await to_row(pilot, app, "wipers")
        await pilot.press("l")
        await wait_for(pilot, lambda: screen_name(app) == "PickDialog")
        await pilot.press("down", "enter")  # part
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "Wiper blade pair", "1", "-5")
        await wait_for(pilot, lambda: "negative" in str(app.screen.query_one("#e-unit_cents", Static).render()))
        await fill(pilot, app, "128.50")  # the cursor waits in the field in error
        await wait_for(pilot, lambda: "128.50" in table_text(app))
        job = next(j for j in shop.desk.estimate.canned_jobs() if j.id == "wipers")
        assert job.lines == ({"kind": "part", "description": "Wiper blade pair", "qty": "1", "unit_cents": 12850},)


async def test_opening_checklist_ticked_and_shown_on_the_board(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        title = lambda: str(app.screen.query_one("#board-title", Static).render())
        await wait_for(pilot, lambda: "Opening checklist: 6 open" in title())
        await open_setup(pilot, app, "4")
        for _ in range(6):
            await pilot.press("space")  # ticks, and the cursor moves on to the next standard
            await wait_for(pilot, lambda: True)
        await wait_for(pilot, lambda: table_text(app).count("王丽") == 6)
        assert shop.desk.setup.opening_open_items() == []
        await pilot.press("f2")
        await wait_for(pilot, lambda: "Opening checklist done" in title())


async def test_users_and_roles_by_keys(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_setup(pilot, app, "5")
        await wait_for(pilot, lambda: "张强" in table_text(app))
        await pilot.press("a")
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "刘洋")
        await wait_for(pilot, lambda: screen_name(app) == "PickDialog")
        await pilot.press("enter")  # advisor
        await wait_for(pilot, lambda: "刘洋" in table_text(app))
        await to_row(pilot, app, "刘洋")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "PickDialog")
        await pilot.press("down", "down", "down", "down", "enter")  # foreman
        await wait_for(pilot, lambda: "foreman" in table_text(app))
        uid = next(u.id for u in shop.desk.people.users() if u.name == "刘洋")
        assert shop.desk.people.user(uid).roles == {Role.FOREMAN}
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmDialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: not shop.desk.people.user(uid).active)
        # the only manager cannot demote themselves
        notes = record_notifications(app)
        await to_row(pilot, app, "周经理")
        await pilot.press("x")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmDialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: any("cannot deactivate yourself" in n for n in notes))
        assert shop.desk.people.user(shop.mgr.id).active


async def test_a_role_picked_after_another_managers_change_is_kept_and_reapplied(shop, clock, db_url):
    """B opens the role picker for 张强; A (another manager) makes him QC; B picks
    CSR later: refused in words naming A's role (it closed with a toast and the
    pick was lost), then y saves B's pick on top, both audited."""
    from desk.widgets.dialogs import ConfirmDialog, PickDialog

    d = shop.desk
    d.people.create_user(None, "孙经理", [Role.MANAGER])
    uid = next(u.id for u in d.people.users() if u.name == "张强")
    b = make_app(db_url=db_url, clock=clock, user_name="孙经理")
    async with b.run_test(size=(120, 40)) as pb:
        await open_setup(pb, b, "5")
        await wait_for(pb, lambda: "张强" in table_text(b))
        await to_row(pb, b, "张强")
        await pb.press("e")
        await wait_for(pb, lambda: isinstance(b.screen, PickDialog))
        d.setup.set_user_role(shop.mgr, uid, "qc", seen=d.people.user(uid).roles)  # A, meanwhile
        await pb.press("down", "down", "down", "enter")  # csr
        await wait_for(pb, lambda: isinstance(b.screen, ConfirmDialog), tries=600)
        said = str(b.screen.question)
        assert "周经理 set the role of 张强 to QC inspector" in said and "Yours: CSR" in said, said
        assert d.people.user(uid).roles == {Role.QC}  # nothing overwritten unseen
        await pb.press("y")
        await wait_for(pb, lambda: d.people.user(uid).roles == {Role.CSR}, tries=600)
        await wait_for(pb, lambda: screen_name(b) == "SetupScreen" and "CSR" in table_text(b))


async def test_help_lists_the_keys_of_the_current_screen(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await pilot.press("f1")
        await wait_for(pilot, lambda: screen_name(app) == "HelpScreen")
        table = app.screen.query_one("#help-keys", DataTable)
        listed = {str(table.get_row_at(i)[2]): str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert listed["appointments.book"] == "b"
        assert listed["area.setup"] == "f9" and listed["help"] == "f1"
        assert "appointments.day_back" in listed  # hidden from the footer, listed here
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await pilot.press("f9", "f1")
        await wait_for(pilot, lambda: screen_name(app) == "HelpScreen")
        table = app.screen.query_one("#help-keys", DataTable)
        ids = {str(table.get_row_at(i)[2]) for i in range(table.row_count)}
        assert "setup.tick" not in ids and "setup.edit" in ids  # only what works here
        assert "appointments.book" not in ids
        await pilot.press("f1")
        await wait_for(pilot, lambda: screen_name(app) == "SetupScreen")


async def test_a_remapped_key_works_and_a_bad_entry_is_reported(shop, clock, db_url):
    settings = Settings(
        keys={"area.setup": "f10", "appointments.book": "n", "no.such": "f11", "appointments.week": "ctrl+nonsense"}
    )
    app = make_app(db_url=db_url, clock=clock, user_name="王丽", settings=settings)
    notes = record_notifications(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        assert any("no.such" in n for n in notes)
        assert any("ctrl+nonsense" in n for n in notes)
        await pilot.press("f9")
        await pilot.pause()
        assert screen_name(app) == "AppointmentsScreen"  # f9 no longer opens set-up
        await pilot.press("f10")
        await wait_for(pilot, lambda: screen_name(app) == "SetupScreen")
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await pilot.press("n")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")  # booking starts with a lookup


async def test_manager_sets_and_clears_a_pin(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_setup(pilot, app, "5")
        await wait_for(pilot, lambda: "王丽" in table_text(app))
        await to_row(pilot, app, "王丽")
        await pilot.press("p")
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "12")
        await wait_for(pilot, lambda: "4 to 8 digits" in str(app.screen.query_one("#e-pin", Static).render()))
        await fill(pilot, app, "2468")
        await wait_for(pilot, lambda: shop.sa.id in shop.desk.security.pin_users(), tries=600)
        await wait_for(pilot, lambda: any(r[0] == "王丽" and r[3] == "set" for r in rows(app)))
        await pilot.press("c")
        await wait_for(pilot, lambda: screen_name(app) == "ConfirmDialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: shop.sa.id not in shop.desk.security.pin_users())
