"""The benchmark: every figure of issue #6 beside a baseline measured in the same
run, printed as one table (figure, measured, baseline, ratio, target, met).

    python -m bench                  # the large shop (generated once, then cached)
    python -m bench --pg URL         # and PostgreSQL beside SQLite (or DESK_TEST_PG_URL)
    python -m bench --visits 2000    # a smaller shop (the smoke test uses a tiny one)

Start-up is measured in fresh processes (bench.probe): headless, and in a real
terminal (tmux) so the terminal's own output is counted. Keypress-to-frame is
measured in process with a hook on the app's frame output, never press() +
pause() (whose idle wait alone adds ~60 ms).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TEXTUAL_FPS", "120")  # as the desk command sets it (desk/__main__.py)
sys.setswitchinterval(0.001)  # as the desk command sets it (desk/__main__.py)

import asyncio
import functools
import json
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from bench import generate

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Figure:
    name: str
    measured: float | None
    baseline: float | None
    unit: str
    target: str
    #: ratio target (measured / baseline <= ratio_max) or absolute (measured <= abs_max)
    ratio_max: float | None = None
    abs_max: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.measured is None or not self.baseline:
            return None
        return self.measured / self.baseline

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        ok = True
        if self.ratio_max is not None:
            ok = ok and self.ratio is not None and self.ratio <= self.ratio_max
        if self.abs_max is not None:
            ok = ok and self.measured <= self.abs_max
        if self.ratio_max is None and self.abs_max is None:
            return None  # reported, no target
        return ok


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, *figures: Figure) -> None:
        self.figures.extend(figures)


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1), nearest rank."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


# ----------------------------------------------------------------------------- start-up


def probe(kind: str, shop: generate.Shop | None, *, tmux: bool = False) -> dict:
    """One fresh process; times relative to its launch (seconds), memory in MB."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "probe.json"
        cmd = [sys.executable, "-m", "bench.probe", kind, "--out", str(out)]
        if shop is not None:
            cmd += ["--db", str(shop.path), "--now", shop.now.isoformat()]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        if tmux:
            session = f"h-bench-probe-{os.getpid()}"
            shell = " ".join(_quote(c) for c in cmd)
            t0 = time.time()
            # a server of its own (-L): other tmux users on the machine cannot end it mid-run
            tmux_cmd = ["tmux", "-L", session]
            subprocess.run(
                [
                    *tmux_cmd,
                    "new-session",
                    "-d",
                    "-x",
                    "120",
                    "-y",
                    "40",
                    "-s",
                    session,
                    f"cd {_quote(str(ROOT))} && {shell}",
                ],
                check=True,
                env=env,
            )
            deadline = t0 + 120
            while time.time() < deadline:
                alive = subprocess.run([*tmux_cmd, "has-session", "-t", session], capture_output=True).returncode == 0
                if not alive:
                    break
                time.sleep(0.005)
            end = time.time()
        else:
            t0 = time.time()
            subprocess.run(cmd + ["--headless"], check=True, env=env, cwd=ROOT)
            end = time.time()
        report = json.loads(out.read_text())
    rel = {k: report[k] - t0 for k in ("imported", "ready", "filled", "exited") if k in report}
    rel["process"] = end - t0
    rel["board_load"] = report["filled"] - report["ready"]
    rel.update({k: report[k] for k in ("rss_mb", "hwm_mb", "rows") if k in report})
    return rel


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def startups(kinds: list[tuple[str, generate.Shop | None]], repeat: int, *, tmux: bool = False) -> list[dict]:
    """Median of ``repeat`` runs of each kind, interleaved round by round so each
    kind sees the same machine (2 shared cores: other work comes and goes), after
    one warm-up round that fills the OS cache."""
    for kind, shop in kinds:
        probe(kind, shop, tmux=tmux)
    runs: list[list[dict]] = [[] for _ in kinds]
    for _ in range(repeat):
        for i, (kind, shop) in enumerate(kinds):
            runs[i].append(probe(kind, shop, tmux=tmux))
    return [{k: statistics.median(r[k] for r in rs) for k in rs[0]} for rs in runs]


# ----------------------------------------------------------------------------- keypress


class FrameHook:
    """Wraps ``app._display``: every frame Textual hands to its driver. In headless
    mode the driver writes nothing, so the hook renders the update to terminal
    codes itself: the measured time includes producing the frame's output."""

    def __init__(self, app) -> None:
        self.app = app
        self.waiting: tuple[Callable[[], bool], asyncio.Future] | None = None
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if renderable is None or app._batch_count:
                return
            from textual._compositor import CompositorUpdate

            if app.is_headless and isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            if self.waiting is not None:
                predicate, future = self.waiting
                if not future.done() and predicate():
                    future.set_result(time.perf_counter())

        app._display = display

    async def press(self, key: str, until: Callable[[], bool], timeout: float = 10.0) -> float:
        """Seconds from posting ``key`` to the first frame after which ``until()``
        holds (the frame that shows the key's effect)."""
        from textual import events

        future = asyncio.get_running_loop().create_future()
        self.waiting = (until, future)
        char = key if len(key) == 1 else (" " if key == "space" else None)
        event = events.Key(key, char)
        event.set_sender(self.app)
        t0 = time.perf_counter()
        self.app._driver.send_message(event)
        try:
            t1 = await asyncio.wait_for(future, timeout)
        finally:
            self.waiting = None
        return t1 - t0


