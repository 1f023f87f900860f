"""The appointment board: the home screen."""

from __future__ import annotations

from datetime import date, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from desk.domain.process import STAGE_LABELS, Stage
from desk.i18n import N_, _
from desk.screens.base import DeskScreen


def flags_text(row) -> Text:
    """VIP / COMEBACK / NEW / LATE flags, coloured so they stand out."""
    out = Text()
    for on, label, style in (
        (row.vip or bool(row.special_note), N_("VIP"), "bold magenta"),
        (row.comeback, N_("COMEBACK"), "bold red"),
        (row.new_customer, N_("NEW"), "bold cyan"),
        (row.late, N_("LATE"), "bold yellow"),
        (row.reminder_due, N_("REMIND"), "yellow"),
    ):
        if on:
            out.append(_(label), style=style)
            out.append(" ")
    return out


class AppointmentsScreen(DeskScreen):
    BINDINGS = [
        Binding("left,comma", "day(-1)", N_("Previous day")),
        Binding("right,full_stop", "day(1)", N_("Next day")),
        Binding("t", "today", N_("Today")),
        Binding("r", "refresh", N_("Refresh")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.day: date = self.app.clock().date()

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True)
        yield Static("", id="board-title")
        yield DataTable(id="board", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in (
            ("time", N_("Time")), ("customer", N_("Customer")), ("plate", N_("Plate")),
            ("vehicle", N_("Vehicle")), ("concern", N_("Concern")), ("advisor", N_("Advisor")),
            ("flags", N_("Flags")), ("stage", N_("Stage")),
        ):
            table.add_column(_(label), key=key)
        self.load()

    def load(self) -> None:
        day = self.day
        self.query_one("#board-title", Static).update(
            _("Appointments for {day}", day=day.isoformat())
        )
        self.run_db(lambda: self.desk.board(day), self.show_rows, group="board", exclusive=True)

    def show_rows(self, rows) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(
                r.time.strftime("%H:%M") if r.time else "",
                Text(r.customer),
                Text(r.plate),
                Text(r.vehicle),
                Text(r.concern[:40]),
                Text(r.advisor),
                flags_text(r),
                _(STAGE_LABELS[Stage(r.stage)]),
                key=str(r.visit_id),
            )
        if not rows:
            self.notify(_("No visits today"), timeout=3)

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self.load()

    def action_today(self) -> None:
        self.day = self.app.clock().date()
        self.load()

    def action_refresh(self) -> None:
        self.load()
