"""One customer, once (issue 24, item 9), on both backends: a new customer whose
phone or plate is on file is refused naming whose it is, until the user chooses that
customer or a new one with a reason (audited), also when another terminal saved it a
moment before; an import names every row whose name is not the name of the customer
its phone or plate belongs to and imports nothing; ``desk import --user NAME`` asks
NAME's PIN (or a manager's)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from desk.__main__ import main
from desk.domain.csvimport import ImportRejected
from desk.domain.errors import AlreadyOnFile, InvalidInput
from desk.services import open_desk
from desk.widgets.feedback import describe_error
from tests.unit.test_auth import cheap_pin


def customers(desk) -> list[str]:
    with desk.ctx.engine.connect() as conn:
        return list(conn.execute(sa.text("select name from customer order by id")).scalars())


def audit(desk, action: str) -> list[tuple[str, dict]]:
    with desk.ctx.engine.connect() as conn:
        rows = conn.execute(
            sa.text("select user_name, after from audit_event where action = :a order by id"), {"a": action}
        ).all()
    return [(r.user_name, json.loads(r.after)) for r in rows]


def test_a_known_phone_or_plate_is_named_and_saved_only_as_chosen(shop, db_url):
    d = shop.desk
    before = customers(d)
    other = d.people.customer_draft(name="李娜", phone="13812345678")
    car = d.people.vehicle_draft(plate="沪B67890")
    with pytest.raises(AlreadyOnFile) as err:
        d.people.register(shop.sa, other, car)
    assert [(m.field, m.customer_id) for m in err.value.matches] == [("phone", shop.customer)]
    assert "is on file for 李伟" in describe_error(err.value) and "nothing was saved" in describe_error(err.value)
    plate_only = d.people.customer_draft(name="Wang Fang", phone="13900001111")
    with pytest.raises(AlreadyOnFile) as err:
        d.people.register(shop.sa, plate_only, d.people.vehicle_draft(plate="京A12345"))
    assert [(m.field, m.vehicle_id) for m in err.value.matches] == [("plate", shop.vehicle)]
    assert customers(d) == before  # nothing saved
    with pytest.raises(InvalidInput):  # a customer the phone and plate are not on
        d.people.register(shop.sa, other, car, same_as=shop.customer + 999)
    # this customer: the car is added to 李伟, the name typed kept in the audit
    assert d.people.register(shop.sa, other, car, same_as=shop.customer)[0] == shop.customer
    assert customers(d) == before
    # a new one, with a reason
    cid, vid = d.people.register(
        shop.sa, plate_only, d.people.vehicle_draft(plate="京A12345"), reason="Bought the car from 李伟"
    )
    assert customers(d) == [*before, "Wang Fang"]
    # one plate, one car: 李伟's car changed hands (found by the breaking test: a second car of that plate)
    assert vid == shop.vehicle
    with d.ctx.engine.connect() as conn:
        assert conn.execute(
            sa.text("SELECT count(*), min(customer_id) FROM vehicle WHERE plate = '京A12345'")
        ).one() == (1, cid)
    (owner,) = audit(d, "vehicle.owner")
    assert owner[1] == {"customer_id": cid, "reason": "Bought the car from 李伟"}
    # a different car (another VIN) under that plate is refused in words
    with pytest.raises(InvalidInput, match="is on file for another car"):
        d.people.register(
            shop.sa,
            d.people.customer_draft(name="Zhang Newman", phone="13900003333"),
            d.people.vehicle_draft(plate="京A12345", vin="1HGCM82633A004352"),
            reason="new car",
        )
    matched = audit(d, "customer.matched")
    assert [(who, a["typed"]["name"], a["matched_by"]) for who, a in matched] == [("王丽", "李娜", ["phone"])]
    created = [a for _w, a in audit(d, "customer.create") if a.get("reason")]
    assert [(a["id"], a["reason"], a["on_file"][0]["field"]) for a in created] == [
        (cid, "Bought the car from 李伟", "plate")
    ]
    assert d.reports.verify_audit() == []


def test_two_terminals_type_one_new_customer(shop, db_url, clock):
    """A saves the new customer while B's form is open with the same phone: B's
    save names A's customer instead of making a second one."""
    a = shop.desk
    b = open_desk(db_url, clock=clock)
    try:
        draft = b.people.customer_draft(name="Anna Schmidt", phone="13500001234")
        a.people.register(shop.sa, draft, a.people.vehicle_draft(plate="苏D13579"))
        with pytest.raises(AlreadyOnFile) as err:
            b.people.register(shop.sa, draft, b.people.vehicle_draft(plate="苏D24680"))
        assert {m.customer_name for m in err.value.matches} == {"Anna Schmidt"}
        assert customers(a).count("Anna Schmidt") == 1
    finally:
        b.ctx.engine.dispose()


def run(db_url: str, *args: str, input: str = ""):
    result = CliRunner().invoke(main, ["--db", db_url, *args], input=input, catch_exceptions=False)
    return result.exit_code, result.stdout + result.stderr


HEADER = "name,phone,plate,vin,make,model\n"


