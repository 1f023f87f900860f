"""CSV import of customers and vehicles: reading (encodings, delimiters, header
aliases), row checks with row numbers, dedup, and all-or-nothing writing."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlmodel import Session, func, select

from desk.domain import csvimport
from desk.domain.csvimport import ImportRejected
from desk.domain.errors import InvalidInput, NotAllowed
from desk.domain.validate import vin_check_digit
from desk.store.models import AuditEventRow, CustomerRow, OdometerRow, VehicleRow

TODAY = date(2026, 11, 23)


def make_vin(i: int) -> str:
    body = f"LSVAB2{i:011d}"  # 17 characters, position 9 replaced by its check digit
    body = body[:8] + "0" + body[9:]
    return body[:8] + vin_check_digit(body) + body[9:]


def csv_rows(n: int, *, bad: dict[int, dict] | None = None, sep: str = ",") -> str:
    lines = [sep.join(["姓名", "手机", "车牌", "车架号", "品牌", "车型", "年款", "里程"])]
    for i in range(n):
        row = {
            "name": f"客户{i}",
            "phone": f"139{i:08d}",
            "plate": f"粤B{i:05d}",
            "vin": make_vin(i),
            "make": "大众",
            "model": "帕萨特",
            "year": "2019",
            "km": str(10000 + i),
        }
        row.update((bad or {}).get(i, {}))
        lines.append(sep.join(row[k] for k in ("name", "phone", "plate", "vin", "make", "model", "year", "km")))
    return "\n".join(lines) + "\n"


def parse(text: str | bytes):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return csvimport.parse(data, today=TODAY)


def count(desk, model) -> int:
    with Session(desk.ctx.engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


# ------------------------------------------------------------------ reading (domain, no database)


def test_vin_generator_makes_valid_vins():
    from desk.domain.validate import vin

    assert vin(make_vin(42)).warning is None


@pytest.mark.parametrize(
    "encoding,bom,expected",
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", b"\xef\xbb\xbf", "UTF-8 BOM"),
        ("gbk", b"", "GBK"),
    ],
)
def test_encodings_chinese_dms_exports_use(encoding, bom, expected):
    parsed = parse(bom + csv_rows(3).encode(encoding))
    assert parsed.encoding == expected
    assert [r.name for r in parsed.records] == ["客户0", "客户1", "客户2"]
    assert parsed.records[0].vehicle.plate == "粤B00000"


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_detected(sep):
    parsed = parse(csv_rows(4, sep=sep))
    assert parsed.delimiter == sep and len(parsed.records) == 4 and not parsed.errors


def test_english_headers_and_aliases_with_units_and_spaces():
    text = (
        "Customer Name;Mobile;Licence plate;VIN;Make;Model;Mileage (km);Purchase date;Notes\n"
        "Li Wei;138 1234 5678;ab-123 cd;;Ford;Focus;12,345;2021-05-01;call after 5\n"
    )
    parsed = parse(text)
    assert parsed.ignored_headers == ["Notes"]
    (rec,) = parsed.records
    assert rec.phone == "+8613812345678"
    assert rec.vehicle.plate == "AB123CD" and rec.vehicle.odometer_km == 12345
    assert rec.vehicle.purchase_date == date(2021, 5, 1)


def test_customer_without_a_car_is_allowed():
    (rec,) = parse("name,phone,plate\nAnn,13900001111,\n").records
    assert rec.vehicle is None


def test_every_bad_row_is_named_with_its_row_number_and_reason():
    # a North American VIN with a wrong check digit (refused there; elsewhere a warning)
    text = csv_rows(5, bad={1: {"phone": "12345"}, 3: {"vin": "1M8GDM9A1KP042788"}})
    parsed = parse(text)
    # the header is row 1, so data row i is spreadsheet row i + 2
    assert [(e.line, e.field) for e in parsed.errors] == [(3, "phone"), (5, "vin")]
    assert parsed.errors[0].reason == "Not a valid phone number"
    assert parsed.errors[1].reason == "VIN check digit is wrong (expected {expected})"
    assert not parsed.ok and len(parsed.records) == 3


def test_duplicates_inside_the_file_are_errors():
    text = csv_rows(3, bad={2: {"vin": make_vin(0), "plate": "粤B99999"}})
    (err,) = parse(text).errors
    assert (err.line, err.field, err.params) == (4, "vin", {"line": 2})
    text = csv_rows(3, bad={2: {"phone": "13900000000"}})  # row 0's phone under another name
    (err,) = parse(text).errors
    assert err.field == "phone" and err.params["line"] == 2


def test_the_same_phone_with_the_same_name_is_one_customer_with_two_cars():
    text = "姓名,电话,车牌\n李伟,13812345678,京A11111\n李伟,13812345678,京A22222\n"
    parsed = parse(text)
    assert not parsed.errors and len(parsed.records) == 2


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "The file is empty"),
        (b"plate,make\nAB1,Ford\n", "The file has no {column} column"),
        (b"name,phone\n", "The file has a header but no rows"),
        (b"\xff\xfe\x00\xd8", csvimport.NOT_IN_ENCODING),
        (b"\x81\x20\x81\x20name,phone\n", csvimport.NOT_TEXT),
        (b"name,ph\x00one\nAnn,13900001111\n", csvimport.NUL_BYTE),
    ],
)
def test_unreadable_files_are_a_sentence(data, reason):
    with pytest.raises(InvalidInput) as err:
        parse(data)
    assert err.value.reason == reason


def test_a_row_with_too_many_cells_is_an_error():
    (err,) = parse("name,phone\nAnn,13900001111,extra\n").errors
    assert err.line == 2 and err.field == "row"


def test_markup_and_escape_sequences_are_cleaned_like_typed_text():
    (rec,) = parse('name,phone\n"[bold]Ann\x1b[31m",13900001111\n').records
    assert rec.name == "[bold]Ann"


# ------------------------------------------------------------------ importing (services, both backends)


def test_import_writes_everything_with_one_audit_event(shop, clock):
    d = shop.desk
    before_events = count(d, AuditEventRow)
    parsed = d.transfer.read_import(csv_rows(20).encode())
    plan = d.transfer.plan_import(parsed)
    assert (plan.customers_new, plan.vehicles_new, plan.committed) == (20, 20, False)
    assert count(d, CustomerRow) == 1  # a dry run writes nothing
    done = d.transfer.import_customers(shop.sa, parsed, source="dms.csv", data=b"x")
    assert done.committed and done.customers_new == 20
    assert count(d, CustomerRow) == 21 and count(d, VehicleRow) == 21 and count(d, OdometerRow) == 21
    with Session(d.ctx.engine) as s:
        events = s.exec(select(AuditEventRow).order_by(AuditEventRow.id)).all()[before_events:]
    assert [e.action for e in events] == ["import.customers"]
    assert '"customers_new": 20' in events[0].after and "dms.csv" in events[0].after
    assert d.reports.verify_audit() == []
    # the cars are found by the lookup like any other
    ((veh, cust),) = d.people.lookup("粤B00007")
    assert cust.name == "客户7" and veh.vin == make_vin(7)


def test_one_bad_row_imports_nothing_and_names_the_row(shop):
    d = shop.desk
    parsed = d.transfer.read_import(csv_rows(50, bad={36: {"plate": "粤B?123"}}).encode())
    with pytest.raises(ImportRejected) as err:
        d.transfer.import_customers(shop.sa, parsed, source="dms.csv")
    (e,) = err.value.errors
    assert e.line == 38 and e.field == "plate" and e.params == {"ch": "?"}
    assert count(d, CustomerRow) == 1 and count(d, VehicleRow) == 1


def test_a_failure_while_writing_leaves_nothing_half_written(shop, monkeypatch):
    d = shop.desk
    parsed = d.transfer.read_import(csv_rows(30).encode())
    calls = []

    def progress(done, total):
        calls.append(done)
        if len(calls) == 2:  # after the customers, before the audit event
            raise OSError("disk unplugged")

    with pytest.raises(OSError):
        d.transfer.import_customers(shop.sa, parsed, source="dms.csv", progress=progress)
    assert count(d, CustomerRow) == 1 and count(d, VehicleRow) == 1


def test_known_customers_are_reused_and_registered_cars_skipped(shop):
    d = shop.desk
    text = (
        "name,phone,plate,vin\n"
        "李伟,13812345678,京B55555,\n"  # the shop's customer, a second car
        "李伟,13812345678,京A12345,\n"  # the car the shop already has
        "New Person,13900002222,沪C12345,\n"
    )
    parsed = d.transfer.read_import(text.encode())
    plan = d.transfer.import_customers(shop.sa, parsed, source="x.csv")
    assert (plan.customers_new, plan.customers_known, plan.vehicles_new, plan.vehicles_known) == (1, 1, 2, 1)
    assert plan.skipped == ((3, "京A12345"),)
    cars = {veh.plate: cust.id for veh, cust in d.people.lookup("京")}
    assert cars == {"京A12345": shop.customer, "京B55555": shop.customer}
    # importing the same file again adds nothing
    again = d.transfer.import_customers(shop.sa, d.transfer.read_import(text.encode()), source="x.csv")
    assert (again.customers_new, again.vehicles_new) == (0, 0)
    assert count(d, CustomerRow) == 2 and count(d, VehicleRow) == 3


def test_only_advisors_and_managers_import(shop):
    parsed = shop.desk.transfer.read_import(csv_rows(2).encode())
    with pytest.raises(NotAllowed):
        shop.desk.transfer.import_customers(shop.tech, parsed, source="x.csv")
    assert count(shop.desk, CustomerRow) == 1


@pytest.mark.slow
def test_ten_thousand_customers_import_in_one_go(shop, capsys):
    d = shop.desk
    data = csv_rows(10_000).encode("utf-8-sig")
    seen = []
    t0 = time.perf_counter()
    parsed = d.transfer.read_import(data, progress=lambda done, total: seen.append(("check", done, total)))
    t1 = time.perf_counter()
    plan = d.transfer.import_customers(
        shop.sa, parsed, source="big.csv", data=data, progress=lambda done, total: seen.append(("write", done, total))
    )
    t2 = time.perf_counter()
    assert plan.customers_new == 10_000 and plan.vehicles_new == 10_000
    assert count(d, CustomerRow) == 10_001 and count(d, VehicleRow) == 10_001
    # the progress bar moves in steps, and ends full
    assert len([s for s in seen if s[0] == "check"]) >= 20 and seen[-1] == ("write", 20_000, 20_000)
    with capsys.disabled():
        print(
            f"\n10,000-row CSV import ({d.ctx.engine.dialect.name}): check {t1 - t0:.2f} s, "
            f"write {t2 - t1:.2f} s, total {t2 - t0:.2f} s"
        )
    assert t2 - t0 < 120


@pytest.mark.slow
def test_ten_thousand_rows_with_one_bad_row_import_nothing(shop):
    d = shop.desk
    parsed = d.transfer.read_import(csv_rows(10_000, bad={7_777: {"phone": "+86 12"}}).encode())
    assert [(e.line, e.field, e.reason) for e in parsed.errors] == [(7_779, "phone", "Not a valid phone number")]
    with pytest.raises(ImportRejected):
        d.transfer.import_customers(shop.sa, parsed, source="big.csv")
    assert count(d, CustomerRow) == 1
