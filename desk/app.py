"""DeskApp: the shell every screen lives in.

The first frame is painted before the store is touched: opening and migrating the
database (and importing SQLAlchemy) happens in a thread worker after ``on_ready``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from importlib import import_module

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from desk import __version__
from desk.i18n import N_, _

#: Top-level areas: mode name -> (module:Class, palette title). Imported lazily so
#: start-up pays only for the screen it shows.
AREAS: dict[str, tuple[str, str]] = {
    "appointments": ("desk.screens.appointments:AppointmentsScreen", N_("Appointments")),
    "progress": ("desk.screens.progress:ProgressScreen", N_("Progress board")),
    "followup": ("desk.screens.followup:FollowUpQueueScreen", N_("Follow-up")),
    "complaints": ("desk.screens.complaints:ComplaintsScreen", N_("Complaints")),
    "lobby": ("desk.screens.lobby:LobbyScreen", N_("Lobby view")),
}


class DataChanged(Message, bubble=False):
    """Data changed on this or another terminal (seen within about a second).

    The app watches the database (``desk.store.changes.ChangeFeed``: SQLite
    ``data_version`` polling, PostgreSQL LISTEN/NOTIFY) and hands every change to
    the screens of the current stack. A screen that shows stored data reloads in
    its handler::

        def on_data_changed(self, message: DataChanged) -> None:
            if not message.visit_ids or self.visit_id in message.visit_ids:
                self.reload()

    ``visit_ids``: the visits that changed; empty when the change is not tied to
    one visit (a customer, a user). The terminal's own writes are reported too.
    Does not bubble: each screen of the stack gets its own copy.
    """

    def __init__(self, visit_ids: frozenset[int] = frozenset()) -> None:
        super().__init__()
        self.visit_ids = frozenset(visit_ids)


def _lazy(path: str) -> Callable[[], Screen]:
    def make() -> Screen:
        module, cls = path.split(":")
        return getattr(import_module(module), cls)()

    return make


class LoadingScreen(Screen):
    """Shown for the first frame while the store opens in a worker."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield Static(_("Loading…"), id="loading")
        yield Footer()


class StoreErrorScreen(Screen):
    """The database could not be opened: say what happened and what to do."""

    BINDINGS = [Binding("q", "app.quit", N_("Quit"))]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        from rich.text import Text

        yield Header(show_clock=self.app.show_clock)
        yield Static(Text(self.message), id="store-error")
        yield Footer()


