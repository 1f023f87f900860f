"""Choose who is working at this terminal, then their PIN if they have one."""

from __future__ import annotations

from collections.abc import Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from desk.domain.entities import ROLE_LABELS
from desk.i18n import N_, _
from desk.widgets.pin import PinEntry
from desk.widgets.safe import literal

#: The first view's one line for a newcomer: whom to pick and what to try.
SIGN_IN_HINT = N_(
    "New here? Pick an advisor (the demo's PINs are in the output of desk demo); "
    "then F2 shows today's cars, Enter opens one, F8 moves it on, F1 lists every key."
)


class SignInScreen(PinEntry, ModalScreen):
    """Pick a user with the arrow keys and Enter; a user with a PIN types it
    (hidden) and presses Enter. Wrong PINs are throttled by the services."""

    DEFAULT_CSS = """
    #signin-hint { color: $text-muted; margin-bottom: 1; }
    #signin-pin-label { margin-top: 1; }
    #signin-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", N_("Quit"), id="sign_in.cancel")]
    PIN_ID = "signin-pin"
    ERROR_ID = "signin-error"

    def __init__(
        self,
        users,
        pin_users: set[int] | frozenset[int] = frozenset(),
        *,
        verify: Callable | None = None,
        preselect=None,
        title: str | None = None,
        hint: bool = True,
    ) -> None:
        super().__init__()
        self.users = users
        self.pin_users = set(pin_users)
        #: ``verify(user_id, pin) -> User`` (default: the app's services)
        self._verify = verify
        self.preselect = preselect
        self.title_text = title
        #: the newcomer's line under the title (not when switching user)
        self.hint = hint
        #: the user whose PIN is being asked for
        self.picked = None

    def compose(self) -> ComposeResult:
        with Vertical(id="signin"):
            yield Label(self.title_text or _("Who is working here?"), id="signin-title")
            if self.hint:
                yield Static(_(SIGN_IN_HINT), id="signin-hint")
            roles = lambda u: ", ".join(_(ROLE_LABELS[r]) for r in sorted(u.roles))
            yield OptionList(
                *[Option(literal(f"{u.name}  ({roles(u)})"), id=str(u.id)) for u in self.users],
                id="signin-users",
            )
            yield Label("", id="signin-pin-label")
            yield Input(password=True, max_length=8, restrict=r"[0-9]*", placeholder=_("PIN"), id="signin-pin")
            yield Static("", id="signin-error")

    def on_mount(self) -> None:
        self._show_pin(False)
        if self.preselect is not None:
            users = self.query_one("#signin-users", OptionList)
            for index, user in enumerate(self.users):
                if user.id == self.preselect.id:
                    users.highlighted = index
            self._picked(self.preselect)

    def _show_pin(self, show: bool) -> None:
        self.query_one("#signin-pin-label", Label).display = show
        self.query_one("#signin-pin", Input).display = show
        if not show:
            self.query_one("#signin-error", Static).update("")
            self.query_one("#signin-users", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._picked(next(u for u in self.users if str(u.id) == event.option.id))

    def _picked(self, user) -> None:
        if user.id not in self.pin_users:
            self.recheck(user)  # a PIN set on another terminal since the list was read
            return
        self.picked = user
        self.query_one("#signin-pin-label", Label).update(literal(_("PIN for {user}", user=user.name)))
        self._show_pin(True)
        pin = self.query_one("#signin-pin", Input)
        pin.value = ""
        pin.focus()

    @work(thread=True, exclusive=True, group="pin-recheck", exit_on_error=False)
    def recheck(self, user) -> None:
        """Sign ``user`` in without a PIN only if they still have none."""
        from desk.domain.errors import DeskError
        from desk.widgets.feedback import describe_error

        try:
            has_pin = user.id in self.app.desk.security.pin_users()
        except DeskError as exc:
            self.app.call_from_thread(self._refused_pick, describe_error(exc))
            return
        self.app.call_from_thread(self._rechecked, user, has_pin)

    def _rechecked(self, user, has_pin: bool) -> None:
        if not has_pin:
            self.dismiss(user)
            return
        self.pin_users.add(user.id)
        self._picked(user)

    def _refused_pick(self, message: str) -> None:
        self.query_one("#signin-error", Static).update(literal(message))

    def pin_checker(self) -> Callable:
        return self._verify or self.app.desk.security.verify_pin

    def action_cancel(self) -> None:
        if self.picked is not None and self.query_one("#signin-pin", Input).display:
            self.picked = None
            self._show_pin(False)
            return
        self.dismiss(None)
