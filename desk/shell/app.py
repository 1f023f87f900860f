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

from collections.abc import Callable, Iterable
from datetime import datetime
from importlib import import_module
from typing import ClassVar

from rich.markup import escape
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from desk.config import Settings
from desk.i18n import N_, _, set_locale
from desk.keys import check_keymap
from desk.shell.commands import binding_ids, desk_commands, toggle_help
from desk.shell.live import ChangeWatcher, DataChanged
from desk.shell.session import Session
from desk.shell.store_link import LoadingScreen, StoreLink
from desk.shell.typeahead import TypeAhead


def _lazy(path: str) -> Callable[[], Screen]:
    def make() -> Screen:
        module, cls = path.split(":")
        return getattr(import_module(module), cls)()

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
    BINDINGS = [
        Binding("f2", "area('appointments')", N_("Appointments"), id="area.appointments"),
        Binding("f3", "area('progress')", N_("Progress board"), id="area.progress"),
        Binding("f4", "area('followup')", N_("Follow-up"), id="area.followup"),
        Binding("f5", "area('complaints')", N_("Complaints"), id="area.complaints"),
        Binding("f7", "area('dashboard')", N_("KPI"), id="area.dashboard"),
        Binding("f9", "area('setup')", N_("Set-up"), id="area.setup"),
        Binding("slash", "lookup", N_("Lookup"), id="lookup"),
        Binding("f1", "help", N_("Help: every key"), id="help"),
        # not in the footer (the screen's own keys need its room at 80 columns): f1,
        # the palette and the README list it
        Binding("ctrl+l", "switch_user", N_("Switch user"), id="switch_user", show=False),
        Binding("ctrl+q", "quit", N_("Quit"), id="quit"),
    ]

    def __init__(
        self,
        *,
        db_url: str,
        clock: Callable[[], datetime] | None = None,
        settings: Settings | None = None,
        user_name: str | None = None,
        desk=None,
        remote: bool = False,
    ) -> None:
        super().__init__()
        self._typeahead_init()
        self.db_url = db_url
        #: Served to a browser (``desk serve``): every session starts at the PIN
        #: sign-in, only users with a PIN may sign in, ``user_name`` is ignored.
        self.remote = remote
        self.clock = clock or (lambda: datetime.now().replace(microsecond=0))
        self.settings = settings or Settings()
        self.user_name = user_name
        #: The services (``desk.services.Desk``); None until the store is open.
        self.desk = desk
        self.store = StoreLink(self)
        self.live = ChangeWatcher(self)
        self.session = Session(self)
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
    def user(self):
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

    def store_ready(self, desk) -> None:
        """The store is open: the shop's own set-up, then the sign-in, the change
        feed and the background jobs."""
        self.desk = desk
        desk.ctx.source = self.session.source()  # security events name this terminal
        self.settings = desk.ctx.settings
        self.sub_title = self.settings.shop_name
        if self.use_shop_language:  # neither --lang nor DESK_LANG: the shop's language
            set_locale(self.settings.locale)
            self.title = _("desk — service desk")
        for reason, params in desk.ctx.warnings:
            self.notify(_(reason, **params), severity="warning", timeout=15)
        self.session.start()
        self.live.start()
        self.store.after_open()

    async def on_event(self, event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.Paste)):
            self.session.touched()
        await super().on_event(event)

    def on_data_changed(self, message: DataChanged) -> None:
        """Hand the change to every screen of the current stack."""
        if not message.visit_ids and self.desk is not None:
            self.store.refresh_setup()  # maybe the shop's set-up, changed on another terminal
        for screen in list(self.screen_stack):
            screen.post_message(DataChanged(message.visit_ids))

    def on_unmount(self) -> None:
        self.live.stop()
        self.store.release()

    # ------------------------------------------------------------------ areas and keys

    def show_areas(self) -> None:
        """Someone signed in: the areas become modes, the appointments board first."""
        for name, (path, _title) in self.AREAS.items():
            if name not in self._modes:
                self.add_mode(name, _lazy(path))
        self.switch_mode("appointments")

    def check_action(self, action: str, parameters) -> bool | None:
        """Areas and lookup need a signed-in user: before that they are not offered."""
        return not (action in ("area", "lookup", "switch_user") and self.user is None)

    def action_area(self, name: str) -> None:
        if self.user is not None and name in self.AREAS:
            self.switch_mode(name)

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

        self.push_screen(LookupScreen(), lambda ids: ids and vehicle_actions(self, *ids))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from desk_commands(self, screen)


def make_app(*, db_url: str, clock: Callable[[], datetime] | None = None, settings: Settings | None = None,
             user_name: str | None = None, desk=None, remote: bool = False) -> DeskApp:
    """The one factory for the CLI, the tests and the benchmarks."""
    return DeskApp(db_url=db_url, clock=clock, settings=settings, user_name=user_name, desk=desk, remote=remote)
