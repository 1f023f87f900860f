"""Who works at this terminal: the sign-in once the store is open (the user
picker, the PIN), switching user (one key, the new user's PIN, audited), the idle
lock and the lock screen's hand-back.

The screens are imported when first shown: the first frame pays only for the shell.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual.timer import Timer

from desk.i18n import _
from desk.shell.store_link import StoreErrorScreen
from desk.shell.work import run_db

if TYPE_CHECKING:
    from desk.domain.entities import User
    from desk.shell.app import DeskApp

#: The active users, and the ids of those with a PIN.
Users = tuple[list["User"], set[int]]


class Session:
    """The signed-in user of one app, and how they come and go."""

    #: How often the idle timer looks at the clock (seconds of real time).
    IDLE_CHECK_SECONDS = 5.0

    def __init__(self, app: DeskApp) -> None:
        self.app = app
        #: The signed-in user; None before sign-in and while the terminal is locked.
        self.user: User | None = None
        #: Who was signed in when the terminal locked itself.
        self.last_user: User | None = None
        self.locked = False
        #: When someone last pressed a key, clicked or pasted (the app's clock).
        self.last_input: datetime | None = None
        #: Looks for an idle terminal every IDLE_CHECK_SECONDS; set at the first sign-in.
        self.idle_timer: Timer | None = None

    def _read_users(self, then: Callable[[list[User], set[int]], None]) -> None:
        """The active users and who of them has a PIN, read in a worker, handed to
        ``then(users, pin_users)`` on the UI thread."""

        def read() -> Users:
            desk = self.app.desk
            assert desk is not None, "users are read once the store is open"
            return [u for u in desk.people.users() if u.active], desk.security.pin_users()

        run_db(self.app, read, lambda found: then(*found), group="users", exclusive=True)

    # ------------------------------------------------------------------ sign-in

    def start(self) -> None:
        """The store is open: sign in --user NAME (or the only user), else ask."""
        self._read_users(self._choose)

    def _choose(self, users: list[User], pin_users: set[int]) -> None:
        if self.app.remote:
            self._choose_remote(users, pin_users)
            return
        chosen = next((u for u in users if u.name == self.app.user_name), None)
        if chosen is None and len(users) == 1:
            chosen = users[0]
        if chosen is not None and chosen.id not in pin_users:
            self.sign_in(chosen)
            return
        from desk.screens.signin import SignInScreen

        # --user NAME (or the only user) with a PIN still types the PIN
        self.app.push_screen(SignInScreen(users, pin_users, preselect=chosen), self.sign_in)

    def _choose_remote(self, users: list[User], pin_users: set[int]) -> None:
        """A browser session: the PIN sign-in, always; users without a PIN can't
        sign in from a browser at all."""
        from desk.screens.signin import SignInScreen

        users = [u for u in users if u.id in pin_users]
        if not users:
            self.app.push_screen(
                StoreErrorScreen(
                    _(
                        "Nobody can sign in from a browser yet: a user needs a PIN first "
                        "(desk set-pin NAME on the shop's computer)."
                    )
                )
            )
            return
        self.app.push_screen(SignInScreen(users, pin_users), self.sign_in)

    def sign_in(self, user: User | None) -> None:
        """``user`` works here from now on (None: the sign-in was left, the app ends)."""
        if user is None:
            self.app.exit()
            return
        self.user = user
        self.last_input = self.app.clock()
        if self.idle_timer is None:
            self.idle_timer = self.app.set_interval(self.IDLE_CHECK_SECONDS, self.check_idle)
        self._show_user(user)
        self.app.show_areas()

    def source(self) -> str:
        """Where this app's changes come from, as security events name it."""
        import socket

        return f"{'browser' if self.app.remote else 'terminal'} {socket.gethostname()}"

    # ------------------------------------------------------------------ switch user

    def switch(self) -> None:
        """Another user takes over this terminal: pick them, their PIN (if they
        have one); the switch is audited in their name and replaces the session.
        Escape keeps the user who is signed in."""
        from desk.screens.signin import SignInScreen

        if self.user is None or self.locked or isinstance(self.app.screen, SignInScreen):
            return
        self._read_users(self._show_switch)

    def _show_switch(self, users: list[User], pin_users: set[int]) -> None:
        from desk.screens.signin import SignInScreen

        if self.user is None or self.locked:
            return
        if self.app.remote:
            users = [u for u in users if u.id in pin_users]
        others = [u for u in users if u.id != self.user.id]
        self.app.push_screen(
            SignInScreen(
                others, pin_users, title=_("Switch user: who takes over from {user}?", user=self.user.name), hint=False
            ),
            self._switched,
        )

    def _switched(self, user: User | None) -> None:
        before = self.user
        if user is None or before is None or user.id == before.id:
            return  # Escape: the same user goes on

        def record() -> None:
            desk = self.app.desk
            assert desk is not None, "a user is switched once the store is open"
            desk.security.switch_user(before, user)

        run_db(self.app, record, lambda _none: self._take_over(before, user), group="switch", exclusive=True)

    def _take_over(self, before: User, user: User) -> None:
        """The switch is recorded: ``user`` works here from now on (the screens
        stay where they are; what they offer follows the new user's roles)."""
        if self.user is None or self.user.id != before.id:
            return  # locked (or switched) meanwhile
        self.user = user
        self.last_input = self.app.clock()
        self._show_user(user)
        self.app.refresh_bindings()
        for screen in self.app.screen_stack:
            screen.refresh_bindings()
        self.app.notify(_("{user} took over from {before}", user=user.name, before=before.name))

    def _show_user(self, user: User) -> None:
        from desk.store import presence

        self.app.sub_title = f"{self.app.settings.shop_name} | {_('Signed in: {user}', user=user.name)}"
        presence.set_label(signed_in=user.name)  # a restore elsewhere names who has the file open

    def watch_browser(self) -> None:
        """Served to a browser (textual-serve's web driver): end when the server's
        end of the pipe closes, rather than linger without a screen."""
        from textual.drivers.web_driver import WebDriver

        if isinstance(self.app._driver, WebDriver):
            self.app.set_interval(1.0, self._browser_gone)

    def _browser_gone(self) -> None:
        reader = getattr(self.app._driver, "_key_thread", None)  # Textual's own, not always there
        if reader is not None and not reader.is_alive():
            self.app.exit()

    # ------------------------------------------------------------------ idle lock

    def touched(self) -> None:
        """A key, a click or a paste: the terminal is in use."""
        self.last_input = self.app.clock()

    def idle_lock_minutes(self) -> int:
        return int(self.app.settings.idle_lock_minutes or 0)

    def check_idle(self) -> None:
        """Lock the terminal when nobody touched it for ``idle_lock_minutes``."""
        minutes = self.idle_lock_minutes()
        if self.user is None or not minutes or self.locked:
            return
        last = self.last_input or self.app.clock()
        if (self.app.clock() - last).total_seconds() >= minutes * 60:
            self.lock()

    def lock(self) -> None:
        """Back to the sign-in screen, the work underneath hidden until a PIN."""
        if self.user is None or self.locked:
            return
        self.last_user, self.user = self.user, None
        self.locked = True
        self.app.sub_title = self.app.settings.shop_name
        self._read_users(self._show_lock)

    def _show_lock(self, users: list[User], pin_users: set[int]) -> None:
        from desk.screens.lock import LockScreen

        if self.app.remote:
            users = [u for u in users if u.id in pin_users]
        self.app.push_screen(LockScreen(users, pin_users, last_user=self.last_user), self._unlocked)

    def _unlocked(self, user: User | None) -> None:
        """The lock screen's answer: the same user goes on where they were; another
        one signs in afresh; nobody (None) ends the app."""
        self.locked = False
        self.last_input = self.app.clock()
        if user is None:
            self.app.exit()
            return
        if self.last_user is not None and user.id == self.last_user.id:
            self.user = user
            self._show_user(user)
            return
        self.sign_in(user)
