"""`desk demo` shows the stage stopwatch, honest checklists and technician time
without any set-up, and `desk report` carries their figures."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from desk.__main__ import main
from desk.domain import integrity
from desk.domain.process import IN_SHOP
from desk.services import open_desk


@pytest.fixture(scope="module")
def demo(module_db_url, demo_shops):
    """A copy of `desk demo --visits 2`'s shop, built once per run and backend."""
    run = demo_shops.copy(module_db_url, visits=2, seed=7)
    assert run.code == 0, run.output
    d = open_desk(module_db_url)
    yield d
    d.ctx.engine.dispose()


def in_shop(d) -> list[int]:
    with d.ctx.engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(sa.text("SELECT id, stage FROM visit")).all()
            if r[1] in {s.value for s in IN_SHOP}
        ]


def built_at(d):
    with d.ctx.engine.connect() as conn:
        at = conn.execute(sa.text("SELECT max(at) FROM audit_event")).scalar()
    return at if isinstance(at, datetime) else datetime.fromisoformat(at)  # SQLite: text


@pytest.mark.xdist_group("clock_demo")
def test_the_demo_has_a_rushed_walkaround_and_a_rushed_qc(demo):
    with demo.ctx.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT id FROM visit")).all()]
    _, found, _ = demo.integrity.found(ids)
    rules = [f.rule for fs in found.values() for f in fs]
    assert {integrity.RUSHED_QC, integrity.RUSHED_WALKAROUND} <= set(rules)
    assert len(rules) <= len(ids) // 4  # the others were done at a fair pace


@pytest.mark.xdist_group("clock_demo")
def test_the_demo_has_cars_over_their_standard_and_technicians_on_lines(demo):
    ids = in_shop(demo)
    at = built_at(demo)
    assert any(iv.over(at) for iv in demo.timeline.running(ids).values())
    on = demo.clocking.on_now(ids)
    assert len(on) == 2 and all(o.line for v in on.values() for o in v)


@pytest.mark.xdist_group("clock_demo")
def test_the_report_carries_intervals_integrity_and_efficiency(demo, module_db_url, tmp_path):
    day = built_at(demo).date()
    first, last = day - timedelta(days=20), day + timedelta(days=1)
    out = tmp_path / "kpi.csv"
    result = CliRunner().invoke(
        main, ["--db", module_db_url, "report", "--from", f"{first}", "--to", f"{last}", "--csv", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}
    assert rows["interval.greeted.p50"]["unit"] == "min" and 0 <= float(rows["interval.greeted.p50"]["value"]) <= 1
    assert float(rows["interval.work_done.p90"]["value"]) >= float(rows["interval.work_done.p50"]["value"]) > 0
    assert rows["integrity"]["unit"] == "pct" and 0 < float(rows["integrity"]["value"]) < 100
    assert rows["efficiency"]["unit"] == "pct" and int(rows["efficiency"]["den"]) > 0  # clocked minutes
    assert any(k.startswith("efficiency.tech.") for k in rows)
    assert any(k.startswith("integrity.user.") for k in rows)


def test_the_demo_shows_what_the_dashboard_is_for(demo, module_db_url, tmp_path):
    """Issue 26: on `desk demo`, `desk report` shows every figure with a standard
    with a value that is not trivial (none 100 % by construction), and the stories
    behind them: skipped recommended items, a late call, a waiver, a rushed QC, a
    confirmed and a rejected comeback, an unreached follow-up."""
    day = built_at(demo).date()
    out = tmp_path / "kpi.csv"
    result = CliRunner().invoke(
        main,
        ["--db", module_db_url, "report", "--from", f"{day - timedelta(days=30)}", "--to", f"{day}", "--csv", str(out)],
    )
    assert result.exit_code == 0, result.output
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))}

    def value(key: str) -> float:
        assert rows[key]["value"], key
        return float(rows[key]["value"])

    judged = [k for k, r in rows.items() if r["standard"]]
    # every figure of the spec's list judged against a standard states it (the
    # daily opening checklist, the comeback window and the integrity minimums too)
    assert {
        "greeting",
        "reminders",
        "late_calls",
        "followup",
        "estimate_accuracy",
        "complaints_overdue",
        "comeback",
        "frft",
        "integrity",
        "opening",
    } <= set(judged)
    assert rows["reminders"]["standard"] == "1 d / 1 h" and rows["opening"]["standard"] == "6/6"
    for key in judged:  # none at 100 % by construction: two estimates missed (a part dearer after signing)
        if rows[key]["unit"] == "pct":
            assert 0 < value(key) < 100, (key, rows[key])
        else:
            assert value(key) > 0, (key, rows[key])
    # the compliance figures without a standard of their own
    for key in (
        "same_advisor",
        "on_time",
        "integrity",
        "frft",
        "no_show",
        "satisfied",
        "complaints_24h",
        "recommended.QC",
        "recommended.advisor." + str(next(u.id for u in demo.people.users() if u.name == "王丽")),
    ):
        assert 0 < value(key) < 100, (key, rows[key])
    assert any(k.startswith("mot.") and 0 < value(k) < 100 for k in rows)  # a waiver
    assert value("waivers") >= 1 and value("comeback") > 0 and value("followup.unreached") > 0
    assert value("csi.overall") > 0 and rows["nps"]["value"]
    assert len(rows["opening"]["visits"].split()) == int(rows["opening"]["den"])  # the days behind it
    with demo.ctx.engine.connect() as conn:
        decisions = {r[0] for r in conn.execute(sa.text("SELECT comeback_decision FROM visit")).all()}
    assert {"confirmed", "rejected"} <= decisions
    _, found, _ = demo.integrity.found(
        list(
            demo.reports.kpi_data(
                datetime.combine(day, datetime.min.time()) - timedelta(days=30), datetime.now()
            ).visits
        )
    )
    assert integrity.RUSHED_QC in {f.rule for fs in found.values() for f in fs}
