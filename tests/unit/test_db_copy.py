"""`desk db copy --to URL`: a shop's SQLite file into an empty PostgreSQL database,
ids kept, sequences moved on, counts, money and the audit chain verified."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from desk.__main__ import main
from desk.services import open_desk
from desk.store.copy import CopyRefused, copy_database
from tests import flow


def _shop_with_history(sqlite_url, clock):
    from tests.conftest import Shop

    desk = open_desk(sqlite_url, clock=clock)
    shop = Shop(desk)
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "FOLLOWED_UP")
    flow.book(shop, clock, minutes_ahead=120)
    return shop, vid


def test_copy_keeps_ids_money_and_the_audit_chain(sqlite_url, pg_url, clock):
    shop, vid = _shop_with_history(sqlite_url, clock)
    result = CliRunner().invoke(main, ["--db", sqlite_url, "db", "copy", "--to", pg_url])
    assert result.exit_code == 0, result.output
    assert "verified" in result.output and "audit chain" in result.output
    assert "MISMATCH" not in result.output and "BROKEN" not in result.output

    pg = open_desk(pg_url, clock=clock)
    try:
        assert pg.reports.verify_audit() == []
        src, dst = shop.desk.lifecycle.visit_view(vid), pg.lifecycle.visit_view(vid)
        assert (dst.visit.number, dst.visit.stage, dst.totals.total) == (
            src.visit.number,
            src.visit.stage,
            src.totals.total,
        )
        assert [e.hash for e in pg.lifecycle.history(vid)] == [e.hash for e in shop.desk.lifecycle.history(vid)]
        # the sequences moved past the copied ids: new rows get new ids and chain on
        users = {u.name: u for u in pg.people.users()}
        new = flow.book(
            type("S", (), {"desk": pg, "sa": users["王丽"], "customer": shop.customer, "vehicle": shop.vehicle})(),
            clock,
            minutes_ahead=180,
        )
        assert new > vid
        assert pg.reports.verify_audit() == []
    finally:
        pg.ctx.engine.dispose()
        shop.desk.ctx.engine.dispose()


def test_copy_refuses_a_target_that_has_data(sqlite_url, pg_url, clock):
    shop, _vid = _shop_with_history(sqlite_url, clock)
    copy_database(sqlite_url, pg_url)
    try:
        copy_database(sqlite_url, pg_url)
    except CopyRefused as exc:
        assert "not empty" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("a second copy into the same database was allowed")
    engine = sa.create_engine(pg_url)
    with engine.connect() as c:
        assert c.execute(sa.text("select count(*) from visit")).scalar() == 2
    engine.dispose()
    shop.desk.ctx.engine.dispose()
