"""The lobby board alone, for the TV in the customer lounge (``desk lobby-mode``,
served by ``desk serve-lobby``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from desk.config import Settings
from desk.i18n import N_, set_locale
from desk.shell.app import DeskApp

if TYPE_CHECKING:
    from desk.services import Desk


class LobbyApp(DeskApp, inherit_bindings=False):
    """No sign-in, no other screen, no command palette and no key that changes
    data. It never migrates the schema, and makes no backups."""

    AREAS: ClassVar[dict[str, tuple[str, str]]] = {}
    MIGRATE = False
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [Binding("ctrl+q", "quit", N_("Quit"), id="quit")]

    def __init__(
        self,
        *,
        db_url: str,
        clock: Callable[[], datetime] | None = None,
        settings: Settings | None = None,
        desk: Desk | None = None,
    ) -> None:
        super().__init__(db_url=db_url, clock=clock, settings=settings, desk=desk)
        self.title = self.settings.shop_name
        self.sub_title = ""

    def store_ready(self, desk: Desk) -> None:
        from desk.screens.lobby import KioskLobbyScreen

        self.desk = desk
        self.settings = desk.ctx.settings  # the shop's own set-up: its name, its language
        self.title = self.settings.shop_name
        if self.use_shop_language:  # neither --lang nor DESK_LANG: the shop's language
            set_locale(self.settings.locale)
        self.push_screen(KioskLobbyScreen())
        self.live.start()

    # Nothing else of the app is reachable from here, whatever is asked.
    def show_areas(self) -> None:
        return

    def action_area(self, name: str) -> None:
        return

    def action_lookup(self) -> None:
        return

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        return iter(())


def make_lobby_app(
    *,
    db_url: str,
    clock: Callable[[], datetime] | None = None,
    settings: Settings | None = None,
    desk: Desk | None = None,
) -> LobbyApp:
    """The lobby board alone (``desk lobby-mode``)."""
    return LobbyApp(db_url=db_url, clock=clock, settings=settings, desk=desk)
