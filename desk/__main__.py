"""The ``desk`` command (also ``python -m desk``)."""

from __future__ import annotations

import os
import sys

# Textual batches screen updates at TEXTUAL_FPS (60 by default): a keypress waits
# up to 16.7 ms for its frame. 120 halves that wait (bench/, figure 3); it must be
# set before Textual is imported.
os.environ.setdefault("TEXTUAL_FPS", "120")
# A thread worker's commit hands the GIL back and forth with the event loop; at
# the default 5 ms switch interval each hand-off can wait a whole slice behind a
# frame being rendered. 1 ms lets the durable commit finish sooner (figure 3).
sys.setswitchinterval(0.001)

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
        import os

        app = make_app(db_url=_db_url(db), settings=settings, user_name=user_name)
        app.use_shop_language = not (lang or os.environ.get("DESK_LANG"))
        app.run()


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
        if desk.people.users():
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


@main.command("report")
@click.option("--from", "first", required=True, metavar="DATE", help="First day (e.g. 2026-11-01).")
@click.option("--to", "last", metavar="DATE", help="Last day (default: today).")
@click.option("--advisor", metavar="NAME", help="One advisor's figures, with the shop's beside them.")
@click.option("--csv", "csv_path", metavar="FILE|-", help="Write CSV to FILE (- for standard output).")
@click.pass_context
def report_cmd(ctx: click.Context, first: str, last: str | None, advisor: str | None, csv_path: str | None) -> None:
    """The KPI figures of a date range, as text or CSV (the dashboard's figures)."""
    from datetime import date

    from desk.domain import kpi
    from desk.domain.errors import DeskError, InvalidInput
    from desk.domain.validate import date as parse_date
    from desk.i18n import _
    from desk.services import open_desk
    from desk.services.reports import day_range, measure_base, measure_label
    from desk.widgets.feedback import describe_error

    today = date.today()
    try:
        first_day = parse_date(first, today=today)
        last_day = parse_date(last, today=today) if last else today
        kpi.check_range(first_day, last_day)
        desk = open_desk(_db_url(ctx.find_root().obj.get("db")))
        advisor_id = None
        if advisor:
            match = [u for u in desk.people.users() if u.name == advisor]
            if not match:
                _fail(_("No user named {name}", name=advisor))
            advisor_id = match[0].id
        start, end = day_range(first_day, last_day)
        report = desk.reports.kpi_report(start, end, advisor_id)
    except InvalidInput as exc:
        _fail(_(exc.reason, **exc.params))
    except DeskError as exc:
        _fail(describe_error(exc))
    numbers = report.visits

    if csv_path:
        import csv
        import io

        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["key", "figure", "value", "unit", "num", "den", "shop", "trend", "visits", "met"])
        for row in report.rows:
            m = row.measure
            w.writerow([
                m.key, measure_label(m), "" if m.value is None else str(m.value), m.unit, m.num, m.den,
                "" if row.shop is None or row.shop.value is None else str(row.shop.value),
                ";".join("" if v is None else str(v) for v in row.trend),
                " ".join(numbers[i].number for i in m.visits if i in numbers),
                " ".join(numbers[i].number for i in m.hits if i in numbers),
            ])
        if csv_path == "-":
            click.echo(out.getvalue(), nl=False)
        else:
            try:
                with open(csv_path, "w", encoding="utf-8", newline="") as fh:
                    fh.write(out.getvalue())
            except OSError as exc:
                _fail(_("Cannot write {path}: {detail}", path=csv_path, detail=exc.strerror or str(exc)))
            click.echo(_("{n} figures written to {path}", n=len(report.rows), path=csv_path))
        return

    from rich.console import Console
    from rich.table import Table

    who = report.advisor or _("Whole shop")
    table = Table(title=f"{_('KPI')} {first_day:%Y-%m-%d} … {last_day:%Y-%m-%d}   {_('Advisor')}: {who}",
                  title_justify="left", box=None, pad_edge=False)
    for label, justify in ((_("Figure"), "left"), (_("Value"), "right"), (_("Base"), "right"),
                           (_("Trend"), "left"), (_("Shop"), "right")):
        table.add_column(label, justify=justify, no_wrap=True)
    for row in report.rows:
        m = row.measure
        table.add_row(measure_label(m), kpi.format_value(m), measure_base(m), kpi.spark(row.trend, m.unit),
                      kpi.format_value(row.shop) if row.shop is not None else "", )
    Console(highlight=False, markup=False, width=160).print(table)


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
        from desk.services.context import describe

        _fail(f"copy failed, nothing was committed: {describe(exc)}")
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
    problems = desk.reports.verify_audit()
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
        user = next((u for u in desk.people.users() if u.name == name), None)
        if user is None:
            _fail(f"no user named {name}")
        pin = click.prompt("PIN", hide_input=True, confirmation_prompt=True)
        desk.security.set_pin(user, user.id, pin)
    except DeskError as exc:
        _fail(describe_error(exc))
    click.echo(f"PIN set for {name}")


