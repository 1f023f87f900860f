"""DeskApp: the shell every screen lives in: its keys, its areas, the palette.

The first frame is painted before the store is touched: opening and migrating the
database (and importing SQLAlchemy) happens in a thread worker after ``on_ready``.
What the app holds lives beside this file: ``store_link.py`` (``app.store``: open,
the error screen and restore, integrity check, daily backup), ``live.py``
(``app.live``: the change feed, ``DataChanged``), ``session.py`` (``app.session``:
sign-in, idle lock), ``commands.py`` (the palette, f1), ``lobby.py`` (the lounge TV),
``typeahead.py`` (a burst of keys goes where each key was meant).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from importlib import import_module
from typing import TYPE_CHECKING, ClassVar

from rich.markup import escape
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen

from desk.config import Settings
from desk.i18n import N_, _, set_locale
from desk.keys import check_keymap
from desk.shell import paste
from desk.shell.alerts import ComplaintAlerts
from desk.shell.commands import binding_ids, desk_commands, toggle_help
from desk.shell.heap import HeapKeeper
from desk.shell.live import ChangeWatcher, DataChanged
from desk.shell.session import Session
from desk.shell.store_link import LoadingScreen, StoreLink
from desk.shell.typeahead import TypeAhead

if TYPE_CHECKING:
    from datetime import date

    from desk.domain.entities import User
    from desk.services import Desk
    from desk.store.reads import BoardRow, Early


#: Textual's palette commands (title and help) as msgids: they are shown translated.
TEXTUAL_COMMANDS = {
    "Theme": N_("Theme"),
    "Change the current theme": N_("Change the current theme"),
    "Quit": N_("Quit"),
    "Quit the application as soon as possible": N_("Quit the application as soon as possible"),
    "Keys": N_("Keys"),
    "Hide the keys and widget help panel": N_("Hide the keys and widget help panel"),
    "Show help for the focused widget and a summary of available keys": N_(
        "Show help for the focused widget and a summary of available keys"
    ),
    "Minimize": N_("Minimize"),
    "Minimize the widget and restore to normal size": N_("Minimize the widget and restore to normal size"),
    "Maximize": N_("Maximize"),
    "Maximize the focused widget": N_("Maximize the focused widget"),
    "Screenshot": N_("Screenshot"),
    "Save an SVG 'screenshot' of the current screen": N_("Save an SVG 'screenshot' of the current screen"),
}
#: Key names the footer and f1 show as words, translated.
KEY_WORDS = {"space": N_("space"), "enter": N_("enter")}


def _lazy(path: str) -> Callable[[], Screen]:
    def make() -> Screen:
        module, cls = path.split(":")
        screen: Screen = getattr(import_module(module), cls)()
        return screen

    return make


class DeskApp(TypeAhead, App):
    #: Top-level areas: mode name -> (module:Class, palette title). Imported lazily so
    #: start-up pays only for the screen it shows.
    AREAS: ClassVar[dict[str, tuple[str, str]]] = {
        "appointments": ("desk.screens.appointments:AppointmentsScreen", N_("Appointments")),
        "progress": ("desk.screens.progress:ProgressScreen", N_("Progress board")),
        "followup": ("desk.screens.followup:FollowUpQueueScreen", N_("Follow-up")),
        "complaints": ("desk.screens.complaints:ComplaintsScreen", N_("Complaints")),
        "lobby": ("desk.screens.lobby:LobbyScreen", N_("Lobby view")),
        "dashboard": ("desk.screens.dashboard:DashboardScreen", N_("KPI")),
        "setup": ("desk.screens.setup:SetupScreen", N_("Set-up")),
    }
    #: Bring the schema up to date when the store opens (the lobby only reads).
    MIGRATE = True
    CSS_PATH = "desk.tcss"
    TITLE = "desk"
    ENABLE_COMMAND_PALETTE = True
    #: The areas, lookup and quit work on every screen but take no room in the
    #: footer (the current stage's own keys need it at 80 columns): f1, which the
    #: footer always shows first, and the palette list them.
    BINDINGS = [
        Binding("f2", "area('appointments')", N_("Appointments"), id="area.appointments", show=False),
        Binding("f3", "area('progress')", N_("Progress board"), id="area.progress", show=False),
        Binding("f4", "area('followup')", N_("Follow-up"), id="area.followup", show=False),
        Binding("f5", "area('complaints')", N_("Complaints"), id="area.complaints", show=False),
        Binding("f7", "area('dashboard')", N_("KPI"), id="area.dashboard", show=False),
        Binding("f9", "area('setup')", N_("Set-up"), id="area.setup", show=False),
        Binding("slash", "lookup", N_("Lookup"), id="lookup", show=False),
        Binding("f1", "help", N_("Help"), id="help", tooltip=N_("Help: every key")),
        Binding("ctrl+l", "switch_user", N_("Switch user"), id="switch_user", show=False),
        Binding("ctrl+q", "quit", N_("Quit"), id="quit", show=False),
    ]

    def __init__(
        self,
        *,
        db_url: str,
        clock: Callable[[], datetime] | None = None,
        settings: Settings | None = None,
        user_name: str | None = None,
        desk: Desk | None = None,
        remote: bool = False,
    ) -> None:
        super().__init__()
        self._typeahead_init()
        paste.install()  # a paste is text for one field, whatever it holds
        self.db_url = db_url
        #: Served to a browser (``desk serve``): every session starts at the PIN
        #: sign-in, only users with a PIN may sign in, ``user_name`` is ignored.
        self.remote = remote
        self.clock = clock or (lambda: datetime.now().replace(microsecond=0))
        self.settings = settings or Settings()
        self.user_name = user_name
        #: The services (``desk.services.Desk``); None until the store is open.
        self._desk = desk
        #: Set while no opening of the store is under way (a worker asking for
        #: the services waits for it: see ``desk``).
        self.store_settled = threading.Event()
        self.store_settled.set()
        #: What the first screen needs, read before the services were loaded
        #: (``desk.store.reads.Early``); None once the services are up.
        self.early: Early | None = None
        #: Set once today's board is on screen (or no board comes first): the
        #: services are imported after it, not in its way.
        self.board_up = threading.Event()
        self.store = StoreLink(self)
        self.live = ChangeWatcher(self)
        self.session = Session(self)
        #: Full garbage collections between keypresses, not inside one (heap.py).
        self.heap = HeapKeeper(self)
        self.alerts = ComplaintAlerts(self)
        #: The header shows the wall clock (snapshot tests turn it off).
        self.show_clock = clock is None
        self.title = _("desk — service desk")
        self.sub_title = self.settings.shop_name
        #: The CLI sets this when neither --lang nor DESK_LANG chose the language:
        #: the shop's set-up (desk.toml, then the database) decides it at start-up.
        self.use_shop_language = False
        #: (message id, params) of bad ``[keys]`` entries, shown once the app runs.
        self.keymap_problems: list[tuple[str, dict]] = []
        if self.settings.keys:  # desk.toml's [keys]: the good entries remap their bindings
            keymap, self.keymap_problems = check_keymap(self.settings.keys, binding_ids())
            if keymap:
                self.set_keymap(keymap)

    @property
    def desk(self) -> Desk | None:
        """The services, or None. A worker that asks while the store is still
        being opened (a key pressed on the early board) waits for them."""
        desk = self._desk
        if (
            desk is None
            and not self.store_settled.is_set()
            and threading.current_thread() is not threading.main_thread()
        ):
            self.store_settled.wait(60)
            desk = self._desk
        return desk

    @desk.setter
    def desk(self, value: Desk | None) -> None:
        self._desk = value

    @property
    def user(self) -> User | None:
        """The signed-in user (``desk.domain.entities.User``), or None."""
        return self.session.user

    # ------------------------------------------------------------------ life cycle

    def get_default_screen(self) -> Screen:
        return LoadingScreen()

    def on_ready(self) -> None:
        for reason, params in self.keymap_problems:
            self.notify(escape(_(reason, **params)), severity="warning", timeout=15)
        self.session.watch_browser()
        if self.desk is None:
            self.store.open()
        else:
            self.store_ready(self.desk)

    def early_ready(self, early: Early) -> None:
        """Users, settings and today's board were read with sqlite3 alone
        (``desk.store.reads.early_start``): sign in and show the board now; the
        services follow in the worker (:meth:`store_ready`)."""
        from desk.domain.setup import settings_over

        self.early = early
        self._apply_settings(settings_over(self.settings, early.stored))
        self.session._choose(early.users, early.pin_users)
        if self.user is None:  # the sign-in screen came first: nothing to wait for
            self.board_up.set()

    def early_rows(self, day: date) -> list[BoardRow] | None:
        """Today's board as read at start-up, while the services are loading."""
        early = self.early
        if early is not None and self._desk is None and day == early.day:
            return early.board
        return None

    def preload_home(self) -> None:
        """Import the first area's screen module (from the store's worker, while
        the UI thread has nothing to do): sign-in then only builds it."""
        import_module(self.AREAS["appointments"][0].split(":")[0])

    def first_board_painted(self) -> None:
        self.board_up.set()

    def _apply_settings(self, settings: Settings) -> None:
        self.settings = settings
        self.sub_title = self.settings.shop_name
        if self.use_shop_language:  # neither --lang nor DESK_LANG: the shop's language
            set_locale(self.settings.locale)
            self.title = _("desk — service desk")
        if self.user is not None:  # signed in on the early board: the header says who, still
            self.session._show_user(self.user)

    def shop_name_changed(self, name: str) -> None:
        """The shop's name changed in set-up (here or on another terminal): the
        header says the new one."""
        if name == self.settings.shop_name:
            return
        self.settings = dataclasses.replace(self.settings, shop_name=name)
        self.sub_title = name
        if self.user is not None:
            self.session._show_user(self.user)

    def store_ready(self, desk: Desk) -> None:
        """The store is open: the shop's own set-up, then the sign-in (unless the
        early board did it), the change feed and the background jobs."""
        self.desk = desk
        desk.ctx.source = self.session.source()  # security events name this terminal
        self.store_settled.set()
        self._apply_settings(desk.ctx.settings)
        for reason, params in desk.ctx.warnings:
            self.notify(_(reason, **params), severity="warning", timeout=15)
        early, self.early = self.early, None
        if early is None:
            self.session.start()
        else:  # the board shown from the early read: read again through the services
            for screen in self.screen_stack:
                opened = getattr(screen, "store_opened", None)
                if callable(opened):
                    opened()
        self.live.start()
        self.store.after_open()
        self.heap.settle()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self.session.touched()
            self.heap.touched()
        await super().on_event(event)

    def on_data_changed(self, message: DataChanged) -> None:
        """Hand the change to every screen of the current stack."""
        if not message.visit_ids and self.desk is not None:
            self.store.refresh_setup()  # maybe the shop's set-up, changed on another terminal
        for screen in list(self.screen_stack):
            screen.post_message(DataChanged(message.visit_ids))
        self.alerts.check()  # a major complaint opened on any terminal reaches a manager here

    def on_unmount(self) -> None:
        self.live.stop()
        self.store.release()
        self.heap.release()

    # ------------------------------------------------------------------ areas and keys

    def show_areas(self) -> None:
        """Someone signed in: the areas become modes, the appointments board first."""
        for name, (path, _title) in self.AREAS.items():
            if name not in self._modes:
                self.add_mode(name, _lazy(path))
        self.switch_mode("appointments")
        self.alerts.check()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Areas and lookup need a signed-in user: before that they are not offered."""
        return not (action in ("area", "lookup", "switch_user") and self.user is None)

    def action_area(self, name: str) -> None:
        """Another area's key shows that area as it was left (a visit opened there
        stays open, like a tab); the key of the area one is in shows its board,
        whatever was opened on it (f2 on a visit did nothing)."""
        if self.user is None or name not in self.AREAS:
            return
        if self.current_mode != name:
            self.switch_mode(name)
            return
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ModalScreen):
            self.pop_screen()

    def action_switch_user(self) -> None:
        """Another user takes over this terminal (their PIN asked, audited)."""
        self.session.switch()

    def action_help(self) -> None:
        toggle_help(self)

    def action_lookup(self) -> None:
        """Find a customer or car from anywhere (one key), then act on it."""
        if self.user is None:
            return
        from desk.screens.lookup import LookupScreen, vehicle_actions

        def act(ids: tuple[int, int] | None) -> None:
            if ids:
                vehicle_actions(self, *ids)

        self.push_screen(LookupScreen(), act)

    def get_key_display(self, binding: Binding) -> str:
        """Key names that are words ("space") in the interface language; keys
        printed on the keyboard (esc, del, f1, ^p) stay as they are."""
        display = super().get_key_display(binding)
        word = KEY_WORDS.get(display)
        return _(word) if word else display

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own commands (Theme, Quit, Keys…) in the interface language,
        then desk's."""
        for command in super().get_system_commands(screen):
            yield command._replace(
                title=_(TEXTUAL_COMMANDS.get(command.title, command.title)),
                help=_(TEXTUAL_COMMANDS.get(command.help, command.help)),
            )
        yield from desk_commands(self, screen)

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder=_("Search for commands…"), id="--command-palette"))


def make_app(
    *,
    db_url: str,
    clock: Callable[[], datetime] | None = None,
    settings: Settings | None = None,
    user_name: str | None = None,
    desk: Desk | None = None,
    remote: bool = False,
) -> DeskApp:
    """The one factory for the CLI, the tests and the benchmarks."""
    return DeskApp(db_url=db_url, clock=clock, settings=settings, user_name=user_name, desk=desk, remote=remote)
