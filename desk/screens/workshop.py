"""Repair (spec stage 5): start and finish lines, parts arriving, a technician's
finding becoming a line *pending approval*, the customer's decision, and progress
updates to the waiting customer. No unapproved line can be started or finished:
the service refuses it, and the screen says why."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from desk.domain import fields, kpi, staff, validate
from desk.domain.entities import Approval, Availability, Channel, LineKind, Role
from desk.domain.errors import InvalidInput
from desk.domain.money import format_money, line_net, priced
from desk.domain.process import Stage
from desk.i18n import N_, _, _n
from desk.screens.visit import VisitScreen
from desk.widgets.dialogs import FormDialog, FormField, PickDialog

APPROVAL_LABELS = {Approval.APPROVED: N_("approved"), Approval.PENDING: N_("waiting approval"),
                   Approval.DECLINED: N_("declined")}
APPROVAL_STYLE = {Approval.APPROVED: "green", Approval.PENDING: "bold yellow", Approval.DECLINED: "dim"}


def channel_field(value: str = "1") -> FormField:
    def parse(text: str) -> Channel:
        key = text.strip().lower()
        if key in ("1", "in person", "当面"):
            return Channel.IN_PERSON
        if key in ("2", "phone", "电话"):
            return Channel.PHONE
        raise InvalidInput("channel", "Channel is 1 (in person) or 2 (phone)")

    return FormField("channel", _("Channel: 1 = in person, 2 = phone"), value=value, parse=parse)


def clocked_text(t) -> Text:
    """"0:40 / 1:30 ▶张强": clocked so far against the hours sold, and who is on it."""
    if t is None or (not t.clocked_seconds and not t.on):
        return Text("")
    out = Text(kpi.hm(t.clocked_seconds))
    if t.sold_milli:
        out.append(" / " + kpi.hm(t.sold_milli * 36 // 10), style="dim")
    if t.on:
        out.append(" ▶" + ",".join(t.on), style="bold green")
    return out


class WorkLines(DataTable):
    """The visit's lines with their approval and work state."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        for key, label, width in (
            ("desc", N_("Description"), 26), ("qty", N_("Qty"), 5), ("amount", N_("Amount"), 10),
            ("approval", N_("Approval"), 16), ("work", N_("Work"), 14), ("by", N_("Technician"), 10),
            ("clocked", N_("Clocked / sold"), 22),
        ):
            self.add_column(_(label), key=key, width=width)
        self.line_ids: list[int] = []

    def show(self, view, names: dict[int, str], times: dict | None = None) -> None:
        row = self.cursor_row
        self.clear()
        self.line_ids = []
        for ln in view.lines:
            if ln.is_done:
                work = Text(_("done"), style="green")
            elif ln.started:
                work = Text(_("in work"), style="cyan")
            elif ln.kind == LineKind.PART and ln.availability == Availability.BACK_ORDER:
                work = Text(_("waiting part") + (f" {ln.eta:%m-%d}" if ln.eta else ""), style="yellow")
            else:
                work = Text(_("to do"))
            self.add_row(
                Text(ln.description + (" *" if ln.added_in_repair else "")), f"{ln.qty.normalize():f}",
                format_money(line_net(priced(ln))),
                Text(_(APPROVAL_LABELS[ln.approval]), style=APPROVAL_STYLE[ln.approval]),
                work, Text(names.get(ln.done_by, "")), clocked_text((times or {}).get(ln.id)), key=str(ln.id),
            )
            self.line_ids.append(ln.id)
        if self.line_ids:
            self.move_cursor(row=min(row, len(self.line_ids) - 1))

    @property
    def selected(self) -> int | None:
        if not self.line_ids:
            return None
        return self.line_ids[min(self.cursor_row, len(self.line_ids) - 1)]


