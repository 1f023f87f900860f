"""``desk serve`` and ``desk serve-lobby``: the app, or the lobby board alone, to
browsers. This is the server process: it shows no screen (each browser session
runs ``desk browser-mode`` or ``desk lobby-mode``, see ``start.py``)."""

from __future__ import annotations

import click

from desk.cli.common import fail, open_shop, root_db_url, settings
from desk.domain.errors import DeskError
from desk.i18n import set_locale
from desk.web import APP, LOBBY, serve


def _serve(site, ctx: click.Context, desk, host: str, port: int) -> None:
    """Serve ``site`` with ``desk`` open for the pages to read the shop's set-up;
    the language is --lang, else the shop's (the page's and every session's)."""
    lang = ctx.find_root().obj.get("lang")
    set_locale(lang or desk.ctx.settings.locale)

    def shop():
        desk.setup.refresh_setup()  # a change on the set-up screen counts at the next page load
        return desk.ctx.settings

    try:
        serve(site, db_url=root_db_url(ctx), host=host, port=port, lang=lang, shop=shop)
    except DeskError as exc:  # e.g. the serve extra is not installed
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    finally:
        desk.ctx.engine.dispose()


def _open_for_serving(ctx: click.Context, url: str, shop_settings):
    """The database, checked (and migrated) once before any browser connects."""
    return open_shop(ctx, url=url, shop_settings=shop_settings, existing=True)


@click.command("serve-lobby")
@click.option(
    "--host", metavar="ADDRESS", help="Address to listen on (default: lobby_host in desk.toml, else 127.0.0.1)."
)
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: lobby_port in desk.toml, else 8040).")
@click.pass_context
def serve_lobby(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the lobby board (masked, read-only) to a browser, e.g. the TV in the
    customer lounge."""
    shop_settings = settings()
    desk = _open_for_serving(ctx, root_db_url(ctx), shop_settings)
    _serve(LOBBY, ctx, desk, host or shop_settings.lobby_host, port or shop_settings.lobby_port)


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
        fail(
            "desk serve is off: give the address to listen on with --host ADDRESS "
            "or serve_host in desk.toml (e.g. this computer's address on the shop network)"
        )
    desk = _open_for_serving(ctx, root_db_url(ctx), shop_settings)
    if not desk.security.pin_users():
        desk.ctx.engine.dispose()
        fail("nobody has a PIN, so nobody could sign in from a browser: set one first with desk set-pin NAME")
    _serve(APP, ctx, desk, host, port or shop_settings.serve_port)
