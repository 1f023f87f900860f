"""desk serve-lobby / desk serve without a browser: settings, the guards of the
web server, the per-session command, and the refusals of the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from desk.__main__ import main
from desk.config import load_settings
from desk.web import APP, LOBBY, host_allowed, page_text, same_origin, session_command


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    path = tmp_path / "config"
    path.mkdir()
    monkeypatch.setenv("DESK_CONFIG_DIR", str(path))
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DESK_DATABASE_URL", raising=False)
    return path


def test_lobby_listens_on_loopback_and_the_app_nowhere_by_default(tmp_path):
    settings = load_settings(tmp_path / "absent.toml")
    assert (settings.lobby_host, settings.lobby_port) == ("127.0.0.1", 8040)
    assert (settings.serve_host, settings.serve_port) == (None, 8041)


def test_addresses_from_desk_toml(tmp_path):
    toml = tmp_path / "desk.toml"
    toml.write_text('lobby_host = "0.0.0.0"\nlobby_port = 9000\nserve_host = "192.168.1.20"\nserve_port = "9001"\n')
    s = load_settings(toml)
    assert (s.lobby_host, s.lobby_port, s.serve_host, s.serve_port) == ("0.0.0.0", 9000, "192.168.1.20", 9001)


@pytest.mark.parametrize(
    "line, key",
    [
        ("lobby_port = 0", "lobby_port"),
        ("serve_port = 65536", "serve_port"),
        ('lobby_host = "  "', "lobby_host"),
        ("serve_port = 80.5", "serve_port"),
    ],
)
def test_bad_addresses_are_refused_naming_the_key(tmp_path, line, key):
    toml = tmp_path / "desk.toml"
    toml.write_text(line + "\n")
    with pytest.raises(ValueError, match=f"^{key}: "):
        load_settings(toml)


def test_an_empty_serve_host_means_off(tmp_path):
    toml = tmp_path / "desk.toml"
    toml.write_text('serve_host = "  "\n')
    assert load_settings(toml).serve_host is None


@pytest.mark.parametrize(
    "host, bound, ok",
    [
        ("127.0.0.1:8040", "127.0.0.1", True),
        ("localhost:8040", "127.0.0.1", True),
        ("[::1]:8040", "::1", True),
        ("192.168.1.20:8041", "0.0.0.0", True),
        ("desk.shop.lan:8041", "desk.shop.lan", True),
        ("DESK.shop.lan:8041", "desk.shop.lan", True),
        ("evil.example:8040", "127.0.0.1", False),
        ("evil.example:8041", "0.0.0.0", False),
        ("127.0.0.1.evil.example", "127.0.0.1", False),
        ("", "127.0.0.1", False),
    ],
)
def test_only_ip_addresses_localhost_and_the_bound_name_are_served(host, bound, ok):
    assert host_allowed(host, bound) is ok


@pytest.mark.parametrize(
    "origin, host, ok",
    [
        ("http://127.0.0.1:8040", "127.0.0.1:8040", True),
        ("http://192.168.1.20:8041", "192.168.1.20:8041", True),
        ("http://evil.example", "127.0.0.1:8040", False),
        ("http://127.0.0.1:9999", "127.0.0.1:8040", False),
        ("null", "127.0.0.1:8040", False),
        (None, "127.0.0.1:8040", True),  # not a browser: nothing to forge
    ],
)
def test_websockets_only_from_desks_own_page(origin, host, ok):
    assert same_origin(origin, host) is ok


def test_a_session_runs_this_python_in_its_mode_without_the_database_url():
    assert session_command(LOBBY).split() == ["exec", sys.executable, "-m", "desk", "lobby-mode"]
    assert session_command(APP, "zh_CN").split() == [
        "exec",
        sys.executable,
        "-m",
        "desk",
        "--lang",
        "zh",
        "browser-mode",
    ]
    assert "sqlite" not in session_command(LOBBY, "en") and "postgresql" not in session_command(APP, "en")


def test_the_page_speaks_the_interface_language():
    from desk.i18n import set_locale

    set_locale("zh")
    text = page_text(LOBBY)
    assert text["lang"] == "zh-CN" and text["title"] != "Your car's progress" and text["ended"] == "会话已结束。"
    set_locale("en")
    assert page_text(LOBBY)["title"] == "Your car's progress"


def test_serve_refuses_without_an_address(config_dir, sqlite_url):
    result = CliRunner().invoke(main, ["--db", sqlite_url, "serve"])
    assert result.exit_code == 1
    assert "desk serve is off" in result.output and "--host" in result.output


def test_serve_refuses_when_nobody_has_a_pin(config_dir, sqlite_url):
    from desk.domain.entities import Role
    from desk.services import open_desk

    desk = open_desk(sqlite_url)
    desk.people.create_user(None, "王丽", [Role.ADVISOR])
    desk.ctx.engine.dispose()
    result = CliRunner().invoke(main, ["--db", sqlite_url, "serve", "--host", "127.0.0.1", "--port", "1"])
    assert result.exit_code == 1
    assert "nobody has a PIN" in result.output


def test_serve_lobby_refuses_a_bad_port(config_dir, sqlite_url):
    result = CliRunner().invoke(main, ["--db", sqlite_url, "serve-lobby", "--port", "70000"])
    assert result.exit_code == 2 and "70000" in result.output


def test_serve_lobby_says_when_the_port_is_taken(config_dir, sqlite_url):
    import socket

    from desk.services import open_desk

    open_desk(sqlite_url).ctx.engine.dispose()  # a shop that is there (no file is its own sentence)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        # a process of its own: serving installs signal handlers and logging
        result = subprocess.run(
            [sys.executable, "-m", "desk", "--db", sqlite_url, "serve-lobby", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


async def _client(**kw):
    from aiohttp.test_utils import TestClient, TestServer

    from desk.web import make_server

    server = make_server(LOBBY, host="127.0.0.1", port=0, **kw)
    client = TestClient(TestServer(await server._make_app()))
    await client.start_server()
    return client


async def test_the_page_points_its_websocket_at_the_address_the_browser_used():
    client = await _client()
    try:
        response = await client.get("/", headers={"Host": "192.168.1.20:8040"})
        html = await response.text()
        assert response.status == 200
        assert 'data-session-websocket-url="ws://192.168.1.20:8040/ws"' in html
        assert "http://192.168.1.20:8040/static/js/textual.js" in html
        assert "googleapis" not in html and "https://" not in html  # nothing from the internet
        assert response.headers["X-Frame-Options"] == "DENY"
        assert (await client.get("/", headers={"Host": "evil.example"})).status == 421
    finally:
        await client.close()


def test_the_lobby_is_large_by_default_and_fontsize_still_wins():
    from desk.config import Settings
    from desk.web import font_size

    shop = Settings()
    assert 48 <= font_size(LOBBY, shop) == shop.lobby_font_size <= 64  # a TV read from 3 m
    assert font_size(LOBBY, Settings(lobby_font_size=44)) == 44
    assert font_size(LOBBY, shop, "24") == 24  # the hidden ?fontsize= for one screen
    assert font_size(LOBBY, shop, "huge") == shop.lobby_font_size
    assert font_size(LOBBY, shop, "4") == 12 and font_size(LOBBY, shop, "500") == 96  # the setting's limits
    assert font_size(APP, shop) == 16  # a tablet in the hand
    assert font_size(LOBBY, None) == shop.lobby_font_size  # the set-up could not be read


async def test_each_page_reads_the_shops_set_up_name_language_and_font_size():
    from desk.config import Settings
    from desk.i18n import set_locale

    shop = {"settings": Settings(shop_name="李记汽修", locale="zh_CN", lobby_font_size=38)}
    client = await _client(shop=lambda: shop["settings"])
    try:
        html = await (await client.get("/", headers={"Host": "127.0.0.1:8040"})).text()
        assert 'data-font-size="38"' in html and '<html lang="zh-CN">' in html
        assert "<title>李记汽修 — 您的车辆维修进度</title>" in html.replace("&amp;", "&")
        # changed on the set-up screen: the next page load shows it
        shop["settings"] = Settings(shop_name="Li Auto", locale="en", lobby_font_size=40)
        html = await (await client.get("/?fontsize=30", headers={"Host": "127.0.0.1:8040"})).text()
        assert 'data-font-size="30"' in html and "<title>Li Auto — Your car&#39;s progress</title>" in html
    finally:
        await client.close()
        set_locale("en")


async def test_a_page_opens_when_the_set_up_cannot_be_read():
    def broken():
        raise OSError("database is locked")

    client = await _client(shop=broken)
    try:
        response = await client.get("/", headers={"Host": "127.0.0.1:8040"})
        from desk.config import Settings

        html = await response.text()
        assert response.status == 200 and f'data-font-size="{Settings().lobby_font_size}"' in html
    finally:
        await client.close()


async def test_sessions_beyond_the_limit_are_turned_away():
    client = await _client(max_sessions=0)
    try:
        response = await client.get(
            "/ws",
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        assert response.status == 503
    finally:
        await client.close()


def test_a_session_ends_when_its_server_is_gone(tmp_path, sqlite_url):
    """The server's end of the pipe closes (it was killed): the session's desk
    quits instead of lingering with a database connection."""
    from desk.services import open_desk

    open_desk(sqlite_url).ctx.engine.dispose()
    env = {
        **os.environ,
        "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
        "COLUMNS": "80",
        "ROWS": "24",
        "DESK_DATABASE_URL": sqlite_url,
        "DESK_CONFIG_DIR": str(tmp_path),
        "DESK_DATA_DIR": str(tmp_path),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "desk", "lobby-mode"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        assert proc.stdout.readline() == b"__GANGLION__\n"  # the web driver is talking
        time.sleep(1.0)
        assert proc.poll() is None
        proc.stdin.close()
        assert proc.wait(timeout=15) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(
    "asked, given",
    [
        (("10000", "10000"), (300, 100)),
        ((10000, 10000), (300, 100)),
        (("120", "40"), (120, 40)),
        (("0", "-5"), (20, 5)),
        (("wide", None), (80, 24)),
        (("1e9", "24"), (80, 24)),
    ],
)
def test_a_terminal_is_never_larger_than_300_by_100(asked, given):
    from desk.web import terminal_size

    assert terminal_size(*asked) == given


async def _wait(predicate, seconds: float = 20.0):
    """Until ``predicate()`` holds (the session's process started, a message sent)."""
    import asyncio

    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_an_oversized_terminal_request_gets_300_by_100_and_a_bounded_session(config_dir, sqlite_url, monkeypatch):
    """One websocket asking for 10000x10000 (at the start and by a resize) took
    938 MB and streamed 1.4 GB a minute: its session gets 300x100, its process a
    memory limit."""
    import resource

    from aiohttp.test_utils import TestClient, TestServer
    from textual_serve.app_service import AppService

    from desk.services import open_desk
    from desk.web import make_server

    open_desk(sqlite_url).ctx.engine.dispose()
    monkeypatch.setenv("DESK_DATABASE_URL", sqlite_url)
    sent: list[dict] = []
    send_meta = AppService.send_meta

    async def spy(self, data):
        sent.append(data)
        return await send_meta(self, data)

    monkeypatch.setattr(AppService, "send_meta", spy)
    server = make_server(LOBBY, host="127.0.0.1", port=0)
    client = TestClient(TestServer(await server._make_app()))
    await client.start_server()
    try:
        ws = await client.ws_connect("/ws?width=10000&height=10000", headers={"Host": "127.0.0.1:8040"})
        await _wait(lambda: server.services and getattr(next(iter(server.services)), "_process", None))
        process = next(iter(server.services))._process
        pid = process.pid
        environ = dict(kv.split("=", 1) for kv in open(f"/proc/{pid}/environ").read().split("\0") if "=" in kv)
        assert (environ["COLUMNS"], environ["ROWS"]) == ("300", "100")
        from desk.web import SESSION_MEMORY_BYTES

        assert resource.prlimit(pid, resource.RLIMIT_DATA) == (SESSION_MEMORY_BYTES, SESSION_MEMORY_BYTES)
        await ws.send_json(["resize", {"width": 10000, "height": 10000}])
        await _wait(lambda: any(m.get("type") == "resize" for m in sent))
        assert [(m["width"], m["height"]) for m in sent if m.get("type") == "resize"] == [(300, 100)]
        await ws.close()
        await _wait(lambda: process.returncode is not None)  # the session ended with its page
    finally:
        await client.close()
        await server.on_shutdown(None)
