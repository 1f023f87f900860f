"""The audit anchor's failure is seen (issue 24): with the anchors' folder
unwritable (``chattr +i``: immutable even for root), a save made by keys on the
board puts a warning on the board until the folder can be written again, and
``desk audit verify`` says how far the anchor is behind and why."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner
from textual.widgets import Static

from desk.__main__ import main
from desk.shell.app import make_app
from desk.store import anchor
from tests import flow
from tests.functional.pilot import screen_name, wait_for
from tests.reliability.test_cli_faults import _immutable
from tests.reliability.test_crash_and_corruption import save_visit, seed, writer_desk


def _title(app) -> str:
    return str(app.screen.query_one("#board-title", Static).render()) if app.screen.query("#board-title") else ""


async def test_a_save_whose_anchor_cannot_be_written_warns_on_the_board_until_fixed(
    shop, clock, db_url, tmp_path, monkeypatch
):
    from desk.widgets.dialogs import ConfirmDialog

    anchor.flush()
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(anchor, "RETRY_SECONDS", 0.3, raising=False)  # (none on main: fails below)
    folder = anchor.folder()
    folder.mkdir(parents=True)
    flow.book(shop, clock, minutes_ahead=0)
    anchor.flush()
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    _immutable(folder, True)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
            assert "not anchored" not in _title(app)
            await pilot.press("a")  # the car arrived: a save
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
            await pilot.press("y")
            await wait_for(pilot, lambda: screen_name(app) == "ReceptionScreen")
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
            await wait_for(pilot, lambda: "not anchored outside the database" in _title(app))
            assert str(folder) in _title(app) and "cannot be written" in _title(app)
            _immutable(folder, False)  # fixed: the next try anchors the log, the warning goes
            await wait_for(pilot, lambda: "not anchored" not in _title(app))
            await pilot.press("q")
    finally:
        _immutable(folder, False)
    assert app.store.anchor_trouble is None


def test_audit_verify_says_how_far_the_anchor_is_behind_and_why(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "shop.db"
    url = f"sqlite:///{path}"
    ids = seed(url)
    anchor.flush()
    anchored = CliRunner().invoke(main, ["--db", str(path), "audit", "verify"], catch_exceptions=False)
    assert anchored.exit_code == 0 and "not anchored" not in anchored.stdout, anchored.stdout
    folder = anchor.folder()
    _immutable(folder, True)
    try:
        d = writer_desk(url)
        for n in range(3):
            save_visit(d, *ids, n)
        d.ctx.engine.dispose()
        anchor.flush()
        with sqlite3.connect(path) as conn:
            last = conn.execute("SELECT max(id) FROM audit_event").fetchone()[0]
        result = CliRunner().invoke(main, ["--db", str(path), "audit", "verify"], catch_exceptions=False)
    finally:
        _immutable(folder, False)
    assert result.exit_code == 0, result.stdout + result.stderr
    said = result.stdout
    assert f"the 3 newest events (to event {last}) are not anchored yet" in said, said
    assert f"{folder} cannot be written" in said, said
