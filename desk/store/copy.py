"""Copy a shop from its SQLite file into an empty PostgreSQL database.

``desk db copy --to URL``: the target is migrated to the current schema, every
table is copied in foreign-key order and, within a table, in id order with the
ids kept; PostgreSQL's sequences are then moved past the copied ids. Before it
reports success the copy is checked: rows per table, the money totals (estimate
lines' ``unit_cents × qty_milli`` and the authorised amounts) and the audit
log's hash chain must match the source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from desk.store import (
    audit,
    models,  # noqa: F401 - registers the tables
)
from desk.store.db import current_revision, make_engine, upgrade
from desk.store.revisions import head_revision

BATCH = 5_000
#: Tables the target's migration fills itself: its own fresh shop_id gives way to
#: the source's (the copy is the same shop, so its backups keep their name), and
#: its counters at 0 to the source's (the invoice numbers go on without a gap).
OWN_ROWS = ("shop_meta", "shop_sequence")


class CopyRefused(Exception):
    """The copy cannot start (or did not verify); the message says why."""


@dataclass
class CopyReport:
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> (source, target)
    line_cents_milli: tuple[int, int] = (0, 0)
    authorised_cents: tuple[int, int] = (0, 0)
    audit_events: int = 0
    audit_last_hash: tuple[str, str] = ("", "")
    audit_problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            all(a == b for a, b in self.counts.values())
            and self.line_cents_milli[0] == self.line_cents_milli[1]
            and self.authorised_cents[0] == self.authorised_cents[1]
            and self.audit_last_hash[0] == self.audit_last_hash[1]
            and not self.audit_problems
        )

    def lines(self) -> list[str]:
        out = [f"{'table':<18} {'source':>10} {'target':>10}"]
        for name, (a, b) in self.counts.items():
            out.append(f"{name:<18} {a:>10} {b:>10}{'' if a == b else '  MISMATCH'}")
        a, b = self.line_cents_milli
        out.append(f"estimate lines: sum(unit_cents*qty_milli) {a} -> {b}{'' if a == b else '  MISMATCH'}")
        a, b = self.authorised_cents
        out.append(f"authorisations: sum(amount_cents) {a} -> {b}{'' if a == b else '  MISMATCH'}")
        source_hash, target_hash = self.audit_last_hash
        chain = "intact" if not self.audit_problems and source_hash == target_hash else "BROKEN"
        out.append(f"audit chain: {self.audit_events} events, {chain}, last hash {target_hash[:16]}")
        for p in self.audit_problems[:10]:
            out.append(f"  event {p.event_id}: {p.problem}")
        return out


def tables() -> list[sa.Table]:
    return list(SQLModel.metadata.sorted_tables)


def _counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in tables()}


def _money(engine: Engine) -> tuple[int, int]:
    line = SQLModel.metadata.tables["estimate_line"]
    auth = SQLModel.metadata.tables["authorisation"]
    with engine.connect() as conn:
        lines = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(line.c.unit_cents * line.c.qty_milli), 0))
        ).scalar_one()
        amounts = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(auth.c.amount_cents), 0))).scalar_one()
    return int(lines), int(amounts)


def _last_hash(engine: Engine) -> str:
    ev = SQLModel.metadata.tables["audit_event"]
    with engine.connect() as conn:
        return conn.execute(sa.select(ev.c.hash).order_by(ev.c.id.desc()).limit(1)).scalar() or audit.GENESIS


def verify_copy(src: Engine, dst: Engine) -> CopyReport:
    a, b = _counts(src), _counts(dst)
    report = CopyReport(counts={name: (a[name], b[name]) for name in a})
    (la, aa), (lb, ab) = _money(src), _money(dst)
    report.line_cents_milli = (la, lb)
    report.authorised_cents = (aa, ab)
    report.audit_events = b["audit_event"]
    report.audit_last_hash = (_last_hash(src), _last_hash(dst))
    with Session(dst) as session:
        report.audit_problems = audit.verify(session)
    return report


def reset_sequences(conn: sa.Connection) -> None:
    """Move each table's id sequence past the copied ids (PostgreSQL)."""
    for table in tables():
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        name = table.name.replace('"', '""')
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
            f'coalesce((SELECT max(id) FROM "{name}"), 1), '
            f'(SELECT max(id) FROM "{name}") IS NOT NULL)'
        )


def copy_database(
    src_url: str,
    dst_url: str,
    *,
    progress: Callable[[str, int, int], None] | None = None,
) -> CopyReport:
    """Copy every row of ``src_url`` into the empty database ``dst_url``."""
    src = make_engine(src_url)
    dst = make_engine(dst_url)
    try:
        head = head_revision()
        if current_revision(src) != head:
            raise CopyRefused(
                f"the source schema is at {current_revision(src)}, not {head}: run `desk db upgrade` on it first"
            )
        upgrade(dst)
        non_empty = [name for name, n in _counts(dst).items() if n and name not in OWN_ROWS]
        if non_empty:
            raise CopyRefused(f"the target database is not empty ({', '.join(non_empty)}); nothing was copied")
        totals = _counts(src)
        with src.connect() as s_conn, dst.begin() as d_conn:
            for name in OWN_ROWS:
                d_conn.execute(SQLModel.metadata.tables[name].delete())
            for table in tables():
                done = 0
                order = list(table.primary_key.columns)
                last = None
                while True:
                    stmt = sa.select(table).order_by(*order).limit(BATCH)
                    if last is not None and len(order) == 1:
                        stmt = stmt.where(order[0] > last)
                    elif last is not None:
                        stmt = stmt.offset(done)
                    rows = [dict(r._mapping) for r in s_conn.execute(stmt)]
                    if not rows:
                        break
                    d_conn.execute(table.insert(), rows)
                    done += len(rows)
                    last = rows[-1][order[0].name]
                    if progress:
                        progress(table.name, done, totals[table.name])
                if progress and not done:
                    progress(table.name, 0, 0)
            if dst.dialect.name == "postgresql":
                reset_sequences(d_conn)
                # the planner's statistics of the copied rows: without them the first
                # queries (a lookup, a board) are planned for empty tables
                d_conn.exec_driver_sql("ANALYZE")
        report = verify_copy(src, dst)
        if not report.ok:
            raise CopyRefused("the copy does not match its source:\n" + "\n".join(report.lines()))
        return report
    finally:
        src.dispose()
        dst.dispose()
