"""Lookup as you type on PostgreSQL is served by the search keys' indexes (issue 27,
item 5): each probe an index range, the cars found by index, also under the
generic plan PostgreSQL may choose once psycopg has prepared the statement. Read
from EXPLAIN of the very statement the lookup sends, in a shop large enough that
a scan would be planned if no index could serve."""

from __future__ import annotations

import random
import re
from datetime import datetime

import pytest
import sqlalchemy as sa

from desk.domain import search


@pytest.fixture(scope="module")
def big_pg(request):
    """A migrated PostgreSQL database with 3,000 customers and their cars (their
    search keys written by the models' events), analysed."""
    from sqlmodel import Session

    from desk.store.db import make_engine, upgrade
    from desk.store.models import CustomerRow, VehicleRow
    from tests.conftest import fresh_pg_database

    rng = random.Random(5)
    surnames, given = "王李张刘陈杨黄赵吴周", "丽伟强军静敏磊洋艳勇"
    with fresh_pg_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine) as s:
            customers = [
                CustomerRow(
                    name=rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                    phone=f"+86138{i:08d}",
                    created_at=datetime(2026, 1, 1),
                )
                for i in range(3000)
            ]
            s.add_all(customers)
            s.flush()
            s.add_all(
                VehicleRow(customer_id=c.id, plate=f"京A{i:05d}", vin=f"LSVAB{i:012d}") for i, c in enumerate(customers)
            )
            s.commit()
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        yield engine
        engine.dispose()


def _sent(engine, query: str) -> tuple[str, dict]:
    """The statement and parameters the lookup sends for ``query``."""
    from desk.store import repo

    seen: list = []

    def grab(conn, cursor, statement, params, context, many) -> None:
        seen.append((statement, params))

    with engine.connect() as conn:
        sa.event.listen(conn, "before_cursor_execute", grab)
        raw_cursor = conn.connection.dbapi_connection.cursor

        class Spy:  # the lookup runs through the driver's cursor: catch it there
            def __init__(self) -> None:
                self.cursor = raw_cursor()

            def execute(self, sql, params=None, **kw):
                seen.append((sql, params))
                return self.cursor.execute(sql, params, **kw)

            def __getattr__(self, name):
                return getattr(self.cursor, name)

        conn.connection.dbapi_connection.cursor = Spy
        try:
            found = repo.lookup(connection=conn, query=query)
        finally:
            del conn.connection.dbapi_connection.cursor
    assert found, f"{query!r} finds nothing: not a useful plan to read"
    assert len(seen) == 1
    return seen[0]


@pytest.mark.parametrize("plan", ["custom", "generic"])
@pytest.mark.parametrize("query", ["wangl", "wl", "王丽", "13800000", "京A001", "LSVAB0000000012", "0012"])
def test_every_probe_is_an_index_range_and_no_table_is_scanned(big_pg, query, plan):
    sql, params = _sent(big_pg, query)
    with big_pg.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()
        if plan == "generic":
            cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute("EXPLAIN (COSTS OFF) " + sql, params)
        explained = "\n".join(row[0] for row in cursor.fetchall())
        conn.rollback()
    assert "Seq Scan" not in explained, explained
    assert "SubPlan" not in explained, explained  # no filter over every car
    for probe in search.probes(query):
        table = "vehicle" if probe.column in search.VEHICLE_KEYS else "customer"
        found = re.search(rf"(Index Scan using|Bitmap Index Scan on) ix_{table}_{probe.column}\b.*\n(.*)", explained)
        assert found, f"{probe.column} not by its index:\n{explained}"
        assert "Index Cond" in found[2] and probe.column in found[2], (
            f"{probe.column} scanned, not ranged:\n{explained}"
        )
