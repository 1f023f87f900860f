"""Quitting does not wait for background loading (issue 27, item 4), but does wait
for a write in flight. Each in a process of its own, ended as the ``desk``
command ends (desk.shell.leave): only the end of a process can show it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str, *args: str, timeout: float = 60) -> tuple[float, subprocess.CompletedProcess]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        cwd=ROOT,
    )
    return time.monotonic() - t0, done


#: The app quits as soon as today's board is painted, while the services are still
#: loading in their worker (made to take a minute here).
QUIT_ON_THE_BOARD = """
    import sys, time
    from datetime import datetime
    from desk.shell import store_link
    from desk.shell.app import make_app
    from desk.shell.leave import run_and_leave

    def slow_services(self, initialise=False):
        time.sleep(60)

    store_link.StoreLink._open_services = slow_services
    now = datetime.fromisoformat(sys.argv[2])
    app = make_app(db_url=sys.argv[1], clock=lambda: now, user_name="王丽")
    painted = app.first_board_painted

    def then_quit():
        painted()
        print("board painted", flush=True)
        app.exit()

    app.first_board_painted = then_quit
    run_and_leave(app, headless=True, size=(120, 40))
"""


def test_quitting_on_the_board_does_not_wait_for_the_services_loading(shop, db_url, clock):
    shop.desk.booking.walk_in(
        shop.sa,
        customer_id=shop.customer,
        vehicle_id=shop.vehicle,
        concerns=shop.desk.booking.concerns([("Noise from the front", ("noise",))]),
    )
    shop.desk.ctx.engine.dispose()
    took, done = _run(QUIT_ON_THE_BOARD, db_url, clock.now.isoformat())
    assert done.returncode == 0, done.stderr
    assert "board painted" in done.stdout
    assert took < 30, f"quitting took {took:.1f} s: it waited for the services' worker"


#: A save still being written when the app has quit, and a read still running.
WRITE_IN_FLIGHT = """
    import sys, threading, time
    from concurrent.futures import ThreadPoolExecutor
    from pathlib import Path
    from desk.store import writing
    from desk.shell.leave import leave

    def save():
        with writing.one():
            time.sleep(1.5)
            Path(sys.argv[1]).write_text("saved")

    started = threading.Event()

    def read():
        started.set()
        time.sleep(60)

    pool = ThreadPoolExecutor(2)
    pool.submit(read)
    pool.submit(save)
    started.wait()
    time.sleep(0.2)
    leave(0)
"""


def test_a_write_in_flight_is_waited_for_and_a_read_is_not(tmp_path):
    marker = tmp_path / "saved"
    took, done = _run(WRITE_IN_FLIGHT, str(marker))
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "saved"  # the save was kept
    assert took < 30, f"ending took {took:.1f} s: it waited for the read"
