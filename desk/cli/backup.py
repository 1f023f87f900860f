"""``desk backup`` and ``desk restore``: a verified copy of the database, and
putting one back."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from desk.cli.common import db_url, fail
from desk.domain.errors import DeskError
from desk.store.backup import backup, check_backup, restore
from desk.widgets.feedback import describe_error


@click.command("backup")
@click.argument("dest", required=False, type=click.Path(path_type=Path))
@click.pass_context
def backup_cmd(ctx: click.Context, dest) -> None:
    """Make a consistent copy of the database now (checked before it counts)."""
    try:
        path = backup(db_url(ctx.obj.get("db")), dest)
    except DeskError as exc:
        fail(describe_error(exc))
    click.echo(f"backup verified: {path}")


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Overwrite the current database without asking.")
@click.option(
    "--other-shop",
    "other_shop",
    is_flag=True,
    help="The backup is another shop's, and it is meant to replace this shop's database.",
)
@click.option(
    "--despite-audit",
    "despite_audit",
    is_flag=True,
    help="The backup's audit log does not hold, and it is meant to be restored all the same (audited).",
)
@click.pass_context
def restore_cmd(ctx: click.Context, src, yes: bool, other_shop: bool, despite_audit: bool) -> None:
    """Replace the database with a verified desk backup. Refused while any other
    terminal or program has the database open or locked, for another shop's
    backup (unless --other-shop) and over a file that is not a desk database;
    the replaced file is kept whole beside it; the integrity and audit checks
    run on the restored file."""
    from desk.shell.store_link import restored_text

    url = db_url(ctx.obj.get("db"))
    try:
        check_backup(src)
        confirmed = yes or (sys.stdin.isatty() and click.confirm(f"Overwrite the database at {url}?"))
        report = restore(src, url, confirmed=confirmed, other_shop=other_shop, despite_audit=despite_audit)
    except DeskError as exc:
        fail(describe_error(exc))
    click.echo(restored_text(report))
    if not report.ok:
        sys.exit(2)