class DeskApp(App):
    CSS_PATH = "desk.tcss"
    TITLE = "desk"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f2", "area('appointments')", N_("Appointments"), id="area.appointments"),
        Binding("f3", "area('progress')", N_("Progress board"), id="area.progress"),
        Binding("f4", "area('followup')", N_("Follow-up"), id="area.followup"),
        Binding("f5", "area('complaints')", N_("Complaints"), id="area.complaints"),
        Binding("slash", "lookup", N_("Lookup"), id="lookup"),
        Binding("ctrl+q", "quit", N_("Quit"), id="quit"),
    ]

    def __init__(
        self,
        *,
        db_url: str,
        clock: Callable[[], datetime] | None = None,
        settings=None,
        user_name: str | None = None,
        desk=None,
    ) -> None:
        super().__init__()
        from desk.config import Settings

        self.db_url = db_url
        self.clock = clock or (lambda: datetime.now().replace(microsecond=0))
        self.settings = settings or Settings()
        self.user_name = user_name
        #: The services (``desk.services.Desk``); None until the store is open.
        self.desk = desk
        #: The signed-in user (``desk.domain.entities.User``).
        self.user = None
        #: The idle lock: who was signed in, whether the lock screen is up.
        self.last_user = None
        self.locked = False
        self.last_input = None
        self._idle_timer = None
        #: The header shows the wall clock (snapshot tests turn it off).
        self.show_clock = clock is None
        self.title = _("desk — service desk")
        self.sub_title = self.settings.shop_name

    def get_default_screen(self) -> Screen:
        return LoadingScreen()

    def on_ready(self) -> None:
        if self.desk is None:
            self.open_store()
        else:
            self._store_ready(self.desk)

    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        from desk.domain.errors import DeskError
        from desk.services import open_desk

        from desk.widgets.feedback import describe_error

        try:
            # quick_check reads the whole file: it runs after the board is up
            desk = open_desk(self.db_url, clock=self.clock, settings=self.settings, deep_check=False)
        except DeskError as exc:
            self.call_from_thread(self._store_failed, describe_error(exc))
            return
        except Exception as exc:  # noqa: BLE001 - any failure is shown, never a traceback
            from desk.services.base import _describe

            self.call_from_thread(self._store_failed, _("Database error: {detail}", detail=_(_describe(exc))))
            return
        self.call_from_thread(self._store_ready, desk)

    def _store_failed(self, message: str) -> None:
        self.push_screen(StoreErrorScreen(message))

    def _store_ready(self, desk) -> None:
        self.desk = desk
        for reason, params in getattr(desk, "warnings", []):
            self.notify(_(reason, **params), severity="warning", timeout=15)
        self.pick_user()
        self.daily_backup()
        self.watch_changes()
        if self.INTEGRITY_CHECK_DELAY is not None:
            self.set_timer(self.INTEGRITY_CHECK_DELAY, self.check_integrity)

    # ------------------------------------------------------------------ integrity

    #: Seconds after the store opened before SQLite's quick_check runs in the
    #: background (None: never; the file was checked when it was opened).
    INTEGRITY_CHECK_DELAY: float | None = 2.0

    @work(thread=True, exclusive=True, group="integrity", exit_on_error=False)
    def check_integrity(self) -> None:
        """quick_check off the start-up path: on a large shop it reads hundreds
        of megabytes. Damage blocks every write and says so, as at start-up."""
        from desk.domain.errors import StoreUnavailable
        from desk.widgets.feedback import describe_error

        desk = self.desk
        if desk is None or not hasattr(desk, "check_integrity"):
            return
        try:
            desk.check_integrity()
        except StoreUnavailable as exc:
            if desk.blocked:
                self.call_from_thread(self._store_failed, describe_error(exc))
            # busy on another terminal: the next start checks again

    # ------------------------------------------------------------------ live updates

    #: Seconds between looks at the database for other terminals' changes.
    CHANGE_POLL_SECONDS = 0.5

    def watch_changes(self) -> None:
        """Post :class:`DataChanged` for every change committed to the database.

        A daemon thread of its own rather than a Textual worker: it runs for the
        app's whole life, and ``workers.wait_for_complete()`` must not wait on it.
        """
        import threading

        if getattr(self, "_changes_thread", None) is not None:
            return
        self._changes_stop = threading.Event()
        self._changes_thread = threading.Thread(target=self._watch_changes, name="desk-changes", daemon=True)
        self._changes_thread.start()

    def _watch_changes(self) -> None:
        from desk.store.changes import ChangeFeed

        stop = self._changes_stop
        try:
            feed = ChangeFeed(self.db_url, interval=self.CHANGE_POLL_SECONDS)
        except Exception:  # noqa: BLE001 - no live updates is not fatal
            return
        with feed:
            while not stop.is_set():
                try:
                    ids = feed.wait(self.CHANGE_POLL_SECONDS, stop=stop)
                except Exception:  # noqa: BLE001 - the server went away: stop quietly
                    return
                if ids is not None and not stop.is_set():
                    self.post_message(DataChanged(frozenset(ids)))

    def on_unmount(self) -> None:
        stop = getattr(self, "_changes_stop", None)
        if stop is not None:
            stop.set()

    def on_data_changed(self, message: DataChanged) -> None:
        """Hand the change to every screen of the current stack."""
        for screen in list(self.screen_stack):
            screen.post_message(DataChanged(message.visit_ids))

    @work(thread=True, exclusive=True, group="backup", exit_on_error=False)
    def daily_backup(self) -> None:
        """Today's verified backup, once a day, keeping the last two weeks."""
        if not self.db_url.startswith("sqlite") or self.clock is not None and not self.show_clock:
            return  # tests with a frozen clock don't litter the backup folder
        from desk.domain.errors import DeskError
        from desk.locations import backup_dir
        from desk.store.backup import daily_backup

        try:
            daily_backup(self.db_url, backup_dir())
        except (DeskError, OSError) as exc:
            self.call_from_thread(self.notify, _("Daily backup failed: {detail}", detail=str(exc)),
                                  severity="error", timeout=15)

    @work(thread=True, exclusive=True, group="users", exit_on_error=False)
    def pick_user(self) -> None:
        users = [u for u in self.desk.users() if u.active]
        pin_users = self.desk.pin_users() if hasattr(self.desk, "pin_users") else set()
        self.call_from_thread(self._choose_user, users, pin_users)

    def _choose_user(self, users, pin_users=frozenset()) -> None:
        chosen = next((u for u in users if u.name == self.user_name), None)
        if chosen is None and len(users) == 1:
            chosen = users[0]
        if chosen is not None and chosen.id not in pin_users:
            self.sign_in(chosen)
            return
        from desk.screens.signin import SignInScreen

        # --user NAME (or the only user) with a PIN still types the PIN
        self.push_screen(SignInScreen(users, pin_users, preselect=chosen), self.sign_in)

    # ------------------------------------------------------------------ idle lock

    #: How often the idle timer looks at the clock (seconds of real time).
    IDLE_CHECK_SECONDS = 5.0

    def idle_lock_minutes(self) -> int:
        from desk.auth import IDLE_LOCK_MINUTES

        return int(getattr(self.settings, "idle_lock_minutes", IDLE_LOCK_MINUTES) or 0)

    async def on_event(self, event) -> None:
        from textual import events

        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self.last_input = self.clock()
        await super().on_event(event)

    def check_idle_lock(self) -> None:
        """Lock the terminal when nobody touched it for ``idle_lock_minutes``."""
        minutes = self.idle_lock_minutes()
        if self.user is None or not minutes or self.locked:
            return
        last = getattr(self, "last_input", None) or self.clock()
        if (self.clock() - last).total_seconds() >= minutes * 60:
            self.lock_terminal()

    def lock_terminal(self) -> None:
        """Back to the sign-in screen, the work underneath hidden until a PIN."""
        if self.user is None or self.locked:
            return
        self.last_user, self.user = self.user, None
        self.locked = True
        self.sub_title = self.settings.shop_name
        self.relock_users()

    @work(thread=True, exclusive=True, group="users", exit_on_error=False)
    def relock_users(self) -> None:
        users = [u for u in self.desk.users() if u.active]
        pin_users = self.desk.pin_users() if hasattr(self.desk, "pin_users") else set()
        self.call_from_thread(self._show_lock, users, pin_users)

    def _show_lock(self, users, pin_users) -> None:
        from desk.screens.lock import LockScreen

        self.push_screen(LockScreen(users, pin_users, last_user=self.last_user), self._unlocked)

    def _unlocked(self, user) -> None:
        self.locked = False
        self.last_input = self.clock()
        if user is None:
            self.exit()
            return
        if self.last_user is not None and user.id == self.last_user.id:
            self.user = user
            self.sub_title = f"{self.settings.shop_name} | {_('Signed in: {user}', user=user.name)}"
            return
        self.sign_in(user)

    def sign_in(self, user) -> None:
        if user is None:
            self.exit()
            return
        self.user = user
        self.last_input = self.clock()
        if self._idle_timer is None:
            self._idle_timer = self.set_interval(self.IDLE_CHECK_SECONDS, self.check_idle_lock)
        self.sub_title = f"{self.settings.shop_name} | {_('Signed in: {user}', user=user.name)}"
        for name, (path, _title) in AREAS.items():
            if name not in self._modes:
                self.add_mode(name, _lazy(path))
        self.switch_mode("appointments")

    def action_area(self, name: str) -> None:
        if self.user is not None and name in AREAS:
            self.switch_mode(name)

    def action_lookup(self) -> None:
        """Find a customer or car from anywhere (one key), then act on it."""
        if self.user is None:
            return
        from desk.screens.lookup import LookupScreen

        self.push_screen(LookupScreen(), self._looked_up)

    def _looked_up(self, ids) -> None:
        if not ids:
            return
        from desk.screens.lookup import vehicle_actions

        vehicle_actions(self, *ids)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.user is None:
            return
        for name, (_path, title) in AREAS.items():
            yield SystemCommand(_(title), _("Open {area}", area=_(title)), lambda n=name: self.action_area(n))
        # the current screen's own commands: every binding with a description
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if binding.description and active.enabled and active.node is screen:
                yield SystemCommand(
                    binding.description, _("Key: {key}", key=binding.key_display or key),
                    lambda a=binding.action: screen.run_action(a),
                )

    @property
    def version(self) -> str:
        return __version__


def make_app(
    *,
    db_url: str,
    clock: Callable[[], datetime] | None = None,
    settings=None,
    user_name: str | None = None,
    desk=None,
) -> DeskApp:
    """The one factory for the CLI, the tests and the benchmarks."""
    return DeskApp(db_url=db_url, clock=clock, settings=settings, user_name=user_name, desk=desk)
