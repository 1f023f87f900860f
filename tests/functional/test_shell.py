"""The app shell: start-up, sign-in by keys, today's board, errors shown as text."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, Static

from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import wait_for


def board_rows(app):
    table = app.screen.query_one("#board", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_sign_in_by_keys_and_see_todays_visits(shop, clock, db_url):
    vid = flow.book(shop, clock, minutes_ahead=30)
    app = make_app(db_url=db_url, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(OptionList)))
        # users in creation order: 王丽 first; pick the second (the technician) then
        # go back up to the advisor with the arrow keys
        await pilot.press("down", "down", "up", "up", "enter")
        await wait_for(pilot, lambda: app.user is not None and app.screen.query("#board"))
        assert app.user.name == "王丽"
        await wait_for(pilot, lambda: app.screen.query_one("#board", DataTable).row_count == 1)
        row = board_rows(app)[0]
        assert "李伟" in row and "京A12345" in row
        assert shop.desk.lifecycle.visit_view(vid).visit.number  # the row is the booked visit


async def test_day_navigation_keys(shop, clock, db_url):
    flow.book(shop, clock, minutes_ahead=60 * 24)  # tomorrow
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#board"))
        await wait_for(pilot, lambda: "2026-11-23" in str(app.screen.query_one("#board-title", Static).render()))
        assert app.screen.query_one("#board", DataTable).row_count == 0
        await pilot.press("right")
        await wait_for(pilot, lambda: app.screen.query_one("#board", DataTable).row_count == 1)
        await pilot.press("t")
        await wait_for(pilot, lambda: app.screen.query_one("#board", DataTable).row_count == 0)


async def test_unopenable_database_shows_a_message_not_a_traceback(tmp_path, clock):
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not a database file at all" * 100)
    app = make_app(db_url=f"sqlite:///{bad}", clock=clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#store-error"))
        text = str(app.screen.query_one("#store-error", Static).render())
        assert "Database error" in text and "Traceback" not in text


async def test_a_damaged_database_offers_its_backups_and_restores_one(shop, clock, db_url, tmp_path, monkeypatch):
    """Damage found at open: the backups are offered by key, the chosen one is put
    in place (the damaged file kept) and the app opens on it."""
    from desk.store.backup import backup
    from desk.widgets.dialogs import ConfirmDialog, PickDialog

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    vid = flow.book(shop, clock)
    shop.desk.ctx.engine.dispose()
    folder = tmp_path / "data" / "backups"
    folder.mkdir(parents=True)
    made = backup(db_url, folder)
    path = tmp_path / "desk.db"
    for side in ("-wal", "-shm"):
        (tmp_path / f"desk.db{side}").unlink(missing_ok=True)
    data = bytearray(path.read_bytes())
    for page in range(1, len(data) // 4096):  # every page after the header's
        data[page * 4096 + 8 : page * 4096 + 200] = b"\xa5" * 192
    path.write_bytes(bytes(data))
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#store-error"))
        text = str(app.screen.query_one("#store-error", Static).render())
        assert "damaged" in text and "1 backup found" in text
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        assert made.name in str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen.query("#board"), tries=600)
        await wait_for(pilot, lambda: app.screen.query_one("#board", DataTable).row_count == 1)
    assert list(tmp_path.glob("desk-before-restore-*.db"))  # the damaged file is kept
    from desk.services import open_desk

    again = open_desk(db_url, clock=clock)
    assert again.lifecycle.visit_view(vid).visit.number
    again.ctx.engine.dispose()


async def test_chinese_interface(shop, clock, db_url):
    from desk.i18n import set_locale

    set_locale("zh")
    flow.book(shop, clock, minutes_ahead=30)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: app.screen.query("#board") and app.screen.query_one("#board", DataTable).row_count == 1
        )
        headers = [str(c.label) for c in app.screen.query_one("#board", DataTable).columns.values()]
        assert "客户" in headers and "车牌" in headers
        assert "已预约" in board_rows(app)[0]


async def test_command_palette_offers_the_screens_commands(shop, clock, db_url):
    from textual.command import CommandPalette

    flow.book(shop, clock, minutes_ahead=30)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#board") and app.screen.rows)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Book" in titles and "Walk-in" in titles and "Appointments" in titles
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Week")
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "PickDialog")


async def test_scanner_vin_with_import_prefix_finds_the_car(shop, clock, db_url):
    rows = shop.desk.people.lookup("I1M8GDM9AXKP042788")
    assert [v.plate for v, _c in rows] == ["京A12345"]


async def test_an_areas_key_in_that_area_shows_its_board_and_another_areas_key_returns_where_it_was(
    shop, clock, db_url
):
    """f2 on a visit opened from the appointment board did nothing (breaking test
    of issue 24, issue 29): it shows the board. f3 and back to f2 finds the area
    as it was left, the visit still open, like a tab."""
    from tests.functional.pilot import screen_name

    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "RECEPTION")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ReceptionScreen")
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        assert len(app.screen_stack) == 1
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ReceptionScreen")
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen")
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "ReceptionScreen")  # where it was left
