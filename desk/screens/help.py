"""f1: every key of the current screen, generated from its active bindings (so it
is never stale), in the interface language, with the binding ids a keymap uses."""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label

from desk.i18n import N_, _
from desk.widgets.dialogs import DIALOG_CSS
from desk.widgets.safe import literal

#: Textual's own bindings that the help lists too (translated like ours).
TEXTUAL_KEYS = {
    "Focus Next": N_("Next field"),
    "Focus Previous": N_("Previous field"),
    "Copy selected text": N_("Copy selected text"),
    "Cursor up": N_("Cursor up"),
    "Cursor down": N_("Cursor down"),
    "Page up": N_("Page up"),
    "Page down": N_("Page down"),
    "Top": N_("Top"),
    "Bottom": N_("Bottom"),
}


def key_rows(app, screen: Screen) -> list[tuple[str, str, str]]:
    """(keys, description, binding id) of every binding active on ``screen``; a
    binding with several keys is one row."""
    rows: dict[tuple, list[str]] = {}
    for key, active in screen.active_bindings.items():
        b = active.binding
        if not b.description:
            continue
        if b.id:
            what = _(b.tooltip or b.description)  # the longer text where there is one
        elif b.description in TEXTUAL_KEYS:
            what = _(TEXTUAL_KEYS[b.description])
        else:
            continue
        shown = app.get_key_display(b.with_key(key)) if hasattr(b, "with_key") else (b.key_display or key)
        rows.setdefault((what, b.id or "", b.action), []).append(shown)
    out = [(" ".join(dict.fromkeys(keys)), what, ident) for (what, ident, _a), keys in rows.items()]
    return sorted(out, key=lambda row: not row[2])  # desk's own keys first, Textual's after


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath: key, what it does, its id."""

    DEFAULT_CSS = (
        DIALOG_CSS
        + """
    #help-keys { height: auto; max-height: 24; }
    """
    )
    SCOPED_CSS = False
    BINDINGS = [Binding("escape,f1", "close", N_("Back"), id="help.close")]

    def __init__(self, title: str, rows: list[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            heading = _("Keys: {screen}", screen=self.title_text) if self.title_text else _("Keys of this screen")
            yield Label(literal(heading), classes="dialog-title")
            yield DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Label(literal(_("desk.toml [keys] remaps a key by its id; Escape: back")), classes="dialog-hint")

    def widths(self) -> tuple[int, int, int]:
        """Key, what and id columns as wide as their text, within the dialog at
        the terminal's width (80 columns too): the description keeps at least
        24 cells, the id gets the rest."""

        def widest(i: int, head: str) -> int:
            return max([cell_len(head)] + [cell_len(row[i]) for row in self.rows])

        # the dialog (90 wide at most): border 2, padding 4; each cell pads 2; a scrollbar 2
        room = min(90, self.app.size.width) - 6 - 6 - 2
        key = min(widest(0, _("Key")), 16)
        what_full, ident = widest(1, _("What")), widest(2, _("Id"))
        what = min(what_full, max(24, room - key - ident))
        return key, what, max(cell_len(_("Id")), min(ident, room - key - what))

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        key, what, ident = self.widths()
        table.add_column(_("Key"), key="key", width=key)
        table.add_column(_("What"), key="what", width=what)
        table.add_column(_("Id"), key="id", width=ident)
        for keys, what, ident in self.rows:
            table.add_row(literal(keys), literal(what), literal(ident))
        self.fit_height()
        table.focus()

    def fit_height(self) -> None:
        """The table no taller than the dialog leaves it at this terminal's height
        (at 24 lines too), so that it scrolls to its last key instead of being
        cut by the dialog's edge: the dialog takes 95 % of the height, its border,
        padding, title and hint 9 lines."""
        self.query_one(DataTable).styles.max_height = max(3, min(24, self.app.size.height * 95 // 100 - 9))

    def on_resize(self) -> None:
        self.fit_height()

    def action_close(self) -> None:
        self.dismiss(None)
