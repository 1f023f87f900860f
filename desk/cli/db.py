"""``desk db``: bring the schema up to date, copy the shop to PostgreSQL."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from desk.cli.common import fail, open_shop, root_db_url
from desk.cli.group import DeskGroup
from desk.domain.errors import DeskError
from desk.services.context import describe
from desk.store import health
from desk.store.copy import CopyRefused, copy_database
from desk.store.db import current_revision
from desk.widgets.feedback import describe_error


@click.group(cls=DeskGroup)
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Bring the database schema up to date (a verified backup is taken first)."""
    url = root_db_url(ctx)
    desk = open_shop(ctx, url=url, existing=True)
    try:
        click.echo(f"{url}: schema at {current_revision(desk.ctx.engine)}")
    finally:
        desk.ctx.engine.dispose()


@db.command("copy")
@click.option(
    "--to",
    "to_url",
    required=True,
    metavar="URL",
    help="An empty PostgreSQL database, e.g. postgresql+psycopg://user@host/desk.",
)
@click.pass_context
def db_copy(ctx: click.Context, to_url: str) -> None:
    """Copy the shop (its SQLite file) into an empty PostgreSQL database, then
    check counts, money totals and the audit chain."""
    src = root_db_url(ctx)
    try:
        health.check_sqlite(src, readonly=True, deep=False)
    except DeskError as exc:
        fail(describe_error(exc))
    bars: dict[str, object] = {}

    def progress(table: str, done: int, total: int) -> None:
        if table not in bars:
            click.echo(f"  {table}: {total} rows", err=True)
            bars[table] = True

    try:
        report = copy_database(src, to_url, progress=progress)
    except CopyRefused as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a sentence, never a traceback
        fail(f"copy failed, nothing was committed: {describe(exc)}")
    for line in report.lines():
        click.echo(line)
    click.echo(f"copied {src} -> {make_url(to_url).render_as_string(hide_password=True)}: verified")


@db.command("recover")
@click.pass_context
def db_recover(ctx: click.Context) -> None:
    """Salvage a damaged database into a new file beside it (the damaged file
    is left as it is): every row SQLite can still read. Check the new file,
    then put it in place with desk restore."""
    from desk.i18n import _
    from desk.store.backup import recover

    path = health.sqlite_path(root_db_url(ctx))
    if path is None:
        fail(_("Recovery here is for a SQLite file"))
    try:
        made = recover(path)
    except DeskError as exc:
        fail(describe_error(exc))
    click.echo(
        _(
            "Recovered into {path}: {rows} rows in {tables} tables; {failed} reads failed on damaged pages.",
            path=str(made.path),
            rows=sum(made.rows.values()),
            tables=len(made.rows),
            failed=made.unreadable,
        )
    )
    if made.desk:
        click.echo(
            _(
                "It is a desk database again. Check it with: desk --db {path} audit verify; "
                "then put it in place with: desk --db {db} restore {path}",
                path=str(made.path),
                db=str(path),
            )
        )
    else:
        click.echo(
            _(
                "Some of desk's tables could not be recovered: it is not a usable shop. "
                "Restore a backup instead (desk restore)"
            )
        )
