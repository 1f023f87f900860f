"""Lookup as you type: the search keys (pure), the lookup over them (both
backends), the migration that fills them in for an existing shop, and the
schema revisions start-up reads without Alembic."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.domain import search
from desk.domain.entities import Role

# ----------------------------------------------------------------------------- keys


def test_keys_are_normalised():
    assert search.name_key("  Tom  Becker ") == "tombecker"
    assert search.name_key("ＴＯＭ") == "tom"  # full-width letters from an IME
    assert search.name_key("王 丽") == "王丽"
    assert search.code_key("粤B·D12345") == "粤BD12345"
    assert search.code_key("ab-123 cd") == "AB123CD"
    assert search.phone_key("+86 138-1234-5678") == "13812345678"
    assert search.phone_key("+4930123456") == "4930123456"  # another country keeps its code
    assert search.customer_keys("Tom Becker", "+8613812345678") == {
        "name_key": "tombecker",
        "name_rev": "rekcebmot",
        "phone_key": "13812345678",
        "phone_rev": "87654321831",
        "pinyin_key": "",
        "initials_key": "",  # a Latin name: its name key serves
    }
    assert search.customer_keys("王丽", "13800000000")["pinyin_key"] == "wangli"
    assert search.vehicle_keys("京A12345", "lsvaa2180e2100001")["vin_key"] == "LSVAA2180E2100001"


@given(st.text(min_size=1, max_size=6), st.text(max_size=8))
def test_prefix_range_holds_exactly_the_strings_with_the_prefix(prefix, rest):
    prefix = "".join(ch for ch in prefix if not 0xD800 <= ord(ch) <= 0xDFFF) or "a"
    upper = search.prefix_upper(prefix)
    for s in (prefix + rest, rest, rest + prefix):
        assert (prefix <= s < upper) == s.startswith(prefix)
        # SQLite compares UTF-8 bytes: the same order
        assert (prefix.encode() <= s.encode() < upper.encode()) == s.startswith(prefix)


def test_probes_follow_what_was_typed():
    cols = lambda q: [p.column for p in search.probes(q)]
    assert "phone_key" in cols("1381234") and "phone_rev" in cols("5678")
    assert "phone_key" not in cols("京A12345")  # a plate with digits is not a phone
    assert cols("京") == ["plate_key", "vin_key", "name_key", "name_rev"]  # a Chinese given name ends a name
    assert "name_rev" not in cols("to")  # two Latin letters at the end of names: too many
    phone = {p.column: p.prefix for p in search.probes("+86 138 1234 5678")}
    assert phone["phone_key"] == "13812345678"  # the country code typed or not


# ----------------------------------------------------------------------------- lookup


def _vin(text: str) -> str:
    """``text`` with its check digit put right (a Chinese VIN without one is
    taken with a warning: the test's VINs are whole)."""
    from desk.domain.validate import vin_check_digit

    return text[:8] + vin_check_digit(text) + text[9:]


@pytest.fixture
def people(desk):
    sa_ = desk.people.user(desk.people.create_user(None, "王丽", [Role.ADVISOR]))
    made = {}
    for name, phone, plate, vin in (
        ("李伟", "13812345678", "京A12345", "LSVAA2180E2100001"),
        ("张丽", "13987654321", "沪B67890", "LFV2A21K8E4123456"),
        ("Tom Becker", "18611112222", "粤C24680", "WVWZZZ3CZWE689725"),
        ("Anna Schmidt", "13500001234", "苏D13579", ""),
    ):
        cid = desk.people.register_customer(sa_, desk.people.customer_draft(name=name, phone=phone))
        made[name] = desk.people.register_vehicle(
            sa_, cid, desk.people.vehicle_draft(plate=plate, **({"vin": _vin(vin)} if vin else {}))
        )
    return desk, made


def _found(desk, query):
    return {customer.name for _vehicle, customer in desk.people.lookup(query)}


def test_lookup_by_start_or_end_of_each_key(people):
    desk, _ = people
    assert _found(desk, "京A") == {"李伟"}  # plate start
    assert _found(desk, "a12345") == {"李伟"}  # plate without province, lower case
    assert _found(desk, "1381") == {"李伟"}  # phone start
    assert _found(desk, "4321") == {"张丽"}  # the last digits of a phone
    assert _found(desk, "+86 139 8765 4321") == {"张丽"}
    assert _found(desk, "LFV2A") == {"张丽"}  # VIN start
    assert _found(desk, "689725") == {"Tom Becker"}  # the last six of a VIN
    assert _found(desk, "I" + _vin("WVWZZZ3CZWE689725")) == {"Tom Becker"}  # a scanner's leading I
    assert _found(desk, "tom b") == {"Tom Becker"}
    assert _found(desk, "schmidt") == {"Anna Schmidt"}  # a surname typed alone
    assert _found(desk, "张") == {"张丽"}  # a Chinese surname
    assert _found(desk, "丽") == {"张丽"}  # a Chinese given name
    assert _found(desk, "李伟") == {"李伟"}
    assert _found(desk, "2345") == {"李伟"}  # end of a plate and of nothing else
    assert _found(desk, "xyz") == set() and desk.people.lookup("   ") == []


def test_a_landline_is_found_the_way_desk_shows_it(people):
    from desk.domain.validate import show_phone

    desk, _ = people
    sa_ = next(u for u in desk.people.users() if u.name == "王丽")
    cid = desk.people.register_customer(sa_, desk.people.customer_draft(name="赵军", phone="010 6512 3456"))
    desk.people.register_vehicle(sa_, cid, desk.people.vehicle_draft(plate="京B54321"))
    shown = show_phone(desk.people.customer_details(cid)[1].phone)
    assert shown.startswith("010")  # the trunk 0 on screen, not in the stored number
    assert _found(desk, shown) == {"赵军"}
    assert _found(desk, "01065123456") == {"赵军"} and _found(desk, "6512 3456") == {"赵军"}


def test_pinyin_finds_a_chinese_name_by_initials_or_whole(people):
    desk, _ = people
    assert _found(desk, "lw") == {"李伟"}  # initials
    assert _found(desk, "liwei") == {"李伟"}  # whole pinyin
    assert _found(desk, "LIW") == {"李伟"}  # a prefix, any case
    assert _found(desk, "zl") == {"张丽"} and _found(desk, "zhangl") == {"张丽"}
    assert _found(desk, "ｌｗ") == {"李伟"}  # full-width letters from an IME left on
    assert _found(desk, "tb") == set()  # a Latin name has no pinyin initials
    assert _found(desk, "z") == set()  # one letter is a fifth of the shop: not looked up as pinyin


def test_lookup_is_ordered_by_plate_and_limited(people):
    desk, _ = people
    advisor = desk.people.users()[0]
    cid = desk.people.register_customer(advisor, desk.people.customer_draft(name="王芳", phone="13800000000"))
    for i in range(30):
        desk.people.register_vehicle(advisor, cid, desk.people.vehicle_draft(plate=f"津A{i:05d}"))
    rows = desk.people.lookup("王芳")
    assert len(rows) == 20
    assert [v.plate for v, _c in rows] == sorted(v.plate for v, _c in rows)
    assert [v.plate for v, _c in desk.people.lookup("津A0001")] == [f"津A{i:05d}" for i in range(10, 20)]


def test_keys_follow_an_edit(people):
    desk, made = people
    from desk.store.db import write_session
    from desk.store.models import CustomerRow

    with write_session(desk.ctx.engine) as s:
        row = s.get(CustomerRow, 1)
        row.name, row.phone = "李明", "+8613700000000"
    assert _found(desk, "李明") == {"李明"} and _found(desk, "李伟") == set()
    assert _found(desk, "1370") == {"李明"}


# ----------------------------------------------------------------------------- migration


def test_migration_fills_the_keys_of_an_existing_shop(tmp_path):
    from desk.store.db import current_revision, head_revision, make_engine, upgrade

    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, "0002")
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO customer (id, name, phone, email, member, vip, special_note, created_at) "
            "VALUES (1, 'Tom Becker', '+8613812345678', '', 0, 0, '', '2026-01-01 09:00:00.000000')"
        )
        conn.execute(
            "INSERT INTO customer (id, name, phone, email, member, vip, special_note, created_at) "
            "VALUES (2, '王丽', '+8613900000000', '', 0, 0, '', '2026-01-01 09:00:00.000000')"
        )
        conn.execute(
            "INSERT INTO vehicle (id, customer_id, vin, plate, make, model) VALUES (1, 1, ?, '京A12345', '', '')",
            (_vin("LSVAA2180E2100001"),),
        )
        conn.execute(
            "INSERT INTO vehicle (id, customer_id, vin, plate, make, model) VALUES (2, 2, '', '沪A00001', '', '')"
        )
    from desk.services import open_desk

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)  # what `desk db upgrade` does (open_desk would take a backup first)
    engine.dispose()
    desk = open_desk(f"sqlite:///{path}")
    try:
        assert current_revision(desk.ctx.engine) == head_revision()
        assert _found(desk, "becker") == {"Tom Becker"} and _found(desk, "5678") == {"Tom Becker"}
        assert _found(desk, "a12345") == {"Tom Becker"} and _found(desk, "100001") == {"Tom Becker"}
        assert _found(desk, "wl") == {"王丽"} and _found(desk, "wangli") == {"王丽"}  # 0007 filled pinyin in
        with sqlite3.connect(path) as conn:
            plan = " ".join(
                r[-1]
                for r in conn.execute(
                    "EXPLAIN QUERY PLAN SELECT id FROM customer WHERE name_key >= 'a' AND name_key < 'b'"
                )
            )
        assert "ix_customer_name_key" in plan  # an index range, not a scan
    finally:
        desk.ctx.engine.dispose()


def test_revisions_read_from_the_files_agree_with_alembic():
    from alembic.script import ScriptDirectory

    from desk.store.db import alembic_config, head_revision, known_revisions

    scripts = ScriptDirectory.from_config(alembic_config(None))
    assert head_revision() == scripts.get_current_head()
    assert known_revisions() == {r.revision for r in scripts.walk_revisions()}
