"""Complaints (seed 001): severity, age against the 24-hour target, repeat
count, and the closing report that closes the loop."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding

from desk.domain import fields
from desk.domain.drafts import ComplaintClosing
from desk.i18n import N_, _
from desk.screens.listing import ListScreen
from desk.widgets.dialogs import FormDialog, FormField
from desk.widgets.safe import literal

SEVERITY_LABELS = {"ordinary": N_("ordinary"), "major": N_("major")}


def age_text(row, now) -> Text:
    """How long the complaint has been open; beyond 24 hours it stands out."""
    minutes = max(0, int((now - row.opened_at).total_seconds() // 60))
    days, hours = divmod(minutes // 60, 24)
    label = f"{days}d {hours}h" if days else f"{hours}h{minutes % 60:02d}"
    if row.overdue:
        return Text(f"{label} " + _("OVERDUE"), style="bold red reverse")
    return Text(label)


class ComplaintsScreen(ListScreen):
    TABLE_ID = "complaints"
    COLUMNS = (
        ("opened", N_("Opened"), 12),
        ("age", N_("Age"), 14),
        ("customer", N_("Customer"), 12),
        ("severity", N_("Severity"), 9),
        ("summary", N_("Summary"), 40),
        ("due", N_("Due"), 12),
        ("repeat", N_("Repeat"), 6),
    )
    BINDINGS = [
        Binding("c", "close_complaint", N_("Close complaint"), id="complaints.close_complaint"),
        Binding("r", "load", N_("Refresh"), id="complaints.load"),
    ]

    def on_mount(self) -> None:
        self.set_title(_("Open complaints: ordinary ones resolved within 24 hours, major ones escalated"))

    def show_rows(self, rows) -> None:
        super().show_rows(rows)
        late = sum(1 for r in rows if r.overdue)
        title = _("Open complaints: ordinary ones resolved within 24 hours, major ones escalated")
        if late:
            title = Text(title + "   ").append(_("{n} overdue", n=late), style="bold red")
        self.set_title(title)

    def fetch(self):
        return self.desk.complaints.complaints()

    def row_key(self, row):
        return row.id

    def cells(self, r) -> tuple:
        return (
            f"{r.opened_at:%m-%d %H:%M}",
            age_text(r, self.app.clock()),
            literal(r.customer),
            Text(_(SEVERITY_LABELS[r.severity]), style="bold red" if r.severity == "major" else ""),
            literal(r.summary),
            Text(f"{r.due_at:%m-%d %H:%M}", style="bold red reverse" if r.overdue else ""),
            Text(str(r.repeat), style="bold" if r.repeat else "dim"),
        )

    def action_close_complaint(self) -> None:
        row = self.current_row()
        if row is None:
            return
        form = FormDialog(
            _("Close complaint: {summary}", summary=row.summary[:60]),
            [
                FormField.of(fields.ROOT_CAUSE, _("Root cause")),
                FormField.of(fields.REMEDY, _("Remedy (e.g. free check, labour voucher)")),
                FormField.of(fields.CLOSING_REPORT, _("Closing report")),
            ],
        )
        # the form keeps the complaint as it was when opened (the list behind it follows the feed)
        opened = {"ref": row.ref}
        self.submit(
            form,
            lambda v, actor: self.desk.complaints.close_complaint(actor, opened["ref"], ComplaintClosing(**v)),
            approve=_("Close complaint: {summary}", summary=row.summary[:60]),
            reapply=lambda current: opened.update(ref=current),
        )