#: Unmeasured key pairs before the navigation samples.
WARMUP = 3


async def _until(pilot, predicate, timeout: float = 30.0) -> None:
    end = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > end:
            raise TimeoutError("condition not reached")
        await pilot.pause(0.01)


async def _keypress_desk(shop: generate.Shop, db: Path, n: int) -> dict[str, list[float]]:
    from desk.screens.listing import ListScreen
    from desk.screens.reception import ReceptionScreen
    from desk.shell.app import make_app

    big_visit = prepare_big_visit(shop, db)
    shown = {"board": 0, "history": 0}
    real_show_rows, real_history = ListScreen.show_rows, ReceptionScreen.show_history

    def show_rows(self, rows):  # counts the board's repaints (back from a visit)
        real_show_rows(self, rows)
        shown["board"] += type(self).__name__ == "AppointmentsScreen"

    def show_history(self, visits):  # the last part of opening a visit at reception
        real_history(self, visits)
        shown["history"] += 1

    ListScreen.show_rows, ReceptionScreen.show_history = show_rows, show_history
    app = make_app(db_url=f"sqlite:///{db}", clock=shop.clock(), user_name="王丽")
    app.store.INTEGRITY_CHECK_DELAY = None
    out: dict[str, list[float]] = {"navigate": [], "tick": [], "line": [], "switch": [], "open": []}
    try:
        return await _keypress_desk_run(app, shop, n, out, shown, big_visit)
    finally:
        ListScreen.show_rows, ReceptionScreen.show_history = real_show_rows, real_history


