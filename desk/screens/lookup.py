"""Incremental lookup: type part of a plate, phone, VIN or name and pick the car.

A USB barcode scanner types like a keyboard, so scanning a VIN lands here too.
Unknown customers are created inline (customer and car in one transaction).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label

from desk.domain import fields, vindecode
from desk.domain.drafts import CustomerDraft, VehicleDraft
from desk.domain.errors import AlreadyOnFile
from desk.domain.validate import show_phone
from desk.i18n import N_, _
from desk.shell.work import run_db
from desk.widgets.dialogs import DIALOG_CSS, FormDialog, FormField, PickDialog, ReasonDialog
from desk.widgets.safe import literal


class LookupScreen(ModalScreen[tuple[int, int] | None]):
    """Dismisses with ``(customer_id, vehicle_id)`` or None."""

    DEFAULT_CSS = (
        DIALOG_CSS
        + """
    LookupScreen .dialog { width: 110; height: 30; }
    LookupScreen DataTable { height: 1fr; }
    """
    )
    SCOPED_CSS = False
    BINDINGS = [
        Binding("escape", "cancel", N_("Back"), id="lookup.cancel"),
        Binding("ctrl+n", "new", N_("New customer"), id="lookup.new"),
        Binding("ctrl+o", "import_csv", N_("Import from CSV"), id="lookup.import_csv"),
        Binding("down", "to_results", N_("Results"), show=False, id="lookup.to_results"),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.initial = query
        self.rows: list[tuple[int, int]] = []
        #: The query the rows shown are for; Enter waits for the rows of what was typed.
        self.shown_for: str | None = None
        self.submit_pending = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Find a customer or vehicle: plate, phone, VIN or name"), classes="dialog-title")
            yield Input(value=self.initial, placeholder=_("Type to search"), id="q", max_length=40)
            yield DataTable(id="results", cursor_type="row", zebra_stripes=True)
            yield Label(
                _("Enter: choose; Down: results; Ctrl+N: new customer; Ctrl+O: import from CSV; Escape: back"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (
            ("plate", N_("Plate"), 10),
            ("customer", N_("Customer"), 14),
            ("phone", N_("Phone"), 15),
            ("vehicle", N_("Vehicle"), 20),
            ("vin", N_("VIN"), 17),
        ):
            table.add_column(_(label), key=key, width=width)
        self.query_one("#q", Input).focus()
        if self.initial:
            self.search(self.initial)

    @property
    def desk(self):
        return self.app.desk

    def on_input_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    def search(self, text: str) -> None:
        run_db(
            self,
            lambda: self.desk.people.lookup(text),
            lambda rows: self.show_rows(text, rows),
            group="lookup",
            exclusive=True,
        )

    def show_rows(self, text: str, rows) -> None:
        if text != self.query_one("#q", Input).value:
            return  # a newer keystroke's search is on its way
        self.shown_for = text
        table = self.query_one(DataTable)
        table.clear()
        self.rows = []
        for vehicle, customer in rows:
            table.add_row(
                literal(vehicle.plate),
                literal(customer.name),
                Text(show_phone(customer.phone)),
                Text(f"{vehicle.make} {vehicle.model}"),
                Text(vehicle.vin),
                key=str(vehicle.id),
            )
            self.rows.append((customer.id, vehicle.id))
        if self.submit_pending:
            self.submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.shown_for != event.value:
            # Enter came before the rows of what was typed (a scanner's VIN and
            # Enter in a few milliseconds): act on them when they are shown
            self.submit_pending = True
            return
        self.submit()

    def submit(self) -> None:
        self.submit_pending = False
        if self.rows:
            table = self.query_one(DataTable)
            if len(self.rows) == 1:
                self.dismiss(self.rows[0])
            else:
                table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.dismiss(self.rows[event.cursor_row])

    def action_to_results(self) -> None:
        if self.rows:
            self.query_one(DataTable).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_import_csv(self) -> None:
        """Customers and cars from another system's export (the import screen)."""
        from desk.screens.importer import ImportScreen

        app = self.app
        self.dismiss(None)
        app.push_screen(ImportScreen())

    def action_new(self) -> None:
        typed = self.query_one("#q", Input).value.strip()
        looks_like_plate = bool(typed) and not typed.isdigit() and len(typed) <= 10
        today = self.app.clock().date()
        labels = {
            "name": _("Name"),
            "phone": _("Phone"),
            "plate": _("Plate"),
            "vin": _("VIN"),
            "make": _("Make"),
            "model": _("Model"),
            "year": _("Year"),
            "purchase_date": _("Purchase date"),
            "odometer_km": _("Odometer km"),
        }
        values = {
            "phone": typed if typed.isdigit() else "",
            "plate": typed.upper() if looks_like_plate else "",
            "vin": typed.upper() if len(typed) >= 17 else "",
        }
        # the fields are the drafts' specs: the inline messages are the rules the service keeps
        specs = (fields.NAME, fields.PHONE, *VehicleDraft.FORM)
        form_fields = [FormField.of(spec, labels[spec.name], values.get(spec.name, ""), today=today) for spec in specs]
        form_fields[specs.index(fields.PURCHASE_DATE)].placeholder = "2021-05-01"
        # the VIN typed fills make and year (offline, desk.domain.vindecode)
        form_fields[specs.index(fields.VIN)].fills = lambda text: vindecode.form_values(text, today=today)
        # the form stays up until the customer is saved: a refusal leaves what was typed
        form = FormDialog(_("New customer and vehicle"), form_fields, hold=True)
        form.submitted = lambda values: self._create(form, values)
        self.app.push_screen(form)

    def _create(self, form: FormDialog, values: dict, *, same_as: int | None = None, reason: str = "") -> None:
        from desk.widgets.feedback import describe_fault

        customer = CustomerDraft(name=values["name"], phone=values["phone"])
        vehicle = VehicleDraft(**{spec.name: values[spec.name] for spec in VehicleDraft.FORM})

        def saved(ids) -> None:
            form.close()
            warning = fields.vin_warning(vehicle.vin)
            if warning:  # accepted (a European maker's VIN), but worth a second look
                self.app.notify(
                    _("{vin}: {warning}", vin=vehicle.vin, warning=_(warning)), severity="warning", timeout=12
                )
            self.dismiss(ids)

        def refused(exc: BaseException) -> None:
            if isinstance(exc, AlreadyOnFile):
                self._choose(form, values, exc)
                return
            form.reopen()
            self.notify(describe_fault(exc), severity="error", timeout=8)

        run_db(
            self,
            lambda: self.desk.people.register(self.app.user, customer, vehicle, same_as=same_as, reason=reason),
            saved,
            failed=refused,
            group="lookup-new",
        )

    def _choose(self, form: FormDialog, values: dict, exc: AlreadyOnFile) -> None:
        """The phone or plate typed is on file: that customer, or a new one with a
        reason; Escape goes back to the form with what was typed."""
        from desk.domain.validate import show_phone

        def matched(cid: int) -> str:
            return ", ".join(
                _("phone {phone}", phone=show_phone(m.value))
                if m.field == "phone"
                else _("plate {plate}", plate=m.value)
                for m in exc.matches
                if m.customer_id == cid
            )

        # short lines (an 80-column dialog cuts a long title): whose and what, one a choice
        choices: list[tuple[tuple, str]] = [
            (("same", cid), _("This customer: {name} ({matched})", name=name, matched=matched(cid)))
            for cid, name in exc.customers().items()
        ]
        choices.append((("new",), _("A new customer (say why)")))
        names = ", ".join(exc.customers().values())

        def with_reason(text: str | None) -> None:
            if text:
                self._create(form, values, reason=text)
            else:
                form.reopen()

        def chosen(choice) -> None:
            if choice is None:
                form.reopen()
            elif choice[0] == "same":
                self._create(form, values, same_as=choice[1])
            else:
                self.app.push_screen(
                    ReasonDialog(_("A new customer although on file"), _("Why is this not {names}?", names=names)),
                    with_reason,
                )

        self.app.push_screen(PickDialog(_("Phone or plate on file: this customer, or a new one?"), choices), chosen)


