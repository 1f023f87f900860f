"""desk in a browser (textual-serve): every browser session runs its own ``desk``
process, streamed over a websocket to xterm.js.

* ``desk serve-lobby``: the masked lobby board for the TV in the customer lounge
  (``desk lobby-mode``: read-only, no sign-in, no other screen). Loopback by default.
* ``desk serve``: the whole app for tablets on the shop's network (``desk
  browser-mode``: every session starts at the PIN sign-in). Off until an address
  is configured.

The database URL reaches the sessions through the environment, never the command
line (a PostgreSQL password would show in ``ps``). The page is desk's own: no
font or script from the internet, its words translated.

Each page load reads the shop's set-up (in a thread): its name, its language and,
for the lobby, ``lobby_font_size`` (large: the TV is read from a sofa across the
room; ``?fontsize=`` in the address still sets it for one screen). A change on the
set-up screen shows at the TV's next reload.

No Textual import here: this runs in the server process, which shows no screen.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from desk.i18n import N_, _, get_locale, set_locale

PAGE_DIR = Path(__file__).resolve().parent
#: A TV reconnects by itself this many seconds after its session ended.
LOBBY_RECONNECT_SECONDS = 5
#: Browser sessions at once (each one is a process): more are turned away.
MAX_SESSIONS = 20
#: The largest terminal a browser session gets, whatever it asks (a 10000x10000
#: one took 938 MB and streamed 1.4 GB a minute): a 4K screen at a small font.
MAX_COLUMNS, MAX_ROWS = 300, 100
#: The smallest: below this nothing of desk can be read anyway.
MIN_COLUMNS, MIN_ROWS = 20, 5
#: The memory one session's process may take (its data segment, RLIMIT_DATA): a
#: 300x100 session of the demo shop takes about 100 MB.
SESSION_MEMORY_BYTES = 512 * 1024 * 1024
_WILDCARD = {"0.0.0.0", "::", ""}
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Site:
    """What one ``desk serve…`` command serves."""

    #: the hidden ``desk`` sub-command every browser session runs
    mode: str
    title: str
    #: seconds before a closed page reconnects by itself (0: a button only)
    reconnect_seconds: int = 0
    #: the shop setting that sizes the page's font (None: the browser's usual size)
    font_setting: str | None = None


LOBBY = Site("lobby-mode", N_("Your car's progress"), LOBBY_RECONNECT_SECONDS, "lobby_font_size")
APP = Site("browser-mode", N_("desk — service desk"))
#: The font size of a page without a setting of its own (a tablet held in the hand).
PLAIN_FONT_SIZE = 16


def font_size(site: Site, settings, asked: str | None = None) -> int:
    """The page's font size in pixels: ``?fontsize=`` when it is a number, else
    the shop's setting for the site; within the setting's limits either way."""
    from desk.config import Settings
    from desk.domain.setup import SPECS

    limits = SPECS["lobby_font_size"]
    # the set-up unread (None): the default, still large for the lobby
    size = getattr(settings or Settings(), site.font_setting) if site.font_setting else PLAIN_FONT_SIZE
    if asked is not None:
        try:
            size = int(asked)
        except ValueError:
            pass
    return max(limits.minimum, min(limits.maximum or size, size))


def terminal_size(width: object, height: object) -> tuple[int, int]:
    """The terminal a session gets for what a browser asked (the page's first
    request or a resize message): within MIN..MAX, 80x24 for what is no number."""

    def whole(value: object, default: int) -> int:
        try:
            return int(str(value).strip())
        except ValueError:
            return default

    return (max(MIN_COLUMNS, min(MAX_COLUMNS, whole(width, 80))), max(MIN_ROWS, min(MAX_ROWS, whole(height, 24))))


def limit_memory(pid: int, limit: int = SESSION_MEMORY_BYTES) -> None:
    """Bound a session's memory: past ``limit`` its allocations fail and that
    session ends, not the machine (Linux; elsewhere the size cap alone)."""
    import resource

    if sys.platform.startswith("linux"):
        try:
            resource.prlimit(pid, resource.RLIMIT_DATA, (limit, limit))
        except (ProcessLookupError, PermissionError):
            pass  # gone already, or not ours to limit


def session_command(site: Site, lang: str | None = None) -> str:
    """The shell command textual-serve runs for each browser: this Python, this
    desk, the site's mode. No database URL (it travels in the environment)."""
    parts = [sys.executable, "-m", "desk"]
    if lang:
        parts += ["--lang", "zh" if lang.lower().startswith("zh") else "en"]
    parts.append(site.mode)
    # exec: the shell becomes desk, so ending the session's process ends desk
    return "exec " + " ".join(shlex.quote(p) for p in parts)


