"""The lobby view of the progress board, for a screen in the customer lounge:
masked plate, masked name (``desk.domain.privacy``), status and promised time.
Nothing else personal."""

from __future__ import annotations

from datetime import datetime

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

#: The columns: key, label, and their share of the width (the plate and the
#: promised time whole, the status the widest).
COLUMNS = (
    ("plate", N_("Plate"), 9),
    ("name", N_("Customer"), 10),
    ("status", N_("Status"), 16),
    ("promised", N_("Promised"), 11),
)


def column_widths(room: int) -> list[int]:
    """The columns' widths filling ``room`` cells (each pads 1 each side), never
    below their share: a wide TV gets wide columns, not a board on 60 % of it."""
    inside = max(room - 2 * len(COLUMNS), 0)
    total = sum(share for _k, _l, share in COLUMNS)
    widths = [max(share, inside * share // total) for _k, _l, share in COLUMNS]
    widths[2] += max(inside - sum(widths), 0)  # what rounding left: the status
    return widths


def page_of(count: int, per_page: int, at: datetime, seconds: float) -> tuple[int, int]:
    """(page shown, pages) for ``count`` cars, ``per_page`` of them at a time, each
    page ``seconds`` on the screen in turn: from the clock, so every screen of
    the shop shows the same page and a test moves it by moving the clock."""
    pages = max(1, -(-count // max(per_page, 1)))
    return int(at.timestamp() // seconds) % pages, pages


class LobbyScreen(DeskScreen):
    """The board for the lounge: the shop's name and a clock on top, a car per
    row, its status in its colour (ready green, waiting amber, late red). The
    columns fill the width; more cars than fit are shown a page at a time, each
    page ``PAGE_SECONDS`` in turn (the title says which)."""

    BINDINGS = [Binding("escape", "back", N_("Back"), id="lobby.back")]
    #: A look at the board this often, besides every change the app reports.
    RELOAD_SECONDS = 2.0
    #: How long a page of cars stays before the next (read from across the room).
    PAGE_SECONDS = 10.0
    DEFAULT_CSS = """
    LobbyScreen #lobby-top { height: 1; background: $panel; padding: 0 1; }
    LobbyScreen #lobby-shop { width: 1fr; text-style: bold; }
    LobbyScreen #lobby-clock { width: auto; text-style: bold; }
    LobbyScreen #lobby-title { text-style: bold; content-align: center middle; height: 3; }
    LobbyScreen DataTable { height: 1fr; overflow: hidden hidden; }
    """

    def __init__(self) -> None:
        super().__init__()
        #: Every car of the board (the page shown is a slice of them).
        self.cars: list = []
        #: (page shown, pages), for the title and the tests.
        self.page: tuple[int, int] = (0, 1)

    def compose(self) -> ComposeResult:
        with Horizontal(id="lobby-top"):
            yield Static("", id="lobby-shop")
            yield Static("", id="lobby-clock")
        yield Static(_("Your car's progress"), id="lobby-title")
        yield DataTable(id="lobby", cursor_type="none", zebra_stripes=True, show_cursor=False)

    def on_mount(self) -> None:
        self.add_columns()
        self.show_shop()
        self.show_clock()
        self.set_interval(1.0, self.show_clock)
        self.load()
        self.set_interval(self.RELOAD_SECONDS, self.load)

    def add_columns(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for (key, label, _share), width in zip(COLUMNS, column_widths(self.app.size.width), strict=True):
            table.add_column(_(label), key=key, width=width)

    def on_resize(self) -> None:
        """Another window (or TV): the columns fill it again, the pages recounted."""
        if self.is_mounted:
            self.add_columns()
            self.show_page()

    def per_page(self) -> int:
        """The cars that fit below the header, at the height the table has now
        (the terminal's, less the top line, the title and the header, until laid
        out)."""
        table = self.query_one(DataTable)
        height = table.size.height or self.app.size.height - 5
        return max(1, height - table.header_height)

    def show_shop(self) -> None:
        """The shop's name as set up (it may change on another terminal)."""
        self.query_one("#lobby-shop", Static).update(literal(self.desk.ctx.settings.shop_name))

    def show_clock(self) -> None:
        self.query_one("#lobby-clock", Static).update(f"{self.app.clock():%H:%M}")
        if page_of(len(self.cars), self.per_page(), self.app.clock(), self.PAGE_SECONDS) != self.page:
            self.show_page()  # the next page's turn

    def load(self) -> None:
        self.run_db(self.desk.workshop.progress_board, self.show_rows, group="lobby", exclusive=True)

    def show_rows(self, rows) -> None:
        self.show_shop()
        self.cars = list(rows)
        self.show_page()

    def show_page(self) -> None:
        """The cars of the page whose turn it is, and the title naming it."""
        per_page = self.per_page()
        self.page = page_of(len(self.cars), per_page, self.app.clock(), self.PAGE_SECONDS)
        shown, pages = self.page
        title = _("Your car's progress")
        if pages > 1:
            title += "   " + _("page {n} of {pages}", n=shown + 1, pages=pages)
        self.query_one("#lobby-title", Static).update(title)
        table = self.query_one(DataTable)
        table.clear()
        for r in self.cars[shown * per_page : (shown + 1) * per_page]:
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
