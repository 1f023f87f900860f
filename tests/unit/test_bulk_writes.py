"""How ``desk demo`` writes (issue 27, item 6): a history's audit events in one
statement make the same rows and chain as one ``audit.record`` each; a shop being
built waits for the disk once, not at every commit, and only while it is built."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from desk.store import audit
from desk.store.db import building, write_session


def _events(n: int) -> list[dict]:
    at = datetime(2026, 3, 1, 9, 0)
    return [
        dict(
            at=at + timedelta(minutes=i),
            user_id=None,
            user_name="demo",
            action="visit.import",
            entity="visit",
            entity_id=i + 1,
            visit_id=None,
            after={"number": f"H{i + 1:07d}", "n": i},
        )
        for i in range(n)
    ]


def _log(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT id, at, user_id, user_name, action, entity, entity_id, visit_id, before, after, prev_hash, hash "
                    "FROM audit_event WHERE action = 'visit.import' ORDER BY id"
                )
            )
        ]


def test_record_many_writes_what_record_writes_one_by_one(desk, tmp_path, clock):
    from desk.services import open_desk

    engine = desk.ctx.engine
    with write_session(engine) as s:
        for e in _events(5):
            audit.record(s, **e)
    one_by_one = _log(engine)
    # the same history again in a second shop, the same way up to here
    other = open_desk(f"sqlite:///{tmp_path / 'other.db'}", clock=clock)
    try:
        with write_session(other.ctx.engine) as s:
            audit.record_many(s, _events(5))
        # every field but the id and the stored time's form (the hash covers the time)
        assert [r[2:] for r in _log(other.ctx.engine)] == [r[2:] for r in one_by_one]
        assert other.reports.verify_audit() == []
        with write_session(other.ctx.engine) as s:  # the chain goes on from the bulk's last event
            audit.record(s, **_events(6)[-1])
        assert other.reports.verify_audit() == []
    finally:
        other.ctx.engine.dispose()


def test_a_shop_being_built_commits_without_waiting_and_is_durable_after(desk, db_url):
    engine = desk.ctx.engine

    def synchronous() -> int | None:
        if engine.dialect.name != "sqlite":
            return None
        with engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA synchronous").scalar()

    before = synchronous()
    with building(engine):
        during = synchronous()
        with write_session(engine) as s:
            audit.record_many(s, _events(3))
    after = synchronous()
    if engine.dialect.name == "sqlite":
        assert (before, during, after) == (2, 0, 2)  # FULL, OFF while building, FULL again
    assert len(_log(engine)) == 3
    assert desk.reports.verify_audit() == []
