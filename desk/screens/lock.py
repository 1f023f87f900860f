"""The terminal locked itself after a while without a key press: nothing of the
work underneath shows until someone signs in again (with their PIN)."""

from __future__ import annotations

from desk.i18n import _
from desk.screens.signin import SignInScreen


class LockScreen(SignInScreen):
    """An opaque sign-in: the last user is highlighted (PIN asked straight away);
    Escape goes back to the list so someone else can sign in."""

    DEFAULT_CSS = """
    LockScreen { background: $background; }
    """

    def __init__(self, users, pin_users=frozenset(), *, last_user=None, verify=None) -> None:
        has_pin = last_user is not None and last_user.id in set(pin_users)
        super().__init__(
            users,
            pin_users,
            verify=verify,
            preselect=last_user if has_pin else None,
            title=_("Locked: who is working here?"),
        )

    def action_cancel(self) -> None:
        # Escape never leaves a locked terminal unlocked: back to the list at most
        if self.picked is not None:
            super().action_cancel()
