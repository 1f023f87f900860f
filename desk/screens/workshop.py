"""Repair (spec stage 5): start and finish lines, parts arriving, a technician's
finding becoming a line *pending approval*, the customer's decision, and progress
updates to the waiting customer. No unapproved line can be started or finished:
the service refuses it, and the screen says why."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from desk.domain import fields, kpi, staff
from desk.domain.drafts import DecisionDraft, FindingDraft
from desk.domain.entities import Approval, Availability, LineKind
from desk.domain.money import format_money, line_net, priced
from desk.domain.process import Stage
from desk.i18n import N_, _, _n
from desk.screens.visit import VisitScreen
from desk.widgets.dialogs import FormDialog, FormField, PickDialog
from desk.widgets.lines import STOCK_WIDTH, WORK_WIDTH, description_cell, stock_cell, work_cell
from desk.widgets.tables import row_height
from desk.widgets.when import at_text

APPROVAL_LABELS = {
    Approval.APPROVED: N_("approved"),
    Approval.PENDING: N_("waiting approval"),
    Approval.DECLINED: N_("declined"),
}
#: The approval in the line table's narrow column.
APPROVAL_SHORT = {Approval.APPROVED: N_("approved"), Approval.PENDING: N_("to ask"), Approval.DECLINED: N_("declined")}
APPROVAL_STYLE = {Approval.APPROVED: "green", Approval.PENDING: "bold yellow", Approval.DECLINED: "dim"}


def approval_cell(ln, authorised: bool) -> Text:
    """The line's approval as true as the record: an estimate line no valid
    signature covers (the car went in on a waiver of EST-07, or the signature was
    voided) is "unsigned", never "approved"; added work has its own decision."""
    if ln.approval == Approval.APPROVED and not ln.added_in_repair and not authorised:
        return Text(_("unsigned"), style="bold red")
    return Text(_(APPROVAL_SHORT[ln.approval]), style=APPROVAL_STYLE[ln.approval])


def clocked_text(t) -> Text:
    """ "0:40/1:30▶张强": clocked so far against the hours sold, and who is on it (the
    column is 10 wide to fit 80: the name may be cut; the progress board shows it whole)."""
    if t is None or (not t.clocked_seconds and not t.on):
        return Text("")
    out = Text(kpi.hm(t.clocked_seconds))
    if t.sold_milli:
        out.append("/" + kpi.hm(t.sold_milli * 36 // 10), style="dim")
    if t.on:
        out.append("▶" + ",".join(t.on), style="bold green")
    return out


class WorkLines(DataTable):
    """The visit's lines with their approval and work state."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        # within 80 columns (the body stacks the lines over the checklist); the
        # work column names the technician: "done 张强"
        for key, label, width in (
            ("desc", N_("Description"), 12),  # wraps: never cut
            ("amount", N_("Amount"), 9),
            ("approval", N_("Approval"), 8),
            ("avail", N_("Stock"), STOCK_WIDTH),
            ("work", N_("Work"), WORK_WIDTH + 2),
            ("clocked", N_("Clocked / sold"), 10),
        ):
            self.add_column(_(label), key=key, width=width)
        self.line_ids: list[int] = []

    def show(self, view, names: dict[int, str], times: dict | None = None) -> None:
        row = self.cursor_row
        self.clear()
        self.line_ids = []
        for ln in view.lines:
            waiting = (
                ln.kind == LineKind.PART
                and ln.availability == Availability.BACK_ORDER
                and not (ln.started or ln.is_done)
            )
            work = (
                Text(_("waiting part"), style="yellow") if waiting else work_cell(ln, names, view.visit.technician_id)
            )
            cells = (
                description_cell(ln),
                format_money(line_net(priced(ln))),
                approval_cell(ln, view.authorised),
                stock_cell(ln),
                work,
                clocked_text((times or {}).get(ln.id)),
            )
            self.add_row(*cells, key=str(ln.id), height=row_height(self, cells))
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
    STACKED = True  # the line table needs the width
    BINDINGS = [
        Binding("s", "start_line", N_("Start line"), id="workshop.start_line"),
        Binding("d", "finish_line", N_("Line done"), id="workshop.finish_line"),
        Binding("r", "part_arrived", N_("Part arrived"), id="workshop.part_arrived"),
        Binding("g", "found_work", N_("Found work"), id="workshop.found_work"),
        Binding("y", "decision", N_("Customer decision"), id="workshop.decision"),
        Binding("u", "progress_update", N_("Progress update"), id="workshop.progress_update"),
        Binding("a", "assign", N_("Assign technician"), id="workshop.assign"),
        Binding("c", "clock", N_("Clock on/off"), id="workshop.clock"),
        Binding(
            "t",
            "promised",
            N_("Move the promise"),
            id="workshop.promised",
            show=False,
            tooltip=N_("A later promised time, with the customer's approval"),
        ),
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
            out.append(at_text(v.promised_at, self.app.clock()))
            if v.signed_promised_at and v.signed_promised_at != v.promised_at:
                out.append("  " + _("(signed for {at})", at=f"{v.signed_promised_at:%m-%d %H:%M}"), style="dim")
            if view.hold:
                out.append("\n" + _("HOLD") + ": " + _(view.hold.upper()), style="bold yellow reverse")
            out.append("\n" + _("Lines marked * were added during repair"), style="dim")
            self.query_one("#work-summary", Static).update(out)

        self.run_db(names, fill)

    def call(self, fn) -> None:
        self.run_db(fn, lambda _r: self.reload())

    def action_start_line(self) -> None:
        """Start the line in a technician's name: a technician starts it as
        themselves; on anyone else's terminal the technician who starts it acts
        as themselves with their PIN (``staff.may_work_as``). Nobody on the car
        yet: the one who starts it is assigned, in the same change."""
        line = self.query_one(WorkLines).selected
        if line is None:
            return
        assigned, bay = self.view.visit.technician_id, self.view.visit.bay or ""

        def start(actor):
            if assigned:
                return self.desk.workshop.start_line(actor, self.ref, line)
            return self.desk.workshop.start_line(
                actor, self.ref, line, bay=bay, technician_id=actor.id if staff.is_technician(actor) else None
            )

        self.run_as_or_approved(_("Start line"), start, lambda _r: self.reload(), who=self.desk.workshop.who_may_work)

    def action_finish_line(self) -> None:
        """The line is done, in the name of the technician who did it: on
        another's terminal they act as themselves with their PIN, as for QC."""
        line = self.query_one(WorkLines).selected
        if line is None:
            return
        self.run_as_or_approved(
            _("Line done"),
            lambda actor: self.desk.workshop.finish_line(actor, self.ref, line),
            lambda _r: self.reload(),
            who=self.desk.workshop.who_may_work,
        )

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

        if staff.is_technician(self.user) or not staff.can(self.user, staff.Act.CLOCK_OTHERS):
            self.run_as_or_approved(
                _("Clock on or off a line"),
                lambda actor: self.desk.clocking.clock(actor, self.ref, line),
                clocked,
                who=self.desk.clocking.who_may_clock,
            )
            return

        def show(users) -> None:
            choices = [(u.id, u.name) for u in staff.technicians(users)]
            self.app.push_screen(
                PickDialog(_("Clock which technician?"), choices),
                lambda tid: (
                    tid and self.run_db(lambda: self.desk.clocking.clock(self.user, self.ref, line, tid), clocked)
                ),
            )

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

        form = FormDialog(
            _("Found during repair: the customer must approve before work"),
            [
                FormField.of(fields.FINDING, _("What was found")),
                FormField.of(fields.GRADE, _("Grade: g = green, y = yellow, r = red"), "y"),
                FormField.of(fields.KIND, _("Kind: l = labour, p = part, f = fee"), "p"),
                FormField.of(fields.DESCRIPTION, _("Description")),
                FormField.of(fields.QTY, _("Quantity"), "1"),
                FormField.of(fields.UNIT_PRICE, _("Unit price")),
            ],
            check=check,
        )

        self.submit(
            form,
            lambda values: self.desk.workshop.add_found_work(
                self.user, self.ref, finding=FindingDraft.from_form(values, during_repair=True), line=drafted["line"]
            ),
        )

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
                _n(
                    "Customer's decision on {n} added line ({total} before tax)",
                    "Customer's decision on {n} added lines ({total} before tax)",
                    len(ids),
                    total=format_money(total),
                ),
                [
                    FormField.of(fields.CHANNEL, _("Channel: 1 = in person, 2 = phone")),
                    FormField.of(fields.SIGNER, _("Decided by"), self.view.customer.name),
                    FormField.of(fields.REFERENCE, _("Paper RO number, or the phone number")),
                ],
            )
            # recorded by an advisor who did not find the work (staff.may_record_decision):
            # on a technician's terminal an advisor acts as themselves with their PIN
            self.submit(
                form,
                lambda v, actor: self.desk.workshop.decide_added_work(
                    actor, self.ref, ids, approve=approve, decision=DecisionDraft(**v)
                ),
                approve=_("Customer decision"),
                who=lambda: self.desk.workshop.who_may_decide(ids),
            )

        self.app.push_screen(
            PickDialog(
                _("The customer..."),
                [
                    (True, _("approves the added work")),
                    (False, _("declines it (kept as a recommendation)")),
                ],
            ),
            decided,
        )

    def action_promised(self) -> None:
        self.move_promise()

    def action_progress_update(self) -> None:
        form = FormDialog(
            _("Progress update to the customer"),
            [
                FormField.of(fields.PROGRESS_UPDATE, _("What the customer was told")),
            ],
        )
        self.submit(form, lambda v: self.desk.workshop.progress_update(self.user, self.ref, v["text"]))

    def action_assign(self) -> None:
        def show(users) -> None:
            choices = [(u.id, u.name) for u in staff.technicians(users)]
            self.app.push_screen(
                PickDialog(_("Assign technician"), choices),
                lambda tid: (
                    tid
                    and self.call(
                        lambda: self.desk.lifecycle.assign(self.user, self.ref, tid, self.view.visit.bay or "")
                    )
                ),
            )

        self.run_db(self.desk.people.users, show)
