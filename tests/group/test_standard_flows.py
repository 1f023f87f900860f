"""Head office's standard reaches every store through PostgreSQL's logical
replication (issue 30, first slice): a store joins, receives the standard, cannot
change it, gets what it missed while it was offline, and a migration applied in
the README's order keeps the link running. Each node is a cluster of its own
(``.ci/start-group``)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from desk.domain import group as domain
from desk.domain.drafts import CannedJobDraft
from desk.domain.entities import Role
from desk.domain.errors import DeskError
from desk.i18n import set_locale
from desk.services.group import GroupService
from desk.store import faults
from desk.store.group import _conflicts
from desk.widgets.feedback import describe_error
from tests.group.conftest import eventually

#: one worker runs them all, one after another: a test stops a store's cluster or
#: changes head office's server settings, which the others share
pytestmark = pytest.mark.xdist_group("dealer_group")

HQ_SITE = domain.parse_site(code="HQ", name="Head office", zone="Asia/Shanghai")


def store_site(n: int) -> domain.Site:
    return domain.parse_site(
        code=f"S{n}", name=f"Store {n}", address=f"{n} Jianguo Road", tax_number=f"9111{n}", zone="Asia/Shanghai"
    )


def manager(node):
    people = node.desk.people
    return people.user(people.create_user(None, "周经理", [Role.MANAGER]))


def make_group(group, *stores: int):
    GroupService(group.hq.desk.ctx).init_head_office(HQ_SITE)
    for n in stores:
        GroupService(group.store(n).desk.ctx).join(store_site(n), group.hq.desk.ctx, hq_url=group.hq.url)


def setting(node, key: str):
    node.desk.setup.refresh_setup()
    return {s.key: s for s in node.desk.setup.shop_settings()}[key]


def canned_jobs(node) -> set[str]:
    return {job for (job,) in node.sql("SELECT job_id FROM canned_job WHERE NOT deleted")}


def link(node):
    (only,) = GroupService(node.desk.ctx).status().links
    return only


def assert_no_errors(node) -> None:
    status = link(node)
    assert (status.apply_errors, status.copy_errors) == (0, 0)
    assert status.conflicts in (0, None)  # None: counted as apply errors before PostgreSQL 18


def publish_job(hq, boss, job_id: str, en: str) -> None:
    hq.desk.setup.add_canned_job_def(boss, CannedJobDraft(job_id=job_id, en=en, zh=en))


def test_a_store_joins_and_receives_the_standard_and_keeps_its_own_settings(group):
    boss = manager(group.hq)
    publish_job(group.hq, boss, "HQ-OIL", "Group oil service")
    group.hq.desk.setup.set_setting(boss, "std_qc_minutes", "25", 0)
    group.hq.desk.setup.set_setting(boss, "shop_name", "Head office", 0)  # not part of the standard
    store_boss = manager(group.store(1))
    group.store(1).desk.setup.set_setting(store_boss, "shop_name", "Store 1 Beijing", 0)

    make_group(group, 1)

    store = group.store(1)
    eventually(lambda: link(store).active and link(store).syncing == 0, what="the store's link up and copied")
    assert "HQ-OIL" in canned_jobs(store)
    assert setting(store, "std_qc_minutes").value == 25
    assert setting(store, "shop_name").value == "Store 1 Beijing"  # the store's own, untouched
    sites = {row.code: (row.role, row.zone, row.link) for row in store.sql("SELECT * FROM site")}
    assert sites["HQ"][:2] == ("hq", "Asia/Shanghai") and sites["S1"][:2] == ("store", "Asia/Shanghai")
    assert sites["S1"][2] == link(store).name
    # both sides say so, and audit it
    assert_no_errors(store)
    out = eventually(
        lambda: [x for x in GroupService(group.hq.desk.ctx).status().links if x.active],
        what="head office sees the store",
    )
    assert [x.site for x in out] == ["S1"] and out[0].wal_status == "reserved"
    for node in (group.hq, store):
        assert node.sql("SELECT count(*) FROM audit_event WHERE action = 'group.join'")[0][0] == 1


def test_a_stores_write_to_the_standard_is_refused_with_a_sentence(group):
    make_group(group, 1)
    store = group.store(1)
    eventually(lambda: link(store).active and link(store).syncing == 0, what="link up")
    boss = manager(store)
    with pytest.raises(DeskError) as refused:
        publish_job(store, boss, "MY-JOB", "A job of my own")
    assert describe_error(refused.value) == (
        "Head office sets the canned jobs for the whole group: this store cannot change them; nothing was saved"
    )
    with pytest.raises(DeskError) as refused:
        store.desk.setup.set_setting(boss, "labour_rate_cents", "99", 0)
    assert "time standards and pricing rules" in describe_error(refused.value)
    set_locale("zh")
    try:
        assert describe_error(refused.value).startswith("时间标准和定价规则由总部为全集团设定")
    finally:
        set_locale("en")
    with pytest.raises(DeskError) as refused:
        store.desk.setup.add_template_item(boss, stage="RECEPTION", en="Offer a drink, or not")
    assert "Head office sets the checklist templates" in describe_error(refused.value)
    # below desk's services too: the database itself refuses, whatever the program
    for statement in (
        "UPDATE site SET name = 'Mine'",
        "TRUNCATE canned_job",
        "INSERT INTO shop_setting (key, value, updated_at, version) VALUES ('tax.VAT13', '9', now(), 1)",
        "INSERT INTO checklist_override (item_id, stage, en, zh, required, role, own, deleted, version) "
        "VALUES ('OWN-01', 'RECEPTION', 'x', 'x', true, 'advisor', true, false, 1)",
    ):
        with pytest.raises(sa.exc.DBAPIError) as refused:
            store.sql(statement)
        assert describe_error(faults.from_exception(refused.value)).startswith("Head office "), statement
    # the store's own settings stay its own to change
    store.desk.setup.set_setting(boss, "bays", "6", 0)
    assert setting(store, "bays").value == 6
    assert canned_jobs(store) == set()


def test_a_store_offline_gets_the_new_standard_when_it_is_back(group):
    make_group(group, 2, 3)
    away, up = group.store(3), group.store(2)
    for store in (away, up):
        eventually(lambda: link(store).active and link(store).syncing == 0, what="link up")
    boss = manager(group.hq)

    away.stop()
    publish_job(group.hq, boss, "HQ-BRAKE", "Brake check")
    group.hq.desk.setup.set_setting(boss, "std_wash_minutes", "40", 0)
    eventually(lambda: "HQ-BRAKE" in canned_jobs(up), what="the new standard at the store that is up")
    gone = eventually(
        lambda: [
            x for x in GroupService(group.hq.desk.ctx).status().links if x.site == "S3" and not x.active and x.lag_bytes
        ],
        what="head office sees S3 away",
    )
    assert gone[0].wal_status in ("reserved", "extended")  # kept for it, not lost

    away.start()
    eventually(lambda: "HQ-BRAKE" in canned_jobs(away), what="the missed standard after the store is back")
    assert setting(away, "std_wash_minutes").value == 40
    for store in (away, up):
        assert_no_errors(store)


def test_a_migration_in_the_documented_order_keeps_replication_running(group):
    """README: a change to a standard table runs on every store first, then on
    head office; the publication is set again there (desk group init)."""
    make_group(group, 1)
    store = group.store(1)
    eventually(lambda: link(store).active and link(store).syncing == 0, what="link up")
    migration = "ALTER TABLE canned_job ADD COLUMN hours_milli integer NOT NULL DEFAULT 0"
    store.sql(migration)
    group.hq.sql(migration)
    GroupService(group.hq.desk.ctx).init_head_office(HQ_SITE)
    group.hq.sql(
        "INSERT INTO canned_job (job_id, en, zh, lines, deleted, version, hours_milli) "
        "VALUES ('HQ-TYRE', 'Tyres', '轮胎', '[]', false, 1, 1500)"
    )
    eventually(
        lambda: store.sql("SELECT hours_milli FROM canned_job WHERE job_id = 'HQ-TYRE'"),
        what="the row with the new column",
    )
    assert store.sql("SELECT hours_milli FROM canned_job WHERE job_id = 'HQ-TYRE'")[0][0] == 1500
    assert_no_errors(store)


def test_head_office_migrated_first_stops_the_link_until_the_store_catches_up(group):
    """The wrong order is seen, not silent: the store's apply errors count up and
    nothing is lost once the store has the column."""
    make_group(group, 1)
    store = group.store(1)
    eventually(lambda: link(store).active and link(store).syncing == 0, what="link up")
    group.hq.sql("ALTER TABLE canned_job ADD COLUMN hours_milli integer NOT NULL DEFAULT 0")
    group.hq.sql(
        "INSERT INTO canned_job (job_id, en, zh, lines, deleted, version, hours_milli) "
        "VALUES ('HQ-TYRE', 'Tyres', '轮胎', '[]', false, 1, 1500)"
    )
    eventually(lambda: (link(store).apply_errors or 0) > 0, what="the store's apply errors")
    assert canned_jobs(store) == set()
    store.sql("ALTER TABLE canned_job ADD COLUMN hours_milli integer NOT NULL DEFAULT 0")
    eventually(lambda: "HQ-TYRE" in canned_jobs(store), seconds=60, what="the row once the store is migrated")


def test_join_refuses_what_it_cannot_do_with_a_sentence(group, tmp_path):
    from desk.services import open_desk

    hq, store = group.hq, group.store(1)
    with pytest.raises(DeskError) as refused:  # no head office there yet
        GroupService(store.desk.ctx).join(store_site(1), hq.desk.ctx, hq_url=hq.url)
    assert "is not a group's head office" in describe_error(refused.value)
    GroupService(hq.desk.ctx).init_head_office(HQ_SITE)
    (head,) = hq.sql("SELECT version_num FROM alembic_version")[0]
    hq.sql("UPDATE alembic_version SET version_num = '0013_list_qty'")  # as if head office were behind
    with pytest.raises(DeskError) as refused:
        GroupService(store.desk.ctx).join(store_site(1), hq.desk.ctx, hq_url=hq.url)
    assert describe_error(refused.value).startswith(
        f"Head office's database is at schema 0013_list_qty, this store's at {head}"
    )
    hq.sql("UPDATE alembic_version SET version_num = :head", {"head": head})
    publish_job(store, manager(store), "MINE", "My own job")  # before it joins: the store's own
    with pytest.raises(DeskError) as refused:
        GroupService(store.desk.ctx).join(store_site(1), hq.desk.ctx, hq_url=hq.url)
    assert "--replace-standard" in describe_error(refused.value)
    joined = GroupService(store.desk.ctx).join(store_site(1), hq.desk.ctx, hq_url=hq.url, replace_standard=True)
    assert joined.replaced == 1
    eventually(lambda: link(store).syncing == 0, what="copied")
    assert canned_jobs(store) == set()
    other = group.store(2)
    with pytest.raises(DeskError) as refused:  # the code is S1's
        GroupService(other.desk.ctx).join(store_site(1), hq.desk.ctx, hq_url=hq.url)
    assert "already Store 1" in describe_error(refused.value)
    lite = open_desk(f"sqlite:///{tmp_path / 'shop.db'}", initialise=True)
    try:
        with pytest.raises(DeskError) as refused:
            GroupService(lite.ctx).init_head_office(HQ_SITE)
        assert "runs on PostgreSQL" in describe_error(refused.value)
    finally:
        lite.ctx.engine.dispose()


def test_the_desk_group_commands(group):
    from desk.__main__ import main

    hq, store = group.hq, group.store(1)
    runner = CliRunner()
    done = runner.invoke(
        main, ["--db", hq.url, "group", "init", "--code", "hq", "--name", "Head office", "--zone", "Asia/Shanghai"]
    )
    assert done.exit_code == 0, done.output
    assert "head office HQ" in done.output
    bad = runner.invoke(
        main,
        ["--db", store.url, "group", "join", "--hq", hq.url, "--code", "S1", "--name", "Store 1", "--zone", "Beijing"],
    )
    assert bad.exit_code == 1 and "Beijing is not a time zone name" in bad.output
    done = runner.invoke(
        main,
        [
            "--db",
            store.url,
            "group",
            "join",
            "--hq",
            hq.url,
            "--code",
            "S1",
            "--name",
            "Store 1",
            "--zone",
            "Asia/Shanghai",
            "--tax-number",
            "91110",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "Store S1 joined the group" in done.output
    eventually(lambda: link(store).active and link(store).syncing == 0, what="link up")
    shown = runner.invoke(main, ["--db", store.url, "group", "status"])
    assert shown.exit_code == 0, shown.output
    assert "S1 (store)" in shown.output and ": connected, last heard" in shown.output
    assert "apply errors 0, copy errors 0" in shown.output
    shown = runner.invoke(main, ["--db", hq.url, "group", "status"])
    assert "HQ (head office)" in shown.output and "S1: standard -> store" in shown.output


def _lose_the_slot(hq, away_link: str) -> None:
    """Head office writes past ``max_slot_wal_keep_size`` (lowered to 1 MB for the
    test) while the store is away, until its checkpoint gives up the store's slot."""
    hq.admin("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'")
    hq.admin("SELECT pg_reload_conf()")
    try:

        def lost() -> bool:
            hq.sql("CREATE TABLE IF NOT EXISTS wal_filler (n int)")
            hq.sql("INSERT INTO wal_filler SELECT generate_series(1, 20000)")
            hq.admin("SELECT pg_switch_wal()")
            hq.admin("CHECKPOINT")
            return [x.wal_status for x in GroupService(hq.desk.ctx).status().links if x.name == away_link] == ["lost"]

        eventually(lost, seconds=60, what="the store's slot lost at head office")
    finally:
        hq.admin("ALTER SYSTEM RESET max_slot_wal_keep_size")
        hq.admin("SELECT pg_reload_conf()")