def prepare_big_visit(shop: generate.Shop, db: Path, lines: int = 30, past: int = 10) -> int:
    """A walk-in today for a car with at least ``past`` earlier visits, with
    ``lines`` estimate lines (through the services, on the copy)."""
    from desk.services import open_desk

    conn = sqlite3.connect(db)
    found = (
        conn.execute(
            "SELECT vehicle_id, min(customer_id) FROM visit GROUP BY vehicle_id HAVING count(*) >= ? "
            "ORDER BY count(*), vehicle_id LIMIT 1",
            (past,),
        ).fetchone()
        or conn.execute(  # a tiny shop: the most
            "SELECT vehicle_id, min(customer_id) FROM visit GROUP BY vehicle_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    )
    vehicle_id, customer_id = found
    conn.close()
    desk = open_desk(f"sqlite:///{db}", clock=shop.clock(), migrate=False, deep_check=False)
    try:
        user = next(u for u in desk.people.users() if u.name == "王丽")
        ref = desk.booking.walk_in(
            user,
            customer_id=customer_id,
            vehicle_id=vehicle_id,
            concerns=desk.booking.concerns([("Regular 10,000 km service", ("service",))]),
        )
        for i in range(lines):
            ref = desk.estimate.add_line(
                user,
                ref,
                desk.estimate.draft(
                    kind="labour" if i % 2 else "part", description=f"Item {i}", qty=Decimal(1), unit_cents=1000 + i
                ),
            ).ref
        return ref.id
    finally:
        desk.ctx.engine.dispose()


async def _keypress_desk_run(app, shop, n, out, shown, big_visit) -> dict[str, list[float]]:
    from textual.widgets import DataTable, Input

    from desk.domain import staff
    from desk.domain.checklist import ItemState
    from desk.domain.process import Stage
    from desk.screens.visit import screen_for
    from desk.widgets.checklist import Checklist

    async with app.run_test(size=(120, 40)) as pilot:
        hook = FrameHook(app)
        await _until(pilot, lambda: type(app.screen).__name__ == "AppointmentsScreen" and app.screen.rows)
        board = app.screen.query_one("#board", DataTable)
        board.focus()
        await pilot.pause(0.05)
        for key in ("down", "up") * WARMUP:  # first frames pay for caches and imports
            await pilot.press(key)
        # --- board navigation: down to the end, up to the top, again
        for i in range(n):
            rows = board.row_count
            key = "down" if (i // (rows - 1)) % 2 == 0 else "up"
            target = board.cursor_row + (1 if key == "down" else -1)
            out["navigate"].append(await hook.press(key, lambda t=target: board.cursor_row == t))
        # --- switching screens: board -> a booked visit (its view on screen) -> board (its rows read again)
        home = app.screen
        booked_rows = [i for i, r in enumerate(home.rows) if r.stage == Stage.BOOKED]
        for i in range(max(1, n // 4) + 1):  # the first round (imports, caches) is not counted
            board.focus()
            board.move_cursor(row=booked_rows[i % len(booked_rows)])
            await pilot.pause(0.02)
            there = await hook.press(
                "enter", lambda: app.screen is not home and getattr(app.screen, "view", None) is not None
            )
            await pilot.pause(0.02)
            before = shown["board"]
            back = await hook.press("escape", lambda b=before: app.screen is home and shown["board"] > b)
            if i:
                out["switch"].append(there + back)
            await pilot.pause(0.02)
        # --- opening a visit with 30 lines and 10 past visits (reception: its history shown)
        row = next(i for i, r in enumerate(home.rows) if r.visit_id == big_visit)
        for i in range(max(1, n // 4) + 1):
            board.focus()
            board.move_cursor(row=row)
            await pilot.pause(0.02)
            before = shown["history"]
            took = await hook.press(
                "enter",
                lambda b=before: (
                    app.screen is not home and getattr(app.screen, "view", None) is not None and shown["history"] > b
                ),
            )
            if i:
                out["open"].append(took)
            app.pop_screen()
            await _until(pilot, lambda: app.screen is home)
            await pilot.pause(0.05)
        # --- ticking checklist items (a durable commit each): booked visits' open items
        booked = [r.visit_id for r in app.screen.rows if r.stage == Stage.BOOKED]
        for vid in booked:
            if len(out["tick"]) >= n:
                break
            app.push_screen(screen_for(Stage.BOOKED, vid))
            await _until(pilot, lambda: app.screen.query(Checklist) and app.screen.query_one(Checklist).statuses)
            checklist = app.screen.query_one(Checklist)
            checklist.focus()
            for row, status in enumerate(list(checklist.statuses)):
                if len(out["tick"]) >= n:
                    break
                if (
                    status.state != ItemState.OPEN
                    or status.item.from_data
                    or not staff.may_tick_role(app.user, status.item)
                ):
                    continue
                checklist.move_cursor(row=row)
                await pilot.pause(0.01)
                item = status.item.id

                def ticked(item=item, checklist=checklist) -> bool:
                    return any(s.item.id == item and s.state == ItemState.DONE for s in checklist.statuses)

                out["tick"].append(await hook.press("space", ticked))
            app.pop_screen()
            await pilot.pause(0.05)
        # --- adding an estimate line: the form is filled, Enter saves it
        estimate = next(r.visit_id for r in app.screen.rows if r.stage == Stage.ESTIMATE)
        app.push_screen(screen_for(Stage.ESTIMATE, estimate))
        await _until(pilot, lambda: type(app.screen).__name__ == "EstimateScreen" and app.screen.view is not None)
        screen = app.screen
        lines = screen.query_one("#lines", DataTable)
        for i in range(n):
            await pilot.press("l")
            await _until(pilot, lambda: app.screen.query("#f-description"))
            dialog = app.screen
            dialog.query_one("#f-description", Input).value = f"Labour {i}"
            dialog.query_one("#f-unit_cents", Input).value = "180"
            dialog.query_one("#f-free", Input).focus()
            await pilot.pause(0.01)
            before = lines.row_count
            out["line"].append(await hook.press("enter", lambda b=before: app.screen is screen and lines.row_count > b))
    return out


async def _keypress_baseline(n: int) -> list[float]:
    from textual.widgets import DataTable

    from bench.probe import baseline_app

    report: dict = {}
    app = baseline_app(report, exit_on_ready=False)
    samples = []
    async with app.run_test(size=(120, 40)) as pilot:
        hook = FrameHook(app)
        table = app.query_one(DataTable)
        table.focus()
        await pilot.pause(0.05)
        for key in ("down", "up") * WARMUP:
            await pilot.press(key)
        for i in range(n):
            key = "down" if (i // 49) % 2 == 0 else "up"
            target = table.cursor_row + (1 if key == "down" else -1)
            samples.append(await hook.press(key, lambda t=target: table.cursor_row == t))
    return samples


def keypress(shop: generate.Shop, n: int) -> tuple[dict[str, list[float]], list[float]]:
    """Keypress-to-frame samples on a copy of the shop (the ticks and lines are
    real, durable commits: the cached shop stays as generated)."""
    with tempfile.TemporaryDirectory(dir=generate.cache_dir()) as tmp:
        db = Path(tmp) / "work.db"
        src = sqlite3.connect(shop.path)
        dst = sqlite3.connect(db)
        src.backup(dst)
        src.close()
        dst.close()
        desk = asyncio.run(_keypress_desk(shop, db, n))
        work = generate.Shop(db, shop.size, shop.now, shop.counts, shop.seconds)
        desk.update(commit_calls(work.url, work, n))
    base = asyncio.run(_keypress_baseline(n))
    return desk, base


# ----------------------------------------------------------------------------- lookup


def lookup_queries(path: Path, people: int = 12, seed: int = 3) -> list[str]:
    """What advisors type, a keypress at a time: plates, phones, VINs (start and
    end), Latin names and Chinese names of customers in the shop."""
    import random

    rng = random.Random(seed)
    conn = sqlite3.connect(path)
    n = conn.execute("SELECT max(id) FROM vehicle").fetchone()[0]
    picks = [
        conn.execute(
            "SELECT v.plate, v.vin, c.phone, c.name FROM vehicle v JOIN customer c "
            "ON c.id = v.customer_id WHERE v.id = ?",
            (rng.randrange(1, n + 1),),
        ).fetchone()
        for _ in range(people)
    ]
    latin = conn.execute("SELECT name FROM customer WHERE name GLOB '[A-Z]*' LIMIT 50").fetchall()
    conn.close()
    typed: list[str] = []
    for plate, vin, phone, name in picks:
        typed += [plate[:k] for k in range(2, len(plate) + 1)]
        national = phone[3:] if phone.startswith("+86") else phone
        typed += [national[:k] for k in range(3, len(national) + 1)]
        typed += [vin[:k] for k in range(3, 18, 2)] + [vin[-k:] for k in range(4, 9)]
        typed += [name[:k] for k in range(1, len(name) + 1)]  # mostly Chinese names
    for (name,) in latin[:people]:
        typed += [name[:k] for k in range(2, len(name) + 1)]
    return typed


#: Pinyin as advisors type it, a keypress at a time: full syllables of common
#: surnames of the shop's customers and initials ("wl" for 王丽), issue 14.
PINYIN = ("wangli", "zhangwei", "liuyang", "chenjing", "wl", "zw", "ly", "cj", "lim", "huangm")


def pinyin_queries() -> list[str]:
    return [q[:k] for q in PINYIN for k in range(1, len(q) + 1)]


def raw_lookup(conn: sqlite3.Connection, query: str, limit: int = 20) -> list[int]:
    """The hand-written indexed SQL for the same rows: one statement over the
    same index ranges, no ORM."""
    from desk.domain import search

    parts, params = [], []
    for p in search.probes(query):
        table = "vehicle" if p.column in search.VEHICLE_KEYS else "customer"
        parts.append(
            f"SELECT * FROM (SELECT '{table[0]}', id FROM {table} WHERE {p.column} >= ? AND "
            f"{p.column} < ? ORDER BY {p.column} LIMIT {limit})"
        )
        params += [p.prefix, search.prefix_upper(p.prefix)]
    if not parts:
        return []
    sql = (
        f"WITH hit(kind, id) AS ({' UNION ALL '.join(parts)}) "
        "SELECT v.id FROM vehicle v JOIN customer c ON c.id = v.customer_id "
        "WHERE v.id IN (SELECT id FROM hit WHERE kind = 'v') OR v.customer_id IN "
        f"(SELECT id FROM hit WHERE kind = 'c') ORDER BY v.plate, v.id LIMIT {limit}"
    )
    return [r[0] for r in conn.execute(sql, params).fetchall()]


def raw_lookup_pg(conn, query: str, limit: int = 20) -> list[int]:
    """:func:`raw_lookup` on PostgreSQL (a psycopg connection): each probe an index
    range in code-point order, the cars found by id and by owner joined by index,
    no ORM and no statement prepared ahead."""
    from desk.domain import search

    parts, params = [], []
    for p in search.probes(query):
        table = "vehicle" if p.column in search.VEHICLE_KEYS else "customer"
        key = f'{p.column} COLLATE "C"'
        parts.append(
            f"(SELECT '{table[0]}' AS kind, id FROM {table} WHERE {key} >= %s AND {key} < %s "
            f"ORDER BY {key} LIMIT {limit})"
        )
        params += [p.prefix, search.prefix_upper(p.prefix)]
    if not parts:
        return []
    sql = (
        f"WITH hit(kind, id) AS ({' UNION ALL '.join(parts)}) "
        "SELECT v.id FROM vehicle v WHERE v.id IN (SELECT id FROM hit WHERE kind = 'v' UNION "
        "SELECT v2.id FROM hit JOIN vehicle v2 ON v2.customer_id = hit.id WHERE hit.kind = 'c') "
        f'ORDER BY v.plate COLLATE "C", v.id LIMIT {limit}'
    )
    return [r[0] for r in conn.execute(sql, params).fetchall()]


def lookup_bench(shop: generate.Shop, typed: list[str] | None = None, *, pg_url: str | None = None) -> dict:
    """Lookup's p95 beside the hand-written query's, on the shop's SQLite file or,
    with ``pg_url``, on its copy in PostgreSQL."""
    from desk.services import open_desk

    desk = open_desk(pg_url or shop.url, clock=shop.clock(), migrate=False, deep_check=False)
    if pg_url:
        import psycopg

        conn = psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://", 1), autocommit=True)
        hand = functools.partial(raw_lookup_pg, conn)
    else:
        conn = sqlite3.connect(shop.path)
        hand = functools.partial(raw_lookup, conn)
    typed = typed if typed is not None else lookup_queries(shop.path)
    for q in typed[:20]:  # warm the page cache
        desk.people.lookup(q)
        hand(q)
    ours, raw, same = [], [], 0
    for q in typed:
        # best of 3 per query, alternating: a shared machine's scheduler noise
        # would otherwise decide the 95th percentile of sub-millisecond calls
        best_ours = best_raw = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            rows = desk.people.lookup(q)
            t1 = time.perf_counter()
            ids = hand(q)
            t2 = time.perf_counter()
            best_ours, best_raw = min(best_ours, t1 - t0), min(best_raw, t2 - t1)
        ours.append(best_ours)
        raw.append(best_raw)
        same += [v.id for v, _c in rows] == ids
    conn.close()
    desk.ctx.engine.dispose()
    return {"ours": ours, "raw": raw, "same": same, "n": len(typed)}


def store_open(shops: list[generate.Shop], repeat: int) -> list[float]:
    """Median seconds, in process, of what start-up asks of the store: open the
    database (no quick_check, as the app does) and read the users and today's
    board. Interleaved, so both shops see the same machine."""
    from desk.services import open_desk

    runs: list[list[float]] = [[] for _ in shops]
    for r in range(repeat + 1):
        for i, shop in enumerate(shops):
            t0 = time.perf_counter()
            desk = open_desk(shop.url, clock=shop.clock(), deep_check=False)
            desk.people.users()
            desk.booking.board(shop.now.date())
            if r:  # the first round warms the OS cache
                runs[i].append(time.perf_counter() - t0)
            desk.ctx.engine.dispose()
    return [statistics.median(r) for r in runs]


def kpi_year(shops: list[generate.Shop], repeat: int) -> list[float]:
    """Median seconds of the KPI dashboard's report for the year to date (the
    dashboard's own service call), interleaved so every shop sees the same machine."""
    from desk.domain import kpi
    from desk.services import open_desk
    from desk.services.reports import day_range

    desks = [open_desk(s.url, clock=s.clock(), migrate=False, deep_check=False) for s in shops]
    runs: list[list[float]] = [[] for _ in shops]
    for _r in range(repeat):  # no warm-up round: one report reads a year of the shop (tens of seconds)
        for i, (shop, desk) in enumerate(zip(shops, desks)):
            start, end = day_range(*kpi.period(kpi.YEAR, shop.now.date()))
            t0 = time.perf_counter()
            desk.reports.kpi_report(start, end)
            runs[i].append(time.perf_counter() - t0)
    for desk in desks:
        desk.ctx.engine.dispose()
    return [statistics.median(r) for r in runs]


# ----------------------------------------------------------------------------- commits

#: The saves issue 16 names, as the service calls their keys make.
COMMITS = ("add line", "tick", "assign", "set promised", "sign")


def commit_calls(url: str, shop: generate.Shop, n: int) -> dict[str, list[float]]:
    """Seconds of each save's service call, durable commit included (n each): an
    estimate line, a checklist tick, assigning a technician, the promised time and
    the customer's signature, on today's estimate visit and booked visits."""
    from datetime import timedelta

    from desk.domain import staff
    from desk.domain.checklist import ItemState, MarkKind
    from desk.domain.entities import Channel, Role
    from desk.domain.process import Stage
    from desk.services import open_desk

    desk = open_desk(url, clock=shop.clock(), migrate=False, deep_check=False)
    out: dict[str, list[float]] = {f"commit: {name}": [] for name in COMMITS}
    try:
        users = desk.people.users()
        user = next(u for u in users if u.name == "王丽")
        techs = [u.id for u in users if u.has(Role.TECHNICIAN)]
        board = desk.booking.board(shop.now.date())
        visit = next(r.visit_id for r in board if r.stage == Stage.ESTIMATE)
        # the keypress run ticks the booked visits' items: these come from the others first
        order = [r.visit_id for r in board if r.stage != Stage.BOOKED] + [
            r.visit_id for r in reversed(board) if r.stage == Stage.BOOKED
        ]
        items = [
            (vid, st.item.id)
            for vid in order
            for st in desk.checklist.checklist(vid)
            if st.state == ItemState.OPEN and not st.item.from_data and staff.may_tick_role(user, st.item)
        ]
        ref = desk.lifecycle.ref(visit)

        def timed(name, fn):
            t0 = time.perf_counter()
            saved = fn()
            out[f"commit: {name}"].append(time.perf_counter() - t0)
            return saved.ref

        for i in range(n):
            ref = timed(
                "add line",
                lambda: desk.estimate.add_estimate_line(
                    user,
                    ref,
                    desk.estimate.draft(kind="labour", description=f"Labour {i}", qty=Decimal(1), unit_cents=180),
                ),
            )
            ref = timed("assign", lambda: desk.lifecycle.assign(user, ref, techs[i % len(techs)], f"B{i % 4}"))
            # each promise a second sooner: a later one than the customer signed would need
            # their recorded approval (issue 25), which is not what this figure times
            ref = timed(
                "set promised",
                lambda: desk.lifecycle.set_promised(user, ref, shop.now + timedelta(hours=6, seconds=-i)),
            )
            total = desk.lifecycle.visit_view(visit).estimate_totals.total
            ref = timed(
                "sign",
                lambda: desk.estimate.authorise(
                    user, ref, desk.estimate.signature(channel=Channel.IN_PERSON, signer="李伟", amount_cents=total)
                ),
            )
        for vid, item in items[:n]:
            timed("tick", lambda: desk.checklist.mark_item(user, desk.lifecycle.ref(vid), item, MarkKind.DONE))
    finally:
        desk.ctx.engine.dispose()
    return out


# ----------------------------------------------------------------------------- PostgreSQL


def service_calls(url: str, shop: generate.Shop, repeat: int, big_visit: int) -> dict[str, float]:
    """Median seconds of the same service calls on either database: the board,
    opening a visit (30 lines, 10 past visits), the KPI year, lookups, and every save."""
    from desk.domain import kpi
    from desk.services import open_desk
    from desk.services.reports import day_range

    desk = open_desk(url, clock=shop.clock(), deep_check=False)
    today = shop.now.date()
    queries = lookup_queries(shop.path, people=3)
    start, end = day_range(*kpi.period(kpi.YEAR, today))
    timings: dict[str, list[float]] = {
        "board": [],
        "open a visit (30 lines, 10 past visits)": [],
        "KPI dashboard, year": [],
        "lookup": [],
        "pinyin lookup": [],
    }

    def timed(name, fn):
        t0 = time.perf_counter()
        fn()
        timings[name].append(time.perf_counter() - t0)

    for i in range(repeat):
        timed("board", lambda: desk.booking.board(today))
        # one read, its last visits with it, as the reception screen opens it
        timed("open a visit (30 lines, 10 past visits)", lambda: desk.lifecycle.visit_view(big_visit, past=5))
    timed("KPI dashboard, year", lambda: desk.reports.kpi_report(start, end))  # once: a year is slow
    for q in queries:
        timed("lookup", lambda q=q: desk.people.lookup(q))
    for q in pinyin_queries():
        timed("pinyin lookup", lambda q=q: desk.people.lookup(q))
    desk.ctx.engine.dispose()
    medians = {k: statistics.median(v) for k, v in timings.items() if v}
    for name, samples in commit_calls(url, shop, repeat).items():
        if samples:
            medians[name] = statistics.median(samples)
    return medians


def pg_bench(pg_url: str, shop: generate.Shop, repeat: int) -> tuple[dict[str, tuple[float, float]], dict]:
    """The shop copied into a fresh PostgreSQL database; the same calls on both
    (PostgreSQL's, SQLite's seconds), and the lookups on PostgreSQL beside the
    hand-written indexed query (:func:`lookup_bench`)."""
    import sqlalchemy as sa

    from desk.store.copy import copy_database

    name = f"desk_bench_{os.getpid()}"
    admin = sa.create_engine(
        pg_url.replace("postgresql://", "postgresql+psycopg://", 1) if pg_url.startswith("postgresql://") else pg_url,
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    target = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory(dir=generate.cache_dir()) as tmp:
            db = Path(tmp) / "work.db"
            shutil.copyfile(shop.path, db)
            work = generate.Shop(db, shop.size, shop.now, shop.counts, shop.seconds)
            big = prepare_big_visit(work, db)
            copy_database(work.url, target)
            pg = service_calls(target, work, repeat, big)
            lite = service_calls(work.url, work, repeat, big)
            lookups = {
                "lookup": lookup_bench(work, lookup_queries(work.path, people=6), pg_url=target),
                "pinyin lookup": lookup_bench(work, pinyin_queries(), pg_url=target),
            }
            starts = startups(
                [("desk", work), ("desk", generate.Shop(target, shop.size, shop.now, shop.counts, shop.seconds))],
                max(1, repeat // 2),
            )
            lite["start-up to board filled (headless)"], pg["start-up to board filled (headless)"] = (
                starts[0]["filled"],
                starts[1]["filled"],
            )
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return {k: (pg[k], lite[k]) for k in pg}, lookups


# ----------------------------------------------------------------------------- the run


def run(
    large: generate.Shop,
    small: generate.Shop,
    *,
    repeat: int = 5,
    keys: int = 40,
    tmux: bool = True,
    pg_url: str | None = None,
    pg_shop: generate.Shop | None = None,
    log=print,
    only: set[str] | None = None,
) -> Results:
    """Every figure; ``only`` (a subset of :data:`PARTS`) limits the run to those parts."""
    res = Results()
    want = lambda part: only is None or part in only
    if want("startup"):
        _startup_figures(res, large, small, repeat, tmux, log)
    if want("keys"):
        _keypress_figures(res, large, keys, log)
    if want("lookup"):
        _lookup_figures(res, large, log)
    if want("pinyin"):
        _pinyin_figures(res, large, log)
    if want("kpi"):
        _kpi_figures(res, large, small, repeat, log)
    if want("pg"):
        _pg_figures(res, small, pg_url, pg_shop, repeat, log)
    return res


#: The parts of a run ``--only`` can pick.
PARTS = ("startup", "keys", "lookup", "pinyin", "kpi", "pg")


def _startup_figures(res: Results, large, small, repeat: int, tmux: bool, log) -> None:
    ms = 1000.0
    log("start-up: baseline, small shop, large shop (fresh processes, headless)…")
    base, big, little = startups([("baseline", None), ("desk", large), ("desk", small)], repeat)
    label = f"{large.counts['visit']:,} visits"
    res.add(
        Figure(
            "1. first paint (on_ready) vs minimal Textual app",
            big["ready"] * ms,
            base["ready"] * ms,
            "ms",
            "<= 1.5x",
            ratio_max=1.5,
        ),
        Figure(
            f"1. board filled ({big.get('rows', 0)} visits today, {label}) vs minimal app",
            big["filled"] * ms,
            base["filled"] * ms,
            "ms",
            "<= 1.5x",
            ratio_max=1.5,
        ),
        Figure(
            f"2. start-up to board filled: {label} vs {small.counts['visit']:,}",
            big["filled"] * ms,
            little["filled"] * ms,
            "ms",
            "<= 1.1x",
            ratio_max=1.1,
        ),
        Figure(
            f"2. board load (on_ready to filled): {label} vs {small.counts['visit']:,}",
            big["board_load"] * ms,
            little["board_load"] * ms,
            "ms",
            "<= 1.1x",
            ratio_max=1.1,
        ),
        Figure(
            f"2. store open + users + today's board, in process: {label} vs {small.counts['visit']:,}",
            (flat := store_open([large, small], max(5, repeat)))[0] * ms,
            flat[1] * ms,
            "ms",
            "<= 1.1x",
            ratio_max=1.1,
        ),
        Figure(
            "5. resident memory, large shop open (baseline: minimal app)",
            big["rss_mb"],
            base["rss_mb"],
            "MB",
            "<= 120 MB",
            abs_max=120,
        ),
    )
    if tmux and shutil.which("tmux"):
        log("start-up in a real terminal (tmux), whole process…")
        tb, tl = startups([("baseline", None), ("desk", large)], repeat, tmux=True)
        res.add(
            Figure(
                "1. tmux: launch to board on screen, large shop vs minimal app",
                tl["filled"] * ms,
                tb["filled"] * ms,
                "ms",
                "<= 1.5x",
                ratio_max=1.5,
            ),
            Figure(
                "1. tmux: whole process (launch to exit), large shop vs minimal app",
                tl["process"] * ms,
                tb["process"] * ms,
                "ms",
                "<= 1.5x",
                ratio_max=1.5,
            ),
        )
    else:
        res.notes.append("tmux not found: the real-terminal start-up was not measured")


def _keypress_figures(res: Results, large, keys: int, log) -> None:
    ms = 1000.0
    log("keypress to frame (in process, large shop copy)…")
    kp, kb = keypress(large, keys)
    base_med = statistics.median(kb)
    for name, title in (
        ("navigate", "board navigation (down/up)"),
        ("tick", "tick a checklist item + commit"),
        ("line", "add an estimate line + commit"),
    ):
        samples = kp[name]
        if not samples:
            res.notes.append(f"keypress {name}: no samples")
            continue
        res.add(
            Figure(
                f"3. {title}: median (n={len(samples)})",
                statistics.median(samples) * ms,
                base_med * ms,
                "ms",
                "<= 16 ms",
                abs_max=16,
            ),
            Figure(f"3. {title}: p99", pct(samples, 0.99) * ms, pct(kb, 0.99) * ms, "ms", "<= 50 ms", abs_max=50),
        )
    # screens: key to the frame that shows them, against a keypress of the minimal app
    for name, title in (
        ("switch", "switch screens: board -> visit -> board (two keys)"),
        ("open", "open a visit with 30 lines and 10 past visits"),
    ):
        samples = kp[name]
        if samples:
            res.add(
                Figure(
                    f"3. {title}: median (n={len(samples)})",
                    statistics.median(samples) * ms,
                    base_med * ms,
                    "ms",
                    "reported",
                ),
                Figure(f"3. {title}: p99", pct(samples, 0.99) * ms, pct(kb, 0.99) * ms, "ms", "reported"),
            )
    # every save's service call with its durable commit (synchronous=FULL)
    for name in COMMITS:
        samples = kp.get(f"commit: {name}") or []
        if samples:
            res.add(
                Figure(
                    f"3. {name}: service call + commit, median (n={len(samples)})",
                    statistics.median(samples) * ms,
                    base_med * ms,
                    "ms",
                    "<= 16 ms",
                    abs_max=16,
                ),
                Figure(
                    f"3. {name}: service call + commit, p99",
                    pct(samples, 0.99) * ms,
                    pct(kb, 0.99) * ms,
                    "ms",
                    "<= 50 ms",
                    abs_max=50,
                ),
            )


def _kpi_figures(res: Results, large, small, repeat: int, log) -> None:
    from bench.kpi_sql import kpi_vs_baseline

    log("KPI dashboard for a year…")
    big, little = kpi_year([large, small], 1)
    res.add(
        Figure(
            f"7. KPI dashboard, year to date: {large.counts['visit']:,} visits vs {small.counts['visit']:,}",
            big * 1000,
            little * 1000,
            "ms",
            "reported",
        )
    )
    for shop in (small, large):
        log(f"KPI year against a hand-written SQL pass ({shop.counts['visit']:,} visits)…")
        t = kpi_vs_baseline(shop, repeat=min(repeat, 3))
        n = f"{shop.counts['visit']:,} visits"
        res.add(
            Figure(
                f"7b. KPI figures the database counts, year, vs hand-written SQL ({n})",
                t["counted"] * 1000,
                t["baseline"] * 1000,
                "ms",
                "<= 3x",
                ratio_max=3,
            ),
            Figure(
                f"7c. KPI dashboard, year, all figures (Python part included) vs hand-written SQL ({n})",
                t["dashboard"] * 1000,
                t["baseline"] * 1000,
                "ms",
                "<= 3x",
                ratio_max=3,
            ),
        )


def _pinyin_figures(res: Results, large, log) -> None:
    log("pinyin lookup as you type…")
    lk = lookup_bench(large, pinyin_queries())
    res.add(
        Figure(
            f"4. pinyin lookup as you type, p95 (n={lk['n']}) vs hand-written indexed SQL",
            pct(lk["ours"], 0.95) * 1000,
            pct(lk["raw"], 0.95) * 1000,
            "ms",
            "<= 10 ms, <= 3x",
            ratio_max=3,
            abs_max=10,
            note=f"same rows {lk['same']}/{lk['n']}",
        )
    )


def _lookup_figures(res: Results, large, log) -> None:
    ms = 1000.0
    log("lookup as you type…")
    lk = lookup_bench(large)
    res.add(
        Figure(
            f"4. lookup as you type, p95 (n={lk['n']}, {large.counts['customer']:,} customers) "
            f"vs hand-written indexed SQL",
            pct(lk["ours"], 0.95) * ms,
            pct(lk["raw"], 0.95) * ms,
            "ms",
            "<= 10 ms, <= 3x",
            ratio_max=3,
            abs_max=10,
            note=f"same rows {lk['same']}/{lk['n']}",
        )
    )


def _pg_figures(res: Results, small, pg_url, pg_shop, repeat: int, log) -> None:
    ms = 1000.0
    if pg_url:
        shop = pg_shop or small
        log(f"PostgreSQL vs SQLite on the {shop.counts['visit']:,}-visit shop…")
        calls, lookups = pg_bench(pg_url, shop, repeat=max(5, repeat))
        for name, (pg, lite) in calls.items():
            res.add(
                Figure(
                    f"6. {name}: PostgreSQL vs SQLite ({shop.counts['visit']:,} visits)",
                    pg * ms,
                    lite * ms,
                    "ms",
                    "reported",
                )
            )
        for name, lk in lookups.items():
            res.add(
                Figure(
                    f"6. {name} on PostgreSQL, p95 (n={lk['n']}) vs hand-written indexed SQL",
                    pct(lk["ours"], 0.95) * ms,
                    pct(lk["raw"], 0.95) * ms,
                    "ms",
                    "<= 3x",
                    ratio_max=3,
                    note=f"same rows {lk['same']}/{lk['n']}",
                )
            )
    else:
        res.notes.append("6. PostgreSQL: not measured (give --pg URL or DESK_TEST_PG_URL)")


def table(res: Results):
    from rich.table import Table

    t = Table(title="desk benchmark (issue #6)")
    for col in ("figure", "measured", "baseline", "ratio", "target", "met"):
        t.add_column(col, justify="left" if col in ("figure", "target") else "right")
    for f in res.figures:
        fmt = lambda v: "-" if v is None else (f"{v:.1f} {f.unit}" if v < 100 else f"{v:.0f} {f.unit}")
        met = {True: "yes", False: "NO", None: "-"}[f.met]
        name = f.name + (f" [{f.note}]" if f.note else "")
        t.add_row(name, fmt(f.measured), fmt(f.baseline), "-" if f.ratio is None else f"{f.ratio:.2f}x", f.target, met)
    return t


def main(argv: list[str] | None = None) -> int:
    import argparse

    from rich.console import Console

    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--visits", type=int, default=generate.Size.visits, help="size of the large shop")
    ap.add_argument("--small", type=int, default=1000, help="visits of the small shop (scale flatness)")
    ap.add_argument("--repeat", type=int, default=5, help="start-up runs per figure (median)")
    ap.add_argument("--keys", type=int, default=40, help="keypresses per path")
    ap.add_argument("--pg", default=os.environ.get("DESK_TEST_PG_URL"), help="PostgreSQL URL (figure 6)")
    ap.add_argument("--pg-visits", type=int, default=20_000, help="visits of the shop compared on PostgreSQL")
    ap.add_argument("--no-tmux", action="store_true")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument(
        "--only",
        action="append",
        choices=PARTS,
        help="run only this part (repeatable): startup, keys (keypress to frame and saves), lookup, pinyin, kpi, pg",
    )
    args = ap.parse_args(argv)
    only = set(args.only) if args.only else None
    console = Console()
    size = generate.Size() if args.visits == generate.Size.visits else generate.Size.scaled(args.visits)

    def progress(stage: str, done: int, total: int) -> None:
        if done == total or done % 50_000 == 0:
            console.print(f"  generating {stage}: {done:,}/{total:,}", highlight=False)

    large = generate.shop(size, progress=progress)
    needs_small = only is None or bool(only & {"startup", "pg", "kpi"})
    small = generate.shop(generate.Size.scaled(args.small), progress=progress) if needs_small else large
    pg_shop = (
        generate.shop(generate.Size.scaled(args.pg_visits), progress=progress)
        if args.pg and (only is None or "pg" in only)
        else None
    )
    console.print(f"large shop: {large.path} ({large.path.stat().st_size / 2**20:.0f} MB, {large.counts})")
    res = run(
        large,
        small,
        repeat=args.repeat,
        keys=args.keys,
        tmux=not args.no_tmux,
        pg_url=args.pg,
        pg_shop=pg_shop,
        log=lambda m: console.print(m, style="dim"),
        only=only,
    )
    console.print(table(res))
    for note in res.notes:
        console.print(f"note: {note}")
    console.print(f"{os.cpu_count()} CPUs; Python {sys.version.split()[0]}; SQLite {sqlite3.sqlite_version}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [{**f.__dict__, "ratio": f.ratio, "met": f.met} for f in res.figures], ensure_ascii=False, indent=1
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
