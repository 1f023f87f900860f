"""``desk set-pin`` and ``desk clear-lockout`` from the shop's computer (click's
CliRunner, both backends): a PIN is replaced only with it or a manager's, the
audit names who set it and that it came from the command line; a manager's PIN
clears a lock-out; every demo user has a PIN."""

from __future__ import annotations

import json

import sqlalchemy as sa
from click.testing import CliRunner

from desk import auth
from desk.__main__ import main
from tests.unit.test_auth import cheap_pin


def run(db_url: str, *args: str, input: str = ""):
    result = CliRunner().invoke(main, ["--db", db_url, *args], input=input, catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def pin_events(desk) -> list:
    with desk.ctx.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "select user_name, action, after from audit_event "
                "where action like 'user.pin%' or action like 'user.lock%' order by id"
            )
        ).all()


def test_set_pin_without_authority_is_refused(shop, db_url):
    d = shop.desk
    cheap_pin(d, shop.mgr.id, "8888")
    code, said = run(db_url, "set-pin", "周经理", input="1234\n5555\n5555\n")  # a wrong "current PIN"
    assert code == 1 and "Wrong PIN" in said and "Traceback" not in said
    cheap_pin(d, shop.tech.id, "3333")
    code, said = run(db_url, "set-pin", "周经理", "--by", "张强", input="3333\n5555\n5555\n")
    assert code == 1 and "manager" in said  # a technician's right PIN is no authority
    code, said = run(db_url, "set-pin", "周经理", "--stdin", input="")
    assert code == 1 and "line is missing" in said
    assert d.security.verify_pin(shop.mgr.id, "8888").id == shop.mgr.id  # unchanged
    assert [e.action for e in pin_events(d)] == []


def test_set_pin_with_authority_names_the_setter_and_the_source(shop, db_url):
    d = shop.desk
    code, said = run(db_url, "set-pin", "王丽", input="2468\n2468\n")  # no PIN yet: the first one
    assert code == 0, said
    code, said = run(db_url, "set-pin", "王丽", "--stdin", input="2468\n1357\n")  # her own PIN, for a script
    assert code == 0, said
    assert d.security.verify_pin(shop.sa.id, "1357").id == shop.sa.id
    cheap_pin(d, shop.mgr.id, "8888")
    code, said = run(db_url, "set-pin", "王丽", "--by", "周经理", input="8888\n9753\n9753\n")  # forgotten: a manager
    assert code == 0 and "by 周经理" in said, said
    assert d.security.verify_pin(shop.sa.id, "9753").id == shop.sa.id
    events = [(e.user_name, json.loads(e.after)) for e in pin_events(d) if e.action == "user.pin_set"]
    assert [(who, after["by"], after["source"], after["replaced"]) for who, after in events] == [
        ("王丽", "王丽", "cli", False),
        ("王丽", "王丽", "cli", True),
        ("周经理", "周经理", "cli", True),
    ]
    assert d.reports.verify_audit() == []


def test_a_manager_clears_a_lockout_from_the_command_line(shop, clock, db_url):
    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    cheap_pin(d, shop.mgr.id, "8888")
    cheap_pin(d, shop.tech.id, "3333")
    for _ in range(auth.MAX_FAILURES):
        try:
            d.security.verify_pin(shop.sa.id, "0000")
        except Exception:  # noqa: BLE001 - the wrong PINs are the point
            pass
    assert d.security.locked_for(shop.sa.id) == 60
    code, said = run(db_url, "clear-lockout", "王丽", "--by", "张强", input="3333\n")
    assert code == 1 and "manager" in said
    code, said = run(db_url, "clear-lockout", "王丽")
    assert code == 1 and "--by" in said
    assert d.security.locked_for(shop.sa.id) > 0  # the wall clock of the CLI is later; still locked here
    code, said = run(db_url, "clear-lockout", "王丽", "--by", "周经理", "--stdin", input="8888\n")
    assert code == 0, said
    assert d.security.locked_for(shop.sa.id) == 0
    assert d.security.verify_pin(shop.sa.id, "2468").id == shop.sa.id
    cleared = [e for e in pin_events(d) if e.action == "user.lockout_clear"]
    assert len(cleared) == 1 and cleared[0].user_name == "周经理" and json.loads(cleared[0].after)["source"] == "cli"


def test_every_demo_user_has_a_pin_and_the_demo_prints_them(db_url, demo_shops):
    from desk.demo import PINS
    from desk.services import open_desk

    # `desk --db … demo --visits 2`, run once per backend in a test run (the shop
    # test_clock_demo reads too); db_url is a copy of the shop it made
    code, said = demo_shops.copy(db_url, visits=2, seed=7)
    assert code == 0, said
    d = open_desk(db_url)
    try:
        users = [u for u in d.people.users() if u.active]
        assert users and {u.id for u in users} <= d.security.pin_users()
        for u in users:
            assert f"{u.name}" in said and PINS[u.name] in said
            assert d.security.verify_pin(u.id, PINS[u.name]).id == u.id
    finally:
        d.ctx.engine.dispose()
