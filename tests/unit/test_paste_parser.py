"""desk.shell.paste: a bracketed paste is one Paste whatever it holds, however
the terminal's bytes are cut into reads; input outside a paste is Textual's."""

from __future__ import annotations

import pytest
from textual import events
from textual._time import get_time

from desk.shell import paste
from desk.shell.paste import PasteParser

PASTE = "a\x1b[200~he\x1b[31mllo\tthere\x00\x1b\x1b[201~z"


@pytest.mark.parametrize("cut", range(1, len(PASTE)))
def test_a_paste_cut_anywhere_is_one_paste_between_its_keys(cut):
    parser = PasteParser()
    got = [*parser.feed(PASTE[:cut]), *parser.feed(PASTE[cut:])]
    assert [type(e).__name__ for e in got] == ["Key", "Paste", "Key"]
    assert got[1].text == "he\x1b[31mllo\tthere\x1b"
    assert (got[0].character, got[2].character) == ("a", "z")


def test_escape_alone_and_alt_bracket_still_arrive(monkeypatch):
    parser = PasteParser()
    clock = [get_time()]
    monkeypatch.setattr(paste, "get_time", lambda: clock[0])
    monkeypatch.setattr("textual._parser.get_time", lambda: clock[0])
    for held, key in (("\x1b", "escape"), ("\x1b[", "left_square_bracket")):
        assert list(parser.feed(held)) == []  # perhaps a paste's start: held back a moment
        assert list(parser.tick()) == []
        got = []
        for _ in range(3):  # our hold, then Textual's own wait for the rest of an escape
            clock[0] += 1
            got += parser.tick()
        assert [e.key for e in got if isinstance(e, events.Key)][-1] == key
