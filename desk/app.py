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
    "dashboard": ("desk.screens.dashboard:DashboardScreen", N_("KPI")),
    "setup": ("desk.screens.setup:SetupScreen", N_("Set-up")),
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


class ShellScreen(Screen):
    """A screen of the shell itself: its footer speaks the interface language too."""

    @property
    def active_bindings(self):
        from desk.screens.base import translated_bindings

        return translated_bindings(super().active_bindings)


class LoadingScreen(ShellScreen):
    """Shown for the first frame while the store opens in a worker."""

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield Static(_("Loading…"), id="loading")
        yield Footer()


class StoreErrorScreen(ShellScreen):
    """The database could not be opened: say what happened and what to do.

    For a SQLite file with backups, ``r`` offers them (newest first); the chosen
    one is verified, put in place (the damaged file is kept beside it) and the
    store is opened again.
    """

    BINDINGS = [
        Binding("r", "restore", N_("Restore a backup"), id="store_error.restore"),
        Binding("q", "app.quit", N_("Quit"), id="store_error.quit"),
    ]

    def __init__(self, message: str, backups: list | None = None) -> None:
        super().__init__()
        self.message = message
        #: verified-at-restore backup files (``Path``), newest first
        self.backups = list(backups or [])

    def compose(self) -> ComposeResult:
        from rich.text import Text

        yield Header(show_clock=self.app.show_clock)
        text = Text(self.message)
        if self.backups:
            text.append("\n\n" + _("{n} backups found; press r to restore one", n=len(self.backups)))
        yield Static(text, id="store-error")
        yield Footer()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "restore":
            return bool(self.backups)
        return True

    def action_restore(self) -> None:
        from desk.widgets.dialogs import ConfirmDialog, PickDialog

        def label(path) -> str:
            stamp = datetime.fromtimestamp(path.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
            return f"{stamp}  {path.name}  ({path.stat().st_size // 1024} KB)"

        def picked(path) -> None:
            if path is None:
                return
            question = _("Replace the database with the backup {name}? The current file is kept beside it.",
                         name=path.name)
            self.app.push_screen(ConfirmDialog(question), lambda yes: yes and self.restore(path))

        self.app.push_screen(PickDialog(_("Restore which backup?"), [(p, label(p)) for p in self.backups]), picked)

    @work(thread=True, exclusive=True, group="restore", exit_on_error=False)
    def restore(self, path) -> None:
        from desk.domain.errors import DeskError
        from desk.store.backup import restore
        from desk.widgets.feedback import describe_error

        self.app.close_store()  # found damaged while open: let go of the file first
        try:
            restore(path, self.app.db_url, confirmed=True)
        except (DeskError, OSError) as exc:
            message = describe_error(exc) if isinstance(exc, DeskError) else str(exc)
            self.app.call_from_thread(self.notify, message, severity="error", timeout=15)
            return
        self.app.call_from_thread(self._restored, path)

    def _restored(self, path) -> None:
        self.app.notify(_("Restored from {name}", name=path.name), timeout=10)
        self.app.pop_screen()
        self.app.open_store()


class DeskApp(App):
    #: Bring the schema up to date when the store opens (the lobby only reads).
    MIGRATE = True
    CSS_PATH = "desk.tcss"
    TITLE = "desk"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f2", "area('appointments')", N_("Appointments"), id="area.appointments"),
        Binding("f3", "area('progress')", N_("Progress board"), id="area.progress"),
        Binding("f4", "area('followup')", N_("Follow-up"), id="area.followup"),
        Binding("f5", "area('complaints')", N_("Complaints"), id="area.complaints"),
        Binding("f7", "area('dashboard')", N_("KPI"), id="area.dashboard"),
        Binding("f9", "area('setup')", N_("Set-up"), id="area.setup"),
        Binding("slash", "lookup", N_("Lookup"), id="lookup"),
        Binding("f1", "help", N_("Help: every key"), id="help"),
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
        remote: bool = False,
    ) -> None:
        super().__init__()
        from desk.config import Settings

        self.db_url = db_url
        #: Served to a browser (``desk serve``): every session starts at the PIN
        #: sign-in, only users with a PIN may sign in, ``user_name`` is ignored.
        self.remote = remote
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
        #: The CLI sets this when neither --lang nor DESK_LANG chose the language:
        #: the shop's set-up (desk.toml, then the database) decides it at start-up.
        self.use_shop_language = False
        #: (message id, params) of bad ``[keys]`` entries, shown once the app runs.
        self.keymap_problems: list[tuple[str, dict]] = []
        self.apply_keymap(getattr(self.settings, "keys", None))

    def apply_keymap(self, raw) -> None:
        """desk.toml's ``[keys]``: the good entries remap their bindings, the bad
        ones are named in a message at start-up."""
        if not raw:
            return
        from desk.keys import binding_ids, check_keymap

        keymap, self.keymap_problems = check_keymap(raw, binding_ids())
        if keymap:
            self.set_keymap(keymap)

    def get_default_screen(self) -> Screen:
        return LoadingScreen()

    def on_ready(self) -> None:
        from rich.markup import escape

        for reason, params in self.keymap_problems:
            self.notify(escape(_(reason, **params)), severity="warning", timeout=15)
        self._watch_browser()
        if self.desk is None:
            self.open_store()
        else:
            self._store_ready(self.desk)

    def _watch_browser(self) -> None:
        """Served to a browser (textual-serve's web driver): end when the server's
        end of the pipe closes, rather than linger without a screen."""
        from textual.drivers.web_driver import WebDriver

        if isinstance(self._driver, WebDriver):
            self.set_interval(1.0, self._browser_gone)

    def _browser_gone(self) -> None:
        reader = getattr(self._driver, "_key_thread", None)
        if reader is not None and not reader.is_alive():
            self.exit()

    @work(thread=True, exclusive=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        from desk.domain.errors import DeskError
        from desk.services import open_desk

        from desk.widgets.feedback import describe_error

        try:
            # quick_check reads the whole file: it runs after the board is up
            desk = open_desk(self.db_url, clock=self.clock, settings=self.settings, migrate=self.MIGRATE,
                             deep_check=False)
        except DeskError as exc:
            self.call_from_thread(self._store_failed, describe_error(exc), self._backups())
            return
        except Exception as exc:  # noqa: BLE001 - any failure is shown, never a traceback
            from desk.services.base import _describe

            self.call_from_thread(self._store_failed, _("Database error: {detail}", detail=_(_describe(exc))),
                                  self._backups())
            return
        self.call_from_thread(self._store_ready, desk)

    def _store_failed(self, message: str, backups: list | None = None) -> None:
        self.push_screen(StoreErrorScreen(message, backups))

    def _backups(self) -> list:
        """Backups a broken SQLite file could be restored from (worker thread)."""
        from desk.locations import backup_dir
        from desk.store.backup import backups_for

        try:
            return backups_for(self.db_url, backup_dir())
        except OSError:
            return []

    def _store_ready(self, desk) -> None:
        self.desk = desk
        if getattr(desk, "settings", None) is not None:  # the shop's stored set-up
            self.settings = desk.settings
            self.sub_title = self.settings.shop_name
            if self.use_shop_language:  # neither --lang nor DESK_LANG: the shop's language
                from desk.i18n import set_locale

                set_locale(self.settings.locale)
                self.title = _("desk — service desk")
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
                self.call_from_thread(self._store_failed, describe_error(exc), self._backups())
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

    def close_store(self) -> None:
        """Let go of the database (before a restore replaces the file): the
        services' connections and the change feed; ``open_store`` starts both again."""
        stop, thread = getattr(self, "_changes_stop", None), getattr(self, "_changes_thread", None)
        if stop is not None:
            stop.set()
        if thread is not None:
            thread.join(timeout=5)
        self._changes_thread = None
        desk, self.desk = self.desk, None
        if desk is not None:
            desk.engine.dispose()

    def on_unmount(self) -> None:
        stop = getattr(self, "_changes_stop", None)
        if stop is not None:
            stop.set()

    def on_data_changed(self, message: DataChanged) -> None:
        """Hand the change to every screen of the current stack."""
        if not message.visit_ids and self.desk is not None and hasattr(self.desk, "refresh_setup"):
            self.refresh_setup()  # maybe the shop's set-up, changed on another terminal
        for screen in list(self.screen_stack):
            screen.post_message(DataChanged(message.visit_ids))

    @work(thread=True, exclusive=True, group="setup", exit_on_error=False)
    def refresh_setup(self) -> None:
        """Re-read the shop's settings and checklist changes (in a worker)."""
        from desk.domain.errors import DeskError

        try:
            self.desk.refresh_setup()
        except DeskError:
            pass  # the next change tries again; the store error shows where data is read

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
        if self.remote:
            self._choose_remote_user(users, pin_users)
            return
        chosen = next((u for u in users if u.name == self.user_name), None)
        if chosen is None and len(users) == 1:
            chosen = users[0]
        if chosen is not None and chosen.id not in pin_users:
            self.sign_in(chosen)
            return
        from desk.screens.signin import SignInScreen

        # --user NAME (or the only user) with a PIN still types the PIN
        self.push_screen(SignInScreen(users, pin_users, preselect=chosen), self.sign_in)

    def _choose_remote_user(self, users, pin_users) -> None:
        """A browser session: the PIN sign-in, always; users without a PIN can't
        sign in from a browser at all."""
        from desk.screens.signin import SignInScreen

        users = [u for u in users if u.id in pin_users]
        if not users:
            self.push_screen(StoreErrorScreen(_(
                "Nobody can sign in from a browser yet: a user needs a PIN first "
                "(desk set-pin NAME on the shop's computer)."
            )))
            return
        self.push_screen(SignInScreen(users, pin_users), self.sign_in)

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
        if self.remote:
            users = [u for u in users if u.id in pin_users]
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

    def check_action(self, action: str, parameters) -> bool | None:
        """Areas and lookup need a signed-in user: before that they are not offered."""
        if action in ("area", "lookup") and self.user is None:
            return False
        return True

    def action_area(self, name: str) -> None:
        if self.user is not None and name in AREAS:
            self.switch_mode(name)

    def action_help(self) -> None:
        """f1: the keys of the current screen (f1 again or Escape closes it)."""
        from desk.screens.help import HelpScreen, key_rows

        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss(None)
            return
        area = AREAS.get(self.current_mode)
        stack = self.screen_stack
        title = _(area[1]) if area and len(stack) == 1 else ""
        self.push_screen(HelpScreen(title, key_rows(self, screen)))

    def action_lookup(self) -> None:
        """Find a customer or car from anywhere (one key), then act on it."""
        if self.user is None:
            return
        from desk.screens.lookup import LookupScreen

        self.push_screen(LookupScreen(), self._looked_up)

    def action_import_customers(self) -> None:
        """The CSV import screen (from the palette; the lookup screen has Ctrl+O)."""
        if self.user is None:
            return
        from desk.screens.importer import ImportScreen

        self.push_screen(ImportScreen())

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
        yield SystemCommand(_("Import customers from CSV"), _("Customers and vehicles from another system's export"),
                            self.action_import_customers)
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


class LobbyApp(DeskApp, inherit_bindings=False):
    """The lobby board alone, for the TV in the customer lounge (``desk
    lobby-mode``, served by ``desk serve-lobby``): no sign-in, no other screen,
    no command palette and no key that changes data. It never migrates the
    schema, and makes no backups."""

    MIGRATE = False
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+q", "quit", N_("Quit"), id="quit")]

    def __init__(self, *, db_url: str, clock=None, settings=None, desk=None) -> None:
        super().__init__(db_url=db_url, clock=clock, settings=settings, desk=desk)
        self.title = self.settings.shop_name
        self.sub_title = ""

    def _store_ready(self, desk) -> None:
        from desk.screens.lobby import KioskLobbyScreen

        self.desk = desk
        self.push_screen(KioskLobbyScreen())
        self.watch_changes()

    # Nothing else of the app is reachable from here, whatever is asked.
    def pick_user(self) -> None:
        return

    def sign_in(self, user) -> None:
        return

    def lock_terminal(self) -> None:
        return

    def action_area(self, name: str) -> None:
        return

    def action_lookup(self) -> None:
        return

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        return iter(())


def make_lobby_app(*, db_url: str, clock: Callable[[], datetime] | None = None, settings=None, desk=None) -> LobbyApp:
    """The lobby board alone (``desk lobby-mode``)."""
    return LobbyApp(db_url=db_url, clock=clock, settings=settings, desk=desk)


def make_app(
    *,
    db_url: str,
    clock: Callable[[], datetime] | None = None,
    settings=None,
    user_name: str | None = None,
    desk=None,
    remote: bool = False,
) -> DeskApp:
    """The one factory for the CLI, the tests and the benchmarks."""
    return DeskApp(db_url=db_url, clock=clock, settings=settings, user_name=user_name, desk=desk, remote=remote)
