"""Complaints (seed 001): severity, age against the 24-hour target, repeat
count, and the closing report that closes the loop."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from desk.domain import validate
from desk.i18n import N_, _
from desk.screens.base import DeskScreen
from desk.widgets.dialogs import FormDialog, FormField

SEVERITY_LABELS = {"ordinary": N_("ordinary"), "major": N_("major")}


class ComplaintsScreen(DeskScreen):
    BINDINGS = [
        Binding("c", "close_complaint", N_("Close complaint")),
        Binding("r", "reload", N_("Refresh")),
    ]

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield Static(_("Open complaints: ordinary ones resolved within 24 hours, major ones escalated"),
                     id="complaints-title")
        yield DataTable(id="complaints", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (
            ("opened", N_("Opened"), 12), ("customer", N_("Customer"), 12), ("severity", N_("Severity"), 9),
            ("summary", N_("Summary"), 46), ("due", N_("Due"), 12), ("repeat", N_("Repeat"), 6),
        ):
            table.add_column(_(label), key=key, width=width)
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        self.run_db(self.desk.complaints, self.show_rows, group="complaints", exclusive=True)

    def show_rows(self, rows) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            table.add_row(
                f"{r.opened_at:%m-%d %H:%M}", Text(r.customer),
                Text(_(SEVERITY_LABELS[r.severity]), style="bold red" if r.severity == "major" else ""),
                Text(r.summary), Text(f"{r.due_at:%m-%d %H:%M}", style="bold red reverse" if r.overdue else ""),
                Text(str(r.repeat), style="bold" if r.repeat else "dim"), key=str(r.id),
            )

    def action_reload(self) -> None:
        self.load()

    def action_close_complaint(self) -> None:
        rows = getattr(self, "rows", [])
        if not rows:
            return
        row = rows[min(self.query_one(DataTable).cursor_row, len(rows) - 1)]
        required = lambda field: (lambda s: validate.text(s, field=field, max_len=1000, required=True))  # noqa: E731
        form = FormDialog(_("Close complaint: {summary}", summary=row.summary[:60]), [
            FormField("root_cause", _("Root cause"), parse=required("root cause")),
            FormField("remedy", _("Remedy (e.g. free check, labour voucher)"), parse=required("remedy")),
            FormField("closing_report", _("Closing report"), parse=required("report")),
        ])
        self.app.push_screen(form, lambda v: v and self.run_db(
            lambda: self.desk.close_complaint(self.user, row.id, **v), lambda _r: self.load()))
