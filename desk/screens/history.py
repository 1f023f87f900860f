"""A visit's history: its timeline (the stage stopwatch, each interval against
its standard), its checklists flagged as rushed or blank (a manager accepts one
with a note: ``a``), then every audited change, oldest first."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from desk.domain import history
from desk.domain.integrity import RULE_LABELS
from desk.domain.timeline import LABELS
from desk.i18n import N_, _
from desk.screens.base import DeskScreen
from desk.widgets.dialogs import ReasonDialog
from desk.widgets.footer import DeskFooter
from desk.widgets.safe import literal
from desk.widgets.stopwatch import duration_text, span, standard_text
from desk.widgets.tables import row_height


class HistoryScreen(DeskScreen):
    #: The changes are what one reads and moves through (the newest under the cursor).
    AUTO_FOCUS = "#history"
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="history.back"),
        Binding("a", "accept_flag", N_("Accept flag"), id="history.accept_flag"),
    ]

    DEFAULT_CSS = """
    HistoryScreen #timeline { height: auto; max-height: 18; }
    HistoryScreen #flags { height: auto; max-height: 6; }
    HistoryScreen #history { height: 1fr; }
    HistoryScreen .section-title { text-style: bold; }
    """

    def __init__(self, visit_id: int) -> None:
        super().__init__()
        self.visit_id = visit_id
        #: The visit as last read (accepting a flag passes it) and its flags.
        self.ref = None
        self.flags = None

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield Static(_("Timeline"), classes="section-title")
        yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Static(_("Checklist flags"), classes="section-title")
        yield DataTable(id="flags", cursor_type="row", zebra_stripes=True)
        yield Static(_("History"), classes="section-title")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        timeline = self.query_one("#timeline", DataTable)
        for key, label in (
            ("step", N_("Step")),
            ("from", N_("Start time")),
            ("to", N_("End time")),
            ("took", N_("Took")),
            ("standard", N_("Standard")),
        ):
            timeline.add_column(_(label), key=key)
        flags = self.query_one("#flags", DataTable)
        for key, label in (
            ("flag", N_("Flag")),
            ("who", N_("Counts against")),
            ("reason", N_("Reason")),
            ("review", N_("Review")),
        ):
            flags.add_column(_(label), key=key)
        table = self.query_one("#history", DataTable)
        # the detail wraps in what the row leaves (a change is read whole)
        room = max(30, self.app.size.width - 15 - 12 - 24 - 2 * 4 - 2)
        for key, label, width in (
            ("at", N_("When"), 15),
            ("who", N_("Who"), 12),
            ("what", N_("What"), 24),
            ("detail", N_("Detail"), room),
        ):
            table.add_column(_(label), key=key, width=width)
        self.load()

    def on_data_changed(self, message) -> None:
        self.load()

    def load(self) -> None:
        vid = self.visit_id
        self.run_db(
            lambda: (
                self.desk.timeline.timeline(vid),
                self.desk.integrity.visit_flags(vid),
                *self.desk.lifecycle.history_with_voids(vid),
                {u.id: u.name for u in self.desk.people.users()},
            ),
            self.show,
            group="history",
            exclusive=True,
        )

    def show(self, result) -> None:
        timeline, flags, events, voids, self.names = result
        self.show_timeline(timeline)
        self.show_flags(flags)
        self.show_rows(events, voids)

    def item_text(self, item_id: str) -> str:
        """An MOT item's words in the interface language ("" when unknown)."""
        try:
            return self.desk.ctx.templates.get(item_id).text
        except KeyError:
            return ""

    def show_flags(self, flags) -> None:
        self.flags, self.ref = flags, flags.ref
        table = self.query_one("#flags", DataTable)
        keep = table.cursor_row
        table.clear()
        for f in flags.flags:
            review = flags.reviews.get(f.key)
            state = (
                Text(_("Accepted by {name}: {note}", name=review.by_name, note=review.note), style="green")
                if review
                else Text(_("Open"), style="bold red")
            )
            table.add_row(
                Text(_(RULE_LABELS[f.rule])),
                literal(flags.names.get(f.user_id, "")),
                Text(_(f.reason, **f.params)),
                state,
                key=f.key,
            )
        if not flags.flags:
            table.add_row(Text(_("None"), style="dim"), "", "", "", key="-")
        table.move_cursor(row=min(keep, max(0, table.row_count - 1)))

    def action_accept_flag(self) -> None:
        """A manager accepts the flag under the cursor with a note (another user:
        a manager authorises it on this terminal)."""
        if self.flags is None:
            return
        table = self.query_one("#flags", DataTable)
        under = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
        open_ = [f for f in self.flags.flags if f.key not in self.flags.reviews]
        # the flag under the cursor, or the first open one
        chosen = next((f for f in open_ if f.key == under), open_[0] if open_ else None)
        if chosen is None:
            self.notify(_("No open flag on this visit"))
            return
        key = chosen.key
        self.submit(
            ReasonDialog(_("Accept flag: {flag}", flag=_(RULE_LABELS[chosen.rule])), _(chosen.reason, **chosen.params)),
            lambda note, actor: self.desk.integrity.accept(actor, self.ref, key, note),
            approve=_("accept a checklist flag"),
        )

    def show_timeline(self, timeline) -> None:
        table = self.query_one("#timeline", DataTable)
        table.clear()
        now = self.app.clock()
        first = timeline.milestones[0] if timeline.milestones else None
        if first is not None:
            table.add_row(Text(_(LABELS[first[0]])), "", f"{first[1]:%m-%d %H:%M:%S}", "", "", key=first[0])
        steps = [iv for iv in timeline.intervals if not iv.key.startswith("line:")]
        for iv in steps:
            self.interval_row(table, iv, now)
        # a signature a later change of the estimate voided: shown, never timed
        for n, at in enumerate(timeline.void_signed):
            table.add_row(
                Text(_("Signed (void)"), style="dim"),
                "",
                f"{at:%m-%d %H:%M:%S}",
                Text(_("void"), style="bold red"),
                "-",
                key=f"void:{n}",
            )
        for iv in [iv for iv in timeline.intervals if iv not in steps] + (
            [timeline.running] if timeline.running else []
        ):
            self.interval_row(table, iv, now)

    @staticmethod
    def interval_row(table, iv, now) -> None:
        label = Text(iv.label if iv.key.startswith("line:") else _(iv.label))
        if iv.key.startswith("line:"):
            label = Text("  " + _("Line") + ": ") + label
        end = f"{iv.end:%m-%d %H:%M:%S}" if iv.end else _("running")
        took = duration_text(iv, now)
        if iv.key == "arrived":  # against the appointment: the car came early or late
            took = Text(
                _("early {span}", span=span(iv.seconds(now)))
                if iv.early
                else _("late {span}", span=span(iv.seconds(now)))
            )
        table.add_row(
            label,
            f"{iv.start:%m-%d %H:%M:%S}",
            end,
            took,
            standard_text(iv),
            key=iv.key + ("" if iv.end else ":running"),
        )

    def show_rows(self, events, voids: dict | None = None) -> None:
        """Every audited change; a signature that no longer covers the estimate
        says why on its own row ("signature of 17:44 void: line … added by …")."""
        table = self.query_one("#history", DataTable)
        first = table.row_count == 0
        at_end = first or table.cursor_row >= table.row_count - 1
        keep = table.cursor_row
        table.clear()
        voids = voids or {}
        symbol = self.app.settings.currency_symbol
        for e in events:
            # in the shop's words, not the stored JSON (desk.domain.history)
            said = history.describe(
                e.action, e.after, names=getattr(self, "names", {}), item_text=self.item_text, symbol=symbol
            )
            detail = literal(said.detail)
            if e.action == "estimate.authorise" and e.entity_id in voids:
                msg, values = voids[e.entity_id]
                detail = Text(_(msg, **values), style="bold red")
            cells = (e.at.strftime("%m-%d %H:%M:%S"), Text(e.user_name), Text(said.what), detail)
            table.add_row(*cells, key=str(e.id), height=row_height(table, cells))
        # the newest change in view and under the cursor (the list is oldest first
        # and was out of reach below the timeline): a reload keeps a cursor moved up
        table.move_cursor(row=max(0, table.row_count - 1) if at_end else min(keep, table.row_count - 1))
        if at_end:  # the end in view now (a reload keeps it there), and again once laid out
            table.scroll_end(animate=False, immediate=True)  # (the timeline above takes its room first)
            table.call_after_refresh(lambda: table.call_after_refresh(lambda: table.scroll_end(animate=False)))

    def action_back(self) -> None:
        self.dismiss()
