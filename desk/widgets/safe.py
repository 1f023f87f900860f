"""Showing text typed by a person (customers' names, concerns, notes) literally.

Textual and Rich read a plain ``str`` as markup: "[bold]x[/bold]" would turn
bold and "[@click=app.quit]" would become a link. ``desk.domain.validate.text``
already strips escape sequences and control characters before storing, but
rows written before that (or imported) may still hold them, so rendering makes
no assumption: markup is never parsed, and control characters are shown as
their visible Unicode pictures (ESC as "␛") instead of reaching the terminal.
"""

from __future__ import annotations

from rich.text import Text

#: C0 controls -> U+2400 "control pictures"; DEL -> ␡; C1 controls -> "�".
_PICTURES = {cp: 0x2400 + cp for cp in range(0x20)} | {0x7F: 0x2421} | {cp: 0xFFFD for cp in range(0x80, 0xA0)}
#: Bidi overrides/isolates could reorder what follows on the same line.
_PICTURES |= {cp: 0xFFFD for cp in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def visible(text: object, *, multiline: bool = False) -> str:
    """``text`` as a ``str`` with every control character made visible."""
    s = "" if text is None else str(text)
    if multiline:
        keep = {0x0A: 0x0A, 0x09: 0x09}
        return s.translate(_PICTURES | keep)
    return s.translate(_PICTURES)


def literal(text: object, style: str = "", *, multiline: bool = False) -> Text:
    """A :class:`rich.text.Text` that shows ``text`` exactly as typed: no markup is
    interpreted, no escape sequence reaches the terminal."""
    return Text(visible(text, multiline=multiline), style=style, end="")
