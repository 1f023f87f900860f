"""PINs keyed outside the database (issue 24, item 8): a PIN hash needs the shop's
PIN key kept in the data folder, so a copied database alone neither signs anyone
in nor lets a guess be checked offline; the key moves with ``desk pin-key
export/import``; a hash of before the key is keyed at the next sign-in; a manager
locked out for good gets a new PIN with ``desk recover-manager`` on the computer
that holds the key, audited (both backends)."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from desk import auth
from desk.__main__ import main
from desk.domain.errors import InvalidInput
from desk.store import pinkey
from desk.widgets.feedback import describe_error
from tests.unit.test_auth import CHEAP, cheap_pin, stored_hash


def run(db_url: str, *args: str, input: str = ""):
    result = CliRunner().invoke(main, ["--db", db_url, *args], input=input, catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


def events(desk, action: str) -> list:
    with desk.ctx.engine.connect() as conn:
        return conn.execute(
            sa.text("select user_name, after from audit_event where action = :a order by id"), {"a": action}
        ).all()


@pytest.fixture
def old_computer(tmp_path, monkeypatch):
    """This test's own data folder (the shop's computer), with its own PIN key."""
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "old-computer"))
    return tmp_path / "old-computer"


def move_to_new_computer(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "new-computer"))


def test_a_copied_database_without_the_pin_key_signs_nobody_in_and_says_why(
    shop, old_computer, tmp_path, monkeypatch, db_url
):
    d = shop.desk
    cheap_pin(d, shop.mgr.id, "8888")
    key_id = auth.key_id(stored_hash(d, shop.mgr.id))
    assert key_id == pinkey.current().id
    assert d.security.verify_pin(shop.mgr.id, "8888").id == shop.mgr.id
    move_to_new_computer(tmp_path, monkeypatch)
    with pytest.raises(InvalidInput) as err:
        d.security.verify_pin(shop.mgr.id, "8888")
    said = describe_error(err.value)
    assert key_id in said and "desk pin-key import" in said and str(pinkey.folder()) in said
    # the command line says the same sentence, no traceback (set-pin checks the manager's PIN)
    code, out = run(db_url, "set-pin", "王丽", "--by", "周经理", "--stdin", input="8888\n2468\n")
    assert code == 1 and key_id in out and "Traceback" not in out
    # a key made on the new computer is another key: still named, never "Wrong PIN"
    pinkey.current(create=True)
    with pytest.raises(InvalidInput, match="PIN key"):
        d.security.verify_pin(shop.mgr.id, "8888")
    assert d.security.locked_for(shop.mgr.id) == 0  # no try was counted


def test_without_the_key_a_stored_hash_cannot_check_a_guess(old_computer):
    key = pinkey.current(create=True)
    stored = auth.hash_pin("4711", key=key, **CHEAP)
    params = auth.parse(stored)
    # what an offline guesser can compute from the database: scrypt of the right PIN and the salt
    guess = hashlib.scrypt(b"4711", salt=params.salt, n=params.n, r=params.r, p=params.p, dklen=32)
    assert guess != params.key and base64.b64encode(guess).decode() not in stored
    assert not auth.verify_hash("4711", stored)  # no key
    assert not auth.verify_hash("4711", stored, pinkey.PinKey.of(os.urandom(32)))  # another key
    assert auth.verify_hash("4711", stored, key) and not auth.verify_hash("4712", stored, key)
    assert key.secret.hex() not in repr(key)
    assert (pinkey.folder() / f"{key.id}.key").stat().st_mode & 0o077 == 0  # the owner's only


def test_a_hash_of_before_the_key_is_keyed_at_the_next_sign_in(shop, old_computer):
    d = shop.desk
    with d.ctx.engine.begin() as conn:  # as a database of before the key holds it
        conn.execute(
            sa.text('update "user" set pin_hash = :h where id = :id'),
            {"h": auth.hash_pin("2468", key=None, **CHEAP), "id": shop.sa.id},
        )
    with pytest.raises(InvalidInput, match="Wrong PIN"):
        d.security.verify_pin(shop.sa.id, "1357")
    assert auth.key_id(stored_hash(d, shop.sa.id)) is None  # a wrong PIN changes nothing
    assert d.security.verify_pin(shop.sa.id, "2468").id == shop.sa.id
    assert auth.key_id(stored_hash(d, shop.sa.id)) == pinkey.current().id
    assert d.security.verify_pin(shop.sa.id, "2468").id == shop.sa.id
    keyed = events(d, "user.pin_keyed")
    assert [(e.user_name, json.loads(e.after)["key"]) for e in keyed] == [("王丽", pinkey.current().id)]
    assert d.reports.verify_audit() == []


def test_the_key_moves_to_a_new_computer_by_export_and_import(shop, old_computer, tmp_path, monkeypatch, db_url):
    d = shop.desk
    cheap_pin(d, shop.mgr.id, "8888")
    moved = tmp_path / "usb" / "shop.pinkey"
    moved.parent.mkdir()
    code, said = run(db_url, "pin-key", "export", str(moved))
    assert code == 0 and "1 PIN key written" in said, said
    assert moved.stat().st_mode & 0o077 == 0
    code, said = run(db_url, "pin-key", "export", str(moved))
    assert code == 1 and "never replaces" in said
    move_to_new_computer(tmp_path, monkeypatch)
    with pytest.raises(InvalidInput, match="PIN key"):
        d.security.verify_pin(shop.mgr.id, "8888")
    junk = tmp_path / "junk.txt"
    junk.write_text("desk-pin-key-v1 00\n")
    code, said = run(db_url, "pin-key", "import", str(junk))
    assert code == 1 and "not a desk PIN key export" in said and "Traceback" not in said
    code, said = run(db_url, "pin-key", "import", str(moved))
    assert code == 0 and "added" in said, said
    assert d.security.verify_pin(shop.mgr.id, "8888").id == shop.mgr.id
    code, said = run(db_url, "pin-key", "import", str(moved))
    assert code == 0 and "already here" in said


def test_a_locked_out_manager_is_recovered_on_the_shops_computer_only(
    shop, old_computer, tmp_path, monkeypatch, db_url
):
    d = shop.desk
    cheap_pin(d, shop.mgr.id, "8888")
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(InvalidInput):
            d.security.verify_pin(shop.mgr.id, "0000")
    assert d.security.locked_for(shop.mgr.id) > 0
    code, said = run(db_url, "recover-manager", "王丽", "--stdin", input="2468\n")
    assert code == 1 and "manager" in said  # an advisor asks a manager
    move_to_new_computer(tmp_path, monkeypatch)  # a copy of the database elsewhere
    code, said = run(db_url, "recover-manager", "周经理", "--stdin", input="5555\n")
    assert code == 1 and "PIN key" in said and "Traceback" not in said
    assert events(d, "user.pin_recover") == []
    monkeypatch.setenv("DESK_DATA_DIR", str(old_computer))
    code, said = run(db_url, "recover-manager", "周经理", "--stdin", input="5555\n")
    assert code == 0 and "audit" in said, said
    assert d.security.locked_for(shop.mgr.id) == 0
    assert d.security.verify_pin(shop.mgr.id, "5555").id == shop.mgr.id
    [event] = events(d, "user.pin_recover")
    after = json.loads(event.after)
    assert event.user_name == "周经理" and after["source"] == "cli" and after["key"] == pinkey.current().id
    assert "5555" not in event.after
    assert d.reports.verify_audit() == []


def test_pin_key_upgrade_keys_every_old_hash_at_once(shop, old_computer, db_url):
    d = shop.desk
    with d.ctx.engine.begin() as conn:  # two users as a database of before the key holds them
        for user_id, pin in ((shop.sa.id, "2468"), (shop.tech.id, "3579")):
            conn.execute(
                sa.text('update "user" set pin_hash = :h where id = :id'),
                {"h": auth.hash_pin(pin, key=None, **CHEAP), "id": user_id},
            )
    cheap_pin(d, shop.mgr.id, "8888")  # keyed already: left as it is
    manager_hash = stored_hash(d, shop.mgr.id)
    code, said = run(db_url, "pin-key", "upgrade")
    assert code == 0 and "2 PINs keyed" in said, said
    key = pinkey.current()
    assert {auth.key_id(stored_hash(d, u)) for u in (shop.sa.id, shop.tech.id)} == {key.id}
    assert stored_hash(d, shop.mgr.id) == manager_hash
    assert d.security.verify_pin(shop.sa.id, "2468").id == shop.sa.id  # the same PIN, now keyed
    assert d.security.verify_pin(shop.tech.id, "3579").id == shop.tech.id
    assert sorted(e.user_name for e in events(d, "user.pin_keyed")) == sorted(["王丽", "张强"])
    code, said = run(db_url, "pin-key", "upgrade")
    assert code == 0 and "0 PINs keyed" in said
    assert d.reports.verify_audit() == []


def test_neither_the_database_nor_a_backup_holds_the_pin_key(shop, old_computer, tmp_path, db_url):
    d = shop.desk
    cheap_pin(d, shop.mgr.id, "8888")
    key = pinkey.current()
    with d.ctx.engine.connect() as conn:
        stored = repr(conn.execute(sa.text('select * from "user"')).all())
    assert key.secret.hex() not in stored and key.id in stored  # the hash names its key, never holds it
    if not db_url.startswith("sqlite"):
        return  # a server database's backup is the server's tools' business
    d.ctx.engine.dispose()
    code, said = run(db_url, "backup", str(tmp_path / "backup.db"))
    assert code == 0, said
    raw = (tmp_path / "backup.db").read_bytes()
    assert key.secret not in raw and key.secret.hex().encode() not in raw