def test_a_store_away_past_the_slot_limit_is_reported_and_reseeded(group):
    from desk.__main__ import main

    make_group(group, 3)
    hq, away = group.hq, group.store(3)
    eventually(lambda: link(away).active and link(away).syncing == 0, what="link up")
    name = link(away).name
    away.stop()
    publish_job(hq, manager(hq), "HQ-MISSED", "Missed while away")
    _lose_the_slot(hq, name)

    shown = CliRunner().invoke(main, ["--db", hq.url, "group", "status"])
    assert "slot lost" in shown.output and "desk group reseed" in shown.output, shown.output
    away.start()
    # the store's worker is refused ("this slot has been invalidated"; not counted
    # as an apply error): only a re-seed brings the link back
    assert "HQ-MISSED" not in canned_jobs(away)
    assert [x.wal_status for x in GroupService(hq.desk.ctx).status().links] == ["lost"]

    done = CliRunner().invoke(main, ["--db", away.url, "group", "reseed", "--hq", hq.url])
    assert done.exit_code == 0, done.output
    eventually(lambda: link(away).active and link(away).syncing == 0, what="re-seeded link up")
    assert "HQ-MISSED" in canned_jobs(away)
    assert_no_errors(away)  # the new subscription's counters start at 0
    again = [x for x in GroupService(hq.desk.ctx).status().links if x.name == name]
    assert again[0].wal_status == "reserved"
    publish_job(hq, manager(hq), "HQ-AFTER", "After the re-seed")
    eventually(lambda: "HQ-AFTER" in canned_jobs(away), what="the stream after the re-seed")
    with pytest.raises(DeskError):  # still guarded
        publish_job(away, manager(away), "MINE", "Mine")


def test_conflicts_are_every_confl_counter_the_server_has():
    assert _conflicts(None) is None  # no statistics row yet
    assert _conflicts({"apply_error_count": 3, "sync_error_count": 0}) is None  # PostgreSQL 15-17
    assert (
        _conflicts({"confl_insert_exists": 2, "confl_update_missing": 1, "confl_new_kind": 4, "apply_error_count": 9})
        == 7
    )
