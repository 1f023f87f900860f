"""Shop set-up (f9): settings, checklist templates, canned jobs, the daily opening
checklist, users and roles — one screen, a section per number key.

Everyone sees the set-up; a change needs a manager: the signed-in manager, or a
manager's PIN on the spot (:class:`~desk.widgets.approval.ManagerApproval`). The
opening checklist is ticked by whoever opens the reception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from desk.domain import fields, money, staff
from desk.domain import setup as rules
from desk.domain.drafts import CannedJobDraft, CannedLineDraft
from desk.domain.entities import ROLE_LABELS, LineKind, Role
from desk.domain.process import STAGE_LABELS, Stage
from desk.i18n import N_, _, _n, lang_text
from desk.screens.base import DeskScreen
from desk.widgets.dialogs import ConfirmDialog, FormDialog, FormField, PickDialog
from desk.widgets.footer import DeskFooter
from desk.widgets.safe import literal

#: section -> (title msgid, columns: (key, label msgid, width))
SECTIONS: dict[str, tuple[str, tuple[tuple[str, str, int], ...]]] = {
    "settings": (N_("Settings"), (("what", N_("Setting"), 30), ("value", N_("Value"), 24), ("source", N_("From"), 26))),
    "checklist": (
        N_("Checklist templates"),
        (
            ("id", N_("Id"), 8),
            ("stage", N_("Stage"), 11),
            ("item", N_("Item"), 52),
            ("kind", N_("Kind"), 10),
            ("note", N_("Note"), 14),
        ),
    ),
    "jobs": (
        N_("Canned jobs"),
        (
            ("id", N_("Code"), 14),
            ("name", N_("Job name"), 30),
            ("lines", N_("Lines"), 6),
            ("total", N_("Net total"), 14),
        ),
    ),
    "opening": (
        N_("Opening checklist"),
        (("id", N_("Id"), 7), ("item", N_("Facility standard"), 44), ("by", N_("Ticked by"), 14), ("at", N_("At"), 6)),
    ),
    "users": (
        N_("Users & roles"),
        (("name", N_("Name"), 18), ("roles", N_("Role"), 18), ("active", N_("Active"), 8), ("pin", N_("PIN"), 8)),
    ),
}
ORDER = tuple(SECTIONS)

#: (binding action, sections where it applies)
ACTIONS = {
    "edit": {"settings", "users"},
    "add": {"checklist", "jobs", "users"},
    "required": {"checklist"},
    "add_line": {"jobs"},
    "delete": {"checklist", "jobs"},
    "tick": {"opening"},
    "active": {"users"},
    "pin": {"users"},
    "clear_pin": {"users"},
    "clear_lockout": {"users"},
}


class SetupScreen(DeskScreen):
    MANAGERS_APPROVE = True  # the set-up is a manager's: a foreman's PIN is not offered
    BINDINGS = [
        Binding("1", "section('settings')", N_("Settings"), id="setup.settings"),
        Binding("2", "section('checklist')", N_("Checklist"), id="setup.checklist"),
        Binding("3", "section('jobs')", N_("Canned jobs"), id="setup.jobs"),
        Binding("4", "section('opening')", N_("Opening"), id="setup.opening", tooltip=N_("Opening checklist")),
        Binding("5", "section('users')", N_("Users"), id="setup.users", tooltip=N_("Users & roles")),
        Binding("e", "edit", N_("Change"), id="setup.edit"),
        Binding("a", "add", N_("Add"), id="setup.add"),
        Binding("r", "required", N_("Required / recommended"), id="setup.required"),
        Binding("l", "add_line", N_("Add line"), id="setup.add_line"),
        Binding("d", "delete", N_("Delete"), id="setup.delete"),
        Binding("space", "tick", N_("Tick"), id="setup.tick"),
        Binding("x", "active", N_("Deactivate / reactivate"), id="setup.active"),
        Binding("p", "pin", N_("Set PIN"), id="setup.pin"),
        Binding("c", "clear_pin", N_("Clear PIN"), id="setup.clear_pin"),
        Binding("u", "clear_lockout", N_("Clear lock-out"), id="setup.clear_lockout", show=False),
    ]

    DEFAULT_CSS = """
    #setup-title { text-style: bold; padding: 0 1; }
    #setup-tabs { padding: 0 1; color: $text-muted; }
    #setup-note { padding: 0 1; color: $warning; height: auto; }
    /* the table scrolls, not the screen (whose scrollbar would cover the footer) */
    #setup-table { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.section = "settings"
        self.rows: list = []
        self.pin_users: set[int] = set()
        #: users locked out by wrong PINs: id -> seconds left
        self.locked: dict[int, int] = {}

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield Static("", id="setup-title")
        yield Static("", id="setup-tabs")
        yield DataTable(id="setup-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="setup-note")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.show_section()

    def on_screen_resume(self) -> None:
        self.load()

    def on_data_changed(self, message) -> None:
        if not message.visit_ids:
            self.load()

    # ------------------------------------------------------------------ showing

    @property
    def is_manager(self) -> bool:
        """May change the set-up here without a manager's PIN (``staff.can``)."""
        return staff.can(self.user, staff.Act.CHANGE_SETUP)

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action in ACTIONS:
            return self.section in ACTIONS[action]
        return True

    def show_section(self) -> None:
        title, columns = SECTIONS[self.section]
        self.query_one("#setup-title", Static).update(_("Shop set-up: {section}", section=_(title)))
        tabs = Text()
        for n, name in enumerate(ORDER, 1):
            label = f" {n} {_(SECTIONS[name][0])} "
            tabs.append(label, style="bold reverse" if name == self.section else "")
            tabs.append(" ")
        self.query_one("#setup-tabs", Static).update(tabs)
        if self.section == "opening":
            note = _("Tick each standard once the reception is ready; the appointment board shows when all are done")
        elif self.is_manager:
            note = ""
        else:
            note = _("Read-only: a change asks for a manager's PIN")
        self.query_one("#setup-note", Static).update(note)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key, label, width in columns:
            table.add_column(_(label), key=key, width=width)
        self.rows = []
        self.refresh_bindings()
        self.load()

    def load(self) -> None:
        section = self.section
        fetch: dict[str, Callable] = {
            "settings": self.desk.setup.shop_settings,
            "checklist": self.desk.setup.template_items,
            "jobs": self.desk.estimate.canned_jobs,
            "opening": self.desk.setup.opening_checklist,
            "users": lambda: (
                self.desk.people.users(),
                self.desk.security.pin_users(),
                self.desk.security.locked_users(),
            ),
        }
        self.run_db(fetch[section], lambda rows: self.show_rows(section, rows), group="setup", exclusive=True)

    def show_rows(self, section: str, rows) -> None:
        if section != self.section:
            return
        if section == "users":
            rows, self.pin_users, self.locked = rows
        table = self.query_one(DataTable)
        keep = table.cursor_row
        table.clear()
        self.rows = list(rows)
        cells: dict[str, Callable[[Any], tuple]] = {
            "settings": self.cells_settings,
            "checklist": self.cells_checklist,
            "jobs": self.cells_jobs,
            "opening": self.cells_opening,
            "users": self.cells_users,
        }
        for row in self.rows:
            table.add_row(*cells[section](row))
        if self.rows:
            table.move_cursor(row=min(keep, len(self.rows) - 1))
        table.focus()

    def cells_settings(self, v) -> tuple:
        symbol = getattr(self.app.settings, "currency_symbol", "")
        source = _("shop (all terminals)") if v.source == "shop" else _("default (this terminal)")
        return self.label(v), literal(rules.show(v.key, v.value, symbol)), source

    @staticmethod
    def label(v) -> str:
        return _(v.label, code=v.key.removeprefix(rules.TAX_PREFIX))

    def cells_checklist(self, v) -> tuple:
        item = v.item
        kind = Text(_("required"), style="bold") if item.required else Text(_("recommended"))
        note = _("MOT standard") if v.protected else _("shop's own") if v.own else _("changed") if v.changed else ""
        return item.id, _(STAGE_LABELS[Stage(item.stage)]), literal(item.text), kind, note

    def cells_jobs(self, job) -> tuple:
        total = money.format_money(
            self.desk.setup.job_total_cents(job), getattr(self.app.settings, "currency_symbol", "")
        )
        return job.id, literal(lang_text(job.en, job.zh)), str(len(job.lines)), total

    def cells_opening(self, v) -> tuple:
        mark = Text("✔ ", style="bold green") if v.ticked else Text("☐ ")
        return (v.item_id, mark + Text(_(v.label)), literal(v.by), v.at.strftime("%H:%M") if v.at else "")

    def cells_users(self, u) -> tuple:
        roles = ", ".join(_(ROLE_LABELS[r]) for r in sorted(u.roles))
        pin = (
            Text(_("locked"), style="bold red") if u.id in self.locked else _("set") if u.id in self.pin_users else "-"
        )
        return (literal(u.name), roles, _("yes") if u.active else Text(_("no"), style="bold red"), pin)

    def current(self):
        table = self.query_one(DataTable)
        if not self.rows or table.row_count == 0:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]

    # ------------------------------------------------------------------ doing

    def action_section(self, name: str) -> None:
        if name in SECTIONS and name != self.section:
            self.section = name
            self.show_section()

    def as_manager(self, what: str, fn: Callable) -> None:
        """Run ``fn(actor)`` as the signed-in manager, or after a manager's PIN."""
        if self.is_manager:
            fn(self.user)
            return
        from desk.widgets.approval import ManagerApproval

        def approved(manager) -> None:
            if manager is not None:
                fn(manager)

        self.app.push_screen(ManagerApproval(what, managers_only=True), approved)

    def save(self, call: Callable, message: str = N_("Saved")) -> None:
        def done(_result) -> None:
            self.notify(_(message), timeout=3)
            self.load()

        self.run_db(call, done)

    def action_edit(self) -> None:
        row = self.current()
        if row is None:
            return
        if self.section == "settings":
            self.edit_setting(row)
        elif self.section == "users":
            self.change_role(row)

    def edit_setting(self, view) -> None:
        values = {v.key: v.value for v in self.rows}
        taxes = frozenset(self.desk.ctx.pricing.taxes.rules)

        def parse(text: str) -> str:
            rules.change(values, view.key, text, tax_codes=taxes)  # the message stands beside the field
            return text

        shown = rules.as_typed(view.key, view.value)
        label = self.label(view)
        form = FormDialog(_("Change: {setting}", setting=label), [FormField("value", label, shown, parse)])
        # the form keeps the setting's version as it was when opened: a change made
        # meanwhile on another terminal is named, what was typed stays, ctrl+r re-applies it
        opened = {"version": view.version}

        def saved(_result) -> None:
            self.notify(_("Saved"), timeout=3)
            self.load()

        self.submit(
            form,
            lambda values_, actor: self.desk.setup.set_setting(actor, view.key, values_["value"], opened["version"]),
            saved,
            approve=_("Change: {setting}", setting=label),
            reapply=lambda current: opened.update(version=current),
        )

    def change_role(self, user) -> None:
        choices = [(r.value, _(ROLE_LABELS[r])) for r in Role]

        def picked(role) -> None:
            if role is not None:
                self.as_manager(
                    _("Change the role of {user}", user=user.name),
                    lambda actor: self.set_role(actor, user, role, seen=user.roles),
                )

        self.app.push_screen(PickDialog(_("Role of {user}", user=user.name), choices), picked)

    def set_role(self, actor, user, role: str, *, seen) -> None:
        """Save the role picked; when another manager changed the user's role since
        the picker opened, say theirs beside yours and offer to save yours on top
        (against the roles as they are now): the pick is never lost unsaid."""
        from desk.domain.errors import StaleEdit
        from desk.widgets.feedback import other_changes

        def done(_result) -> None:
            self.notify(_("Saved"), timeout=3)
            self.load()

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, StaleEdit):
                self.show_error(exc)
                return
            self.load()  # theirs on the screen behind
            question = Text(_("Not saved: changed on another terminal since this form was opened") + "\n")
            question.append(_("Theirs") + ": ", style="bold")
            question.append(other_changes(exc) + "\n")
            question.append(_("Yours") + ": ", style="bold")
            question.append(_(ROLE_LABELS[Role(role)]) + "\n\n")
            question.append(_("Save yours on top of theirs? (y/n)"))

            def answered(yes: bool | None) -> None:
                if yes:
                    self.run_db(
                        lambda: self.desk.people.user(user.id).roles,
                        lambda now: self.set_role(actor, user, role, seen=now),
                    )

            self.app.push_screen(ConfirmDialog(question), answered)

        self.run_db(lambda: self.desk.setup.set_user_role(actor, user.id, role, seen=seen), done, failed=refused)

    def action_add(self) -> None:
        add: dict[str, Callable[[], None]] = {
            "checklist": self.add_checklist,
            "jobs": self.add_jobs,
            "users": self.add_users,
        }
        add[self.section]()  # ACTIONS offers the key in these sections only

    def add_checklist(self) -> None:
        stages = [(s, _(STAGE_LABELS[Stage(s)])) for s in self.desk.ctx.templates.stages]

        def staged(stage) -> None:
            if stage is None:
                return
            form = FormDialog(
                _("New checklist item: {stage}", stage=_(STAGE_LABELS[Stage(stage)])),
                [
                    FormField.of(fields.ITEM_TEXT_EN, _("Text (English)")),
                    FormField.of(fields.ITEM_TEXT_ZH, _("Text (Chinese)")),
                    FormField.of(fields.ITEM_REQUIRED, _("Required? (y/n)"), "n"),
                ],
            )

            def typed(v) -> None:
                if v is None:
                    return
                role = rules.own_item_role(stage).value
                self.as_manager(
                    _("Add a checklist item"),
                    lambda actor: self.save(
                        lambda: self.desk.setup.add_template_item(
                            actor, stage=stage, en=v["en"], zh=v["zh"], required=v["required"], role=role
                        )
                    ),
                )

            self.app.push_screen(form, typed)

        self.app.push_screen(PickDialog(_("Stage of the new item"), stages), staged)

    def add_jobs(self) -> None:
        taken = {job.id for job in self.rows}
        form = FormDialog(
            _("New canned job"),
            [
                FormField(
                    "job_id",
                    _("Code (letters, digits, _)"),
                    placeholder="wipers",
                    parse=lambda s: rules.job_code(s, taken),
                ),
                FormField.of(fields.JOB_NAME_EN, _("Name (English)")),
                FormField.of(fields.JOB_NAME_ZH, _("Name (Chinese)")),
            ],
        )

        def typed(v) -> None:
            if v is None:
                return
            job = CannedJobDraft(v["job_id"], v["en"], v["zh"] or v["en"])
            self.as_manager(
                _("Add a canned job"), lambda actor: self.save(lambda: self.desk.setup.add_canned_job_def(actor, job))
            )

        self.app.push_screen(form, typed)

    def add_users(self) -> None:
        form = FormDialog(_("New user"), [FormField.of(fields.NAME, _("Name"))])

        def named(v) -> None:
            if v is None:
                return

            def picked(role) -> None:
                if role is None:
                    return
                self.as_manager(
                    _("Add a user"), lambda actor: self.save(lambda: self.desk.setup.add_user(actor, v["name"], role))
                )

            self.app.push_screen(
                PickDialog(_("Role of {user}", user=v["name"]), [(r.value, _(ROLE_LABELS[r])) for r in Role]), picked
            )

        self.app.push_screen(form, named)

    def action_required(self) -> None:
        view = self.current()
        if view is None:
            return
        item = view.item
        if view.protected:
            self.notify(
                _("{item} is required by the MOT standard and cannot be made optional", item=item.id),
                severity="warning",
            )
            return
        want = not item.required
        what = _("Make {item} required", item=item.id) if want else _("Make {item} recommended", item=item.id)
        self.as_manager(what, lambda actor: self.save(lambda: self.desk.setup.set_item_required(actor, item.id, want)))

    def action_add_line(self) -> None:
        job = self.current()
        if job is None:
            return
        kinds = [(LineKind.LABOUR.value, _("Labour")), (LineKind.PART.value, _("Part")), (LineKind.FEE.value, _("Fee"))]

        def kinded(kind) -> None:
            if kind is None:
                return
            form = FormDialog(
                _("New line of {job}", job=job.id),
                [
                    FormField.of(fields.DESCRIPTION, _("Description")),
                    FormField.of(fields.QTY, _("Quantity (hours or pieces)"), "1"),
                    FormField.of(fields.UNIT_PRICE, _("Unit price")),
                ],
            )

            def typed(v) -> None:
                if v is None:
                    return
                line = CannedLineDraft(LineKind(kind), v["description"], v["qty"], v["unit_cents"])
                self.as_manager(
                    _("Change the canned job {job}", job=job.id),
                    lambda actor: self.save(lambda: self.desk.setup.add_canned_line(actor, job.id, line)),
                )

            self.app.push_screen(form, typed)

        self.app.push_screen(PickDialog(_("Kind of line"), kinds), kinded)

    def action_delete(self) -> None:
        row = self.current()
        if row is None:
            return
        if self.section == "checklist":
            item = row.item
            if row.protected:
                self.notify(
                    _("{item} is required by the MOT standard and cannot be deleted", item=item.id), severity="warning"
                )
                return
            question, call = (
                _("Delete the checklist item {item}?", item=item.id),
                (lambda actor: self.desk.setup.delete_template_item(actor, item.id)),
            )
        else:
            question, call = (
                _("Delete the canned job {job}?", job=row.id),
                (lambda actor: self.desk.setup.delete_canned_job(actor, row.id)),
            )

        def answered(yes: bool) -> None:
            if yes:
                self.as_manager(question, lambda actor: self.save(lambda: call(actor), N_("Deleted")))

        self.app.push_screen(ConfirmDialog(question), answered)

    def action_tick(self) -> None:
        view = self.current()
        if view is None:
            return
        if view.ticked:
            self.notify(_("{item} is already ticked today", item=view.item_id), severity="warning")
            return
        self.save(lambda: self.desk.setup.tick_opening(self.user, view.item_id), N_("Ticked"))
        self.query_one(DataTable).action_cursor_down()  # on to the next standard

    def action_active(self) -> None:
        user = self.current()
        if user is None:
            return
        want = not user.active
        question = _("Reactivate {user}?", user=user.name) if want else _("Deactivate {user}?", user=user.name)

        def answered(yes: bool) -> None:
            if yes:
                self.as_manager(
                    question, lambda actor: self.save(lambda: self.desk.setup.set_user_active(actor, user.id, want))
                )

        self.app.push_screen(ConfirmDialog(question), answered)

    def action_pin(self) -> None:
        user = self.current()
        if user is None:
            return
        from desk.auth import check_format

        form = FormDialog(
            _("New PIN for {user}", user=user.name),
            [
                FormField("pin", _("PIN (4 to 8 digits)"), parse=check_format, password=True),
            ],
        )

        def typed(v) -> None:
            if v is None:
                return
            self.as_manager(
                _("Set the PIN of {user}", user=user.name),
                lambda actor: self.save(lambda: self.desk.security.set_pin(actor, user.id, v["pin"]), N_("PIN set")),
            )

        self.app.push_screen(form, typed)

    def action_clear_lockout(self) -> None:
        """A manager lets a user locked out by wrong PINs try again at once."""
        user = self.current()
        if user is None:
            return
        seconds = self.locked.get(user.id, 0)
        if not seconds:
            self.notify(_("{user} is not locked out", user=user.name), timeout=4)
            return
        minutes = -(-seconds // 60)
        question = _n(
            "Clear the lock-out of {user} ({n} minute left)?",
            "Clear the lock-out of {user} ({n} minutes left)?",
            minutes,
            user=user.name,
        )
        self.as_manager(
            question,
            lambda actor: self.save(lambda: self.desk.security.clear_lockout(actor, user.id), N_("Lock-out cleared")),
        )

    def action_clear_pin(self) -> None:
        user = self.current()
        if user is None:
            return
        question = _("Clear the PIN of {user}?", user=user.name)

        def answered(yes: bool) -> None:
            if yes:
                self.as_manager(
                    question,
                    lambda actor: self.save(lambda: self.desk.security.clear_pin(actor, user.id), N_("PIN cleared")),
                )

        self.app.push_screen(ConfirmDialog(question), answered)
