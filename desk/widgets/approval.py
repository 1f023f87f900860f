"""A manager authorises one action on someone else's terminal with their PIN.

    self.app.push_screen(ManagerApproval(title_of_the_action), self._approved)

``_approved(manager)`` receives the manager's ``User`` (then pass it as the
actor of the one service call it authorises) or ``None`` when cancelled. The
terminal's signed-in user stays signed in; nothing is remembered afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from desk.domain import staff
from desk.domain.entities import User
from desk.i18n import N_, _
from desk.widgets.dialogs import DIALOG_CSS
from desk.widgets.pin import PinEntry
from desk.widgets.safe import literal


class ManagerApproval(PinEntry, ModalScreen[User | None]):
    """Pick the manager (arrow keys, Enter), type their PIN (hidden), Enter."""

    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [Binding("escape", "cancel", N_("Back"), id="manager_approval.cancel")]
    PIN_ID = "approval-pin"
    ERROR_ID = "approval-error"

    def __init__(self, action: str, *, desk=None, approve: Callable | None = None) -> None:
        super().__init__()
        self.action_text = action
        self._desk = desk
        #: ``approve(user_id, pin) -> User`` (default: the services' approve_as_manager)
        self._approve = approve
        self.managers: list[User] = []
        self.picked: User | None = None

    @property
    def desk(self):
        return self._desk or self.app.desk

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="approval"):
            yield Label(_("Manager approval"), classes="dialog-title")
            yield Label(literal(self.action_text), id="approval-action")
            yield OptionList(id="approval-managers")
            yield Label("", id="approval-pin-label", classes="field-label")
            yield Input(password=True, max_length=8, restrict=r"[0-9]*", placeholder=_("PIN"), id="approval-pin")
            yield Static("", classes="field-error", id="approval-error")
            yield Label(_("Enter to approve, Escape to go back"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#approval-pin", Input).display = False
        self.query_one("#approval-pin-label", Label).display = False
        self.load_managers()

    @work(thread=True, exclusive=True, group="approval", exit_on_error=False)
    def load_managers(self) -> None:
        with_pin = self.desk.security.pin_users()
        managers = staff.approvers(self.desk.people.users(), with_pin)
        self.app.call_from_thread(self._show_managers, managers)

    def _show_managers(self, managers: list[User]) -> None:
        self.managers = managers
        options = self.query_one("#approval-managers", OptionList)
        options.add_options([Option(literal(u.name), id=str(u.id)) for u in managers])
        if managers:
            options.highlighted = 0
        else:
            self.query_one("#approval-error", Static).update(_("No manager has a PIN yet"))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.picked = next(u for u in self.managers if str(u.id) == event.option.id)
        label = self.query_one("#approval-pin-label", Label)
        label.update(literal(_("PIN for {user}", user=self.picked.name)))
        label.display = True
        pin = self.query_one("#approval-pin", Input)
        pin.display = True
        pin.value = ""
        pin.focus()

    def pin_checker(self) -> Callable:
        return self._approve or self.desk.security.approve_as_manager

    def action_cancel(self) -> None:
        if self.picked is not None:
            self.picked = None
            self.query_one("#approval-pin", Input).display = False
            self.query_one("#approval-pin-label", Label).display = False
            self.query_one("#approval-error", Static).update("")
            self.query_one("#approval-managers", OptionList).focus()
            return
        self.dismiss(None)