def test_an_import_names_every_row_of_another_customers_phone_or_plate(shop, db_url, tmp_path):
    d = shop.desk
    before = customers(d)
    rows = [
        "王五,13812345678,沪A00001,,Audi,A4",  # row 2: 李伟's phone
        "赵六,13900002222,京A12345,,Volkswagen,Passat",  # row 3: 李伟's plate
        "钱七,13900003333,沪A00003,,BMW,320",  # row 4: new
    ]
    path = tmp_path / "rows.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    code, said = run(db_url, "import", "customers", str(path), "--dry-run")
    assert code == 1, said
    assert "row 2, Name: The phone 138 1234 5678 is on file for 李伟, not 王五" in said
    assert "row 3, Plate: The plate 京A12345 is on file for 李伟, not 赵六" in said
    assert "row 4" not in said
    assert "2 rows with errors: nothing was imported" in said
    code, said = run(db_url, "--user", "王丽", "import", "customers", str(path))
    assert code == 1 and "nothing was imported" in said
    assert customers(d) == before
    # the service refuses too, whoever calls it (the import screen, a script)
    parsed = d.transfer.read_import(path.read_bytes())
    with pytest.raises(ImportRejected) as err:
        d.transfer.import_customers(shop.sa, parsed, source="rows.csv")
    assert sorted(e.line for e in err.value.errors) == [2, 3]
    # corrected: the known phone under 李伟's name (spelt with a space) is his
    path.write_text(HEADER + "李 伟,13812345678,沪A00001,,Audi,A4\n" + rows[2] + "\n", encoding="utf-8")
    code, said = run(db_url, "--user", "王丽", "import", "customers", str(path))
    assert code == 0, said
    assert customers(d) == [*before, "钱七"]
    assert {c.name for _v, c in d.people.lookup("沪A00001")} == {"李伟"}


def test_import_as_a_user_asks_their_pin_or_a_managers(shop, db_url, tmp_path):
    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    cheap_pin(d, shop.mgr.id, "8888")
    path = tmp_path / "one.csv"
    path.write_text(HEADER + "钱七,13900003333,沪A00003,,BMW,320\n", encoding="utf-8")
    before = customers(d)
    code, said = run(db_url, "--user", "王丽", "import", "customers", str(path))  # no PIN given
    assert code != 0 and "Traceback" not in said
    code, said = run(db_url, "import", "customers", str(path), "--user", "王丽", "--pin-stdin", input="1357\n")
    assert code == 1 and "Wrong PIN" in said
    code, said = run(
        db_url, "import", "customers", str(path), "--user", "王丽", "--by", "张强", "--pin-stdin", input="8888\n"
    )
    assert code == 1 and "Traceback" not in said
    assert customers(d) == before and audit(d, "import.customers") == []
    code, said = run(db_url, "import", "customers", str(path), "--user", "王丽", "--pin-stdin", input="2468\n")
    assert code == 0, said
    path.write_text(HEADER + "孙八,13900004444,沪A00004,,BMW,X1\n", encoding="utf-8")
    code, said = run(
        db_url, "import", "customers", str(path), "--user", "王丽", "--by", "周经理", "--pin-stdin", input="8888\n"
    )
    assert code == 0, said
    assert [who for who, _a in audit(d, "import.customers")] == ["王丽", "王丽"]


def test_re_anchoring_the_audit_log_in_a_users_name_asks_their_pin(shop, db_url):
    d = shop.desk
    cheap_pin(d, shop.mgr.id, "8888")
    code, said = run(db_url, "--user", "周经理", "audit", "verify", "--re-anchor", "--pin-stdin", input="1111\n")
    assert code == 1 and "Wrong PIN" in said
    code, said = run(db_url, "--user", "周经理", "audit", "verify", "--re-anchor")  # no PIN typed
    assert code != 0 and "Anchored" not in said and "Traceback" not in said
    assert audit(d, "audit.re_anchor") == []
    code, said = run(db_url, "--user", "周经理", "audit", "verify", "--re-anchor", "--pin-stdin", input="8888\n")
    assert code == 0 and "Anchored" in said, said


def test_correcting_a_customer_checks_its_text_its_version_and_whose_phone_it_is(shop):
    """The customer's details are corrected through the service (issue 24): each
    text parsed by the domain's field whoever calls, a stale version refused naming
    the other change, another customer's phone named, the change audited."""
    from desk.domain.errors import StaleEdit

    d = shop.desk
    other, _car = d.people.register(
        shop.sa, d.people.customer_draft(name="张三", phone="13900002222"), d.people.vehicle_draft(plate="沪C11111")
    )
    ref, before = d.people.customer_details(shop.customer)
    with pytest.raises(InvalidInput):
        d.people.update_customer(shop.sa, ref, {"name": "x" * 81})
    with pytest.raises(InvalidInput):
        d.people.update_customer(shop.sa, ref, {"vip": "yes"})  # not a detail the form edits
    with pytest.raises(AlreadyOnFile) as err:
        d.people.update_customer(shop.sa, ref, {"phone": "139 0000 2222"})
    assert [m.customer_id for m in err.value.matches] == [other]
    assert d.people.customer_details(shop.customer) == (ref, before)  # nothing written
    renamed = d.people.update_customer(shop.sa, ref, {"name": "李\x1b]0;pwned\x07伟明"})
    assert d.people.customer_details(shop.customer)[1].name == "李伟明"  # no control sequence stored
    moved = d.people.update_customer(shop.sa, renamed, {"special_note": "Prefers WeChat"})
    assert moved.version > renamed.version
    with pytest.raises(StaleEdit) as stale:
        d.people.update_customer(shop.sa, ref, {"name": "李伟伟"})
    assert stale.value.current == moved and stale.value.what == "customer.update"
    assert audit(d, "customer.update")[-1][1] == {"special_note": "Prefers WeChat"}
