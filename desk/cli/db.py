"""``desk db``: bring the schema up to date, copy the shop to PostgreSQL."""

from __future__ import annotations

import click
from sqlalchemy.engine import make_url

from desk.cli.common import fail, root_db_url
from desk.cli.group import DeskGroup
from desk.services.base import _describe
from desk.store.copy import CopyRefused, copy_database
from desk.store.db import current_revision, make_engine, upgrade


@click.group(cls=DeskGroup)
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Bring the database schema up to date."""
    url = root_db_url(ctx)
    engine = make_engine(url)
    upgrade(engine)
    click.echo(f"{url}: schema at {current_revision(engine)}")


@db.command("copy")
@click.option("--to", "to_url", required=True, metavar="URL",
              help="An empty PostgreSQL database, e.g. postgresql+psycopg://user@host/desk.")
@click.pass_context
def db_copy(ctx: click.Context, to_url: str) -> None:
    """Copy the shop (its SQLite file) into an empty PostgreSQL database, then
    check counts, money totals and the audit chain."""
    src = root_db_url(ctx)
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
        fail(f"copy failed, nothing was committed: {_describe(exc)}")
    for line in report.lines():
        click.echo(line)
    click.echo(f"copied {src} -> {make_url(to_url).render_as_string(hide_password=True)}: verified")
