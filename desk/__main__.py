"""The ``desk`` command (also ``python -m desk``)."""

from __future__ import annotations

import os
import sys

# Textual batches screen updates at TEXTUAL_FPS (60 by default): a keypress waits
# up to 16.7 ms for its frame. 120 halves that wait (bench/, figure 3); it must be
# set before Textual is imported.
os.environ.setdefault("TEXTUAL_FPS", "120")

import click  # noqa: E402

from desk import __version__  # noqa: E402


def _db_url(db: str | None) -> str:
    """--db beats DESK_DATABASE_URL beats the SQLite file in the user data dir."""
    import os

    from desk.store.db import url_for

    if db:
        return url_for(db)
    env = os.environ.get("DESK_DATABASE_URL")
    if env:
        return env
    from desk.locations import default_db_path, ensure_dirs

    ensure_dirs()
    return url_for(default_db_path())


def _fail(message: str) -> None:
    click.echo(click.style(message, fg="red"), err=True)
    sys.exit(1)


@click.group(invoke_without_command=True)
@click.option("--db", "db", metavar="PATH|URL", help="SQLite file or database URL.")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Language of the interface.")
@click.option("--user", "user_name", metavar="NAME", help="Sign in as this user.")
@click.version_option(__version__, prog_name="desk")
@click.pass_context
def main(ctx: click.Context, db: str | None, lang: str | None, user_name: str | None) -> None:
    """desk: the keyboard-driven service desk. Without a command, opens the app."""
    from desk.i18n import set_locale

    if lang:
        set_locale(lang)
    ctx.obj = {"db": db, "lang": lang}
    if ctx.invoked_subcommand is None:
        from desk.app import make_app
        from desk.config import load_settings

        try:
            settings = load_settings()
        except ValueError as exc:
            _fail(f"desk.toml: {exc}")
        make_app(db_url=_db_url(db), settings=settings, user_name=user_name).run()


@main.command()
@click.option("--db", "db", metavar="PATH|URL", help="Where to create the demo shop.")
@click.option("--visits", default=200, show_default=True, help="Historical visits to generate.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same shop).")
@click.pass_context
def demo(ctx: click.Context, db: str | None, visits: int, seed: int) -> None:
    """Create a realistic demo shop (refuses a database that already has data)."""
    from desk.demo import build
    from desk.domain.errors import DeskError
    from desk.services import open_desk

    url = _db_url(db or ctx.obj.get("db"))
    try:
        desk = open_desk(url)
        if desk.users():
            _fail(f"{url} already has data; choose another --db")
        with click.progressbar(length=visits, label="Historical visits") as bar:
            last = [0]

            def progress(done: int) -> None:
                bar.update(done - last[0])
                last[0] = done

            counts = build(desk, visits=visits, seed=seed, progress=progress)
    except DeskError as exc:
        _fail(f"Database error: {exc}")
    click.echo(
        f"Demo shop ready in {url}: {counts['customers']} customers, "
        f"{counts['today']} visits today and nearby, {counts['historical_visits']} historical visits."
    )


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Bring the database schema up to date."""
    from desk.store.db import current_revision, make_engine, upgrade

    url = _db_url(ctx.find_root().obj.get("db"))
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
    from desk.store.copy import CopyRefused, copy_database

    src = _db_url(ctx.find_root().obj.get("db"))
    bars: dict[str, object] = {}

    def progress(table: str, done: int, total: int) -> None:
        if table not in bars:
            click.echo(f"  {table}: {total} rows", err=True)
            bars[table] = True

    try:
        report = copy_database(src, to_url, progress=progress)
    except CopyRefused as exc:
        _fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - a sentence, never a traceback
        from desk.services.base import _describe

        _fail(f"copy failed, nothing was committed: {_describe(exc)}")
    for line in report.lines():
        click.echo(line)
    from sqlalchemy.engine import make_url

    click.echo(f"copied {src} -> {make_url(to_url).render_as_string(hide_password=True)}: verified")


@main.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check the hash chain of the audit log; name every changed or removed event."""
    from desk.services import open_desk

    desk = open_desk(_db_url(ctx.find_root().obj.get("db")), migrate=False)
    problems = desk.verify_audit()
    if not problems:
        click.echo("audit log intact")
        return
    for p in problems:
        click.echo(f"event {p.event_id}: {p.problem}")
    sys.exit(2)


@main.command("backup")
@click.argument("dest", required=False, type=click.Path(path_type=__import__("pathlib").Path))
@click.pass_context
def backup_cmd(ctx: click.Context, dest) -> None:
    """Make a consistent copy of the database now (checked before it counts)."""
    from desk.domain.errors import DeskError
    from desk.store.backup import backup

    try:
        path = backup(_db_url(ctx.obj.get("db")), dest)
    except DeskError as exc:
        _fail(str(exc))
    click.echo(f"backup verified: {path}")


@main.command("restore")
@click.argument("src", type=click.Path(exists=True, dir_okay=False, path_type=__import__("pathlib").Path))
@click.option("--yes", is_flag=True, help="Overwrite the current database without asking.")
@click.pass_context
def restore_cmd(ctx: click.Context, src, yes: bool) -> None:
    """Replace the database with a verified backup (the old file is kept)."""
    from desk.domain.errors import DeskError
    from desk.store.backup import restore

    url = _db_url(ctx.obj.get("db"))
    try:
        from desk.store.backup import verify

        verify(src)
        confirmed = yes or (sys.stdin.isatty() and click.confirm(f"Overwrite the database at {url}?"))
        path = restore(src, url, confirmed=confirmed)
    except DeskError as exc:
        _fail(str(exc))
    click.echo(f"restored {src} -> {path}")


@main.command("set-pin")
@click.argument("name")
@click.pass_context
def set_pin_cmd(ctx: click.Context, name: str) -> None:
    """Set NAME's sign-in PIN (4-8 digits, asked twice, never echoed)."""
    from desk.domain.errors import DeskError
    from desk.services import open_desk
    from desk.widgets.feedback import describe_error

    try:
        desk = open_desk(_db_url(ctx.obj.get("db")))
        user = next((u for u in desk.users() if u.name == name), None)
        if user is None:
            _fail(f"no user named {name}")
        pin = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
        desk.set_pin(user, user.id, pin)
    except DeskError as exc:
        _fail(describe_error(exc))
    click.echo(f"PIN set for {name}")


if __name__ == "__main__":  # pragma: no cover
    main()
