"""Two real terminals: two ``python -m desk`` processes in tmux on one SQLite file
(issue 24, build item 1).

B presses ``t`` on the estimate and types 11:00; A presses ``t``, types 10:00 and
saves; B's screen behind its form follows A's change from the feed; then B saves.
B's save is refused and the screen says in words who set the promised time to
what, B's 11:00 stays in the form, and ctrl+r saves it on top of A's. On main B's
late save went through and A's 10:00 was gone without a word.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from desk.domain.entities import Role
from tests import flow
from tests.conftest import FrozenClock

ROOT = Path(__file__).resolve().parents[2]
A_USER, B_USER = "周经理", "孙经理"

pytestmark = [
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
    pytest.mark.skipif(
        shutil.which("tmux") is None and os.environ.get("CI", "") != "true",
        reason="tmux is not installed (CI installs it)",
    ),
]


@pytest.fixture
def clock() -> FrozenClock:
    # the processes run on the real clock: the visit is set up at the real time
    return FrozenClock(datetime.now().replace(microsecond=0))


class Terminal:
    """One tmux session (on a tmux server of its own) running ``python -m desk``."""

    def __init__(self, name: str, db_url: str, user: str) -> None:
        self.server = ["tmux", "-L", f"desk-forms-{os.getpid()}-{name}"]
        self.name = name
        cmd = [sys.executable, "-m", "desk", "--db", db_url, "--user", user]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color"}
        subprocess.run(
            [
                *self.server,
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                name,
                f"cd {shlex.quote(str(ROOT))} && {shlex.join(cmd)}; sleep 600",
            ],
            check=True,
            env=env,
        )

    def screen(self) -> str:
        out = subprocess.run([*self.server, "capture-pane", "-p", "-t", self.name], capture_output=True, text=True)
        return out.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run([*self.server, "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)

    def type(self, text: str) -> None:
        self.keys(text, literal=True)

    def wait_for(self, predicate, what: str, timeout: float = 60) -> None:
        """Until ``predicate(screen text)`` holds (polling the pane, then the state)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.screen()):
                return
            time.sleep(0.1)
        raise AssertionError(f"{self.name}: {what}\n{self.screen()}")

    def open_row(self, opened, what: str) -> None:
        """Enter on the board's row until ``opened`` shows (an Enter that came while
        the board was still being drawn is taken again)."""
        for _ in range(5):
            self.keys("Enter")
            try:
                self.wait_for(opened, what, timeout=10)
                return
            except AssertionError:
                continue
        self.wait_for(opened, what, timeout=1)

    def close(self) -> None:
        subprocess.run([*self.server, "kill-server"], capture_output=True)


def wait_until(predicate, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(what)


def test_a_late_save_is_refused_in_words_in_two_real_terminals(shop, clock, db_url):
    d = shop.desk
    d.people.create_user(None, B_USER, [Role.MANAGER])
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    tomorrow = (clock.now + timedelta(days=1)).date()

    def promised() -> datetime | None:
        return d.lifecycle.visit_view(vid).visit.promised_at

    a, b = Terminal("a", db_url, A_USER), Terminal("b", db_url, B_USER)
    try:
        for t in (a, b):  # the progress board, Enter on the car: its estimate
            t.wait_for(lambda s: "Appointments" in s or "预约" in s, "the board")
            t.keys("F3")
            t.wait_for(lambda s: "京A12345" in s, "the car on the progress board")
            t.open_row(lambda s: "Gross" in s and "Authorised" in s, "the estimate")
        b.keys("t")
        b.wait_for(lambda s: "Promised completion time" in s, "B's form")
        b.keys("C-u")
        b.type("tomorrow 11:00")
        a.keys("t")
        a.wait_for(lambda s: "Promised completion time" in s, "A's form")
        a.keys("C-u")
        a.type("tomorrow 10:00")
        a.keys("C-s")
        wait_until(
            lambda: promised() == datetime.combine(tomorrow, datetime.min.time()).replace(hour=10), "A's 10:00 saved"
        )
        # a moment later (A's screen shows its promise), B saves
        a.wait_for(lambda s: f"{tomorrow} 10:00" in s, "A's screen shows its promise")
        b.keys("C-s")
        b.wait_for(lambda s: f"{A_USER} set the promised time to" in s, "B's refusal in words")
        screen = b.screen()
        assert "tomorrow 11:00" in screen  # B's text kept
        assert "visit.promised" not in screen
        assert promised().hour == 10  # A's change stands
        b.keys("C-r")
        wait_until(lambda: promised().hour == 11, "B's 11:00 saved on top of A's")
        a.wait_for(lambda s: f"{tomorrow} 11:00" in s, "A's screen shows B's promise from the feed")
    finally:
        a.close()
        b.close()
