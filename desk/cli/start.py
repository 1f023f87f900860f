"""Opening the app: ``desk`` without a command (in this terminal), and the two
hidden commands each browser session of ``desk serve`` / ``desk serve-lobby``
runs (the app behind the PIN sign-in, the lobby board alone)."""

from __future__ import annotations

import os

import click

from desk.cli.common import db_url, root_db_url, settings
from desk.shell.app import DeskApp, make_app
from desk.shell.lobby import make_lobby_app


def build_app(db: str | None, lang: str | None, user_name: str | None) -> DeskApp:
    """The app as ``desk [--db …] [--lang …] [--user …]`` opens it (the language is
    already set; without --lang or DESK_LANG the shop's set-up chooses it)."""
    shop_settings = settings()  # a bad desk.toml stops here, before any folder is made
    app = make_app(db_url=db_url(db), settings=shop_settings, user_name=user_name)
    app.use_shop_language = not (lang or os.environ.get("DESK_LANG"))
    return app


@click.command("lobby-mode", hidden=True)
@click.pass_context
def lobby_mode(ctx: click.Context) -> None:
    """The lobby board alone (each browser session of serve-lobby runs this)."""
    make_lobby_app(db_url=root_db_url(ctx), settings=settings()).run()


@click.command("browser-mode", hidden=True)
@click.pass_context
def browser_mode(ctx: click.Context) -> None:
    """The app behind the PIN sign-in (each browser session of serve runs this)."""
    make_app(db_url=root_db_url(ctx), settings=settings(), remote=True).run()
