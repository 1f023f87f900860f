"""Today's board before the services are loaded (issue 16): on SQLite the app
reads the users, the shop's settings and today's board with sqlite3 alone
(desk.store.reads), signs in and shows the board; SQLAlchemy and the services
load after it in the worker, and a key pressed meanwhile does not wait for them
(a key that needs them waits in its own worker)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

from textual.widgets import DataTable

from desk.domain.process import Stage
from desk.shell.app import make_app
from desk.shell.store_link import StoreLink
from tests import flow
from tests.functional.pilot import wait_for


async def test_the_board_is_up_and_keys_work_while_the_services_load(shop, clock, db_url, monkeypatch):
    first = flow.book(shop, clock, minutes_ahead=30)
    flow.book(shop, clock, minutes_ahead=90)
    gate = threading.Event()
    real = StoreLink._open_services

    def slow_services(self, initialise=False):
        gate.wait(30)  # the services take their time to import and open
        real(self, initialise)

    monkeypatch.setattr(StoreLink, "_open_services", slow_services)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(300):
            await pilot.pause(0.02)
            if app.screen.query("#board") and app.screen.query_one("#board", DataTable).row_count == 2:
                break
        board = app.screen.query_one("#board", DataTable)
        assert board.row_count == 2 and app.desk is None  # on screen, the services not there yet
        assert app.user.name == "王丽"
        assert "李伟" in [str(c) for c in board.get_row_at(0)]
        board.focus()
        await pilot.press("down")  # a key that needs no services: answered now
        await pilot.pause(0.05)
        assert board.cursor_row == 1 and app.desk is None
        await pilot.press("up", "enter")  # a key that needs them: its worker waits for them
        await pilot.pause(0.2)
        assert app.desk is None
        gate.set()
        await wait_for(pilot, lambda: getattr(app.screen, "view", None) is not None)
        assert app.screen.visit_id == first and app.screen.view.visit.stage == Stage.BOOKED
        assert app.early is None  # read through the services from now on


def test_the_early_read_needs_neither_sqlalchemy_nor_the_orm(clock, sqlite_url, tmp_path):
    """In a fresh interpreter: the start-up read imports no SQLAlchemy, SQLModel or
    pydantic, and gives the services' own board."""
    from desk.services import open_desk

    d = open_desk(sqlite_url, clock=clock)
    try:
        from tests.conftest import Shop

        staffed = Shop(d)
        d.booking.book(
            staffed.sa,
            customer_id=staffed.customer,
            vehicle_id=staffed.vehicle,
            booking=d.booking.draft(at=clock.now.replace(hour=16, minute=0), concerns=[("Oil leak", ("leak",))]),
        )
        expected = [repr(r) for r in d.booking.board(clock.now.date())]
    finally:
        d.ctx.engine.dispose()
    code = (
        "import json, sys\n"
        "from datetime import datetime\n"
        "from desk.config import Settings\n"
        "from desk.store.reads import early_start\n"
        f"e = early_start({sqlite_url!r}, now=datetime.fromisoformat({clock.now.isoformat()!r}), "
        "base_settings=Settings())\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'sqlmodel', 'pydantic', 'alembic'})\n"
        "print(json.dumps({'heavy': heavy, 'board': [repr(r) for r in e.board], 'users': [u.name for u in e.users]}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    got = json.loads(out.stdout)
    assert got["heavy"] == []
    assert got["board"] == expected and len(expected) == 1
    assert "王丽" in got["users"]
