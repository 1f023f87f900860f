"""What the commands share: the database they work on, desk.toml, a failure said
in one red sentence (exit code 1)."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from desk.config import Settings, load_settings
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


def fail(message: str) -> NoReturn:
    click.echo(click.style(message, fg="red"), err=True)
    sys.exit(1)


def settings() -> Settings:
    """desk.toml (a bad value is a failure naming its key)."""
    try:
        return load_settings()
    except ValueError as exc:
        fail(f"desk.toml: {exc}")
