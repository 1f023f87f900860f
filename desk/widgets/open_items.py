"""The answer to a refused stage move: exactly which MOT items are still open.

Shown where the visit's checklist is not on screen (the progress board). Enter
opens the visit with the cursor on the first open item; Escape goes back."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from desk.domain.checklist import ItemStatus
from desk.i18n import N_, _
from desk.widgets.dialogs import DIALOG_CSS


def open_items_text(items: list[ItemStatus]) -> Text:
    """One line per open item: id, text and what would satisfy it."""
    out = Text()
    for s in items:
        out.append(f"[ ] {s.item.id}  ", style="bold red")
        out.append(s.item.text)
        if s.hint:
            out.append("\n      " + _(s.hint), style="italic")
        out.append("\n")
    out.rstrip()
    return out


class OpenItemsDialog(ModalScreen[bool]):
    """``dismiss(True)``: open the visit at its first open item."""

    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [
        Binding("enter", "answer(True)", N_("Open the visit"), id="open_items_dialog.answer_yes"),
        Binding("escape", "answer(False)", N_("Back"), id="open_items_dialog.answer_no"),
    ]

    def __init__(self, title: str, items: list[ItemStatus]) -> None:
        super().__init__()
        self.title_text = title
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Label(_("Still open:"))
            yield Static(open_items_text(self.items), id="open-items")
            yield Label(_("Enter: open the visit at the first open item; Escape: back"), classes="dialog-hint")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