def _settings():
    from desk.config import load_settings

    try:
        return load_settings()
    except ValueError as exc:
        _fail(f"desk.toml: {exc}")


def _lang(ctx: click.Context, settings) -> str:
    return ctx.find_root().obj.get("lang") or settings.locale


def _serve(site, url: str, host: str, port: int, lang: str) -> None:
    from desk.i18n import set_locale
    from desk.web import serve

    set_locale(lang)
    try:
        serve(site, db_url=url, host=host, port=port, lang=lang)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _open_for_serving(url: str, settings):
    """The database, checked (and migrated) once before any browser connects."""
    from desk.domain.errors import DeskError
    from desk.services import open_desk
    from desk.widgets.feedback import describe_error

    try:
        return open_desk(url, settings=settings)
    except DeskError as exc:
        _fail(describe_error(exc))


@main.command("serve-lobby")
@click.option("--host", metavar="ADDRESS", help="Address to listen on (default: lobby_host in desk.toml, else 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: lobby_port in desk.toml, else 8040).")
@click.pass_context
def serve_lobby(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the lobby board (masked, read-only) to a browser, e.g. the TV in the
    customer lounge."""
    from desk.web import LOBBY

    settings = _settings()
    url = _db_url(ctx.find_root().obj.get("db"))
    _open_for_serving(url, settings).ctx.engine.dispose()
    _serve(LOBBY, url, host or settings.lobby_host, port or settings.lobby_port, _lang(ctx, settings))


@main.command("serve")
@click.option("--host", metavar="ADDRESS", help="Address to listen on (or serve_host in desk.toml); required.")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: serve_port in desk.toml, else 8041).")
@click.pass_context
def serve_app(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the whole app to browsers on the shop's network (tablets beside the
    car); every session starts at the PIN sign-in."""
    from desk.web import APP

    settings = _settings()
    host = (host or "").strip() or settings.serve_host
    if not host:
        _fail("desk serve is off: give the address to listen on with --host ADDRESS "
              "or serve_host in desk.toml (e.g. this computer's address on the shop network)")
    url = _db_url(ctx.find_root().obj.get("db"))
    desk = _open_for_serving(url, settings)
    try:
        if not desk.security.pin_users():
            _fail("nobody has a PIN, so nobody could sign in from a browser: set one first with desk set-pin NAME")
    finally:
        desk.ctx.engine.dispose()
    _serve(APP, url, host, port or settings.serve_port, _lang(ctx, settings))


@main.command("lobby-mode", hidden=True)
@click.pass_context
def lobby_mode(ctx: click.Context) -> None:
    """The lobby board alone (each browser session of serve-lobby runs this)."""
    from desk.app import make_lobby_app

    make_lobby_app(db_url=_db_url(ctx.find_root().obj.get("db")), settings=_settings()).run()


@main.command("browser-mode", hidden=True)
@click.pass_context
def browser_mode(ctx: click.Context) -> None:
    """The app behind the PIN sign-in (each browser session of serve runs this)."""
    from desk.app import make_app

    make_app(db_url=_db_url(ctx.find_root().obj.get("db")), settings=_settings(), remote=True).run()


def _actor(desk, name: str | None):
    """The user an import or export is recorded as (--user NAME)."""
    if not name:
        _fail("say who does this: desk --user NAME import …")
    user = next((u for u in desk.people.users() if u.name == name and u.active), None)
    if user is None:
        _fail(f"no user named {name}")
    return user


@main.group("import")
def import_group() -> None:
    """Import data exported by another system."""


@import_group.command("customers")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=__import__("pathlib").Path))
@click.option("--dry-run", is_flag=True, help="Check every row and count what would be imported; write nothing.")
@click.option("--user", "user_name", metavar="NAME", help="Record the import as this user.")
@click.pass_context
def import_customers_cmd(ctx: click.Context, file, dry_run: bool, user_name: str | None) -> None:
    """Import customers and their cars from a CSV file (UTF-8 or GBK; comma,
    semicolon or tab). All rows or none: any row with an error imports nothing."""
    import time

    from desk.domain.csvimport import ImportRejected
    from desk.domain.errors import DeskError, InvalidInput
    from desk.i18n import _
    from desk.services import open_desk
    from desk.widgets.feedback import describe_error

    try:
        desk = open_desk(_db_url(ctx.find_root().obj.get("db")))
        actor = None if dry_run else _actor(desk, user_name or ctx.find_root().params.get("user_name"))
        data = file.read_bytes()
        started = time.perf_counter()
        with click.progressbar(length=100, label=_("Checking rows"), file=sys.stderr) as bar:
            parsed = desk.transfer.read_import(data, progress=_bar_progress(bar))
        click.echo(_("{rows} rows read ({encoding}, delimiter {delimiter})", rows=parsed.rows,
                     encoding=parsed.encoding, delimiter=_("tab") if parsed.delimiter == "\t" else parsed.delimiter))
        if parsed.ignored_headers:
            click.echo(_("Columns not imported: {columns}", columns=", ".join(parsed.ignored_headers)))
        for w in parsed.warnings[:20]:
            click.echo(_("row {line}: {message}", line=w.line, message=_(w.reason, **w.params)))
        if parsed.errors:
            raise ImportRejected(parsed.errors)
        plan = desk.transfer.plan_import(parsed)
        if not dry_run:
            with click.progressbar(length=100, label=_("Importing"), file=sys.stderr) as bar:
                plan = desk.transfer.import_customers(actor, parsed, source=file.name, data=data,
                                             progress=_bar_progress(bar))
    except ImportRejected as exc:
        from desk.widgets.import_errors import row_error_text

        for e in exc.errors[:50]:
            click.echo(row_error_text(e), err=True)
        if len(exc.errors) > 50:
            click.echo(_("… and {n} more", n=len(exc.errors) - 50), err=True)
        _fail(_("{n} rows with errors: nothing was imported", n=len({e.line for e in exc.errors})))
    except InvalidInput as exc:
        from desk.widgets.import_errors import reason_text

        _fail(reason_text(exc.reason, exc.params))
    except DeskError as exc:
        _fail(describe_error(exc))
    except OSError as exc:
        _fail(f"{file}: {exc.strerror or exc}")
    click.echo(_("{new} new customers, {known} already known; {cars} new vehicles, {skipped} already "
                 "registered", new=plan.customers_new, known=plan.customers_known, cars=plan.vehicles_new,
                 skipped=plan.vehicles_known))
    if dry_run:
        click.echo(_("Dry run: nothing was written"))
    else:
        click.echo(_("Imported in {seconds:.1f} s", seconds=time.perf_counter() - started))


