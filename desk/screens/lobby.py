"""The lobby view of the progress board, for a screen in the customer lounge:
masked plate, masked name (``desk.domain.privacy``), status and promised time.
Nothing else personal."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Static

from desk.domain.privacy import mask_name, mask_plate
from desk.i18n import N_, _
from desk.screens.base import DeskScreen
from desk.widgets.board_status import LATE_STYLE, status_text
from desk.widgets.safe import literal
from desk.widgets.when import at_text


class LobbyScreen(DeskScreen):
    """The board for the lounge: the shop's name and a clock on top, a car per
    row, its status in its colour (ready green, waiting amber, late red)."""

    BINDINGS = [Binding("escape", "back", N_("Back"), id="lobby.back")]
    #: A look at the board this often, besides every change the app reports.
    RELOAD_SECONDS = 2.0
    DEFAULT_CSS = """
    LobbyScreen #lobby-top { height: 1; background: $panel; padding: 0 1; }
    LobbyScreen #lobby-shop { width: 1fr; text-style: bold; }
    LobbyScreen #lobby-clock { width: auto; text-style: bold; }
    LobbyScreen #lobby-title { text-style: bold; content-align: center middle; height: 3; }
    LobbyScreen DataTable { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="lobby-top"):
            yield Static("", id="lobby-shop")
            yield Static("", id="lobby-clock")
        yield Static(_("Your car's progress"), id="lobby-title")
        yield DataTable(id="lobby", cursor_type="none", zebra_stripes=True, show_cursor=False)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in (
            ("plate", N_("Plate"), 10),
            ("name", N_("Customer"), 12),
            ("status", N_("Status"), 18),
            ("promised", N_("Promised"), 11),
        ):
            table.add_column(_(label), key=key, width=width)
        self.show_shop()
        self.show_clock()
        self.set_interval(1.0, self.show_clock)
        self.load()
        self.set_interval(self.RELOAD_SECONDS, self.load)

    def show_shop(self) -> None:
        """The shop's name as set up (it may change on another terminal)."""
        self.query_one("#lobby-shop", Static).update(literal(self.desk.ctx.settings.shop_name))

    def show_clock(self) -> None:
        self.query_one("#lobby-clock", Static).update(f"{self.app.clock():%H:%M}")

    def load(self) -> None:
        self.run_db(self.desk.workshop.progress_board, self.show_rows, group="lobby", exclusive=True)

    def show_rows(self, rows) -> None:
        self.show_shop()
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            promised = at_text(r.promised_at, self.app.clock())
            table.add_row(
                literal(mask_plate(r.plate)),
                literal(mask_name(r.customer)),
                status_text(r.status, late=r.late),
                Text(promised, style=LATE_STYLE if r.late else ""),
            )

    def on_data_changed(self, message) -> None:
        """A visit changed (here or on another terminal): show it now, not at the
        next look."""
        self.load()

    def action_back(self) -> None:
        # pushed from the progress board, or the "lobby" area of its own
        if len(self.app.screen_stack) > 1:
            self.dismiss()
        else:
            self.app.switch_mode("progress")


class KioskLobbyScreen(LobbyScreen, inherit_bindings=False):
    """The lobby board as the only screen of the lounge TV (``desk lobby-mode``):
    no key leads anywhere else."""

    BINDINGS = []
