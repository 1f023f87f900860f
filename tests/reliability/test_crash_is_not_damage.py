"""A crash is never called damage (issue 24): a process killed during a large
commit leaves a hot rollback journal; whichever desk command opens the file
first rolls it back (read-write) and works, every acknowledged save is there,
and "damaged" is said only when SQLite finds damage, with its recovery first and
the backup a restore would use and the hours of saves that loses.

The slow test is the `kill -9` loop of ``bench/crash_loop.py`` (``python -m
bench.crash_loop`` prints the same figures)."""

from __future__ import annotations

import multiprocessing as mp
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from desk.__main__ import main
from desk.domain.entities import Role
from desk.services import open_desk
from desk.shell.app import make_app
from desk.store.backup import backup
from tests.functional.pilot import wait_for
from tests.reliability.test_cli_faults import _immutable
from tests.reliability.test_crash_and_corruption import NOW, seed

FORK = mp.get_context("fork")

COMMANDS = {
    "audit verify": ["audit", "verify"],
    "report": ["report", "--from", "2026-11-01", "--to", "2026-11-30"],
    "export": ["export", "visits", "--from", "2026-11-01", "--to", "2026-11-30", "-o", "@out"],
    "backup": ["backup"],
    "db upgrade": ["db", "upgrade"],
}


