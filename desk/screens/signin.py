"""Choose who is working at this terminal."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from desk.domain.entities import ROLE_LABELS
from desk.i18n import N_, _


class SignInScreen(ModalScreen):
    """Pick a user with the arrow keys and Enter (PIN sign-in builds on this)."""

    BINDINGS = [Binding("escape", "cancel", N_("Quit"))]

    def __init__(self, users) -> None:
        super().__init__()
        self.users = users

    def compose(self) -> ComposeResult:
        with Vertical(id="signin"):
            yield Label(_("Who is working here?"), id="signin-title")
            roles = lambda u: ", ".join(_(ROLE_LABELS[r]) for r in sorted(u.roles))  # noqa: E731
            yield OptionList(
                *[Option(f"{u.name}  ({roles(u)})", id=str(u.id)) for u in self.users],
                id="signin-users",
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        user = next(u for u in self.users if str(u.id) == event.option.id)
        self.dismiss(user)

    def action_cancel(self) -> None:
        self.dismiss(None)