def _host_name(host_header: str) -> str:
    """``"[::1]:8040"`` -> ``"::1"``, ``"tablet.lan:8041"`` -> ``"tablet.lan"``."""
    try:
        return (urlsplit("//" + host_header).hostname or "").lower()
    except ValueError:
        return ""


def host_allowed(host_header: str, bound: str) -> bool:
    """Whether a request's ``Host`` may be served (DNS rebinding: a web page of
    another site must not reach the shop's desk through a name it controls).

    Allowed: an IP address, ``localhost``, or the name the server was bound to.
    """
    name = _host_name(host_header)
    if not name:
        return False
    if name in _LOOPBACK_NAMES or name == bound.strip("[]").lower():
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def same_origin(origin: str | None, host_header: str) -> bool:
    """A browser's websocket must come from desk's own page (no other web site
    may drive a session). Clients that send no ``Origin`` are not browsers."""
    if origin is None:
        return True
    try:
        netloc = urlsplit(origin).netloc.lower()
    except ValueError:
        return False
    return bool(netloc) and netloc == host_header.lower()


def page_text(site: Site, shop_name: str = "") -> dict[str, str]:
    """The page's words, in the interface language."""
    return {
        "lang": "zh-CN" if get_locale().startswith("zh") else "en",
        "title": _(site.title),
        "shop": shop_name,
        "connecting": _("Connecting…"),
        "start": _("Start"),
        "ended": _("Session ended."),
        "restart": _("Start again"),
    }


