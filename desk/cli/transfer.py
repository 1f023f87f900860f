"""``desk import`` and ``desk export``: customers in from another system's CSV,
visits, follow-ups and KPIs out to CSV or Excel."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from desk.cli.common import fail, open_shop
from desk.cli.group import DeskGroup
from desk.domain import fields
from desk.domain.csvimport import ENCODING_CHOICES, ENCODINGS_TEXT, SEPARATORS_TEXT, ImportRejected
from desk.domain.errors import DeskError, InvalidInput
from desk.i18n import _
from desk.output.export import write_table
from desk.widgets.feedback import describe_error
from desk.widgets.import_errors import reason_text, row_error_text


def _actor(desk, name: str | None, *, by_name: str | None, pin_stdin: bool):
    """The user an import is recorded as (--user NAME), their PIN asked (or a
    manager's, --by MANAGER), as the app asks it at sign-in."""
    from desk.cli.pins import _Pins, acting_user

    if not name:
        fail(_("Say who does this: desk import customers --user NAME FILE (their PIN is asked)"))
    return acting_user(desk, name, by_name=by_name, pins=_Pins(pin_stdin))


def _bar_progress(bar):
    last = [0]

    def progress(done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        if pct > last[0]:
            bar.update(pct - last[0])
            last[0] = pct

    return progress


@click.group("import", cls=DeskGroup)
def import_group() -> None:
    """Import data exported by another system."""


@import_group.command(
    "customers",
    help=(
        f"Import customers and their cars from a CSV file. Encodings read: {ENCODINGS_TEXT}. "
        f"Separators: {SEPARATORS_TEXT}. All rows or none: any row with an error imports nothing."
    ),
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and count what would be imported; write nothing.")
@click.option("--user", "user_name", metavar="NAME", help="Record the import as this user (their PIN is asked).")
@click.option("--by", "by_name", metavar="MANAGER", help="Authorise with this manager's PIN instead of NAME's.")
@click.option("--pin-stdin", "pin_stdin", is_flag=True, help="Read the PIN from standard input (for scripts).")
@click.option(
    "--encoding",
    type=click.Choice(ENCODING_CHOICES, case_sensitive=False),
    default="auto",
    show_default=True,
    help="The file's encoding, when detecting it is not enough.",
)
@click.pass_context
def import_customers_cmd(
    ctx: click.Context, file, dry_run: bool, user_name: str | None, by_name: str | None, pin_stdin: bool, encoding: str
) -> None:
    try:
        desk = open_shop(ctx)
        actor = (
            None
            if dry_run
            else _actor(
                desk, user_name or ctx.find_root().params.get("user_name"), by_name=by_name, pin_stdin=pin_stdin
            )
        )
        data = file.read_bytes()
        started = time.perf_counter()
        with click.progressbar(length=100, label=_("Checking rows"), file=sys.stderr) as bar:
            parsed = desk.transfer.read_import(data, progress=_bar_progress(bar), encoding=encoding)
        click.echo(
            _(
                "{rows} rows read ({encoding}, delimiter {delimiter})",
                rows=parsed.rows,
                encoding=parsed.encoding,
                delimiter=_("tab") if parsed.delimiter == "\t" else parsed.delimiter,
            )
        )
        if parsed.ignored_headers:
            click.echo(_("Columns not imported: {columns}", columns=", ".join(parsed.ignored_headers)))
        for w in parsed.warnings[:20]:
            click.echo(_("row {line}: {message}", line=w.line, message=_(w.reason, **w.params)))
        plan = desk.transfer.plan_import(parsed)  # adds the rows whose name is not their customer's
        if parsed.errors:
            raise ImportRejected(parsed.errors)
        if not dry_run:
            with click.progressbar(length=100, label=_("Importing"), file=sys.stderr) as bar:
                plan = desk.transfer.import_customers(
                    actor, parsed, source=file.name, data=data, progress=_bar_progress(bar)
                )
    except ImportRejected as exc:
        for e in exc.errors[:50]:
            click.echo(row_error_text(e), err=True)
        if len(exc.errors) > 50:
            click.echo(_("… and {n} more", n=len(exc.errors) - 50), err=True)
        fail(_("{n} rows with errors: nothing was imported", n=len({e.line for e in exc.errors})))
    except InvalidInput as exc:
        fail(reason_text(exc.reason, exc.params))
    except DeskError as exc:
        fail(describe_error(exc))
    except OSError as exc:
        fail(f"{file}: {exc.strerror or exc}")
    click.echo(
        _(
            "{new} new customers, {known} already known; {cars} new vehicles, {skipped} already registered",
            new=plan.customers_new,
            known=plan.customers_known,
            cars=plan.vehicles_new,
            skipped=plan.vehicles_known,
        )
    )
    if dry_run:
        click.echo(_("Dry run: nothing was written"))
    else:
        click.echo(_("Imported in {seconds:.1f} s", seconds=time.perf_counter() - started))


@click.command("export")
@click.argument("what", type=click.Choice(["visits", "followups", "kpis"]))
@click.option("--from", "start", required=True, metavar="DATE", help="First day (2026-11-01, today, -30 …).")
@click.option("--to", "end", default="today", show_default=True, metavar="DATE", help="Last day.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: from the file name.")
@click.option(
    "-o", "--output", "output", required=True, type=click.Path(dir_okay=False, path_type=Path), help="File to write."
)
@click.pass_context
def export_cmd(ctx: click.Context, what: str, start: str, end: str, fmt: str | None, output) -> None:
    """Export visits, the follow-up list or the KPIs of a period to CSV or Excel."""
    try:
        desk = open_shop(ctx, read_only=True)
        today = desk.ctx.now().date()
        first = fields.FIRST_DAY.parse(start, today=today)
        last = fields.LAST_DAY.parse(end, today=today)
        table = {
            "visits": desk.transfer.export_visits,
            "followups": desk.transfer.export_followups,
            "kpis": desk.transfer.kpi_export_rows,
        }[what](first, last)
        path = write_table(table, output, fmt or (output.suffix.lstrip(".") or "csv"))
    except DeskError as exc:
        fail(describe_error(exc))
    except OSError as exc:
        fail(f"{output}: {exc.strerror or exc}")
    click.echo(_("{n} rows written to {path}", n=len(table.rows), path=str(path)))
