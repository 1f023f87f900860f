"""The appointment board: the home screen (spec stage 1)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

from desk.domain import fields
from desk.domain.drafts import BookingDraft, ConcernDraft
from desk.domain.entities import VisitRef
from desk.domain.errors import InvalidInput
from desk.domain.process import STAGE_LABELS, Stage
from desk.domain.schedule import LATE, service_due
from desk.domain.validate import show_phone
from desk.i18n import N_, _, _n
from desk.screens.listing import ListScreen
from desk.widgets.safe import literal
from desk.widgets.stopwatch import OVER_STYLE, over, over_text

if TYPE_CHECKING:
    from desk.domain.timeline import Interval
    from desk.store.reads import BoardRow

# The booking forms, the visit screens and the dialogs are imported by the keys
# that open them: the board is the first screen, on screen before they are needed.


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
    if row.late and not row.late_called:
        out.append(_("call now"), style="bold yellow reverse")
    return out


@dataclass(frozen=True)
class BoardRead:
    """One read of the board, as the worker hands it over: the rows, the interval
    each visit is in now, the opening checklist's open items (None: not today)."""

    rows: tuple[BoardRow, ...]
    runs: Mapping[int, Interval]
    opening: tuple[str, ...] | None
    #: The walk-ins recorded as here (c) and not yet written up (None: not today).
    waiting: tuple | None = None


#: Previous and next day share one place in the footer ("←→ Day").
DAY = Binding.Group(N_("Day"))


