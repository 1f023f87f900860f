"""The `kill -9` loop of issue 24: a writer process killed at random points of
every kind of save, and after each kill one desk command (in turn: audit verify,
report, export, backup, db upgrade) is the first to open the file.

    python -m bench.crash_loop                 # 100 kills, prints the figures
    python -m bench.crash_loop --kills 300 --seed 7

It prints one line of figures: kills, how many left a hot journal (or a WAL)
beside the file for the next command to meet, each command's runs, how many
failed, how many said "damaged", and the acknowledged saves of each kind, every
one of which must be present at the end (with its concern lines and its audit
event). ``tests/reliability/test_crash_is_not_damage.py`` runs it (slow-marked).

The kinds of save, each one desk transaction acknowledged only after its commit:
a walk-in (visit, three concern lines, audit event), a new customer with a car,
a promised time on a visit, a concern added to a visit, and a large commit (the
issue's reproduction: every customer updated and a thousand 2 KB rows in one
transaction with a ten-page cache, so SQLite spills into the file before the
commit and a kill leaves a hot journal).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

FORK = mp.get_context("fork")
NOW = datetime(2026, 11, 23, 9, 0)
KINDS = ("walk_in", "customer", "promised", "concern", "large")
COMMANDS = {
    "audit verify": ["audit", "verify"],
    "report": ["report", "--from", "2026-11-01", "--to", "2026-11-30"],
    "export": ["export", "visits", "--from", "2026-11-01", "--to", "2026-11-30", "-o", "@out"],
    "backup": ["backup"],
    "db upgrade": ["db", "upgrade"],
}


@dataclass
class Figures:
    kills: int = 0
    #: kills after which a journal or WAL was left beside the file for the next command
    left_journal: int = 0
    runs: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    damaged: int = 0
    acknowledged: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def line(self) -> str:
        runs = ", ".join(f"{k} {v}" for k, v in self.runs.items())
        acks = ", ".join(f"{k} {v}" for k, v in self.acknowledged.items())
        return (
            f"[kill -9 at every kind of save] {self.kills} kills, {self.left_journal} left a hot journal for "
            f"the next command; first opener: {runs}; {len(self.failed)} failed, {self.damaged} said "
            f'"damaged"; acknowledged saves: {acks} ({sum(self.acknowledged.values())}), '
            f"{len(self.missing)} missing; {self.seconds:.1f} s"
        )


def _seed(url: str) -> tuple[int, int, int]:
    from desk.domain.entities import Role
    from desk.services import open_desk

    desk = open_desk(url, clock=lambda: NOW)
    user = desk.people.user(desk.people.create_user(None, "王丽", [Role.ADVISOR]))
    customer = desk.people.register_customer(user, desk.people.customer_draft(name="李伟", phone="13812345678"))
    vehicle = desk.people.register_vehicle(user, customer, desk.people.vehicle_draft(plate="京A12345"))
    desk.ctx.engine.dispose()
    return user.id, customer, vehicle


def _large(path: Path, marker: str) -> None:
    conn = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        conn.execute("PRAGMA cache_size=10")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE IF NOT EXISTS bulk_probe (marker TEXT, body BLOB)")
        conn.execute("UPDATE customer SET special_note = special_note")
        conn.executemany("INSERT INTO bulk_probe VALUES (?, ?)", ((marker, os.urandom(2048)) for _ in range(1000)))
        conn.execute("COMMIT")
    finally:
        conn.close()


def _writer(
    path: Path, ids: tuple[int, int, int], seed: int, writer: int, ack
) -> None:  # pragma: no cover - a killed child
    from desk.domain.entities import Role, User
    from desk.services import ServiceContext, build_desk
    from desk.store.db import make_engine

    user_id, customer_id, vehicle_id = ids
    desk = build_desk(ServiceContext(make_engine(f"sqlite:///{path}"), clock=lambda: NOW))
    actor = User(id=user_id, name="王丽", roles=frozenset({Role.ADVISOR}))
    rng = random.Random(seed)
    ack.send(("ready",))
    try:
        _saves(desk, actor, path, customer_id, vehicle_id, rng, writer, ack)
    except Exception as exc:  # noqa: BLE001 - the parent counts it as a failure
        ack.send(("error", repr(exc)[:300]))


def _saves(desk, actor, path, customer_id, vehicle_id, rng, writer, ack) -> None:  # pragma: no cover - a killed child
    visits: list[int] = []
    n = 0
    while True:
        n += 1
        kind = rng.choice(KINDS) if visits else "walk_in"
        tag = f"{os.getpid()}-{n}"
        if kind == "walk_in":
            vid = desk.booking.walk_in(
                actor,
                customer_id=customer_id,
                vehicle_id=vehicle_id,
                concerns=desk.booking.concerns([f"{tag} concern {i}" for i in range(3)]),
            ).id
            visits.append(vid)
            ack.send(("walk_in", vid))
        elif kind == "customer":
            # Unique per writer and save: one plate is one car, one phone one customer, so a
            # random plate would sooner or later be refused as already on file.
            cid, _vid = desk.people.register(
                actor,
                desk.people.customer_draft(name=f"客户{n}", phone=f"139{writer:04d}{n:04d}"),
                desk.people.vehicle_draft(plate=f"沪B{writer:03d}{n:04d}"),
            )
            ack.send(("customer", cid))
        elif kind == "promised":
            vid = visits[-1]
            minutes = n
            desk.lifecycle.set_promised(actor, desk.lifecycle.ref(vid), NOW + timedelta(hours=2, minutes=minutes))
            ack.send(("promised", vid, minutes))
        elif kind == "concern":
            vid = visits[-1]
            desk.reception.add_concern(actor, desk.lifecycle.ref(vid), desk.booking.concerns([f"{tag} added"])[0])
            ack.send(("concern", vid, f"{tag} added"))
        else:
            _large(path, tag)
            ack.send(("large", tag))


def _drain(receive, acks: list) -> None:
    while True:
        try:
            if not receive.poll():
                return
            item = receive.recv()
        except (EOFError, OSError):
            return
        if item[0] != "ready":
            acks.append(item)


def _left_beside(path: Path) -> bool:
    return any(
        path.with_name(path.name + s).exists() and path.with_name(path.name + s).stat().st_size > 0
        for s in ("-journal", "-wal")
    )


def _missing(path: Path, acks: list) -> list[str]:
    """Every acknowledged save, checked on the file as it is now."""
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        visits = dict(
            conn.execute(
                "SELECT v.id, count(c.id) FROM visit v LEFT JOIN concern c ON c.visit_id = v.id GROUP BY v.id"
            ).fetchall()
        )
        audited = {r[0] for r in conn.execute("SELECT entity_id FROM audit_event WHERE action = 'visit.walk_in'")}
        customers = {r[0] for r in conn.execute("SELECT id FROM customer")}
        concerns = {(r[0], r[1]) for r in conn.execute("SELECT visit_id, text FROM concern")}
        promised = {r[0]: r[1] for r in conn.execute("SELECT id, promised_at FROM visit")}
        has_bulk = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'bulk_probe'").fetchone()[0]
        bulk = (
            dict(conn.execute("SELECT marker, count(*) FROM bulk_probe GROUP BY marker").fetchall()) if has_bulk else {}
        )
    finally:
        conn.close()
    last_promise: dict[int, int] = {}
    for item in acks:
        if item[0] == "promised":
            last_promise[item[1]] = max(last_promise.get(item[1], 0), item[2])
    lost = []
    for item in acks:
        kind = item[0]
        if kind == "walk_in" and (visits.get(item[1]) is None or visits[item[1]] < 3 or item[1] not in audited):
            lost.append(f"visit {item[1]}")
        elif kind == "customer" and item[1] not in customers:
            lost.append(f"customer {item[1]}")
        elif kind == "concern" and (item[1], item[2]) not in concerns:
            lost.append(f"concern {item[2]}")
        elif kind == "large" and bulk.get(item[1]) != 1000:
            lost.append(f"large commit {item[1]}")
    for vid, minutes in last_promise.items():
        # a writer promises its visit ever later: a later promise committed just
        # before the kill (never acknowledged) may stand instead of the last acknowledged one
        want = (NOW + timedelta(hours=2, minutes=minutes)).strftime("%Y-%m-%d %H:%M")
        got = promised.get(vid)
        if got is None or str(got)[:16] < want:
            lost.append(f"promised time of visit {vid}")
    return lost


def run(kills: int = 100, *, seed: int = 20261207, folder: Path | None = None) -> Figures:
    """The loop; the caller sets DESK_DATA_DIR (backups and anchors go there)."""
    from click.testing import CliRunner

    from desk.__main__ import main

    folder = Path(folder or tempfile.mkdtemp(prefix="desk-crash-"))
    path = folder / "crash.db"
    url = f"sqlite:///{path}"
    ids = _seed(url)
    (folder / "out").mkdir(exist_ok=True)
    rng = random.Random(seed)
    figures = Figures(runs=dict.fromkeys(COMMANDS, 0))
    acks: list = []
    names = list(COMMANDS)
    started = time.monotonic()
    while figures.kills < kills:
        receive, send = FORK.Pipe(duplex=False)
        proc = FORK.Process(target=_writer, args=(path, ids, rng.randrange(10**9), figures.kills, send), daemon=True)
        proc.start()
        send.close()
        assert receive.poll(60) and receive.recv() == ("ready",)
        time.sleep(rng.uniform(0.02, 0.6))
        os.kill(proc.pid, signal.SIGKILL)
        proc.join()
        _drain(receive, acks)
        receive.close()
        figures.kills += 1
        figures.left_journal += _left_beside(path)
        name = names[figures.kills % len(names)]
        args = [a.replace("@out", str(folder / "out" / f"visits-{figures.kills}.csv")) for a in COMMANDS[name]]
        result = CliRunner().invoke(main, ["--db", str(path), *args], catch_exceptions=True)
        said = (result.stdout or "") + (result.stderr or "")
        figures.runs[name] += 1
        low = said.lower()
        if low.count("damaged") > low.count("not damaged") or "损坏" in said.replace("没有损坏", ""):
            figures.damaged += 1
        if result.exit_code != 0:
            figures.failed.append(f"{name}: {said.strip()[:200] or repr(result.exception)}")
    figures.failed += [f"a save failed: {a[1]}" for a in acks if a[0] == "error"]
    figures.missing = _missing(path, acks)
    for kind in KINDS:
        figures.acknowledged[kind] = sum(1 for a in acks if a[0] == kind)
    figures.seconds = time.monotonic() - started
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20261207)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="desk-crash-") as work:
        os.environ["DESK_DATA_DIR"] = str(Path(work) / "data")
        figures = run(args.kills, seed=args.seed, folder=Path(work))
    print(figures.line())
    for failure in figures.failed[:5]:
        print("  failed:", failure)
    for lost in figures.missing[:5]:
        print("  missing:", lost)
    return 0 if not (figures.failed or figures.damaged or figures.missing) else 1


if __name__ == "__main__":
    sys.exit(main())
