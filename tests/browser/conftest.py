"""Browser tests: desk served by textual-serve, driven in Debian's headless
chromium with Playwright (never ``playwright install``: the system browser).

Like the PostgreSQL variants (tests/conftest.py): on a machine without chromium,
and not in CI, the tests marked ``browser`` are deselected and the summary says
so (at the start and at the end); in CI (``.ci/run`` installs chromium) they run, or fail loudly.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import FrozenClock, _in_ci

CHROMIUM = os.environ.get("DESK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_DESELECTED: list = []


def _have_chromium() -> bool:
    return Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)


def pytest_collection_modifyitems(config, items):
    if _have_chromium() or _in_ci():
        return
    keep = [i for i in items if i.get_closest_marker("browser") is None]
    _DESELECTED[:] = [i for i in items if i.get_closest_marker("browser") is not None]
    if _DESELECTED:
        config.hook.pytest_deselected(items=_DESELECTED)
        items[:] = keep


@pytest.fixture
def clock() -> FrozenClock:
    """The served app runs on the real clock: the test's visits are made "now"
    so the appointment board of today shows them."""
    return FrozenClock(datetime.now().replace(microsecond=0))


@pytest.fixture(scope="module")
def browser():
    """One chromium per module: Playwright's sync API runs an event loop of its
    own, which must be gone before the asyncio (Pilot) tests of other modules."""
    if not _have_chromium():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests cannot run. Install it with "
            "`apt-get install -y chromium` (as .ci/run does).",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A ``desk … serve…`` process on a free loopback port."""

    @staticmethod
    def _bring_pin_keys(data: Path) -> None:
        """The PINs the test set were keyed in this process's data folder: the
        server's own data folder gets the keys, as ``desk pin-key import`` would."""
        from desk.store import pinkey

        keys = pinkey.all_keys()
        saved = os.environ.get("DESK_DATA_DIR")
        os.environ["DESK_DATA_DIR"] = str(data)
        try:
            for key in keys:
                pinkey.add(key)
        finally:
            if saved is None:
                os.environ.pop("DESK_DATA_DIR", None)
            else:
                os.environ["DESK_DATA_DIR"] = saved

    def __init__(self, tmp_path: Path, db_url: str, *args: str, env: dict | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        config = tmp_path / "config"
        config.mkdir(exist_ok=True)
        environ = {k: v for k, v in os.environ.items() if k not in ("DESK_DATABASE_URL", "DESK_LANG")}
        environ.update(DESK_CONFIG_DIR=str(config), DESK_DATA_DIR=str(tmp_path / "data"), **(env or {}))
        self._bring_pin_keys(Path(environ["DESK_DATA_DIR"]))
        self.log = tmp_path / "serve.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "desk", "--db", db_url, *args, "--port", str(self.port)],
            stdout=open(self.log, "wb"),
            stderr=subprocess.STDOUT,
            env=environ,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"desk {' '.join(args)} stopped: {self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"desk {' '.join(args)} did not listen: {self.log.read_text()}")

    def sessions(self) -> list[int]:
        """The pids of the browser sessions' desk processes (children of the server)."""
        out = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                out.append(int(stat.parent.name))
        return out

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
