"""A paste is text for one field, whatever it holds.

A terminal sends a paste between ``ESC [200~`` and ``ESC [201~`` (bracketed
paste). Textual's parser ends the paste at the first ESC inside it and reads
the rest as keys: a pasted "abc ESC def TAB 12" put "abc" in the field, moved
focus with the tab and typed "12" into the next fields (quantity, price).

:class:`PasteParser` takes everything up to the closing ``ESC [201~`` as one
:class:`~textual.events.Paste` (the field then removes what is never stored and
says so, see ``desk.widgets.text_input``); everything outside a paste goes to
Textual's parser unchanged. :func:`install` makes Textual's terminal and web
drivers use it.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual import events
from textual._time import get_time
from textual._xterm_parser import BRACKETED_PASTE_END, BRACKETED_PASTE_START, XTermParser
from textual.message import Message

#: How long a possible start of ``ESC [200~`` at the end of what came is held
#: back for the rest (a terminal sends the paste in one write, a read may cut
#: it; the escape key alone is late by this much at most).
HOLD_SECONDS = 0.05


def _partial_tail(data: str, marker: str, shortest: int) -> int:
    """The length of the longest end of ``data`` that begins ``marker`` (at least
    ``shortest`` characters), 0 when none does."""
    for n in range(min(len(marker) - 1, len(data)), shortest - 1, -1):
        if marker.startswith(data[-n:]):
            return n
    return 0


class PasteParser(XTermParser):
    """Textual's parser, with bracketed pastes taken whole (see the module)."""

    def __init__(self, debug: bool = False) -> None:
        super().__init__(debug)
        #: the paste being received (None: not in a paste)
        self._pasting: list[str] | None = None
        #: what may be the start of a marker, waiting for the rest
        self._held = ""
        self._held_since = 0.0

    def feed(self, data: str) -> Iterable[Message]:
        if not data:  # the end of input: what is held is plain input
            held, self._held = self._held, ""
            if self._pasting is not None:
                yield events.Paste("".join(self._pasting) + held)
                self._pasting = None
            elif held:
                yield from super().feed(held)
            yield from super().feed(data)
            return
        data, self._held = self._held + data, ""
        while data:
            if self._pasting is not None:
                end = data.find(BRACKETED_PASTE_END)
                if end < 0:
                    keep = _partial_tail(data, BRACKETED_PASTE_END, 1)
                    self._pasting.append(data[: len(data) - keep])
                    self._hold(data[len(data) - keep :])
                    return
                text = "".join(self._pasting) + data[:end]
                self._pasting = None
                data = data[end + len(BRACKETED_PASTE_END) :]
                # NUL never reaches a field (as Textual's own paste)
                yield events.Paste(text.replace("\x00", ""))
                continue
            start = data.find(BRACKETED_PASTE_START)
            if start < 0:
                # an ESC or more at the end may be a paste's start cut by the read
                keep = _partial_tail(data, BRACKETED_PASTE_START, 1)
                if len(data) > keep:
                    yield from super().feed(data[: len(data) - keep])
                self._hold(data[len(data) - keep :])
                return
            if start:
                yield from super().feed(data[:start])
            self._pasting = []
            data = data[start + len(BRACKETED_PASTE_START) :]

    def _hold(self, tail: str) -> None:
        self._held = tail
        self._held_since = get_time()

    def tick(self) -> Iterable[Message]:
        if self._held and self._pasting is None and get_time() - self._held_since >= HOLD_SECONDS:
            held, self._held = self._held, ""
            yield from super().feed(held)
        yield from super().tick()


def install() -> None:
    """Make Textual's drivers (terminal, web) read input with :class:`PasteParser`."""
    from textual.drivers import linux_driver, linux_inline_driver, web_driver

    for module in (linux_driver, linux_inline_driver, web_driver):
        setattr(module, "XTermParser", PasteParser)  # noqa: B010 - each driver imported the name itself
