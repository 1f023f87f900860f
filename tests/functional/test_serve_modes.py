"""The two apps a browser gets: the lobby board alone (``desk lobby-mode``) and
the app behind the PIN sign-in (``desk browser-mode``)."""

from __future__ import annotations

from textual.widgets import DataTable, Input, OptionList, Static

from desk.shell.app import make_app
from desk.shell.lobby import LobbyApp, make_lobby_app
from desk.shell.store_link import StoreErrorScreen
from tests import flow
from tests.functional.pilot import screen_name, wait_for


def audit_count(desk) -> int:
    import sqlalchemy as sa

    with desk.ctx.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar_one()


def lobby_cells(app) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_lobby_mode_shows_only_the_masked_board_whatever_is_pressed(shop, clock, db_url):
    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    events = audit_count(shop.desk)
    app = make_lobby_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: screen_name(app) == "KioskLobbyScreen" and app.screen.query_one(DataTable).row_count
        )
        assert lobby_cells(app)[0][:2] == ["京A***45", "李*"]
        assert app.user is None
        for key in (
            "f2",
            "f3",
            "f4",
            "f5",
            "f8",
            "slash",
            "ctrl+p",
            "escape",
            "enter",
            "space",
            "a",
            "l",
            "h",
            "tab",
            "b",
            "i",
        ):
            await pilot.press(key)
            await wait_for(pilot, lambda: True)
            assert screen_name(app) == "KioskLobbyScreen", key
            assert len(app.screen_stack) == 2  # the loading screen under the board, nothing on top
        assert app.user is None
    assert audit_count(shop.desk) == events


async def test_lobby_mode_has_no_key_but_quit_and_no_palette(shop, clock, db_url):
    app = make_lobby_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "KioskLobbyScreen")
        active = app.screen.active_bindings.values()
        assert {b.binding.key: b.binding.action for b in active if not isinstance(b.node, DataTable)} == {
            "ctrl+q": "quit"
        }
        # the board's own keys only move the view (enter selects a row nobody listens to,
        # see the test above)
        table_actions = {b.binding.action for b in active if isinstance(b.node, DataTable)} - {"select_cursor"}
        assert all(a.startswith(("scroll_", "cursor_", "page_")) for a in table_actions), table_actions
        assert not LobbyApp.ENABLE_COMMAND_PALETTE
        assert list(app.get_system_commands(app.screen)) == []


async def test_lobby_mode_follows_a_change_without_waiting_for_its_timer(shop, clock, db_url, monkeypatch):
    from desk.screens.lobby import LobbyScreen

    monkeypatch.setattr(LobbyScreen, "RELOAD_SECONDS", 3600.0)
    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    app = make_lobby_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot, lambda: screen_name(app) == "KioskLobbyScreen" and app.screen.query_one(DataTable).row_count
        )
        flow.to_stage(shop, clock, vid, "DELIVERED")  # off the board
        await wait_for(pilot, lambda: app.screen.query_one(DataTable).row_count == 0)


async def test_browser_mode_always_asks_for_a_pin_and_offers_only_users_with_one(shop, clock, db_url):
    shop.desk.security.set_pin(shop.sa, shop.sa.id, "2468")
    # --user names someone without a PIN: in a browser it is not honoured
    app = make_app(db_url=db_url, clock=clock, user_name="张强", remote=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
        options = app.screen.query_one("#signin-users", OptionList)
        assert [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)] == ["王丽  (advisor)"]
        assert app.user is None
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one("#signin-pin", Input).display)
        await pilot.press("1", "1", "1", "1", "enter")
        await wait_for(pilot, lambda: "Wrong PIN" in str(app.screen.query_one("#signin-error", Static).render()))
        assert app.user is None
        await pilot.press("2", "4", "6", "8", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        assert app.user.name == "王丽"


async def test_browser_mode_without_any_pin_says_how_to_set_one(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽", remote=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, StoreErrorScreen))
        assert "desk set-pin" in str(app.screen.query_one("#store-error", Static).render())
        await pilot.press("f2")
        await wait_for(pilot, lambda: True)
        assert isinstance(app.screen, StoreErrorScreen) and app.user is None


async def test_the_shop_terminal_still_signs_in_without_a_pin(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        assert app.user.name == "王丽"


async def test_a_locked_browser_session_offers_only_users_with_a_pin(shop, clock, db_url):
    shop.desk.security.set_pin(shop.sa, shop.sa.id, "2468")
    app = make_app(db_url=db_url, clock=clock, remote=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "SignInScreen")
        await pilot.press("enter", "2", "4", "6", "8", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        app.session.lock()
        await wait_for(pilot, lambda: screen_name(app) == "LockScreen")
        options = app.screen.query_one("#signin-users", OptionList)
        assert options.option_count == 1 and app.user is None


async def test_lobby_mode_masks_every_name_whatever_its_script_and_no_phone_or_plate(shop, clock, db_url):
    d = shop.desk
    names = {"김민수": "김**", "Tom": "T.", "Tom Becker": "T. B.", "13912345678": "***", "李伟": "李*"}
    plates = {}
    for i, name in enumerate(names):
        if name == "李伟":
            customer, vehicle = shop.customer, shop.vehicle
        else:
            customer = d.people.register_customer(shop.sa, d.people.customer_draft(name=name, phone=f"1370000000{i}"))
            vehicle = d.people.register_vehicle(
                shop.sa,
                customer,
                d.people.vehicle_draft(
                    plate=f"沪B6543{i}", make="Toyota", model="Corolla", year=2020, odometer_km=1000
                ),
            )
        visit = d.booking.walk_in(
            shop.sa, customer_id=customer, vehicle_id=vehicle, concerns=d.booking.concerns(["oil"])
        ).id
        flow.to_stage(shop, clock, visit, "IN_REPAIR")
        plates[name] = "京A12345" if name == "李伟" else f"沪B6543{i}"
    app = make_lobby_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(
            pilot,
            lambda: screen_name(app) == "KioskLobbyScreen" and app.screen.query_one(DataTable).row_count == len(names),
        )
        cells = lobby_cells(app)
        shown = sorted(row[1] for row in cells)
        assert shown == sorted(names.values())
        board = " ".join(" ".join(row) for row in cells)
        for name, plate in plates.items():
            assert plate not in board
            assert not (len(name) > 1 and name in board), name
        assert "1391234" not in board and "137000" not in board and "138123" not in board