class AppointmentsScreen(ListScreen):
    BINDINGS = [
        Binding("enter", "open", N_("Open"), show=False, id="appointments.open"),
        Binding("b", "book", N_("Book"), id="appointments.book"),
        Binding("i", "walk_in", N_("Walk-in"), id="appointments.walk_in"),
        Binding("a", "arrive", N_("Arrived"), id="appointments.arrive"),
        Binding("c", "car_here", N_("Walk-in car here"), show=False, id="appointments.car_here"),
        # priority: the table would otherwise take left/right for its columns
        Binding("left,comma", "day(-1)", N_("Previous day"), priority=True, id="appointments.day_back", group=DAY),
        Binding("right,full_stop", "day(1)", N_("Next day"), priority=True, id="appointments.day_forward", group=DAY),
        Binding("t", "today", N_("Today"), id="appointments.today"),
        Binding("w", "week", N_("Week"), id="appointments.week"),
        Binding("m", "reminders", N_("Reminders"), id="appointments.reminders"),
        Binding("x", "welcome_list", N_("Welcome list"), id="appointments.welcome_list"),
        Binding("r", "refresh", N_("Refresh"), show=False, id="appointments.refresh"),
    ]

    TABLE_ID = "board"
    # What an advisor scans first fits in 80 columns; the rest scrolls (shift+→).
    # Every column within 120: a long flag, vehicle or concern wraps.
    COLUMNS = (
        ("time", N_("Time"), 5),
        ("customer", N_("Customer"), 12),
        ("plate", N_("Plate"), 9),
        ("stage", N_("Stage"), 14),
        ("flags", N_("Flags"), 15),
        ("vehicle", N_("Vehicle"), 14),
        ("concern", N_("Concern"), 22),
        ("advisor", N_("Advisor"), 10),
    )

    def __init__(self) -> None:
        super().__init__()
        self.day: date = self.app.clock().date()
        #: Facility standards not yet ticked today (None: not known yet).
        self.opening: list[str] | None = None
        #: The interval each visit is in now, with its standard (the stage stopwatch).
        self.runs: Mapping[int, Interval] = {}
        #: When each walk-in car recorded as here (c) and not yet written up came.
        self.waiting: list = []

    def load(self) -> None:
        self.set_title(self.title_text())
        early = self.app.early_rows(self.day)
        if early is not None:
            # today's rows as read at start-up (desk.store.reads): on screen now,
            # read again through the services once they are up (store_opened)
            if self.rows is not early:  # mount and resume both load: draw them once
                self.show_rows(early)
                self.call_after_refresh(self.app.first_board_painted)
            return
        super().load()

    def store_opened(self) -> None:
        """The services are up (the board was shown from the start-up read)."""
        self.load()

    def title_text(self, opening: list[str] | None = None) -> Text:
        """The day, and today's opening checklist (facility standards) state."""
        out = Text(_("Appointments for {day}", day=self.day.isoformat()))
        if opening is not None and self.day == self.app.clock().date():
            out.append("   ")
            if opening:
                out.append(_("Opening checklist: {n} open (f9, 4)", n=len(opening)), style="bold yellow")
            else:
                out.append(_("Opening checklist done"), style="green")
        if self.waiting and self.day == self.app.clock().date():
            out.append("   ")
            out.append(
                _n(
                    "{n} walk-in waiting since {time} (i writes up)",
                    "{n} walk-ins waiting, the first since {time} (i writes up)",
                    len(self.waiting),
                    time=f"{self.waiting[0]:%H:%M}",
                ),
                style="bold yellow",
            )
        trouble = self.app.store.anchor_trouble
        if trouble is not None:
            out.append("\n")
            out.append(
                _(
                    "Saves since {since} are not anchored outside the database: {folder} cannot be written "
                    "({detail}). Removing the newest audit events would go unnoticed until it can",
                    since=trouble.since,
                    folder=trouble.folder,
                    detail=trouble.detail,
                ),
                style="bold white on red",
            )
        return out

    def anchor_changed(self) -> None:
        """The audit log's anchor failed, or works again: the title says so."""
        self.set_title(self.title_text(self.opening))

    def fetch(self) -> BoardRead:
        """In the worker: the day's rows, their stopwatches and (today) the opening checklist."""
        day = self.day
        rows = self.desk.booking.board(day)
        runs = self.desk.timeline.running(r.visit_id for r in rows)
        today = day == self.app.clock().date()
        opening = tuple(self.desk.setup.opening_open_items(day)) if today else None
        waiting = tuple(self.desk.booking.waiting_walk_ins()) if today else None
        return BoardRead(tuple(rows), MappingProxyType(runs), opening, waiting)

    def take(self, read: BoardRead) -> None:
        self.runs = read.runs
        if read.opening is not None:
            self.opening = list(read.opening)
        if read.waiting is not None:
            self.waiting = list(read.waiting)
        self.show_rows(list(read.rows))

    def cells(self, r) -> tuple:
        now = self.app.clock()
        slow = over(self.runs, r.visit_id, now)
        style = OVER_STYLE if slow else ""
        return (
            r.time.strftime("%H:%M") if r.time else "",
            literal(r.customer, style=style),
            Text(r.plate, style=style),
            _(STAGE_LABELS[Stage(r.stage)]) + (" " + _("walk-in") if r.walk_in else ""),
            over_text(slow, now) + flags_text(r),
            Text(r.vehicle),
            literal(r.concern),
            Text(r.advisor),
        )

    def show_rows(self, rows) -> None:
        super().show_rows(rows)
        title = self.title_text(self.opening)
        if not rows:
            # said on the title line of the day shown, once (a notice per reload
            # stacked up, and said "today" of any day)
            today = self.day == self.app.clock().date()
            title.append("   " + (_("No visits today") if today else _("No visits on this day")), style="dim")
        self.set_title(title)

    def current_visit(self) -> int | None:
        return self.current_key()

    # ------------------------------------------------------------------ navigation

    def action_day(self, delta: int) -> None:
        self.day += timedelta(days=delta)
        self.load()

    def action_today(self) -> None:
        self.day = self.app.clock().date()
        self.load()

    def action_refresh(self) -> None:
        self.load()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self.current_row()
        if row is None:
            return
        from desk.screens.visit import screen_for

        screen = screen_for(row.stage, row.visit_id)
        if screen is None:
            self.notify(_("This visit is {stage}", stage=_(STAGE_LABELS[Stage(row.stage)])))
            return
        self.app.push_screen(screen)

    def action_arrive(self) -> None:
        """The car is here. When the appointment's open items are the advisor's
        own (the special notes reviewed, APPT-07), they are named, with the note,
        and ``y`` ticks them with the arrival, in one change; ``n`` opens the
        appointment with the cursor on the first. Other open items refuse the
        arrival, named, on the appointment's checklist."""
        row = self.current_row()
        if row is None or row.stage != Stage.BOOKED:
            return
        vid, ref = row.visit_id, row.ref
        from desk.domain import staff
        from desk.domain.errors import GuardFailed
        from desk.screens.visit import screen_for

        def arrived(_stage) -> None:
            self.app.push_screen(screen_for(Stage.RECEPTION, vid))

        def open_appointment() -> None:
            self.app.push_screen(screen_for(Stage.BOOKED, vid, focus_open=True))

        def refused(exc) -> None:
            # show the appointment's checklist with the open items
            self.show_error(exc)
            open_appointment()

        def arrive(tick=()) -> None:
            self.run_db(
                lambda: self.desk.lifecycle.arrive(self.user, ref, tick=tick),
                arrived,
                failed=lambda exc: ask(exc) if not tick else refused(exc),
            )

        def ask(exc) -> None:
            mine = staff.yours_to_tick(self.user, exc.items) if isinstance(exc, GuardFailed) else []
            if not mine or len(mine) != len(exc.items):
                refused(exc)
                return
            from desk.widgets.dialogs import ConfirmDialog

            question = Text(_("{customer} ({plate}) has arrived.", customer=row.customer, plate=row.plate))
            question.append(
                "\n" + _("Still open at the appointment: {items}", items="; ".join(s.item.text for s in mine))
            )
            question.append("\n")
            if row.special_note:
                question.append(_("Note: "), style="bold magenta")
                question.append(row.special_note)
            else:
                question.append(_("No special note on the customer."))
            question.append(
                "\n"
                + _n(
                    "Tick it as done by you and start the reception?",
                    "Tick them as done by you and start the reception?",
                    len(mine),
                )
            )
            ids = [s.item.id for s in mine]
            self.app.push_screen(ConfirmDialog(question), lambda yes: arrive(ids) if yes else open_appointment())

        arrive()

    def action_car_here(self) -> None:
        """A car without appointment is here: one key starts its clock, before the
        write-up (i); the walk-in visit takes this as its arrival."""

        def saved(_id) -> None:
            self.notify(_("Walk-in car here at {time}: the greeting counts from now", time=f"{self.app.clock():%H:%M}"))
            self.load()

        self.run_db(lambda: self.desk.booking.car_here(self.user), saved)

    # ------------------------------------------------------------------ booking

    def action_book(self) -> None:
        from desk.screens.lookup import LookupScreen

        self.app.push_screen(LookupScreen(), self._book_for)

    def _book_for(self, ids) -> None:
        if not ids:
            return
        customer_id, vehicle_id = ids
        now = self.app.clock()
        window = self.desk.ctx.policy.comeback_window_days

        def prepare():
            recent = [
                v
                for v in self.desk.people.vehicle_visits(vehicle_id, limit=3)
                if v["stage"] not in (Stage.BOOKED, Stage.CANCELLED, Stage.NO_SHOW)
                and (now.date() - v["day"]).days <= window
            ]
            earliest = self.desk.booking.earliest_free_slot(now) if recent else None
            last = next(
                (
                    v
                    for v in self.desk.people.vehicle_visits(vehicle_id, limit=3)
                    if v["stage"] in (Stage.DELIVERED, Stage.FOLLOWED_UP)
                ),
                None,
            )
            due = last is not None and service_due(self.desk.lifecycle.next_service_due(last["id"])[0], now.date())
            return recent, earliest, self.desk.carryover.for_vehicle(vehicle_id), due

        def show(result) -> None:
            from desk.screens.booking import booking_form
            from desk.widgets.carryover import offers_text

            recent, earliest, offers, due = result
            hint = ""
            if recent:
                hint = _("Recent visit {day}: if this is a comeback, offer the earliest slot", day=recent[0]["day"])
            if offers:  # declined work comes back: offer it now; r on the booked visit adds it
                hint = "\n".join(
                    filter(None, [hint, offers_text(offers, self.app.settings.currency_symbol).plain.rstrip()])
                )
            when = earliest or self.desk.ctx.schedule.booking_default(now, self.day)
            self.app.push_screen(
                booking_form(self.app, when=when, comeback_hint=hint, service_due=due),
                lambda values: self._save_booking(customer_id, vehicle_id, values),
            )

        self.run_db(prepare, show)

    def _save_booking(self, customer_id: int, vehicle_id: int, values, overbook: bool = False) -> None:
        if not values:
            return
        from desk.widgets.dialogs import ConfirmDialog

        def book_as(actor):
            return self.desk.booking.book(
                actor,
                customer_id=customer_id,
                vehicle_id=vehicle_id,
                booking=BookingDraft.from_form(values),
                overbook=overbook,
            )

        def booked(_ref) -> None:
            self.day = values["when"].date()
            self.notify(_("Booked for {when}", when=values["when"].strftime("%Y-%m-%d %H:%M")))
            self.load()

        def refused(exc) -> None:
            self.show_error(exc)
            full = isinstance(exc, InvalidInput) and exc.field == "when" and "slot" in exc.reason
            if full and not overbook:
                # a manager or foreman overbooks; anyone else asks one for their PIN
                self.app.push_screen(
                    ConfirmDialog(_("The slot is full. Overbook it?")),
                    lambda yes: yes and self._save_booking(customer_id, vehicle_id, values, overbook=True),
                )

        if overbook:
            self.run_as_or_approved(
                _("Overbook {when}", when=values["when"].strftime("%Y-%m-%d %H:%M")),
                lambda actor: book_as(actor),
                booked,
                failed=refused,
            )
            return
        self.run_db(lambda: book_as(self.user), booked, failed=refused)

    def action_walk_in(self) -> None:
        from desk.screens.lookup import LookupScreen

        self.app.push_screen(LookupScreen(), self.walk_in_for)

    def walk_in_for(self, ids) -> None:
        if not ids:
            return
        customer_id, vehicle_id = ids
        from desk.screens.booking import concern_form
        from desk.screens.visit import screen_for

        def save(values) -> None:
            if not values:
                return
            self.run_db(
                lambda: self.desk.booking.walk_in(
                    self.user,
                    customer_id=customer_id,
                    vehicle_id=vehicle_id,
                    concerns=(ConcernDraft.from_form(values),),
                ),
                lambda ref: self.app.push_screen(screen_for(Stage.RECEPTION, ref.id)),
            )

        self.app.push_screen(concern_form(_("Walk-in: the customer's request")), save)

    # ------------------------------------------------------------------ lists

    def action_week(self) -> None:
        start = self.day - timedelta(days=self.day.weekday())
        from desk.widgets.dialogs import PickDialog

        def show(days) -> None:
            choices = [
                (
                    d,
                    _n(
                        "{day}  {n} appointment, {a} arrived",
                        "{day}  {n} appointments, {a} arrived",
                        n,
                        day=f"{d:%a %Y-%m-%d}",
                        a=a,
                    ),
                )
                for d, n, a in days
            ]

            def chosen(day) -> None:
                if day:
                    self.day = day
                    self.load()

            self.app.push_screen(PickDialog(_("Week from {day}", day=start.isoformat()), choices), chosen)

        self.run_db(lambda: self.desk.booking.week(start), show)

    def action_reminders(self) -> None:
        from desk.widgets.dialogs import PickDialog

        def show(items) -> None:
            if not items:
                self.notify(_("No reminders or late calls due"))
                return
            now = self.app.clock()
            labels = {"day": _("remind 1 day before"), "hour": _("remind 1 hour before")}

            def label(rem) -> str:
                if rem.kind != LATE:
                    return labels.get(rem.kind, rem.kind)
                # on the list from the appointment time; the first column is its deadline
                return _("LATE: call overdue") if now > rem.due_at else _("LATE: call before this time")

            choices = [
                (
                    rem.id,
                    f"{rem.due_at:%H:%M}  {label(rem)}  {cust.name}  {show_phone(cust.phone)}  "
                    f"{visit.appointment_at:%m-%d %H:%M}",
                )
                for rem, visit, cust in items
            ]
            self.reminder_visits = {rem.id: VisitRef(visit.id, visit.version) for rem, visit, _cust in items}
            self.app.push_screen(PickDialog(_("Reminders and late calls due"), choices), self._reminder_outcome)

        self.run_db(self.desk.booking.reminders, show)

    def _reminder_outcome(self, reminder_id) -> None:
        if reminder_id is None:
            return
        from desk.widgets.dialogs import FormDialog, FormField

        form = FormDialog(
            _("Outcome of the call"),
            [
                FormField.of(fields.REMINDER_OUTCOME, _("e.g. reminded / coming / rebook / no answer")),
            ],
        )
        # a refused save (the visit moved on) keeps the form and what was typed
        opened = {"ref": self.reminder_visits[reminder_id]}
        self.submit(
            form,
            lambda v: self.desk.booking.complete_reminder(self.user, opened["ref"], reminder_id, v["outcome"]),
            reapply=lambda current: opened.update(ref=current),
        )

    def action_welcome_list(self) -> None:
        tomorrow = self.app.clock().date() + timedelta(days=1)

        def export():
            from desk.output.files import printouts_folder

            names = self.desk.booking.welcome_list(self.user, tomorrow)
            folder = printouts_folder(self.desk.ctx.engine.url)  # the shop's own, never another's
            path = folder / f"welcome-{tomorrow.isoformat()}.txt"
            header = _("Welcome! {shop} looks forward to seeing you", shop=self.app.settings.shop_name)
            path.write_text(header + "\n\n" + "\n".join(names) + "\n", encoding="utf-8")
            return path, len(names)

        self.run_db(
            export,
            lambda r: self.notify(
                _n(
                    "Welcome list for {day}: {n} name in {path}",
                    "Welcome list for {day}: {n} names in {path}",
                    r[1],
                    day=tomorrow.isoformat(),
                    path=str(r[0]),
                ),
                timeout=10,
            ),
        )
