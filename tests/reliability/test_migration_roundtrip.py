"""Migration round trip on a shop of 10,000 visits: upgrade to the head, downgrade
to the first revision, upgrade again. Every row of the tables the first revision
has is unchanged (a digest per table), the money totals are the same, the later
revisions' columns are filled again (lookup still finds the customers), and the
audit chain verifies throughout."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from bench.generate import Size, generate
from desk.store import audit
from desk.store.db import current_revision, downgrade, head_revision, make_engine, read_session, upgrade

#: Tables of the first revision that hold a shop's records.
TABLES = (
    "user",
    "customer",
    "vehicle",
    "odometer_reading",
    "visit",
    "concern",
    "finding",
    "estimate_line",
    "authorisation",
    "mot_mark",
    "progress_update",
    "reminder",
    "followup_call",
    "survey_answer",
    "complaint",
    "audit_event",
)


def figures(path: Path, columns: dict[str, list[str]]) -> dict:
    """Row count and a digest of every row (in id order, the first revision's
    columns) of each table, and the money totals."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for table in TABLES:
            cols = ", ".join(f'"{c}"' for c in columns[table])
            digest = hashlib.sha256()
            n = 0
            for row in conn.execute(f'SELECT {cols} FROM "{table}" ORDER BY id'):
                digest.update(repr(row).encode())
                n += 1
            out[table] = (n, digest.hexdigest())
        out["money"] = conn.execute(
            "SELECT sum(unit_cents * qty_milli), sum(discount_bp) FROM estimate_line"
        ).fetchone()
        out["authorised"] = conn.execute("SELECT sum(amount_cents), count(*) FROM authorisation").fetchone()
        return out
    finally:
        conn.close()


def first_revision_columns(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        return {t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')] for t in TABLES}
    finally:
        conn.close()


def chain_ok(engine) -> bool:
    with read_session(engine) as s:
        return audit.verify(s) == []


@pytest.mark.slow
def test_upgrade_downgrade_upgrade_keeps_every_record(tmp_path, capsys):
    path = tmp_path / "shop.db"
    shop = generate(path, Size.scaled(10_000), seed=11)
    assert shop.counts["visit"] >= 10_000
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        assert current_revision(engine) == head_revision()
        assert chain_ok(engine)
        engine.dispose()
        # the columns of the first revision: what must survive any round trip
        downgrade(engine, "0001")
        engine.dispose()
        columns = first_revision_columns(path)
        at_first = figures(path, columns)
        upgrade(engine)
        engine.dispose()
        assert current_revision(engine) == head_revision()
        at_head = figures(path, columns)
        downgrade(engine, "0001")
        engine.dispose()
        again_first = figures(path, columns)
        upgrade(engine)
        engine.dispose()
        again_head = figures(path, columns)
        assert at_first == at_head == again_first == again_head
        assert at_head["visit"][0] >= 10_000 and at_head["money"][0] > 0
        assert chain_ok(engine)
    finally:
        engine.dispose()
    # the later revisions' derived columns are filled again: lookup finds people
    from desk.services import open_desk

    desk = open_desk(url, clock=shop.clock())
    try:
        conn = sqlite3.connect(path)
        name, phone = conn.execute(
            "SELECT c.name, c.phone FROM customer c JOIN vehicle v ON v.customer_id = c.id ORDER BY c.id DESC LIMIT 1"
        ).fetchone()
        conn.close()
        hits = desk.people.lookup(phone[-4:], limit=200)  # the search keys of 0003 were filled again
        assert name in {customer.name for _vehicle, customer in hits}
    finally:
        desk.ctx.engine.dispose()
    with capsys.disabled():
        print(
            f"\n[migration] {at_head['visit'][0]} visits, {at_head['audit_event'][0]} audit events, "
            f"{at_head['estimate_line'][0]} lines: upgrade, downgrade to 0001, upgrade x2 — identical"
        )
