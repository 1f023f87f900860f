"""``desk serve`` and ``desk serve-lobby``: the app, or the lobby board alone, to
browsers. This is the server process: it shows no screen (each browser session
runs ``desk browser-mode`` or ``desk lobby-mode``, see ``start.py``)."""

from __future__ import annotations

import click

from desk.cli.common import fail, open_shop, root_db_url, settings
from desk.i18n import set_locale
from desk.web import APP, LOBBY, serve


def _lang(ctx: click.Context, shop_settings) -> str:
    return ctx.find_root().obj.get("lang") or shop_settings.locale


def _serve(site, url: str, host: str, port: int, lang: str) -> None:
    set_locale(lang)
    try:
        serve(site, db_url=url, host=host, port=port, lang=lang)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _open_for_serving(ctx: click.Context, url: str, shop_settings):
    """The database, checked (and migrated) once before any browser connects."""
    return open_shop(ctx, url=url, shop_settings=shop_settings)


@click.command("serve-lobby")
@click.option("--host", metavar="ADDRESS",
              help="Address to listen on (default: lobby_host in desk.toml, else 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: lobby_port in desk.toml, else 8040).")
@click.pass_context
def serve_lobby(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the lobby board (masked, read-only) to a browser, e.g. the TV in the
    customer lounge."""
    shop_settings = settings()
    url = root_db_url(ctx)
    _open_for_serving(ctx, url, shop_settings).engine.dispose()
    _serve(LOBBY, url, host or shop_settings.lobby_host, port or shop_settings.lobby_port, _lang(ctx, shop_settings))


@click.command("serve")
@click.option("--host", metavar="ADDRESS", help="Address to listen on (or serve_host in desk.toml); required.")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: serve_port in desk.toml, else 8041).")
@click.pass_context
def serve_app(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the whole app to browsers on the shop's network (tablets beside the
    car); every session starts at the PIN sign-in."""
    shop_settings = settings()
    host = (host or "").strip() or shop_settings.serve_host
    if not host:
        fail("desk serve is off: give the address to listen on with --host ADDRESS "
             "or serve_host in desk.toml (e.g. this computer's address on the shop network)")
    url = root_db_url(ctx)
    desk = _open_for_serving(ctx, url, shop_settings)
    try:
        if not desk.pin_users():
            fail("nobody has a PIN, so nobody could sign in from a browser: set one first with desk set-pin NAME")
    finally:
        desk.engine.dispose()
    _serve(APP, url, host, port or shop_settings.serve_port, _lang(ctx, shop_settings))