def edit_customer(screen, customer_id: int) -> None:
    """The customer's details in a form that keeps the version it was opened on:
    saved after another terminal changed the customer, it is refused in words,
    what was typed kept, and ctrl+r saves it on top (``DeskScreen.submit``)."""

    def show(found) -> None:
        ref, c = found
        form = FormDialog(
            _("Customer details"),
            [
                FormField.of(fields.NAME, _("Name"), c.name),
                FormField.of(fields.PHONE, _("Phone"), show_phone(c.phone)),
                FormField.of(fields.EMAIL, _("E-mail"), c.email),
                FormField.of(fields.SPECIAL_NOTE, _("Special note"), c.special_note),
            ],
        )
        opened = {"ref": ref}
        desk = screen.app.desk
        shown = {"name": c.name, "phone": c.phone, "email": c.email, "special_note": c.special_note}

        def save(values):
            # only what the user changed: a save on top of another terminal's change keeps theirs
            changes = {k: v for k, v in values.items() if v != shown.get(k)}
            return desk.people.update_customer(screen.user, opened["ref"], changes) if changes else opened["ref"]

        screen.submit(
            form,
            save,
            lambda _ref: screen.notify(_("Customer details saved")),
            reapply=lambda current: opened.update(ref=current),
        )

    run_db(screen.app, lambda: screen.app.desk.people.customer_details(customer_id), show, group="customer-edit")


def vehicle_actions(app, customer_id: int, vehicle_id: int) -> None:
    """After a lookup from anywhere: open the car's open visit, book, or walk in."""
    from desk.domain.process import STAGE_LABELS, TERMINAL, Stage
    from desk.widgets.dialogs import PickDialog

    def show(visits) -> None:
        choices = []
        for v in visits:
            if Stage(v["stage"]) not in TERMINAL and Stage(v["stage"]) != Stage.DELIVERED:
                choices.append(
                    (
                        ("open", v["id"], v["stage"]),
                        _("Open {number} ({stage})", number=v["number"], stage=_(STAGE_LABELS[Stage(v["stage"])])),
                    )
                )
        choices += [
            (("book",), _("Book an appointment")),
            (("walk_in",), _("Walk-in: start reception now")),
            (("edit_customer",), _("Correct the customer's details")),
        ]

        def chosen(choice) -> None:
            if not choice:
                return
            app.switch_mode("appointments")
            board = app.screen
            if choice[0] == "open":
                from desk.screens.visit import screen_for

                screen = screen_for(choice[2], choice[1])
                if screen is not None:
                    app.push_screen(screen)
            elif choice[0] == "book" and hasattr(board, "_book_for"):
                board._book_for((customer_id, vehicle_id))
            elif choice[0] == "walk_in" and hasattr(board, "walk_in_for"):
                board.walk_in_for((customer_id, vehicle_id))
            elif choice[0] == "edit_customer":
                edit_customer(board, customer_id)

        app.push_screen(PickDialog(_("What now?"), choices), chosen)

    run_db(app, lambda: app.desk.people.vehicle_visits(vehicle_id, limit=5), show, group="lookup-actions")
