"""A visit's history: every audited change, oldest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header

from desk.widgets.footer import DeskFooter
from desk.i18n import N_, _
from desk.screens.base import DeskScreen


class HistoryScreen(DeskScreen):
    BINDINGS = [Binding("escape", "back", N_("Back"), id="history.back")]

    def __init__(self, visit_id: int) -> None:
        super().__init__()
        self.visit_id = visit_id

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (("at", N_("When")), ("who", N_("Who")), ("what", N_("What")), ("detail", N_("Detail"))):
            table.add_column(_(label), key=key)
        self.run_db(lambda: self.desk.lifecycle.history(self.visit_id), self.show_rows)

    def show_rows(self, events) -> None:
        table = self.query_one(DataTable)
        for e in events:
            table.add_row(
                e.at.strftime("%m-%d %H:%M:%S"), Text(e.user_name), Text(e.action), Text(e.after[:80]),
                key=str(e.id),
            )
        table.focus()

    def action_back(self) -> None:
        self.dismiss()
