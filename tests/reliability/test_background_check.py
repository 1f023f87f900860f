"""SQLite's quick_check off the start-up path: the app opens a large shop without
reading the whole file first, runs the check in the background once the board is
up, and on damage says so and refuses every write — as a check at start-up did."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.widgets import Static

from desk.domain.entities import Role
from desk.domain.errors import StoreUnavailable
from desk.services import open_desk
from desk.shell.app import make_app
from tests.functional.pilot import wait_for


def _shop_damaged_late(tmp_path: Path, clock) -> tuple[Path, int]:
    """A shop whose damage sits in a page no start-up read touches: a leaf of a
    long audit log, far from the users and the schema."""
    path = tmp_path / "desk.db"
    desk = open_desk(f"sqlite:///{path}", clock=clock)
    desk.people.create_user(None, "王丽", [Role.ADVISOR])
    desk.ctx.engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO audit_event (at, user_name, action, entity, before, after, prev_hash, hash) "
            "VALUES ('2026-01-01 09:00:00.000000', 'import', 'visit.import', 'visit', '', ?, '', 'x')",
            [("x" * 400,) for _ in range(3000)],
        )
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    data = bytearray(path.read_bytes())
    victim = pages - 40  # a leaf in the middle of the audit log's pages
    data[(victim - 1) * page_size : (victim - 1) * page_size + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    return path, page_size


def test_start_up_skips_quick_check_and_the_background_check_blocks_writes(tmp_path, clock):
    path, _ = _shop_damaged_late(tmp_path, clock)
    url = f"sqlite:///{path}"
    with pytest.raises(StoreUnavailable, match="damaged"):
        open_desk(url, clock=clock, migrate=False)  # the full check, as the CLI does
    desk = open_desk(url, clock=clock, migrate=False, deep_check=False)  # the app's start-up
    try:
        users = desk.people.users()
        assert [u.name for u in users] == ["王丽"] and desk.ctx.blocked is None
        with pytest.raises(StoreUnavailable, match="damaged"):
            desk.ctx.check_integrity()
        assert desk.ctx.blocked and "damaged" in desk.ctx.blocked
        with pytest.raises(StoreUnavailable, match="damaged"):
            desk.people.create_user(users[0], "张强", [Role.TECHNICIAN])
        assert [u.name for u in desk.people.users()] == ["王丽"]  # nothing half-written
    finally:
        desk.ctx.engine.dispose()


def test_a_healthy_file_passes_the_background_check(tmp_path, clock):
    desk = open_desk(f"sqlite:///{tmp_path / 'ok.db'}", clock=clock, deep_check=False)
    try:
        desk.people.create_user(None, "王丽", [Role.ADVISOR])
        desk.ctx.check_integrity()
        assert desk.ctx.blocked is None
        desk.people.create_user(None, "张强", [Role.TECHNICIAN])
        assert len(desk.people.users()) == 2
    finally:
        desk.ctx.engine.dispose()


def test_a_header_that_is_not_sqlite_is_still_refused_at_start_up(tmp_path, clock):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"hello" * 1000)
    with pytest.raises(StoreUnavailable, match="damaged"):
        open_desk(f"sqlite:///{junk}", clock=clock, deep_check=False)


async def test_the_app_shows_the_board_then_the_damage(tmp_path, clock):
    path, _ = _shop_damaged_late(tmp_path, clock)
    app = make_app(db_url=f"sqlite:///{path}", clock=clock, user_name="王丽")
    app.store.INTEGRITY_CHECK_DELAY = 0.2
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#store-error"))
        text = str(app.screen.query_one("#store-error", Static).render())
        # SQLite's verdict, its recovery first, and that there is no backup to restore
        assert "integrity check finds" in text and "db recover" in text and "no backup" in text
        assert "Traceback" not in text
        # the board came first: start-up did not wait for the check
        assert any(type(s).__name__ == "AppointmentsScreen" for s in app.screen_stack)
        assert app.desk.ctx.blocked


async def test_damage_found_in_the_background_offers_a_backup_and_restores_it(tmp_path, clock, monkeypatch):
    """The open app lets go of the damaged file, puts the chosen backup in place
    and opens again: the board is back and writes work."""
    from desk.store.backup import backup
    from desk.widgets.dialogs import ConfirmDialog, PickDialog

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    good = tmp_path / "good.db"
    desk = open_desk(f"sqlite:///{good}", clock=clock)
    desk.people.create_user(None, "王丽", [Role.ADVISOR])
    desk.ctx.engine.dispose()
    path, _ = _shop_damaged_late(tmp_path, clock)
    with sqlite3.connect(path) as conn:  # the backup is this shop's (a restore refuses another shop's)
        shop_id = conn.execute("SELECT value FROM shop_meta WHERE key = 'shop_id'").fetchone()[0]
    with sqlite3.connect(good) as conn:
        conn.execute("UPDATE shop_meta SET value = ? WHERE key = 'shop_id'", (shop_id,))
    folder = tmp_path / "data" / "backups"
    folder.mkdir(parents=True)
    from desk.store.backup import identity

    # named as this shop's daily backup (backups are found by the database's id)
    made = backup(f"sqlite:///{good}", folder / f"desk-{identity(path)}-daily-20261122.db")
    url = f"sqlite:///{path}"
    app = make_app(db_url=url, clock=clock, user_name="王丽")
    app.store.INTEGRITY_CHECK_DELAY = 0.2
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#store-error"))
        assert "1 backup found" in str(app.screen.query_one("#store-error", Static).render())
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: (
                app.desk is not None
                and not app.desk.ctx.blocked
                and app.user is not None
                and not app.screen.query("#store-error")
            ),
            tries=600,
        )
        app.desk.people.create_user(app.user, "张强", [Role.TECHNICIAN])  # writes work again
    assert made.exists() and list(tmp_path.glob("desk-before-restore-*.db"))
    check = open_desk(url, clock=clock)  # the full check passes on the restored file
    try:
        assert sorted(u.name for u in check.people.users()) == ["张强", "王丽"]
    finally:
        check.ctx.engine.dispose()
