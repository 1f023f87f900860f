"""The text printout's table lines up whatever the descriptions hold: Chinese
(two cells a character), emoji (with a skin tone, with a variation selector)
and combining marks (zero cells). Measured as a terminal draws it
(rich.cells.split_graphemes: an emoji with its skin tone is one character of
two cells, as Textual draws it)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from rich.cells import split_graphemes

from desk.config import Settings
from desk.i18n import set_locale
from desk.output import text as printout
from tests import flow

DESCRIPTIONS = ["刹车片更换", "Wiper 🚗 blades", "Thumbs 👍🏽 ❤️", "x\u0301y\u0332z\u20dd combining", "plain"]


def test_the_text_printouts_columns_line_up_with_cjk_emoji_and_combining_marks(shop, clock):
    check_alignment(shop, clock)


def test_the_alignment_check_can_fail(shop, clock, monkeypatch):
    """Padded by code points (len) instead of cells, the same table is refused."""
    import pytest

    monkeypatch.setattr(printout, "cell_len", len)
    with pytest.raises(AssertionError):
        check_alignment(shop, clock)


def check_alignment(shop, clock):
    set_locale("en")
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    for i, text in enumerate(DESCRIPTIONS):
        d.estimate.add_estimate_line(
            shop.sa,
            d.lifecycle.ref(vid),
            d.estimate.draft(
                kind="part", description=text, qty=Decimal(1 + i), unit_cents=1000 * (i + 1), availability="in_stock"
            ),
        )
    doc = printout.estimate_doc(d.lifecycle.visit_view(vid), Settings(), printed_at=datetime(2026, 11, 23, 9, 30))
    lines = doc.text().splitlines()
    rule = next(i for i, ln in enumerate(lines) if set(ln) <= {"-", " "} and ln.startswith("---"))
    grid = lines[rule - 1 : rule + 1 + len(DESCRIPTIONS)]
    rows = grid[2:]
    assert [any(text in row for row in rows) for text in DESCRIPTIONS] == [True] * len(DESCRIPTIONS)
    # between two columns the rule has spaces: so has every row, in the same cells
    gaps = [i for i, ch in enumerate(grid[1]) if ch == " "]

    def cells(line: str) -> list[str]:
        """The line as the terminal's cells (a wide character fills two, a
        combining mark none: it joins the letter before it)."""
        spans, _total = split_graphemes(line)
        out: list[str] = []
        for start, end, width in spans:
            if width == 0 and out:
                out[-1] += line[start:end]
            out += [line[start:end]] * width
        return out

    for row in rows:
        shown = cells(row)
        assert all(shown[g] == " " for g in gaps if g < len(shown)), row
    widths = {len(cells(row)) for row in rows}
    assert widths == {len(cells(grid[1]))}, grid  # the amounts' right edge is one column


def test_a_printout_shows_control_characters_as_pictures(shop, clock):
    """A line stored before text was checked (an old row, another program's
    import) reaches no printer or terminal as an escape sequence."""
    import sqlalchemy as sa

    set_locale("en")
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d.estimate.add_estimate_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(kind="part", description="Wiper", qty=Decimal(1), unit_cents=1000, availability="in_stock"),
    )
    with d.ctx.engine.begin() as conn:  # past every check
        conn.execute(
            sa.text("UPDATE estimate_line SET description = :t WHERE visit_id = :v"),
            {"t": "Wiper \x1b]0;pwned\x07\x1b[2J", "v": vid},
        )
    text = printout.estimate_doc(d.lifecycle.visit_view(vid), Settings(), printed_at=datetime(2026, 11, 23)).text()
    assert "\x1b" not in text and "\x07" not in text
    assert "Wiper ␛]0;pwned␇␛[2J" in text
