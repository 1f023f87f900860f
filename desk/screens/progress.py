"""The progress board (spec stage 5): every car in the shop, its status,
technician, bay and promised time; late and at-risk cars stand out.

It follows the change feed (``DataChanged``): a change made on this or another
terminal is read again in a worker and shows within about a second, with the
cursor kept on the same car; nothing is read while nothing changes. Only the
time left moves with the clock: it is worked out again from the rows on screen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding

from desk.domain import staff
from desk.domain.errors import GuardFailed
from desk.domain.process import STAGE_LABELS, Stage
from desk.domain.schedule import time_left
from desk.i18n import N_, _
from desk.screens.listing import ListScreen
from desk.screens.visit import screen_for
from desk.widgets.board_status import status_text
from desk.widgets.dialogs import PickDialog
from desk.widgets.open_items import OpenItemsDialog
from desk.widgets.safe import literal
from desk.widgets.stopwatch import OVER_STYLE, over, over_text
from desk.widgets.when import at_text

if TYPE_CHECKING:
    from desk.domain.timeline import Interval
    from desk.services.clocking import OnLine
    from desk.services.workshop import ShopRow

#: How often the time left is worked out again from the clock (no database read).
CLOCK_SECONDS = 30.0


@dataclass(frozen=True)
class ShopRead:
    """One read of the board, as the worker hands it over: the cars, the interval
    each is in now, who is clocked on which of its lines."""

    rows: tuple[ShopRow, ...]
    runs: Mapping[int, Interval]
    on: Mapping[int, list[OnLine]]


def left_text(row) -> Text:
    if row.minutes_left is None:
        return Text("-")
    m = row.minutes_left
    label = f"{m // 60}h{m % 60:02d}" if m >= 0 else "-" + f"{-m // 60}h{-m % 60:02d}"
    if row.late:
        return Text(label + " " + _("LATE"), style="bold red")
    if row.at_risk:
        return Text(label, style="bold yellow")
    return Text(label)


def on_text(on) -> Text | None:
    """ "▶张强 Brake pads": who is clocked on the car, and on which line (None: nobody)."""
    if not on:
        return None
    return Text("▶" + ", ".join(f"{o.technician} {o.line}" for o in on), style="bold green")


def flags(row) -> Text:
    out = Text()
    if row.comeback:
        out.append(_("COMEBACK") + " ", style="bold red")
    if row.chase:
        out.append(_("chase supplier") + " ", style="bold yellow")
    if row.update_due:
        out.append(_("update due"), style="yellow")
    return out


def flag_text(row, slow, now) -> Text:
    """Over its standard (``slow``: the running interval), then the car's flags:
    the figure alone when flags follow, so that they stay in the column."""
    out = flags(row)
    return over_text(slow, now, named=not out.plain) + out


class ProgressScreen(ListScreen):
    BINDINGS = [
        Binding("enter", "open", N_("Open"), show=False, id="progress.open"),
        Binding("a", "assign", N_("Assign technician"), id="progress.assign"),
        Binding("f8", "advance", N_("Next stage"), id="progress.advance"),
        Binding("f", "filter_tech", N_("Filter technician"), id="progress.filter_tech"),
        Binding("v", "filter_advisor", N_("Filter advisor"), id="progress.filter_advisor"),
        Binding("l", "lobby", N_("Lobby view"), id="progress.lobby"),
    ]

    TABLE_ID = "progress"
    #: Read with the rows (instances keep their own): the running intervals and
    #: who is clocked on what, by visit.
    runs: dict = {}
    on: dict = {}
    # within 120 columns (beside the scrollbar): the plate identifies the car, the
    # vehicle is on its screen; a long name, line or flag wraps, never cut
    COLUMNS = (
        ("ro", N_("RO"), 10),
        ("plate", N_("Plate"), 9),
        ("customer", N_("Customer"), 11),
        ("status", N_("Status"), 16),
        ("tech", N_("Technician"), 11),
        ("bay", N_("Bay"), 4),
        ("promised", N_("Promised"), 11),
        ("left", N_("Time left"), 11),
        ("flags", N_("Flags"), 15),
    )
    # at 80 columns: the car, where it is, how late, what needs doing (the rest scrolls)
    NARROW = ("ro", "plate", "status", "left", "flags", "tech")

    def __init__(self) -> None:
        super().__init__()
        self.tech_filter: int | None = None
        self.advisor_filter: int | None = None
        #: The filter's name for the title.
        self.filter_names: dict[str, str] = {}
        self.names: dict[int, str] = {}
        #: The interval each car is in now, with its standard (the stage stopwatch).
        self.runs: Mapping[int, Interval] = {}
        self.slow_shown: set[int] = set()
        #: Who is clocked on which line of each car now.
        self.on: Mapping[int, list[OnLine]] = {}

    def on_mount(self) -> None:
        self.set_interval(CLOCK_SECONDS, self.tick_clock)

    def on_data_changed(self, message) -> None:
        """A visit (or anything) changed, here or on another terminal: read the
        board again; the cursor stays on its car."""
        self.load()

    def tick_clock(self) -> None:
        """The promised times come closer: time left, late and at risk again,
        from the rows shown and the clock."""
        now = self.app.clock()

        def moved(r):
            left = time_left(r.promised_at, now, ready=r.stage == Stage.READY)
            return dataclasses.replace(r, minutes_left=left.minutes, late=left.late, at_risk=left.at_risk)

        if self.rows:
            self.show_rows([moved(r) for r in self.rows])

    def fetch(self) -> ShopRead:
        """In the worker: the cars in the shop, their stopwatches, who is on them."""
        rows = self.desk.workshop.progress_board()
        runs = self.desk.timeline.running(r.visit_id for r in rows)
        on = self.desk.clocking.on_now(r.visit_id for r in rows)
        return ShopRead(tuple(rows), MappingProxyType(runs), MappingProxyType(on))

    def take(self, read: ShopRead) -> None:
        self.runs = read.runs
        self.on = read.on
        self.show_rows(list(read.rows))

    def filtered(self, rows: list[ShopRow]) -> list[ShopRow]:
        """The rows the technician and advisor filters let through (named so as not
        to shadow Textual's ``Widget.visible``)."""
        return [
            r
            for r in rows
            if (self.tech_filter is None or r.technician_id == self.tech_filter)
            and (self.advisor_filter is None or r.advisor_id == self.advisor_filter)
        ]

    def cells(self, r) -> tuple:
        # the whole car stands out: red when late, yellow when at risk, magenta
        # when the step it is in has run over its standard
        slow = over(self.runs, r.visit_id, self.app.clock()) if r.visit_id in self.runs else None
        row = "red" if r.late else "yellow" if r.at_risk else OVER_STYLE if slow else ""
        return (
            Text(r.number, style=row),
            literal(r.plate, style=row),
            literal(r.customer, style=row),
            status_text(r.status),
            on_text(self.on.get(r.visit_id)) or Text(r.technician),
            Text(r.bay),
            at_text(r.promised_at, self.app.clock()),
            left_text(r),
            flag_text(r, slow, self.app.clock()) if slow else flags(r),
        )

    def show_rows(self, rows) -> None:
        rows = self.filtered(rows)
        now = self.app.clock()
        slow = {r.visit_id for r in rows if over(self.runs, r.visit_id, now)}
        if rows == self.rows and slow == self.slow_shown:
            return  # nothing changed: no repaint, the cursor stays put
        self.slow_shown = slow
        super().show_rows(rows)
        title = _("In the shop: {n}", n=len(rows))
        if self.tech_filter is not None:
            title += "   " + _("Technician") + ": " + self.filter_names.get("tech", "")
        if self.advisor_filter is not None:
            title += "   " + _("Advisor") + ": " + self.filter_names.get("advisor", "")
        self.set_title(title)

    def current_visit(self) -> int | None:
        return self.current_key()

    def on_data_table_row_selected(self, event) -> None:
        self.action_open()

    def action_open(self, focus_open: bool = False) -> None:
        row = self.current_row()
        if row is not None and (screen := screen_for(row.stage, row.visit_id, focus_open=focus_open)) is not None:
            self.app.push_screen(screen)

    def action_advance(self) -> None:
        """Move the car on; the MOT engine decides, and a refusal names the open items."""
        row = self.current_row()
        if row is None:
            return

        def moved(stage) -> None:
            self.notify(_("{ro} moved to {stage}", ro=row.number, stage=_(STAGE_LABELS[stage])))
            self.load()

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, GuardFailed):
                self.show_error(exc)
                return
            title = _("{ro} cannot move on yet", ro=row.number)
            self.app.push_screen(OpenItemsDialog(title, exc.items), lambda go: go and self.action_open(focus_open=True))

        self.run_db(lambda: self.desk.lifecycle.advance(self.user, row.ref), moved, failed=refused)

    def _pick_user(self, who, title: str, done, *, allow_all: bool) -> None:
        """``who(users)``: whom to offer (``staff.technicians``, ``staff.advisors``)."""

        def show(users) -> None:
            choices = [(u.id, u.name) for u in who(users)]
            self.names = dict(choices)
            if allow_all:
                choices.insert(0, (0, _("Everyone")))
            self.app.push_screen(PickDialog(title, choices), done)

        self.run_db(self.desk.people.users, show)

    def action_assign(self) -> None:
        row = self.current_row()
        if row is None:
            return

        def chosen(tech_id) -> None:
            if tech_id:
                self.run_db(
                    lambda: self.desk.lifecycle.assign(self.user, row.ref, tech_id, row.bay or ""),
                    lambda _r: self.load(),
                )

        self._pick_user(staff.technicians, _("Assign technician"), chosen, allow_all=False)

    def action_filter_tech(self) -> None:
        def chosen(tech_id) -> None:
            if tech_id is not None:
                self.tech_filter = tech_id or None
                self.filter_names["tech"] = self.names.get(tech_id, "")
                self.rows = []
                self.load()

        self._pick_user(staff.technicians, _("Filter technician"), chosen, allow_all=True)

    def action_filter_advisor(self) -> None:
        def chosen(advisor_id) -> None:
            if advisor_id is not None:
                self.advisor_filter = advisor_id or None
                self.filter_names["advisor"] = self.names.get(advisor_id, "")
                self.rows = []
                self.load()

        self._pick_user(staff.advisors, _("Filter advisor"), chosen, allow_all=True)

    def action_lobby(self) -> None:
        from desk.screens.lobby import LobbyScreen

        self.app.push_screen(LobbyScreen())