def make_server(
    site: Site,
    *,
    host: str,
    port: int,
    lang: str | None = None,
    max_sessions: int = MAX_SESSIONS,
    shop: Callable[[], object] | None = None,
):
    """A textual-serve server for ``site`` on ``host:port``. ``lang``: the language
    asked for on the command line (else the shop's); ``shop()``: the shop's
    settings as they are now (``desk.config.Settings``), read for each page."""
    import asyncio

    from desk.extras import require

    require("textual_serve", "serve")

    import jinja2
    from aiohttp import web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, log

    class DeskAppService(AppService):
        """One browser session: its terminal within MAX_COLUMNS x MAX_ROWS,
        however it asks (at the start or by a resize), its memory bounded."""

        async def start(self, width: int, height: int) -> None:
            await super().start(*terminal_size(width, height))

        async def _open_app_process(self, width: int = 80, height: int = 24):
            process = await super()._open_app_process(width, height)
            limit_memory(process.pid)
            return process

        async def set_terminal_size(self, width: int, height: int) -> None:
            await super().set_terminal_size(*terminal_size(width, height))

    class DeskServer(Server):
        def __init__(self, *args, **kw) -> None:
            super().__init__(*args, **kw)
            #: the browser sessions now running
            self.services: set[AppService] = set()

        async def _make_app(self) -> web.Application:
            # the page, the websocket and the static files: no download route
            app = web.Application(middlewares=[self.guard])
            app.add_routes(
                [
                    web.get("/", self.handle_index, name="index"),
                    web.get("/ws", self.handle_websocket, name="websocket"),
                    web.static("/static", self.statics_path, show_index=False, name="static"),
                ]
            )
            app.on_startup.append(self.on_startup)
            app.on_shutdown.append(self.on_shutdown)
            return app

        @web.middleware
        async def guard(self, request: web.Request, handler):
            if not host_allowed(request.host, host):
                return web.Response(status=421, text="unknown host name\n")
            response = await handler(request)
            if isinstance(response, web.Response):
                response.headers.setdefault("X-Frame-Options", "DENY")
                response.headers.setdefault("Referrer-Policy", "no-referrer")
                response.headers.setdefault("Cache-Control", "no-store")
            return response

        async def handle_index(self, request: web.Request) -> web.Response:
            # the URLs from the address the browser used (a tablet reaches
            # 192.168.1.20, not the 0.0.0.0 the server was bound to)
            base = f"{request.scheme}://{request.host}"
            ws = ("wss://" if request.scheme == "https" else "ws://") + request.host + "/ws"
            settings = await self.shop_settings()
            if lang or settings is not None:
                set_locale(lang or settings.locale)
            html = page.render(
                text=page_text(site, settings.shop_name if settings is not None else ""),
                static_url=f"{base}/static/",
                websocket_url=ws,
                font_size=font_size(site, settings, request.query.get("fontsize")),
                reconnect_seconds=site.reconnect_seconds,
            )
            return web.Response(text=html, content_type="text/html")

        async def shop_settings(self):
            """The shop's settings now, or None when they cannot be read (the page
            still opens with its defaults; the session says what is wrong)."""
            if shop is None:
                return None
            try:
                return await asyncio.to_thread(shop)
            except Exception as error:  # noqa: BLE001 - a page without the set-up beats no page
                log.warning("desk: the shop's set-up could not be read: %s", error)
                return None

        async def handle_websocket(self, request: web.Request):
            if not same_origin(request.headers.get("Origin"), request.host):
                return web.Response(status=403, text="cross-site websocket refused\n")
            if len(self.services) >= max_sessions:
                return web.Response(status=503, text="too many sessions\n")
            # textual-serve's handler, keeping each session so that none outlives
            # the server
            websocket = web.WebSocketResponse(heartbeat=15)
            width, height = terminal_size(request.query.get("width", "80"), request.query.get("height", "24"))
            await websocket.prepare(request)
            service = DeskAppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,
                download_manager=self.download_manager,
                debug=self.debug,
            )
            self.services.add(service)
            try:
                await service.start(width, height)
                await self._process_messages(websocket, service)
            except asyncio.CancelledError:
                pass
            except Exception as error:  # noqa: BLE001 - one session's failure is logged, the server goes on
                log.exception(error)
            finally:
                self.services.discard(service)
                await end_session(service)
                await websocket.close()
            return websocket

        async def on_shutdown(self, app) -> None:
            await asyncio.gather(*(end_session(s) for s in list(self.services)), return_exceptions=True)

        async def on_startup(self, app) -> None:
            self.console.print(
                f"desk: serving {_(site.title)} on http://{_url_host(host)}:{port}  (Ctrl+C stops)", highlight=False
            )

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(PAGE_DIR), autoescape=True)
    page = env.get_template("page.html")
    return DeskServer(session_command(site, lang), host=host, port=port, title=_(site.title))


async def end_session(service, grace: float = 3.0) -> None:
    """Ask a session's desk to quit; kill it if it has not within ``grace`` seconds."""
    import asyncio

    process = getattr(service, "_process", None)
    try:
        await asyncio.wait_for(asyncio.shield(service.stop()), grace)
    except Exception:  # noqa: BLE001 - a hung or broken session is killed below
        pass
    if process is not None and process.returncode is None:
        try:
            process.kill()
        except ProcessLookupError:
            pass
        await process.wait()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def serve(
    site: Site, *, db_url: str, host: str, port: int, lang: str | None = None, shop: Callable[[], object] | None = None
) -> None:
    """Serve ``site`` until Ctrl+C. The sessions find the database in
    ``DESK_DATABASE_URL``."""
    os.environ["DESK_DATABASE_URL"] = db_url
    make_server(site, host=host, port=port, lang=lang, shop=shop).serve()
