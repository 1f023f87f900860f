"""What the commands share: the database they work on (opened with the checks
and the waiting every command needs), desk.toml, a failure said in one red
sentence (exit code 1)."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from desk.config import Settings, load_settings
from desk.i18n import N_
from desk.locations import default_db_path, ensure_dirs
from desk.store.db import url_for


def db_url(db: str | None) -> str:
    """--db beats DESK_DATABASE_URL beats the SQLite file in the user data dir."""
    if db:
        return url_for(db)
    env = os.environ.get("DESK_DATABASE_URL")
    if env:
        return env
    ensure_dirs()
    return url_for(default_db_path())


def root_db_url(ctx: click.Context) -> str:
    """The database the top-level ``--db`` names (or its defaults)."""
    return db_url(ctx.find_root().obj.get("db"))


def shown(text: str) -> str:
    """Text for the terminal with its control characters written out ("\\x1b"):
    a name typed with an escape sequence can't set the title or move the cursor."""
    return "".join(
        ch if ch in "\n\t" or not (ord(ch) < 32 or 127 <= ord(ch) < 160) else f"\\x{ord(ch):02x}" for ch in text
    )


def fail(message: str) -> NoReturn:
    click.echo(click.style(shown(message), fg="red"), err=True)
    sys.exit(1)


#: How long a command waits for a database that is busy or held elsewhere.
WAIT_SECONDS = 30.0


def _waiting(exc) -> None:
    """Said once while a command waits (the WAL file is being switched)."""
    from desk.widgets.feedback import describe_error

    if not getattr(_waiting, "said", False):
        click.echo(describe_error(exc), err=True)
        _waiting.said = True  # type: ignore[attr-defined]


def open_shop(
    ctx: click.Context,
    *,
    url: str | None = None,
    migrate: bool = True,
    read_only: bool = False,
    existing: bool = False,
    initialise: bool | None = None,
    shop_settings: Settings | None = None,
):
    """The services on the command's database, or a sentence and exit code 1.

    ``read_only``: the command only reads (report, export, audit verify): a
    read-only file or folder is opened read-only instead of refused. ``existing``:
    the command works on a shop that is there (a PIN, the lobby, an upgrade): a
    path with no file is a sentence, not a new empty shop (a mistyped ``--db``
    would answer "No user named 王丽"). An empty file becomes a shop only with
    ``desk --init`` (or ``initialise=True``)."""
    from desk.domain.errors import DeskError, StoreUnavailable
    from desk.services import open_desk
    from desk.store import health
    from desk.widgets.feedback import describe_error

    url = url or root_db_url(ctx)
    if initialise is None:
        initialise = bool((ctx.find_root().obj or {}).get("init"))
    path = health.sqlite_path(url)
    if existing and path is not None and not path.exists():
        fail(describe_error(StoreUnavailable(N_("There is no database at {path}"), {"path": str(path)})))
    # a reading command never makes a shop: no file is a sentence ("There is no
    # database at ..."), not an empty shop reported as zeros
    readonly = bool(
        read_only
        and path is not None
        and (not path.exists() or not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)))
    )
    try:
        desk = open_desk(
            url,
            settings=shop_settings,
            migrate=migrate and not readonly,
            readonly=readonly,
            initialise=initialise,
            wait=WAIT_SECONDS,
            on_wait=_waiting,
        )
        desk.ctx.source = "cli"  # security events name where a change came from
        return desk
    except DeskError as exc:
        fail(describe_error(exc))


def settings() -> Settings:
    """desk.toml (a bad value is a failure naming its key)."""
    try:
        return load_settings()
    except ValueError as exc:
        fail(f"desk.toml: {exc}")


def unexpected(exc: BaseException) -> str:
    """The sentence for an error no command handled: a store or OS fault in the
    store's words; anything else named, its traceback written to a log file."""
    import sqlite3
    import traceback
    from datetime import datetime

    from sqlalchemy.exc import SQLAlchemyError

    from desk.domain.errors import DeskError
    from desk.locations import data_dir
    from desk.store.faults import from_exception
    from desk.widgets.feedback import describe_error

    if isinstance(exc, DeskError):
        return describe_error(exc)
    if isinstance(exc, (OSError, sqlite3.Error, SQLAlchemyError)):
        return describe_error(from_exception(exc))
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        log = data_dir() / "logs" / f"error-{stamp}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        where = str(log)
    except OSError:
        where = "-"
    from desk.i18n import _

    return _("Unexpected error ({kind}); nothing more was done. Details: {log}", kind=exc.__class__.__name__, log=where)