def _die_mid_commit(path: str) -> None:  # pragma: no cover - killed
    """The issue's reproduction: one large transaction, killed before its commit."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA cache_size=10")
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE customer SET name = name || ' (changed)'")
    conn.execute("CREATE TABLE never_committed (body BLOB)")
    conn.executemany("INSERT INTO never_committed VALUES (?)", ((os.urandom(2048),) for _ in range(5000)))
    os.kill(os.getpid(), 9)


def crash_mid_commit(path: Path) -> None:
    proc = FORK.Process(target=_die_mid_commit, args=(str(path),))
    proc.start()
    proc.join()
    assert proc.exitcode == -9
    journal = path.with_name(path.name + "-journal")
    assert journal.exists() and journal.stat().st_size > 0, "no hot journal was left"


def committed_state(path: Path) -> tuple[list, bool]:
    conn = sqlite3.connect(path)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM customer ORDER BY id")]
        half = bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'never_committed'").fetchone()[0])
    finally:
        conn.close()
    return names, half


@pytest.fixture
def crashed(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "shop" / "desk.db"
    path.parent.mkdir()
    seed(f"sqlite:///{path}")
    crash_mid_commit(path)
    return path


@pytest.mark.parametrize("command", list(COMMANDS))
def test_whichever_command_opens_a_crashed_file_first_rolls_it_back_and_works(crashed, command, tmp_path):
    args = [a.replace("@out", str(tmp_path / "visits.csv")) for a in COMMANDS[command]]
    result = CliRunner().invoke(main, ["--db", str(crashed), *args], catch_exceptions=False)
    said = result.stdout + result.stderr
    assert result.exit_code == 0, said
    assert "damaged" not in said.lower(), said
    assert committed_state(crashed) == (["李伟"], False)  # the commit that never finished is undone
    assert not crashed.with_name(crashed.name + "-journal").exists()


def test_a_crashed_file_nobody_may_write_is_not_called_damaged(crashed):
    """A read-only folder: SQLite cannot roll the journal back; desk says what
    happened and how to finish it, not "damaged" and not "restore"."""
    _immutable(crashed.parent, True)
    try:
        result = CliRunner().invoke(main, ["--db", str(crashed), "audit", "verify"], catch_exceptions=False)
    finally:
        _immutable(crashed.parent, False)
    assert result.exit_code == 1
    said = result.stderr.lower()
    assert said.count("damaged") == said.count("not damaged") == 1 and "restore" not in said, said
    assert "middle of a save" in said, said
    # opened once where it can be written, it is whole
    assert CliRunner().invoke(main, ["--db", str(crashed), "audit", "verify"]).exit_code == 0
    assert committed_state(crashed) == (["李伟"], False)


def test_damage_offers_sqlites_recovery_first_then_names_the_backup_and_the_hours_lost(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "desk.db"
    url = f"sqlite:///{path}"
    seed(url)
    made = backup(url)
    hours_ago = os.path.getmtime(path) - 5 * 3600  # the backup was made five hours before the last save
    os.utime(made, (hours_ago, hours_ago))
    raw = bytearray(path.read_bytes())
    for page in range(1, len(raw) // 4096):
        raw[page * 4096 + 8 : page * 4096 + 400] = b"\xa5" * 392
    path.write_bytes(bytes(raw))
    result = CliRunner().invoke(main, ["--db", str(path), "audit", "verify"], catch_exceptions=False)
    assert result.exit_code == 1
    said = result.stderr
    assert "integrity check finds" in said and "damaged" in said, said
    assert "db recover" in said and said.index("db recover") < said.index(made.name), said  # recovery first
    assert "5.0 hours" in said, said


def test_sqlites_recovery_makes_a_new_file_that_a_restore_puts_in_place(tmp_path, monkeypatch):
    """A leaf of the audit log damaged: ``desk db recover`` leaves the damaged
    file as it is and makes a new, intact desk database beside it with every
    row SQLite could read; ``desk restore`` puts it in place."""
    from tests.reliability.test_background_check import _shop_damaged_late

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    path, _ = _shop_damaged_late(tmp_path, lambda: NOW)
    damaged = path.read_bytes()
    result = CliRunner().invoke(main, ["--db", str(path), "db", "recover"], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "It is a desk database again" in result.stdout, result.stdout
    assert path.read_bytes() == damaged  # the damaged file is left as it was
    made = next(tmp_path.glob("desk-recovered-*.db"))
    conn = sqlite3.connect(made)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert [r[0] for r in conn.execute("SELECT name FROM user")] == ["王丽"]
    finally:
        conn.close()
    restored = CliRunner().invoke(main, ["--db", str(path), "restore", str(made), "--yes"], catch_exceptions=False)
    assert restored.exit_code in (0, 2), restored.stdout + restored.stderr  # 2: the audit check names lost events
    assert "Restored from" in restored.stdout


async def test_the_app_opens_a_crashed_file_on_its_board(tmp_path, clock, monkeypatch):
    """The terminal is the first to open the file after the crash: the board, no
    error screen, no restore on offer."""
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "desk.db"
    url = f"sqlite:///{path}"
    desk = open_desk(url, clock=clock)
    advisor = desk.people.user(desk.people.create_user(None, "王丽", [Role.ADVISOR]))
    desk.people.register_customer(advisor, desk.people.customer_draft(name="李伟", phone="13812345678"))
    desk.ctx.engine.dispose()
    crash_mid_commit(path)
    app = make_app(db_url=url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#board") or app.screen.query("#store-error"))
        assert not app.screen.query("#store-error")
        await pilot.press("q")
    assert committed_state(path) == (["李伟"], False)


@pytest.mark.slow
def test_a_hundred_kills_at_every_kind_of_save_are_never_called_damage(tmp_path, monkeypatch, capsys):
    from bench import crash_loop

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    figures = crash_loop.run(100, folder=tmp_path)
    with capsys.disabled():
        print("\n" + figures.line())
    assert figures.kills >= 100
    assert figures.damaged == 0 and figures.failed == [], figures.failed[:3]
    assert figures.missing == [], figures.missing[:5]
    assert all(figures.acknowledged[k] for k in crash_loop.KINDS), figures.acknowledged
    assert figures.left_journal > 0  # the loop did leave hot journals for the next command
    assert NOW


def test_the_recovery_steps_over_a_damaged_page_of_a_table(tmp_path):
    """One leaf of a table unreadable: the rows before and after it are kept."""
    from desk.store.backup import recover

    path = tmp_path / "plain.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", ((i, "x" * 400) for i in range(1, 2001)))
    conn.commit()
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    raw = bytearray(path.read_bytes())
    leaf = next(
        n for n in range(len(raw) // page_size // 2, len(raw) // page_size) if raw[n * page_size] == 0x0D
    )  # a table leaf in the middle of t
    raw[leaf * page_size : leaf * page_size + 64] = b"\xff" * 64
    path.write_bytes(bytes(raw))
    made = recover(path)
    assert not made.desk and made.unreadable >= 1
    assert 1980 < made.rows["t"] < 2000  # one leaf's rows lost (about nine), the rest kept
    out = sqlite3.connect(made.path)
    try:
        ids = [r[0] for r in out.execute("SELECT id FROM t ORDER BY id")]
        assert out.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        out.close()
    assert ids[0] == 1 and ids[-1] == 2000


async def test_the_damage_screen_offers_the_recovery_first_and_puts_it_in_place_by_keys(tmp_path, clock, monkeypatch):
    """Damage found in the background: ``v`` recovers into a new file, ``y``
    puts it in place (the damaged file kept); the board is back and writes work."""
    from textual.widgets import Static

    from desk.widgets.dialogs import ConfirmDialog
    from tests.reliability.test_background_check import _shop_damaged_late

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    path, _ = _shop_damaged_late(tmp_path, clock)
    app = make_app(db_url=f"sqlite:///{path}", clock=clock, user_name="王丽")
    app.store.INTEGRITY_CHECK_DELAY = 0.2
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.query("#store-error"))
        assert "db recover" in str(app.screen.query_one("#store-error", Static).render())
        await pilot.press("v")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), tries=600)
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
    assert list(tmp_path.glob("desk-recovered-*.db")) and list(tmp_path.glob("desk-before-restore-*.db"))
