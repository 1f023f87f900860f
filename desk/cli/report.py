"""``desk report``: the KPI figures of a date range, as text or CSV."""

from __future__ import annotations

import csv
import io
from datetime import date

import click
from rich.console import Console
from rich.table import Table

from desk.cli.common import fail, open_shop
from desk.domain import fields, kpi
from desk.domain.errors import DeskError, InvalidInput
from desk.domain.money import format_money
from desk.i18n import _, _n
from desk.services.reports import day_range, measure_base, measure_label
from desk.widgets.feedback import describe_error


@click.command("report")
@click.option("--from", "first", required=True, metavar="DATE", help="First day (e.g. 2026-11-01).")
@click.option("--to", "last", metavar="DATE", help="Last day (default: today).")
@click.option("--advisor", metavar="NAME", help="One advisor's figures, with the shop's beside them.")
@click.option("--csv", "csv_path", metavar="FILE|-", help="Write CSV to FILE (- for standard output).")
@click.pass_context
def report_cmd(ctx: click.Context, first: str, last: str | None, advisor: str | None, csv_path: str | None) -> None:
    """The KPI figures of a date range (the dashboard's), then the takings (revenue, orders paid, average order), as text or CSV."""
    today = date.today()
    try:
        first_day = fields.FIRST_DAY.parse(first, today=today)
        last_day = fields.LAST_DAY.parse(last, today=today) if last else today
        kpi.check_range(first_day, last_day)
        desk = open_shop(ctx, read_only=True)
        advisor_id = None
        if advisor:
            match = [u for u in desk.people.users() if u.name == advisor]
            if not match:
                fail(_("No user named {name}", name=advisor))
            advisor_id = match[0].id
        start, end = day_range(first_day, last_day)
        report = desk.reports.kpi_report(start, end, advisor_id)
        took = desk.reports.takings(start, end)
    except InvalidInput as exc:
        fail(_(exc.reason, **exc.params))
    except DeskError as exc:
        fail(describe_error(exc))
    if csv_path:
        _write_csv(report, csv_path, took)
    else:
        _print_table(report, first_day, last_day)
        _print_takings(took)


def takings_rows(took) -> list[tuple[str, str, str]]:
    """The takings (``desk.domain.takings``) as (key, label, value): the shop's, whoever
    the KPIs are for."""
    average = took.average_cents
    return [
        ("revenue", _("Revenue"), format_money(took.revenue_cents)),
        ("orders_paid", _("Orders paid"), str(took.orders)),
        ("average_order", _("Average order"), "" if average is None else format_money(average)),
    ]


def _print_takings(took) -> None:
    click.echo("\n" + _("Takings (payments less refunds, the whole shop)"))
    for _key, label, value in takings_rows(took):
        click.echo(f"  {label}: {value or '-'}")


def _write_csv(report, csv_path: str, took) -> None:
    numbers = report.visits
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["key", "figure", "value", "unit", "num", "den", "standard", "period", "shop", "trend", "visits", "met"])
    for row in report.rows:
        m = row.measure
        w.writerow(
            [
                m.key,
                measure_label(m),
                "" if m.value is None else str(m.value),
                m.unit,
                m.num,
                m.den,
                m.standard,
                m.params.get("period", ""),
                "" if row.shop is None or row.shop.value is None else str(row.shop.value),
                ";".join("" if v is None else str(v) for v in row.trend),
                _behind(m, numbers, m.visits, met_only=False),
                _behind(m, numbers, m.hits, met_only=True),
            ]
        )
    for key, label, value in takings_rows(took):
        w.writerow([key, label, value, "" if key == "orders_paid" else "money"] + [""] * 8)
    if csv_path == "-":
        click.echo(out.getvalue(), nl=False)
        return
    try:
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            fh.write(out.getvalue())
    except OSError as exc:
        fail(_("Cannot write {path}: {detail}", path=csv_path, detail=exc.strerror or str(exc)))
    click.echo(_n("{n} figure written to {path}", "{n} figures written to {path}", len(report.rows), path=csv_path))


def _behind(m, numbers, ids, *, met_only: bool) -> str:
    """The RO numbers behind a figure (``ids``: its base, or those that meet it
    with ``met_only``); the days, for a figure of days (the opening checklist)."""
    if m.days:  # (both id lists are empty: "ids is m.visits" was true for the met column too)
        return " ".join(f"{day:%Y-%m-%d}" for day, met, _detail in m.days if met or not met_only)
    return " ".join(numbers[i].number for i in ids if i in numbers)


def _print_table(report, first_day: date, last_day: date) -> None:
    who = report.advisor or _("Whole shop")
    table = Table(
        title=f"{_('KPI')} {first_day:%Y-%m-%d} … {last_day:%Y-%m-%d}   {_('Advisor')}: {who}",
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    # a long figure name (a recommended item's text) wraps, the figures keep their room
    table.add_column(_("Figure"), justify="left", max_width=72)
    for label, justify in ((_("Value"), "right"), (_("Base"), "right"), (_("Trend"), "left"), (_("Shop"), "right")):
        table.add_column(label, justify=justify, no_wrap=True)
    for row in report.rows:
        m = row.measure
        table.add_row(
            measure_label(m),
            kpi.format_value(m),
            measure_base(m),
            kpi.spark(row.trend, m.unit),
            kpi.format_value(row.shop) if row.shop is not None else "",
        )
    Console(highlight=False, markup=False, width=160).print(table)
