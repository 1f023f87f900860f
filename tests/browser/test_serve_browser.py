"""The lobby board and the whole app in a real browser (headless chromium):
what a TV in the lounge and a tablet beside the car see and do."""

from __future__ import annotations

import http.client
import time
from pathlib import Path

import pytest

from desk.domain.process import BOARD_LABELS, BoardStatus
from tests import flow
from tests.browser.conftest import Served

#: Catches xterm.js's Terminal when textual.js stores it (``this.terminal = …``),
#: so the test can read the screen from the terminal buffer. The page itself is
#: not changed: this runs in the test's browser only.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, 'terminal', {
  configurable: true,
  set(value) {
    window.__deskTerminal = value;
    Object.defineProperty(this, 'terminal', {value, writable: true, configurable: true, enumerable: true});
  },
});
"""
SCREEN_TEXT = """() => {
  const term = window.__deskTerminal;
  if (!term) return "";
  const buf = term.buffer.active, rows = [];
  for (let i = 0; i < buf.length; i++) { const line = buf.getLine(i); if (line) rows.push(line.translateToString(true)); }
  return rows.join("\\n");
}"""


def screen_text(page) -> str:
    return page.evaluate(SCREEN_TEXT)


def wait_text(page, *wanted: str, seconds: float = 30.0) -> str:
    """The terminal's text once it shows every one of ``wanted``. The default is a
    page's first screen: a session starts a desk process (imports, the database
    opened), which on a loaded 2-core machine took over 10 s; what must follow a
    change quickly passes its own, short ``seconds``."""
    deadline = time.monotonic() + seconds
    text = ""
    while time.monotonic() < deadline:
        text = screen_text(page)
        if all(w in text for w in wanted):
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"{wanted!r} not on the page within {seconds}s; it shows:\n{text}")


def open_page(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    page.add_init_script(CATCH_TERMINAL)
    page.goto(url, wait_until="domcontentloaded")
    return page


def status_of(desk, visit_id: int) -> str:
    row = next(r for r in desk.workshop.progress_board() if r.visit_id == visit_id)
    return BOARD_LABELS[BoardStatus(row.status)]


def audit_count(desk) -> int:
    import sqlalchemy as sa

    with desk.ctx.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM audit_event")).scalar_one()


@pytest.fixture
def lobby(shop, clock, tmp_path, db_url):
    server = Served(tmp_path, db_url, "serve-lobby")
    yield server
    server.stop()


@pytest.mark.browser
@pytest.mark.xdist_group("chromium")  # one worker, one browser for the module
def test_lobby_page_shows_the_masked_board_and_follows_changes(browser, lobby, shop, clock):
    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    before = status_of(shop.desk, vid)
    page = open_page(browser, lobby.url)
    text = wait_text(page, "Your car's progress", "京A***45", "李*", before)

    # a visit changes on another terminal: the TV shows it within seconds
    flow.to_stage(shop, clock, vid, "READY")
    after = status_of(shop.desk, vid)
    assert after != before
    started = time.monotonic()
    wait_text(page, "京A***45", after, seconds=5)
    assert time.monotonic() - started < 5

    # keys that lead anywhere in the full app lead nowhere here, and change nothing
    events = audit_count(shop.desk)
    page.focus(".xterm-helper-textarea")
    for key in ("F2", "F3", "F4", "F5", "/", "Control+p", "Escape", "Enter", "Space", "F8", "a"):
        page.keyboard.press(key)
    page.wait_for_timeout(500)
    text = wait_text(page, "Your car's progress", "京A***45", after)
    assert "Appointments" not in text and "Lookup" not in text and "Search for commands" not in text
    assert audit_count(shop.desk) == events

    # nothing personal in full: not on the screen, not anywhere in the page
    page_all = text + page.content() + page.inner_text("body")
    for secret in ("李伟", "京A12345", "13812345678", "1M8GDM9AXKP042788", "Passat"):
        assert secret not in page_all

    # the server stops with the TV still watching: its session's desk ends too
    sessions = lobby.sessions()
    assert len(sessions) == 1
    lobby.stop()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in sessions) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in sessions), "a session outlived the server"
    page.close()


@pytest.mark.browser
@pytest.mark.xdist_group("chromium")  # one worker, one browser for the module
def test_tablet_signs_in_with_a_pin_and_ticks_a_walkaround_item(browser, shop, clock, tmp_path, db_url):
    shop.desk.security.set_pin(shop.sa, shop.sa.id, "2468")
    vid = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    flow.to_stage(shop, clock, vid, "WALKAROUND")
    open_before = {s.item.id for s in shop.desk.checklist.checklist(vid) if s.state == "open"}
    server = Served(tmp_path, db_url, "serve", "--host", "127.0.0.1")
    try:
        page = open_page(browser, server.url)
        # every session starts at the sign-in; only users with a PIN are offered
        text = wait_text(page, "Who is working here?", "王丽")
        assert "张强" not in text and "周经理" not in text
        page.focus(".xterm-helper-textarea")
        page.keyboard.press("Enter")
        wait_text(page, "PIN for 王丽")
        page.keyboard.type("1111")
        page.keyboard.press("Enter")
        wait_text(page, "Wrong PIN")
        page.keyboard.type("2468")
        page.keyboard.press("Enter")
        wait_text(page, "Signed in: 王丽", "京A12345")
        page.keyboard.press("Enter")  # the visit, at the stage it is in
        wait_text(page, "Walkaround")
        page.keyboard.press("F8")  # refused: the cursor goes to the first open item
        page.wait_for_timeout(700)
        page.keyboard.press("Space")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = open_before - {s.item.id for s in shop.desk.checklist.checklist(vid) if s.state == "open"}
            if done:
                break
            time.sleep(0.1)
        assert len(done) == 1, "no walkaround item was ticked from the browser"
        item = done.pop()
        marks = [e for e in shop.desk.lifecycle.history(vid) if e.action == "mot.done" and item in e.after]
        assert [e.user_name for e in marks] == ["王丽"]
        page.close()
    finally:
        server.stop()


def _get(port: int, path: str, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers)
    status = conn.getresponse().status
    conn.close()
    return status


def test_lobby_refuses_foreign_host_names_and_cross_site_sockets(lobby):
    port = lobby.port
    assert _get(port, "/", {"Host": f"127.0.0.1:{port}"}) == 200
    assert _get(port, "/", {"Host": f"localhost:{port}"}) == 200
    # DNS rebinding: a name the attacker controls pointing at the shop's computer
    assert _get(port, "/", {"Host": f"evil.example:{port}"}) == 421
    upgrade = {
        "Host": f"127.0.0.1:{port}",
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    assert _get(port, "/ws", {**upgrade, "Origin": "http://evil.example"}) == 403
    assert _get(port, "/download/x", {"Host": f"127.0.0.1:{port}"}) == 404


#: The colour (0xRRGGBB, or None when not a true colour) and the text of the cells
#: of the terminal's row ``row`` from column ``col``.
CELL_COLOUR = """([row, col]) => {
  const line = window.__deskTerminal.buffer.active.getLine(row), cell = line.getCell(col);
  return {rgb: cell.isFgRGB() ? cell.getFgColor() : null, bold: !!cell.isBold(), text: line.translateToString(true)};
}"""


def cell_colour(page, text: str, word: str) -> tuple[int, int, int]:
    """The colour of ``word`` on the terminal row that holds ``text``."""
    rows = screen_text(page).split("\n")
    row = next(i for i, line in enumerate(rows) if text in line and word in line)
    # a CJK character takes two cells: count display cells, not characters
    from rich.cells import cell_len

    col = cell_len(rows[row][: rows[row].index(word)])
    got = page.evaluate(CELL_COLOUR, [row, col])
    assert got["rgb"] is not None, f"{word!r} is not drawn in an exact colour: {got}"
    return got["rgb"] >> 16, (got["rgb"] >> 8) & 0xFF, got["rgb"] & 0xFF


def set_up(desk, manager, key: str, text: str) -> None:
    version = next(v.version for v in desk.setup.shop_settings() if v.key == key)
    desk.setup.set_setting(manager, key, text, version)


@pytest.mark.browser
def test_lobby_reads_across_the_room_with_the_shop_name_a_clock_and_colours(browser, lobby, shop, clock):
    from datetime import datetime, timedelta

    from desk.config import Settings

    ready = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
    ).id
    flow.to_stage(shop, clock, ready, "READY")
    checking = shop.desk.booking.walk_in(
        shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["tyres"])
    ).id
    flow.to_stage(shop, clock, checking, "QC")
    assert (status_of(shop.desk, ready), status_of(shop.desk, checking)) == ("Ready", "QC")
    set_up(shop.desk, shop.mgr, "shop_name", "Li Auto Service")

    page = open_page(browser, lobby.url)
    text = wait_text(page, "Li Auto Service", "Ready", "QC")
    # large by default: the setting's size, not the browser's 16 px, with no ?fontsize=
    size = page.evaluate("() => Number(window.__deskTerminal.options.fontSize)")
    assert size == Settings().lobby_font_size >= 32
    assert page.evaluate("() => window.__deskTerminal.cols") < 70  # 1280 px wide: large letters
    # the shop's name and a clock (the wall clock the TV's desk runs on) on the top line
    top = text.split("\n")[0]
    assert top.strip().startswith("Li Auto Service")
    shown = top.split()[-1]
    now = datetime.now()
    assert shown in {f"{t:%H:%M}" for t in (now - timedelta(minutes=1), now, now + timedelta(minutes=1))}
    # ready is green, a car in quality control is not
    red, green, blue = cell_colour(page, "京A***45", "Ready")
    assert green > 150 and green > red + 60 and green > blue + 60, (red, green, blue)
    assert cell_colour(page, "京A***45", "QC") != (red, green, blue)
    page.close()

    # the shop's language, set on the set-up screen: the next page is in Chinese
    set_up(shop.desk, shop.mgr, "locale", "zh")
    page = open_page(browser, lobby.url)
    wait_text(page, "Li Auto Service", "您的车辆维修进度", "待交车")
    assert page.evaluate("() => document.documentElement.lang") == "zh-CN"
    assert cell_colour(page, "京A***45", "待交车") == (red, green, blue)
    page.close()


#: A 55-inch 16:9 TV is 68.5 cm tall: the height of one CSS pixel at 1080p.
TV_CM_PER_PX = 68.5 / 1080
#: Capitals of a monospace font (DejaVu Sans Mono, Menlo): 0.73 of its size.
CAP_HEIGHT = 0.73


@pytest.mark.browser
def test_lobby_fills_a_1080p_tv_with_letters_read_from_3_m_and_pages_through_the_cars(browser, lobby, shop, clock):
    for _ in range(30):
        shop.desk.booking.walk_in(
            shop.sa, customer_id=shop.customer, vehicle_id=shop.vehicle, concerns=shop.desk.booking.concerns(["oil"])
        )
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.add_init_script(CATCH_TERMINAL)
    page.goto(lobby.url, wait_until="domcontentloaded")
    text = wait_text(page, "京A***45", "1 of")
    size = page.evaluate("() => Number(window.__deskTerminal.options.fontSize)")
    # about 2.5 cm capitals on the TV: an inch for every ten feet (3 m) of the room
    assert size * CAP_HEIGHT * TV_CM_PER_PX >= 2.5, size
    cols, rows = page.evaluate("() => [window.__deskTerminal.cols, window.__deskTerminal.rows]")
    # the board takes the screen's width (its header row reaches the right edge)
    header = next(line for line in text.split("\n") if "Promised" in line)
    assert len(header.rstrip()) >= cols - 12 and "Plate" in header, (cols, header)
    # more cars than fit: pages, and the rows of the first fill the height
    plates = [line for line in text.split("\n") if "京A***45" in line]
    assert 5 <= len(plates) < 30 and len(plates) >= rows - 8, (rows, len(plates))
    page.close()
