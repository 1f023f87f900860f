"""Text stored before it was checked (an old row, another program's import) is
drawn literally: an escape sequence in a checklist reason used to reach the
terminal (opening the visit cleared the screen and set the terminal's title).
Names in Chinese, with emoji or with combining marks keep the board's columns."""

from __future__ import annotations

import sqlalchemy as sa

from desk.shell.app import make_app
from desk.widgets.checklist import Checklist
from tests import flow
from tests.functional.pilot import screen_name, wait_for

RAW = "old \x1b]0;pwned\x07\x1b[2Jreason\x00"


def strips_text(widget) -> str:
    """What the widget sends to the terminal, line by line."""
    return "\n".join("".join(seg.text for seg in widget.render_line(y)) for y in range(widget.size.height))


async def test_a_stored_reason_with_escapes_is_drawn_literally(shop, clock, db_url):
    d = shop.desk
    vid = flow.book(shop, clock)
    item = next(s.item.id for s in d.checklist.checklist(vid) if s.item.required)
    with d.ctx.engine.begin() as conn:  # past every check, as an old row would be
        conn.execute(
            sa.text(
                "INSERT INTO mot_mark (visit_id, item_id, kind, reason, by_user, at) "
                "VALUES (:v, :i, 'waived', :r, :u, :t)"
            ),
            {"v": vid, "i": item, "r": RAW, "u": shop.mgr.id, "t": clock.now},
        )
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query(Checklist) and app.screen.query_one(Checklist).row_count)
        table = app.screen.query_one(Checklist)
        note = table.get_row(item)[-1]
        assert "\x1b" not in note.plain and "\x07" not in note.plain and "\x00" not in note.plain
        assert "␛]0;pwned␇␛[2Jreason" in note.plain  # shown, as its pictures
        await pilot.pause()
        drawn = strips_text(table)
        assert "\x1b" not in drawn and "\x07" not in drawn


def cells(strip_text: str) -> list[str]:
    """A drawn line as the terminal's cells (a wide character fills two, a
    combining mark joins the letter before it)."""
    from rich.cells import split_graphemes

    spans, _total = split_graphemes(strip_text)
    out: list[str] = []
    for start, end, width in spans:
        if width == 0 and out:
            out[-1] += strip_text[start:end]
        out += [strip_text[start:end]] * width
    return out


async def test_the_board_lines_up_with_chinese_emoji_and_combining_names(shop, clock, db_url):
    from datetime import timedelta

    from textual.widgets import DataTable

    d = shop.desk
    names = ["欧阳娜娜", "Zoe 👍🏽 ❤️", "x\u0301y\u0332z\u20dd Li"]
    for i, name in enumerate(names):
        customer = d.people.register_customer(shop.sa, d.people.customer_draft(name=name, phone=f"1370000000{i}"))
        vehicle = d.people.register_vehicle(
            shop.sa,
            customer,
            d.people.vehicle_draft(plate=f"沪B6543{i}", make="Toyota", model="Corolla", year=2020, odometer_km=1000),
        )
        d.booking.book(
            shop.sa,
            customer_id=customer,
            vehicle_id=vehicle,
            booking=d.booking.draft(at=clock.now + timedelta(hours=1 + i), concerns=[("Oil change", ())]),
        )
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and len(app.screen.rows) == 3)
        table = app.screen.query_one(DataTable)
        await pilot.pause()
        lines = [cells("".join(seg.text for seg in table.render_line(y))) for y in range(1, 4)]
        plate_cells = {next(i for i, c in enumerate(line) if c == "沪") for line in lines}
        assert len(plate_cells) == 1, ["".join(line) for line in lines]  # every plate in the same column
