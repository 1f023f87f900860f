"""One customer, once (issue 24, item 9), by keys: the new-customer form names a
phone or plate already on file and the advisor chooses that customer or a new one
with a reason (kept in the audit); Escape goes back to the form with what was typed."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from textual.widgets import Input

from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog, PickDialog, ReasonDialog
from tests.functional.pilot import screen_name, wait_for


def customers_with_phone(desk, phone: str) -> list[str]:
    with desk.ctx.engine.connect() as conn:
        return list(
            conn.execute(
                sa.text("select name from customer where phone like :p order by id"), {"p": "%" + phone}
            ).scalars()
        )


def audit(desk, action: str) -> list[dict]:
    with desk.ctx.engine.connect() as conn:
        return [
            json.loads(a)
            for a in conn.execute(
                sa.text("select after from audit_event where action = :a order by id"), {"a": action}
            ).scalars()
        ]


def booking_form(app) -> bool:
    """The lookup of ``b`` is done: the booking form of the car chosen is up."""
    return isinstance(app.screen, FormDialog) and bool(app.screen.query("#f-when"))


async def new_customer_form(pilot, name: str, phone: str, plate: str) -> None:
    """From the board: b, Ctrl+N, the name, phone and plate typed, Ctrl+S."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    await pilot.press("b")
    await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    await pilot.press(*name, "tab", *phone, "tab", *plate)
    assert [app.screen.query_one(f"#f-{f}", Input).value for f in ("name", "phone", "plate")] == [name, phone, plate]
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))


async def test_a_known_phone_and_plate_are_named_and_this_customer_is_chosen(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await new_customer_form(pilot, "Li Wei", "13812345678", "京A12345")
        this = app.screen.choices[0][1]  # "This customer: 李伟 (phone 138 1234 5678, plate 京A12345)"
        assert "李伟" in this and "138 1234 5678" in this and "京A12345" in this
        # Escape: back to the form, everything typed still there, nothing saved
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        assert app.screen.query_one("#f-name", Input).value == "Li Wei"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("enter")  # "This customer: 李伟"
        await wait_for(pilot, lambda: booking_form(app))
    assert customers_with_phone(shop.desk, "13812345678") == ["李伟"]
    assert [v.id for v, _c in shop.desk.people.lookup("京A12345")] == [shop.vehicle]
    [matched] = audit(shop.desk, "customer.matched")
    assert matched["typed"]["name"] == "Li Wei" and matched["matched_by"] == ["phone", "plate"]
    assert matched["vehicle_id"] == shop.vehicle


async def test_a_known_phone_becomes_a_new_customer_only_with_a_reason(shop, clock, db_url):
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await new_customer_form(pilot, "李娜", "13812345678", "沪B67890")
        assert [label for _v, label in app.screen.choices] == [
            "This customer: 李伟 (phone 138 1234 5678)",
            "A new customer (say why)",
        ]
        await pilot.press("down", "enter")  # "A new customer (say why)"
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await pilot.press(*"Wife of Li Wei, shares his phone", "enter")
        await wait_for(pilot, lambda: booking_form(app))
    assert customers_with_phone(shop.desk, "13812345678") == ["李伟", "李娜"]
    created = [a for a in audit(shop.desk, "customer.create") if a["name"] == "李娜"]
    assert created[0]["reason"] == "Wife of Li Wei, shares his phone"
    assert created[0]["on_file"] == [{"field": "phone", "customer_id": shop.customer, "vehicle_id": None}]
    assert [c.name for _v, c in shop.desk.people.lookup("沪B67890")] == ["李娜"]


async def open_new_customer_form(pilot, name: str, phone: str, plate: str) -> None:
    """From the board: b, Ctrl+N, the name, phone and plate typed; not saved."""
    app = pilot.app
    await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
    await pilot.press("b")
    await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
    await pilot.press("ctrl+n")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    await pilot.press(*name, "tab", *phone, "tab", *plate)
    await wait_for(pilot, lambda: app.screen.query_one("#f-plate", Input).value == plate)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_two_terminals_type_the_same_new_customer(shop, clock, db_url):
    """B's form is open with a new customer's phone and plate when A saves the same
    customer: B's save names A's customer (nothing saved twice) and B takes that
    customer with Enter."""
    d = shop.desk
    a = make_app(db_url=db_url, clock=clock, user_name="王丽")
    b = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb:
        await open_new_customer_form(pb, "Anna Schmidt", "13500001234", "苏D13579")
        await open_new_customer_form(pa, "Anna Schmidt", "13500001234", "苏D13579")
        await pa.press("ctrl+s")
        await wait_for(pa, lambda: booking_form(a))
        await pb.press("ctrl+s")
        await wait_for(pb, lambda: isinstance(b.screen, PickDialog))
        assert b.screen.choices[0][1] == "This customer: Anna Schmidt (phone 135 0000 1234, plate 苏D13579)"
        await pb.press("enter")  # this customer: A's
        await wait_for(pb, lambda: booking_form(b))
    assert customers_with_phone(d, "13500001234") == ["Anna Schmidt"]
    assert [c.name for _v, c in d.people.lookup("苏D13579")] == ["Anna Schmidt"]
    [matched] = audit(d, "customer.matched")
    assert matched["matched_by"] == ["phone", "plate"]


async def test_the_import_screen_names_rows_of_another_customers_phone_or_plate(shop, clock, db_url, tmp_path):
    """Ctrl+O in the lookup, the file's path, Enter: the rows whose phone or plate is
    another customer's are listed with both names, and Ctrl+S imports nothing."""
    from textual.widgets import DataTable

    path = tmp_path / "dms.csv"
    path.write_text(
        "name,phone,plate\n王五,13812345678,沪A00001\n赵六,13900002222,京A12345\n钱七,13900003333,沪A00003\n",
        encoding="utf-8",
    )
    before = customers_with_phone(shop.desk, "")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await pilot.press("b")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: screen_name(app) == "ImportScreen")
        await pilot.press(*str(path), "enter")
        table = app.screen.query_one("#errors", DataTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(2)]
        assert rows[0][0] == "2" and "on file for 李伟, not 王五" in rows[0][2]
        assert rows[1][0] == "3" and "京A12345 is on file for 李伟, not 赵六" in rows[1][2]
        await pilot.press("ctrl+s")  # greyed: nothing to import
        await pilot.pause()
        assert screen_name(app) == "ImportScreen"
    assert customers_with_phone(shop.desk, "") == before
