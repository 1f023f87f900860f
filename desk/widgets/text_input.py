"""An Input that keeps what is pasted: every line of it (Textual's Input keeps
the first line only), in the order it came, less what must not be stored
(``validate.without_controls``, the one rule), and says what it took out."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import Input

from desk.domain.validate import without_controls


class TextInput(Input):
    class Cleaned(Message):
        """A paste into ``input`` lost ``removed`` characters (controls, escapes)."""

        def __init__(self, input: TextInput, removed: int) -> None:
            super().__init__()
            self.input = input
            self.removed = removed

    def _on_paste(self, event: events.Paste) -> None:
        event.stop()
        event.prevent_default()  # not Input's own paste, which keeps the first line only
        if not event.text:
            return
        # one line: the paste's line breaks become spaces (nothing after the
        # first line is dropped); the rest as typed
        text, removed = without_controls(event.text)
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(text)
        else:
            self.replace(text, *selection)
        if removed:
            self.post_message(self.Cleaned(self, removed))