def _bar_progress(bar):
    last = [0]

    def progress(done: int, total: int) -> None:
        pct = 100 * done // total if total else 100
        if pct > last[0]:
            bar.update(pct - last[0])
            last[0] = pct

    return progress


@main.command("export")
@click.argument("what", type=click.Choice(["visits", "followups", "kpis"]))
@click.option("--from", "start", required=True, metavar="DATE", help="First day (2026-11-01, today, -30 …).")
@click.option("--to", "end", default="today", show_default=True, metavar="DATE", help="Last day.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), help="Default: from the file name.")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False,
              path_type=__import__("pathlib").Path), help="File to write.")
@click.pass_context
def export_cmd(ctx: click.Context, what: str, start: str, end: str, fmt: str | None, output) -> None:
    """Export visits, the follow-up list or the KPIs of a period to CSV or Excel."""
    from desk.domain import validate
    from desk.domain.errors import DeskError
    from desk.exporting import write_table
    from desk.i18n import _
    from desk.services import open_desk
    from desk.widgets.feedback import describe_error

    try:
        desk = open_desk(_db_url(ctx.find_root().obj.get("db")))
        today = desk.ctx.now().date()
        first = validate.date(start, today=today)
        last = validate.date(end, today=today)
        table = {"visits": desk.transfer.export_visits, "followups": desk.transfer.export_followups,
                 "kpis": desk.transfer.kpi_export_rows}[what](first, last)
        path = write_table(table, output, fmt or (output.suffix.lstrip(".") or "csv"))
    except DeskError as exc:
        _fail(describe_error(exc))
    except OSError as exc:
        _fail(f"{output}: {exc.strerror or exc}")
    click.echo(_("{n} rows written to {path}", n=len(table.rows), path=str(path)))


if __name__ == "__main__":  # pragma: no cover
    main()
