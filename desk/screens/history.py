"""A visit's history: its timeline (the stage stopwatch, each interval against
its standard) over every audited change, oldest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from desk.domain.timeline import LABELS
from desk.widgets.footer import DeskFooter
from desk.i18n import N_, _
from desk.screens.base import DeskScreen
from desk.widgets.stopwatch import duration_text, standard_text


class HistoryScreen(DeskScreen):
    BINDINGS = [Binding("escape", "back", N_("Back"), id="history.back")]

    DEFAULT_CSS = """
    HistoryScreen #timeline { height: auto; max-height: 18; }
    HistoryScreen #history { height: 1fr; }
    HistoryScreen .section-title { text-style: bold; }
    """

    def __init__(self, visit_id: int) -> None:
        super().__init__()
        self.visit_id = visit_id

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield Static(_("Timeline"), classes="section-title")
        yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Static(_("History"), classes="section-title")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        timeline = self.query_one("#timeline", DataTable)
        for key, label in (("step", N_("Step")), ("from", N_("From")), ("to", N_("To")), ("took", N_("Took")),
                           ("standard", N_("Standard"))):
            timeline.add_column(_(label), key=key)
        table = self.query_one("#history", DataTable)
        for key, label in (("at", N_("When")), ("who", N_("Who")), ("what", N_("What")), ("detail", N_("Detail"))):
            table.add_column(_(label), key=key)
        self.load()

    def on_data_changed(self, message) -> None:
        self.load()

    def load(self) -> None:
        vid = self.visit_id
        self.run_db(lambda: (self.desk.timeline.timeline(vid), self.desk.lifecycle.history(vid)), self.show,
                    group="history", exclusive=True)

    def show(self, result) -> None:
        timeline, events = result
        self.show_timeline(timeline)
        self.show_rows(events)

    def show_timeline(self, timeline) -> None:
        table = self.query_one("#timeline", DataTable)
        table.clear()
        now = self.app.clock()
        first = timeline.milestones[0] if timeline.milestones else None
        if first is not None:
            table.add_row(Text(_(LABELS[first[0]])), "", f"{first[1]:%m-%d %H:%M:%S}", "", "",
                          key=first[0])
        for iv in timeline.intervals + ([timeline.running] if timeline.running else []):
            label = Text(iv.label if iv.key.startswith("line:") else _(iv.label))
            if iv.key.startswith("line:"):
                label = Text("  " + _("Line") + ": ") + label
            end = f"{iv.end:%m-%d %H:%M:%S}" if iv.end else _("running")
            table.add_row(label, f"{iv.start:%m-%d %H:%M:%S}", end, duration_text(iv, now), standard_text(iv),
                          key=iv.key + ("" if iv.end else ":running"))

    def show_rows(self, events) -> None:
        table = self.query_one("#history", DataTable)
        table.clear()
        for e in events:
            table.add_row(
                e.at.strftime("%m-%d %H:%M:%S"), Text(e.user_name), Text(e.action), Text(e.after[:80]),
                key=str(e.id),
            )
        table.focus()

    def action_back(self) -> None:
        self.dismiss()

