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

from desk.domain.validate import visible


def literal(text: object, style: str = "", *, multiline: bool = False) -> Text:
    """A :class:`rich.text.Text` that shows ``text`` exactly as typed: no markup is
    interpreted, no escape sequence reaches the terminal."""
    return Text(visible(text, multiline=multiline), style=style, end="")
