"""PINs on shared terminals: scrypt parameters, format, throttling that survives a
restart, manager approval, and no PIN or hash in the audit log."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from desk import auth
from desk.domain.errors import InvalidInput, NotAllowed
from desk.store import pinkey
from desk.store.models import UserRow

#: Throttle tests store a cheap hash directly (the policy, not scrypt, is under
#: test there); the stored-parameter test below checks what set_pin really writes.
CHEAP = dict(n=2**4, r=8, p=1)


def cheap_pin(desk, user_id: int, pin: str) -> None:
    with desk.ctx.engine.begin() as conn:
        conn.execute(
            sa.update(UserRow)
            .where(UserRow.id == user_id)
            .values(pin_hash=auth.hash_pin(pin, key=pinkey.current(create=True), **CHEAP))
        )


def stored_hash(desk, user_id: int) -> str | None:
    with desk.ctx.engine.connect() as conn:
        return conn.execute(sa.select(UserRow.pin_hash).where(UserRow.id == user_id)).scalar()


def test_set_pin_stores_scrypt_with_owasp_minimum_parameters(shop):
    d = shop.desk
    d.security.set_pin(shop.sa, shop.sa.id, "482913")
    stored = stored_hash(d, shop.sa.id)
    assert stored.startswith("scryptk$") and "482913" not in stored  # keyed with the shop's PIN key
    params = auth.parse(stored)
    assert params.n >= 2**17 and params.r >= 8 and params.p >= 1
    assert len(params.salt) >= 16 and len(params.key) >= 32
    assert params.meets_minimum and not auth.needs_rehash(stored)
    assert d.security.verify_pin(shop.sa.id, "482913").name == shop.sa.name
    with pytest.raises(InvalidInput, match="Wrong PIN"):
        d.security.verify_pin(shop.sa.id, "482914")


def test_same_pin_twice_gives_different_hashes_and_weak_params_are_flagged():
    a, b = auth.hash_pin("1234", key=None, **CHEAP), auth.hash_pin("1234", key=None, **CHEAP)
    assert a != b  # salted
    assert auth.verify_hash("1234", a) and auth.verify_hash("1234", b)
    assert auth.needs_rehash(a)  # n=16 is below the minimum
    assert not auth.verify_hash("1234", "garbage") and not auth.verify_hash("1234", None)
    assert not auth.verify_hash("", a)


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "１２３４", "", "12 34", "-123"])
def test_pin_format_is_4_to_8_ascii_digits(pin):
    with pytest.raises(InvalidInput) as err:
        auth.check_format(pin)
    assert err.value.field == "pin"


@pytest.mark.parametrize("pin", ["0000", "1234", "12345678"])
def test_good_pin_formats(pin):
    assert auth.check_format(pin) == pin


def test_lock_seconds_grow_and_are_capped():
    assert [auth.lock_seconds(n) for n in (1, 2, 3, 4)] == [60, 120, 240, 300]
    assert auth.LOCK_MAX_SECONDS <= 300  # short: locking a user out costs the attacker as much
    assert auth.lock_seconds(50) == auth.LOCK_MAX_SECONDS


def test_only_the_user_or_a_manager_sets_a_pin(shop):
    d = shop.desk
    with pytest.raises(NotAllowed):
        d.security.set_pin(shop.tech, shop.sa.id, "1234")
    with pytest.raises(InvalidInput):
        d.security.set_pin(shop.sa, shop.sa.id, "12")
    assert stored_hash(d, shop.sa.id) is None
    cheap_pin(d, shop.mgr.id, "9999")
    with pytest.raises(NotAllowed):
        d.security.clear_pin(shop.sa, shop.mgr.id)
    d.security.clear_pin(shop.mgr, shop.mgr.id)
    assert stored_hash(d, shop.mgr.id) is None
    with pytest.raises(InvalidInput, match="no PIN"):
        d.security.verify_pin(shop.mgr.id, "9999")


def test_five_wrong_pins_lock_the_user_for_60_s_then_longer(shop, clock):
    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(InvalidInput, match="Wrong PIN"):
            d.security.verify_pin(shop.sa.id, "1111")
    with pytest.raises(InvalidInput) as err:
        d.security.verify_pin(shop.sa.id, "1111")  # the 5th
    assert err.value.params == {"seconds": 60}
    with pytest.raises(InvalidInput, match="try again"):
        d.security.verify_pin(shop.sa.id, "2468")  # even the right PIN is not checked while locked
    clock.advance(seconds=59)
    with pytest.raises(InvalidInput) as err:
        d.security.verify_pin(shop.sa.id, "2468")
    assert err.value.params == {"seconds": 1}
    clock.advance(seconds=1)
    # the second lock-out in a row lasts longer
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(InvalidInput, match="Wrong PIN"):
            d.security.verify_pin(shop.sa.id, "1111")
    with pytest.raises(InvalidInput) as err:
        d.security.verify_pin(shop.sa.id, "1111")
    assert err.value.params == {"seconds": 120}
    clock.advance(seconds=120)
    assert d.security.verify_pin(shop.sa.id, "2468").id == shop.sa.id
    # success resets the count: four more wrong PINs do not lock
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(InvalidInput, match="Wrong PIN"):
            d.security.verify_pin(shop.sa.id, "1111")
    assert d.security.verify_pin(shop.sa.id, "2468").id == shop.sa.id
    assert d.security.locked_for(shop.sa.id) == 0


def test_lockout_survives_a_restart_and_is_per_user(shop, clock, db_url):
    from desk.services import open_desk

    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    cheap_pin(d, shop.mgr.id, "1357")
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(InvalidInput):
            d.security.verify_pin(shop.sa.id, "0000")
    d.ctx.engine.dispose()
    again = open_desk(db_url, clock=clock)  # another terminal, or the app restarted
    try:
        assert again.security.locked_for(shop.sa.id) == 60
        with pytest.raises(InvalidInput, match="try again"):
            again.security.verify_pin(shop.sa.id, "2468")
        assert again.security.verify_pin(shop.mgr.id, "1357").id == shop.mgr.id  # others are not locked
    finally:
        again.ctx.engine.dispose()


def test_manager_approval_needs_a_manager(shop):
    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    cheap_pin(d, shop.mgr.id, "1357")
    assert d.security.approve_as_manager(shop.mgr.id, "1357").id == shop.mgr.id
    with pytest.raises(NotAllowed):
        d.security.approve_as_manager(shop.sa.id, "2468")
    with pytest.raises(InvalidInput, match="Wrong PIN"):
        d.security.approve_as_manager(shop.mgr.id, "1358")


def test_no_pin_or_hash_in_the_audit_log(shop, clock):
    d = shop.desk
    d.security.set_pin(shop.sa, shop.sa.id, "735190")
    stored = stored_hash(d, shop.sa.id)
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(InvalidInput):
            d.security.verify_pin(shop.sa.id, "864202")
    with d.ctx.engine.connect() as conn:
        events = conn.execute(sa.text("select action, before, after from audit_event")).all()
    actions = [e.action for e in events]
    assert "user.pin_set" in actions and "user.lockout" in actions
    blob = repr(events)
    salt_b64, key_b64 = stored.split("$")[-2:]
    for secret in ("735190", "864202", "scrypt", salt_b64, key_b64):
        assert secret not in blob
    assert d.reports.verify_audit() == []


def _fail(d, user_id: int, times: int) -> None:
    for _ in range(times):
        with pytest.raises(InvalidInput):
            d.security.verify_pin(user_id, "0000")


def test_old_failures_stop_counting(shop, clock):
    """Four wrong PINs, then a quiet window: four more do not lock the user."""
    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    _fail(d, shop.sa.id, auth.MAX_FAILURES - 1)
    clock.advance(seconds=auth.FAILURE_WINDOW_SECONDS - 1)
    _fail(d, shop.sa.id, 1)  # still inside the window: the fifth locks
    assert d.security.locked_for(shop.sa.id) == 60
    clock.advance(seconds=60)
    _fail(d, shop.sa.id, auth.MAX_FAILURES - 1)
    clock.advance(seconds=auth.FAILURE_WINDOW_SECONDS)  # the window passes without a failure
    _fail(d, shop.sa.id, auth.MAX_FAILURES - 1)
    assert d.security.locked_for(shop.sa.id) == 0
    assert d.security.verify_pin(shop.sa.id, "2468").id == shop.sa.id


def test_lockouts_grow_only_within_the_window_and_stay_short(shop, clock):
    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    seen = []
    for _ in range(6):  # an attacker keeping the user locked: five tries per lock-out
        _fail(d, shop.sa.id, auth.MAX_FAILURES)
        seen.append(d.security.locked_for(shop.sa.id))
        clock.advance(seconds=seen[-1])
    assert seen == [60, 120, 240, 300, 300, 300]
    clock.advance(seconds=auth.FAILURE_WINDOW_SECONDS)  # quiet: the next lock-out is the first again
    _fail(d, shop.sa.id, auth.MAX_FAILURES)
    assert d.security.locked_for(shop.sa.id) == 60


def test_a_manager_clears_a_lockout(shop, clock):
    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    cheap_pin(d, shop.mgr.id, "1357")
    _fail(d, shop.sa.id, auth.MAX_FAILURES)
    assert d.security.locked_users() == {shop.sa.id: 60}
    with pytest.raises(NotAllowed):
        d.security.clear_lockout(shop.tech, shop.sa.id)
    with pytest.raises(InvalidInput, match="Wrong PIN"):
        d.security.clear_lockout_authorised(shop.sa.id, by_id=shop.mgr.id, by_pin="1358")
    assert d.security.locked_for(shop.sa.id) == 60
    d.security.clear_lockout_authorised(shop.sa.id, by_id=shop.mgr.id, by_pin="1357")
    assert d.security.locked_for(shop.sa.id) == 0 and d.security.locked_users() == {}
    assert d.security.verify_pin(shop.sa.id, "2468").id == shop.sa.id
    with d.ctx.engine.connect() as conn:
        row = conn.execute(
            sa.text("select user_name, after from audit_event where action = 'user.lockout_clear'")
        ).one()
    assert row.user_name == "周经理" and "王丽" in row.after


def test_a_pin_is_replaced_only_with_it_or_a_managers(shop):
    d = shop.desk
    d.security.set_pin_authorised(shop.sa.id, "1111")  # the first PIN: from the shop's computer
    with pytest.raises(NotAllowed):
        d.security.set_pin_authorised(shop.sa.id, "2222")  # a PIN is there: no authority given
    with pytest.raises(InvalidInput, match="Wrong PIN"):
        d.security.set_pin_authorised(shop.sa.id, "2222", by_id=shop.sa.id, by_pin="9999")
    cheap_pin(d, shop.tech.id, "3333")
    with pytest.raises(NotAllowed):  # another user's right PIN is no authority
        d.security.set_pin_authorised(shop.sa.id, "2222", by_id=shop.tech.id, by_pin="3333")
    assert d.security.verify_pin(shop.sa.id, "1111").id == shop.sa.id
    assert d.security.set_pin_authorised(shop.sa.id, "2222", by_id=shop.sa.id, by_pin="1111").id == shop.sa.id
    cheap_pin(d, shop.mgr.id, "8888")
    assert d.security.set_pin_authorised(shop.sa.id, "4444", by_id=shop.mgr.id, by_pin="8888").id == shop.mgr.id
    assert d.security.verify_pin(shop.sa.id, "4444").id == shop.sa.id


def test_a_manager_without_a_pin_cannot_approve(shop):
    from desk.domain import staff

    d = shop.desk
    assert staff.approvers(d.people.users(), d.security.pin_users()) == []
    with pytest.raises(InvalidInput, match="no PIN"):
        d.security.approve_as_manager(shop.mgr.id, "")
    cheap_pin(d, shop.mgr.id, "1357")
    assert [u.name for u in staff.approvers(d.people.users(), d.security.pin_users())] == ["周经理"]


def test_a_switch_of_user_is_audited_in_the_new_users_name_with_the_terminal(shop):
    import json

    d = shop.desk
    d.ctx.source = "terminal front-desk"
    d.security.switch_user(shop.sa, shop.tech)
    with d.ctx.engine.connect() as conn:
        row = conn.execute(
            sa.text("select user_name, before, after from audit_event where action = 'user.switch'")
        ).one()
    assert row.user_name == "张强"
    assert json.loads(row.before) == {"user": "王丽"}
    assert json.loads(row.after) == {"user": "张强", "source": "terminal front-desk"}
    assert d.reports.verify_audit() == []


def test_set_pins_sets_each_as_set_pin_would_in_order_or_none(shop):
    d = shop.desk
    pins = {shop.sa.id: "248613", shop.tech.id: "975310", shop.qc.id: "135792"}
    with pytest.raises(NotAllowed):  # an advisor may set only their own PIN
        d.security.set_pins(shop.sa, pins)
    with pytest.raises(InvalidInput) as err:  # one PIN malformed: none is stored
        d.security.set_pins(shop.mgr, {**pins, shop.csr.id: "12a4"})
    assert err.value.field == "pin"
    assert [stored_hash(d, uid) for uid in (*pins, shop.csr.id)] == [None] * 4
    d.security.set_pins(shop.mgr, pins)
    for uid, pin in pins.items():
        assert auth.parse(stored_hash(d, uid)).meets_minimum
        assert d.security.verify_pin(uid, pin).id == uid
    with d.ctx.engine.connect() as conn:
        set_for = (
            conn.execute(sa.text("select entity_id from audit_event where action = 'user.pin_set' order by id"))
            .scalars()
            .all()
        )
    assert [int(x) for x in set_for] == list(pins)  # audited one by one, in the order given
    assert d.reports.verify_audit() == []
