"""The app and its store on this machine's SQLite: several terminals open one file,
a busy or held file is waited for (never offered a restore), an empty file
becomes a shop only when asked, and a restore is refused while another terminal
has the file open, then shows what the checks found."""

from __future__ import annotations

import os
import sqlite3

from textual.widgets import Static

from desk.domain.entities import Role
from desk.services import open_desk
from desk.shell.app import make_app
from desk.store.health import sqlite_path
from tests import flow
from tests.functional.pilot import record_notifications, wait_for


def _journal(url: str) -> str:
    with sqlite3.connect(sqlite_path(url)) as conn:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]


async def test_an_affected_library_warns_nobody_and_a_second_terminal_opens_too(shop, clock, db_url, monkeypatch):
    """The library with the WAL-reset bug changes nothing a user sees: the file
    is in the rollback journal, the first terminal (``shop``) stays open and a
    second one opens beside it without a word about SQLite."""
    monkeypatch.setattr("desk.store.health.sqlite_version_ok", lambda *a, **k: False)
    shop.desk.people.users()  # the first terminal has the file open
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, lambda: app.screen.query("#board"))
        await pilot.pause(0.2)
        assert app.desk.ctx.warnings == []
    assert not [n for n in notes if "SQLite" in n]
    assert _journal(db_url) == "delete"


async def test_a_wal_file_held_elsewhere_is_waited_for_never_offered_a_restore(tmp_path, clock, monkeypatch):
    """A file still in WAL mode, held open by a terminal that has not let go (an
    older desk): the new terminal says it waits, names who holds it, offers no
    restore, and opens by itself once the other lets go; the file is then in the
    rollback journal."""
    from desk.store import health, presence

    path = tmp_path / "desk.db"
    url = f"sqlite:///{path}"
    monkeypatch.setattr(health, "sqlite_version_ok", lambda *a, **k: True)
    first = open_desk(url, clock=clock)  # made by a fixed library: WAL
    first.people.create_user(None, "王丽", [Role.ADVISOR])
    first.ctx.engine.dispose()
    assert _journal(url) == "wal"
    monkeypatch.setattr(health, "sqlite_version_ok", lambda *a, **k: False)
    held = sqlite3.connect(path)  # the other terminal, still in WAL
    held.execute("SELECT count(*) FROM user").fetchone()
    announced = presence.join(path)
    presence.set_label(signed_in="张强")
    app = make_app(db_url=url, clock=clock, user_name="王丽")
    app.store.RETRY_SECONDS = 0.3
    try:
        async with app.run_test(size=(120, 40)) as pilot:

            def loading() -> str:
                found = app.screen.query("#loading")
                return str(found.first(Static).render()) if found else ""

            await wait_for(pilot, lambda: "Waiting for" in loading())
            assert "张强" in loading() and "rollback journal" in loading() and "Trying again" in loading()
            assert not app.screen.query("#store-error")  # a healthy file: no restore on offer
            held.close()
            announced.close()
            await wait_for(pilot, lambda: app.screen.query("#board"), tries=600)
    finally:
        presence.set_label(signed_in="")
        held.close()
        announced.close()
    assert _journal(url) == "delete"


async def test_an_empty_file_becomes_a_shop_only_when_asked(tmp_path, clock):
    from desk.widgets.dialogs import ConfirmDialog

    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    app = make_app(db_url=f"sqlite:///{path}", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "0 bytes" in app.screen.question
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen.query("#store-error"))
    assert path.stat().st_size == 0  # refused: untouched
    app = make_app(db_url=f"sqlite:///{path}", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.desk is not None, tries=600)
    assert path.stat().st_size > 0


async def test_a_restore_refused_while_another_terminal_has_the_file_says_who(
    shop, clock, db_url, tmp_path, monkeypatch
):
    """The damaged-file restore, with a second terminal still on the file: the
    restore is refused naming it, nothing is replaced, and once it has gone the
    same keys restore and show the checks' result."""
    from desk.store import presence
    from desk.store.backup import backup
    from desk.widgets.dialogs import ConfirmDialog, PickDialog

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    flow.book(shop, clock)
    shop.desk.ctx.engine.dispose()
    folder = tmp_path / "data" / "backups"
    folder.mkdir(parents=True)
    backup(db_url, folder)
    path = sqlite_path(db_url)
    data = bytearray(path.read_bytes())
    for page in range(1, len(data) // 4096):
        data[page * 4096 + 8 : page * 4096 + 200] = b"\xa5" * 192
    path.write_bytes(bytes(data))
    other = presence.join(path)  # a second terminal that still has it open
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            notes = record_notifications(app)
            await wait_for(pilot, lambda: app.screen.query("#store-error"))
            for attempt in range(2):
                await pilot.press("r")
                await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
                await pilot.press("enter")
                await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
                await pilot.press("y")
                if attempt == 0:
                    await wait_for(pilot, lambda: any("open elsewhere" in n for n in notes))
                    assert any(f"pid {os.getpid()}" in n for n in notes)
                    assert not list(path.parent.glob("desk-before-restore-*.db"))
                    other.close()
            await wait_for(pilot, lambda: any("Restored from" in n for n in notes), tries=600)
            said = next(n for n in notes if "Restored from" in n)
            assert "kept as desk-before-restore-" in said and "Integrity check: ok" in said
            assert "Audit log: intact" in said
            await wait_for(pilot, lambda: app.screen.query("#board"), tries=600)
    finally:
        other.close()