class WorkshopScreen(VisitScreen):
    stage = Stage.IN_REPAIR
    BINDINGS = [
        Binding("s", "start_line", N_("Start line"), id="workshop.start_line"),
        Binding("d", "finish_line", N_("Line done"), id="workshop.finish_line"),
        Binding("r", "part_arrived", N_("Part arrived"), id="workshop.part_arrived"),
        Binding("g", "found_work", N_("Found work"), id="workshop.found_work"),
        Binding("y", "decision", N_("Customer decision"), id="workshop.decision"),
        Binding("u", "progress_update", N_("Progress update"), id="workshop.progress_update"),
        Binding("a", "assign", N_("Assign technician"), id="workshop.assign"),
        Binding("c", "clock", N_("Clock on/off"), id="workshop.clock"),
    ]

    def compose_panel(self) -> ComposeResult:
        yield Static("", id="work-summary")
        yield WorkLines(id="work-lines")

    def show_panel(self, view) -> None:
        def names():
            return {u.id: u.name for u in self.desk.people.users()}, self.desk.clocking.line_times(view.visit.id)

        def fill(found) -> None:
            users, times = found
            self.names = users
            self.query_one(WorkLines).show(view, users, times)
            v = view.visit
            out = Text()
            out.append(_("Technician") + ": ", style="bold")
            out.append(users.get(v.technician_id, "-"))
            out.append("   " + _("Bay") + ": ", style="bold")
            out.append(v.bay or "-")
            out.append("   " + _("Promised") + ": ", style="bold")
            out.append(v.promised_at.strftime("%H:%M") if v.promised_at else "-")
            if view.hold:
                out.append("\n" + _("HOLD") + ": " + _(view.hold.upper()), style="bold yellow reverse")
            out.append("\n" + _("Lines marked * were added during repair"), style="dim")
            self.query_one("#work-summary", Static).update(out)

        self.run_db(names, fill)

    def call(self, fn) -> None:
        self.run_db(fn, lambda _r: self.reload())

    def action_start_line(self) -> None:
        line = self.query_one(WorkLines).selected
        if line is None:
            return
        if Role.TECHNICIAN in self.user.roles or self.view.visit.technician_id:
            self.call(lambda: self.desk.workshop.start_line(self.user, self.ref, line))
            return
        # nobody on the car yet: the advisor says who starts it
        bay = self.view.visit.bay or ""

        def start(tech_id) -> None:
            if tech_id:  # assigned and started in one change: a refused start assigns nobody
                self.call(lambda: self.desk.workshop.start_line(self.user, self.ref, line, technician_id=tech_id,
                                                                bay=bay))

        def show(users) -> None:
            choices = [(u.id, u.name) for u in users if Role.TECHNICIAN in u.roles and u.active]
            self.app.push_screen(PickDialog(_("Started by which technician?"), choices), start)

        self.run_db(self.desk.people.users, show)

    def action_finish_line(self) -> None:
        line = self.query_one(WorkLines).selected
        if line is None:
            return
        if Role.TECHNICIAN in self.user.roles:
            self.call(lambda: self.desk.workshop.finish_line(self.user, self.ref, line))
            return

        def show(users) -> None:
            choices = [(u.id, u.name) for u in users if Role.TECHNICIAN in u.roles and u.active]
            self.app.push_screen(PickDialog(_("Done by which technician?"), choices),
                                 lambda tid: tid and self.call(lambda: self.desk.workshop.finish_line(self.user, self.ref, line, tid)))

        self.run_db(self.desk.people.users, show)

    def action_clock(self) -> None:
        """A technician clocks themselves on or off the line; a manager or foreman
        says for whom; anyone else hands the terminal to a technician (act as,
        with their PIN)."""
        line = self.query_one(WorkLines).selected
        if line is None:
            return

        def clocked(on) -> None:
            self.notify(_("Clocked on") if on else _("Clocked off"))
            self.reload()

        if Role.TECHNICIAN in self.user.roles or not staff.can(self.user, staff.Act.CLOCK_OTHERS):
            self.run_as_or_approved(_("Clock on or off a line"),
                                    lambda actor: self.desk.clocking.clock(actor, self.ref, line), clocked,
                                    who=self.desk.clocking.who_may_clock)
            return

        def show(users) -> None:
            choices = [(u.id, u.name) for u in users if Role.TECHNICIAN in u.roles and u.active]
            self.app.push_screen(PickDialog(_("Clock which technician?"), choices), lambda tid: tid and self.run_db(
                lambda: self.desk.clocking.clock(self.user, self.ref, line, tid), clocked))

        self.run_db(self.desk.people.users, show)

    def action_part_arrived(self) -> None:
        line = self.query_one(WorkLines).selected
        if line is not None:
            self.call(lambda: self.desk.workshop.part_arrived(self.user, self.ref, line))

    def action_found_work(self) -> None:
        line_keys = ("description", "qty", "unit_cents")
        drafted: dict = {}

        def check(values: dict) -> None:
            drafted["line"] = self.desk.estimate.form_line({k: values[k] for k in line_keys}, kind=values["kind"])

        form = FormDialog(_("Found during repair: the customer must approve before work"), [
            FormField.of(fields.FINDING, _("What was found")),
            FormField.of(fields.GRADE, _("Grade: g = green, y = yellow, r = red"), "y"),
            FormField.of(fields.KIND, _("Kind: l = labour, p = part, f = fee"), "p"),
            FormField.of(fields.DESCRIPTION, _("Description")),
            FormField.of(fields.QTY, _("Quantity"), "1"),
            FormField.of(fields.UNIT_PRICE, _("Unit price")),
        ], check=check)

        self.submit(form, lambda values: self.desk.workshop.add_found_work(
            self.user, self.ref, finding=values["finding"], grade=values["grade"], line=drafted["line"]))

    def action_decision(self) -> None:
        pending = [ln for ln in self.view.lines if ln.approval == Approval.PENDING]
        if not pending:
            self.notify(_("No line is waiting for approval"))
            return
        ids = [ln.id for ln in pending]
        total = sum(line_net(priced(ln)) for ln in pending)

        def decided(approve) -> None:
            if approve is None:
                return
            form = FormDialog(
                _n("Customer's decision on {n} added line ({total} before tax)", "Customer's decision on {n} added lines ({total} before tax)", len(ids),
                  total=format_money(total)),
                [
                    channel_field("2"),
                    FormField("signer", _("Decided by"), value=self.view.customer.name, parse=validate.name),
                    FormField("reference", _("Paper RO number, or the phone number"), value=self.view.customer.phone,
                              parse=lambda s: validate.text(s, field="reference", max_len=40)),
                ],
            )
            self.submit(form, lambda v: self.desk.workshop.decide_added_work(self.user, self.ref, ids, approve=approve, **v))

        self.app.push_screen(PickDialog(_("The customer..."), [
            (True, _("approves the added work")), (False, _("declines it (kept as a recommendation)")),
        ]), decided)

    def action_progress_update(self) -> None:
        form = FormDialog(_("Progress update to the customer"), [
            FormField("text", _("What the customer was told"),
                      parse=lambda s: validate.text(s, field="update", max_len=500, required=True)),
        ])
        self.submit(form, lambda v: self.desk.workshop.progress_update(self.user, self.ref, v["text"]))

    def action_assign(self) -> None:
        def show(users) -> None:
            choices = [(u.id, u.name) for u in users if Role.TECHNICIAN in u.roles and u.active]
            self.app.push_screen(PickDialog(_("Assign technician"), choices), lambda tid: tid and self.call(
                lambda: self.desk.lifecycle.assign(self.user, self.ref, tid, self.view.visit.bay or "")))

        self.run_db(self.desk.people.users, show)
