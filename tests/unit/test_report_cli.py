"""`desk report`: the dashboard's figures as text and CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from click.testing import CliRunner

from desk.__main__ import main
from tests import flow


def _two_visits(shop, clock):
    """Visit A greeted at once, visit B five minutes after arrival (flow's pace)."""
    a = flow.book(shop, clock)
    flow.tick_open(shop.desk, shop.sa, a)
    shop.desk.lifecycle.arrive(shop.sa, shop.desk.lifecycle.ref(a))
    shop.desk.reception.start_reception(shop.sa, shop.desk.lifecycle.ref(a))
    b = flow.book(shop, clock, minutes_ahead=90)
    flow.to_stage(shop, clock, b, "WALKAROUND")
    return a, b


def test_report_csv_has_every_figure_with_the_visits_behind_it(desk, shop, clock, db_url, tmp_path):
    a, b = _two_visits(shop, clock)
    ro = {v: desk.lifecycle.visit_view(v).visit.number for v in (a, b)}
    day = f"{clock.now:%Y-%m-%d}"
    out = tmp_path / "kpi.csv"
    result = CliRunner().invoke(main, ["--db", db_url, "report", "--from", day, "--to", day, "--csv", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
    g = rows["greeting"]
    assert (g["value"], g["num"], g["den"], g["unit"]) == ("50.0", "1", "2", "pct")
    assert g["visits"].split() == [ro[a], ro[b]] and g["met"].split() == [ro[a]]
    assert g["trend"].split(";")[clock.now.hour] == "50.0"  # one step per hour of the day
    assert rows["appointment_share"]["value"] == "100.0"
    assert {
        "frft",
        "comeback",
        "estimate_accuracy",
        "on_time",
        "added_work",
        "followup",
        "nps",
        "complaints",
        "complaints_24h",
        "complaints_repeat",
        "duration.median",
        "mot.RECEPTION",
        "csi.quality",
    } <= set(rows)


def test_report_text_for_one_advisor_shows_the_shop_beside(desk, shop, clock, db_url):
    _two_visits(shop, clock)
    day = f"{clock.now:%Y-%m-%d}"
    result = CliRunner().invoke(main, ["--db", db_url, "report", "--from", day, "--to", day, "--advisor", "王丽"])
    assert result.exit_code == 0, result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("Greeted within 60 s"))
    assert "50.0%" in line and "1/2" in line
    assert "Advisor: 王丽" in result.output
    # a CSV to standard output, in Chinese
    zh = CliRunner().invoke(main, ["--db", db_url, "--lang", "zh", "report", "--from", day, "--to", day, "--csv", "-"])
    assert zh.exit_code == 0
    assert "60秒内接待" in zh.output


def test_report_refuses_bad_input_with_a_sentence(desk, shop, clock, db_url):
    day = clock.now.date()
    bad = CliRunner().invoke(main, ["--db", db_url, "report", "--from", "2026-13-01"])
    assert bad.exit_code == 1 and "Not a date: 2026-13-01" in bad.output and "Traceback" not in bad.output
    back = CliRunner().invoke(
        main, ["--db", db_url, "report", "--from", f"{day}", "--to", f"{day - timedelta(days=1)}"]
    )
    assert back.exit_code == 1 and "The range ends before it starts" in back.output
    nobody = CliRunner().invoke(
        main, ["--db", db_url, "report", "--from", f"{day}", "--to", f"{day}", "--advisor", "Nobody"]
    )
    assert nobody.exit_code == 1 and "No user named Nobody" in nobody.output
    # a name with a terminal's escape sequence (it set the title): written out, never sent raw
    hostile = CliRunner().invoke(
        main, ["--db", db_url, "report", "--from", f"{day}", "--to", f"{day}", "--advisor", "\x1b]0;PWN\x07王丽"]
    )
    assert hostile.exit_code == 1 and "No user named \\x1b]0;PWN\\x07王丽" in hostile.output
    assert "\x1b]" not in hostile.output and "\x07" not in hostile.output


def test_reading_commands_refuse_a_database_that_does_not_exist(tmp_path, monkeypatch):
    """report, export, audit verify, backup and the commands on a shop's users,
    lobby and schema, on a file that isn't there, say so and make nothing (they
    used to make an empty shop and report zeros); without --db, the default file
    in the data folder is no different."""
    missing = tmp_path / "nowhere.db"
    for args in (
        ["report", "--from", "today"],
        ["export", "visits", "--from", "today", "-o", str(tmp_path / "x.csv")],
        ["audit", "verify"],
        ["backup", str(tmp_path / "copy.db")],
        # commands on a shop that is there: a mistyped --db is a sentence, not a
        # new empty shop ("No user named 王丽")
        ["set-pin", "王丽", "--stdin"],
        ["clear-lockout", "王丽", "--by", "周经理", "--stdin"],
        ["recover-manager", "周经理", "--stdin"],
        ["pin-key", "upgrade"],
        ["db", "upgrade"],
        ["serve-lobby"],
        ["audit", "verify", "--re-anchor"],
    ):
        result = CliRunner().invoke(main, ["--db", str(missing), *args])
        assert result.exit_code == 1, (args, result.output)
        assert f"There is no database at {missing}" in result.output, (args, result.output)
        assert not missing.exists(), args
    monkeypatch.delenv("DESK_DATABASE_URL", raising=False)
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(main, ["report", "--from", "today"])
    assert result.exit_code == 1 and "There is no database at" in result.output, result.output
    assert not list((tmp_path / "data").glob("*.db"))


def test_the_opening_checklists_met_column_names_only_the_days_that_met_it(desk, shop, clock, db_url, tmp_path):
    """The CSV's "met" column listed every open day, met or not (both id lists are
    empty for a figure of days; breaking test of issue 26)."""
    d = shop.desk
    first = clock.now.date()
    items = [i.item_id for i in d.setup.opening_checklist()]
    d.setup.tick_opening(shop.sa, items[0])  # an open day, one item ticked
    clock.advance(days=1)
    for item in items:  # the next day, all of them
        d.setup.tick_opening(shop.sa, item)
    out = tmp_path / "kpi.csv"
    result = CliRunner().invoke(
        main, ["--db", db_url, "report", "--from", f"{first}", "--to", f"{clock.now.date()}", "--csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
    opening = rows["opening"]
    assert (opening["num"], opening["den"]) == ("1", "2")
    assert opening["visits"].split() == [f"{first}", f"{clock.now.date()}"]
    assert opening["met"].split() == [f"{clock.now.date()}"]
