"""Someone else authorises one action on this terminal with their PIN.

    self.app.push_screen(ManagerApproval(title_of_the_action), self._approved)
    self.app.push_screen(ActAs(title, load=lambda: desk.checklist.who_may_mark(...)), self._as)

``_approved(user)`` receives the chosen user's ``User`` once their PIN is right
(then pass it as the actor of the one service call it authorises) or ``None``
when cancelled. The terminal's signed-in user stays signed in; nothing is
remembered afterwards. Who is offered is decided in ``desk.domain.staff``
(``approvers`` for a manager's approval, ``who_may_mark`` for a mark), never here.
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

from desk.domain.entities import ROLE_LABELS, User
from desk.i18n import N_, _
from desk.widgets.dialogs import DIALOG_CSS
from desk.widgets.pin import PinEntry
from desk.widgets.safe import literal


class ActAs(PinEntry, ModalScreen[User | None]):
    """Pick who does it (arrow keys, Enter), type their PIN (hidden), Enter.

    ``load()`` (run in a worker) returns the users to offer; ``check(user_id,
    pin)`` returns the user once the PIN is right (default: the services'
    ``act_as``); ``exclude``: the signed-in user, who was just refused."""

    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [Binding("escape", "cancel", N_("Back"), id="act_as.cancel")]
    PIN_ID = "approval-pin"
    ERROR_ID = "approval-error"
    LIST_ID = "approval-users"
    #: The dialog's title and what it says when nobody can be offered (message ids).
    TITLE = N_("Someone else's PIN")
    NOBODY = N_("Nobody who may do this has a PIN yet")

    def __init__(
        self,
        action: str,
        *,
        load: Callable[[], list[User]] | None = None,
        check: Callable | None = None,
        exclude: User | None = None,
        desk=None,
    ) -> None:
        super().__init__()
        self.action_text = action
        self._desk = desk
        self._load = load
        self._check = check
        self.exclude = exclude
        self.users: list[User] = []
        self.picked: User | None = None

    @property
    def desk(self):
        return self._desk or self.app.desk

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="approval"):
            yield Label(_(self.TITLE), classes="dialog-title")
            yield Label(literal(self.action_text, multiline=True), id="approval-action")
            yield Label(_("Who does it?"), classes="field-label")
            yield OptionList(id=self.LIST_ID)
            yield Label("", id="approval-pin-label", classes="field-label")
            yield Input(password=True, max_length=8, restrict=r"[0-9]*", placeholder=_("PIN"), id="approval-pin")
            yield Static("", classes="field-error", id="approval-error")
            yield Label(_("Enter to go on, Escape to go back"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#approval-pin", Input).display = False
        self.query_one("#approval-pin-label", Label).display = False
        self.load_users()

    def candidates(self) -> list[User]:
        """Who may be offered (a worker thread): ``load()`` by default."""
        return self._load() if self._load is not None else []

    @work(thread=True, exclusive=True, group="approval", exit_on_error=False)
    def load_users(self) -> None:
        users = [u for u in self.candidates() if self.exclude is None or u.id != self.exclude.id]
        self.app.call_from_thread(self._show_users, users)

    def _show_users(self, users: list[User]) -> None:
        self.users = users
        options = self.query_one(f"#{self.LIST_ID}", OptionList)
        roles = lambda u: ", ".join(_(ROLE_LABELS[r]) for r in sorted(u.roles))
        options.add_options([Option(literal(f"{u.name}  ({roles(u)})"), id=str(u.id)) for u in users])
        if users:
            options.highlighted = 0
        else:
            self.query_one("#approval-error", Static).update(_(self.NOBODY))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.picked = next(u for u in self.users if str(u.id) == event.option.id)
        label = self.query_one("#approval-pin-label", Label)
        label.update(literal(_("PIN for {user}", user=self.picked.name)))
        label.display = True
        pin = self.query_one("#approval-pin", Input)
        pin.display = True
        pin.value = ""
        pin.focus()

    def pin_checker(self) -> Callable:
        return self._check or self.desk.security.act_as

    def action_cancel(self) -> None:
        if self.picked is not None:
            self.picked = None
            self.query_one("#approval-pin", Input).display = False
            self.query_one("#approval-pin-label", Label).display = False
            self.query_one("#approval-error", Static).update("")
            self.query_one(f"#{self.LIST_ID}", OptionList).focus()
            return
        self.dismiss(None)


class ManagerApproval(ActAs):
    """A manager (or foreman) with a PIN authorises the action: ``staff.approvers``."""

    BINDINGS = [Binding("escape", "cancel", N_("Back"), id="manager_approval.cancel")]
    LIST_ID = "approval-managers"
    TITLE = N_("Manager approval")
    NOBODY = N_("No manager has a PIN yet")

    def __init__(self, action: str, *, desk=None, approve: Callable | None = None, managers_only: bool = False) -> None:
        """``managers_only``: an action only a manager may authorise (set-up): a
        foreman is not offered (picking him was refused after his PIN)."""
        super().__init__(action, desk=desk, check=approve)
        self.managers_only = managers_only

    def candidates(self) -> list[User]:
        from desk.domain import staff

        offered = staff.approvers(self.desk.people.users(), self.desk.security.pin_users())
        return [u for u in offered if staff.is_manager(u)] if self.managers_only else offered

    def pin_checker(self) -> Callable:
        return self._check or self.desk.security.approve_as_manager
