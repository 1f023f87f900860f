"""Exports (visits, follow-up list, KPIs) to CSV and Excel, and the `desk import` /
`desk export` commands."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from desk.__main__ import main
from desk.domain.errors import InvalidInput
from desk.i18n import set_locale
from desk.output.export import write_table
from desk.services.transfer import Table
from tests import flow
from tests.unit.test_import import csv_rows

DAY = date(2026, 11, 23)


@pytest.fixture
def delivered(shop, clock):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    return vid


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_visits_export_has_every_visit_of_the_period_with_exact_amounts(shop, clock, delivered, tmp_path):
    d = shop.desk
    table = d.transfer.export_visits(DAY, DAY)
    (row,) = table.rows
    view = d.lifecycle.visit_view(delivered)
    assert row[0] == view.visit.number and row[4] == "李伟" and row[6] == "京A12345"
    final = table.columns.index("Final total")
    assert row[final] == Decimal(view.totals.total) / 100 and isinstance(row[final], Decimal)
    # the settlement (issue 29): the invoice number, paid, the balance due, how it was paid
    assert row[final + 1 :] == ("000001", row[final], Decimal("0.00"), f"card {row[final]}")
    assert d.transfer.export_visits(DAY + timedelta(days=1), DAY + timedelta(days=3)).rows == []
    path = write_table(table, tmp_path / "visits.csv")
    rows = read_csv(path)
    assert rows[0][:3] == ["RO number", "Visit day", "Stage"]
    assert rows[1][0] == view.visit.number and rows[1][2] == "Delivered"
    assert rows[1][final] == f"{Decimal(view.totals.total) / 100:.2f}"


def test_xlsx_keeps_money_exact_dates_as_dates_and_chinese_headings(shop, clock, delivered, tmp_path):
    set_locale("zh")
    path = write_table(shop.desk.transfer.export_visits(DAY, DAY), tmp_path / "visits.xlsx")
    ws = load_workbook(path).active
    assert ws.title == "进厂明细"
    assert ws["A1"].value == "工单号" and ws["C2"].value == "已交车"
    assert ws["B2"].is_date and ws["B2"].value.date() == DAY
    total = ws.cell(row=2, column=ws.max_column - 4)  # then the invoice number, paid, balance, methods
    assert ws.cell(row=1, column=ws.max_column - 1).value == "应付余额"
    assert total.number_format == "0.00"
    assert Decimal(str(total.value)) == Decimal(shop.desk.lifecycle.visit_view(delivered).totals.total) / 100


def test_followup_list_shows_due_time_attempts_and_outcome(shop, clock, delivered):
    d = shop.desk
    table = d.transfer.export_followups(DAY, DAY)
    (row,) = table.rows
    assert row[0] == d.lifecycle.visit_view(delivered).visit.number
    assert row[8] == 0 and row[9] == "" and row[11] is False  # not called yet
    d.followup.record_call(shop.csr, d.lifecycle.ref(delivered), d.followup.call(outcome="no_answer"))
    (row,) = d.transfer.export_followups(DAY, DAY).rows
    assert row[8] == 1 and row[9] == "no_answer"


def test_kpi_export_is_the_dashboards_figures(shop, clock, delivered, tmp_path):
    from datetime import datetime, time, timedelta

    flow.book(shop, clock, minutes_ahead=120)  # booked, not arrived: in no arrival-based figure
    table = shop.desk.transfer.kpi_export_rows(DAY, DAY)
    values = {r[0]: r[1:] for r in table.rows}
    # one arrival, by appointment (hand-counted from the fixture)
    assert values["Appointment share of visits"] == (Decimal("100.0"), 1, 1, "")  # no standard
    assert values["Follow-up call within 72 h"][3] == "72 h"  # the standard beside the figure
    report = shop.desk.reports.kpi_report(
        datetime.combine(DAY, time()), datetime.combine(DAY + timedelta(days=1), time()), with_trend=False
    )
    assert len(table.rows) == len(report.rows)  # every dashboard figure, in its order
    assert [r[1:] for r in table.rows] == [
        (r.measure.value, r.measure.num, r.measure.den, r.measure.standard) for r in report.rows
    ]
    set_locale("zh")
    rows = read_csv(write_table(shop.desk.transfer.kpi_export_rows(DAY, DAY), tmp_path / "kpis.csv"))
    # whose figures they are: the shop's identity from its set-up, and the period
    name = shop.desk.ctx.settings.shop_name
    assert rows[0] == ["店名", name] and rows[1] == ["期间", f"{DAY} - {DAY}"] and rows[2] == []
    assert rows[3] == ["指标", "结果", "分子", "分母", "标准"]
    assert "预约进厂占比" in [r[0] for r in rows[4:]]
    ws = load_workbook(write_table(shop.desk.transfer.kpi_export_rows(DAY, DAY), tmp_path / "kpis.xlsx")).active
    assert (ws["A1"].value, ws["B1"].value, ws["A4"].value, ws.freeze_panes) == ("店名", name, "指标", "A5")


def test_a_formula_in_a_name_stays_text(tmp_path):
    table = Table("Visit list", ("Customer", "Final total"), [('=HYPERLINK("x")', Decimal("-5.00"))])
    rows = read_csv(write_table(table, tmp_path / "t.csv"))
    assert rows[1] == ['\'=HYPERLINK("x")', "-5.00"]
    ws = load_workbook(write_table(table, tmp_path / "t.xlsx")).active
    assert ws["A2"].value == '\'=HYPERLINK("x")' and ws["A2"].data_type == "s"


def test_bad_format_and_reversed_dates_are_refused(shop, tmp_path):
    with pytest.raises(InvalidInput):
        write_table(Table("Visit list", ("a",), []), tmp_path / "out" / "x.pdf")
    assert not (tmp_path / "out").exists()
    with pytest.raises(InvalidInput) as err:
        shop.desk.transfer.export_visits(DAY, DAY - timedelta(days=1))
    assert err.value.reason == "The end date is before the start date"


# ------------------------------------------------------------------ the commands


def test_cli_import_dry_run_then_import_then_a_bad_file(shop, db_url, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_rows(40).encode("gbk"))
    runner = CliRunner()
    res = runner.invoke(main, ["--db", db_url, "import", "customers", str(good), "--dry-run"])
    assert res.exit_code == 0, res.output
    assert "40 rows read (GBK" in res.output and "Dry run" in res.output
    assert len(shop.desk.people.lookup("粤B")) == 0
    res = runner.invoke(main, ["--db", db_url, "--user", "王丽", "import", "customers", str(good)])
    assert res.exit_code == 0, res.output
    assert "40 new customers" in res.output and "Imported in" in res.output
    assert len(shop.desk.people.lookup("粤B000")) == 20  # the lookup's limit
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_rows(40, bad={5: {"vin": "123"}}).replace("粤B", "沪C"), encoding="utf-8")
    res = runner.invoke(main, ["--db", db_url, "--user", "王丽", "import", "customers", str(bad)])
    assert res.exit_code == 1
    assert "row 7, VIN: A VIN has 17 characters, not 3" in res.output
    assert "nothing was imported" in res.output and "Traceback" not in res.output
    assert shop.desk.people.lookup("沪C") == []


def test_cli_import_needs_a_user(shop, db_url, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(csv_rows(2), encoding="utf-8")
    res = CliRunner().invoke(main, ["--db", db_url, "import", "customers", str(good)])
    assert res.exit_code == 1 and "--user" in res.output


def test_cli_export_csv_and_xlsx(shop, clock, delivered, db_url, tmp_path):
    runner = CliRunner()
    out = tmp_path / "v.xlsx"
    res = runner.invoke(
        main, ["--db", db_url, "export", "visits", "--from", "2026-11-01", "--to", "2026-11-30", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "1 rows written" in res.output
    assert load_workbook(out).active.max_row == 2
    out = tmp_path / "f.csv"
    res = runner.invoke(
        main,
        [
            "--db",
            db_url,
            "export",
            "followups",
            "--from",
            "2026-11-23",
            "--to",
            "2026-11-23",
            "--format",
            "csv",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert len(read_csv(out)) == 2
    res = runner.invoke(
        main,
        ["--db", db_url, "export", "kpis", "--from", "2026-11-30", "--to", "2026-11-01", "-o", str(tmp_path / "k.csv")],
    )
    assert res.exit_code == 1 and "before the start date" in res.output
