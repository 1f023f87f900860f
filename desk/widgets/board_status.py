"""The colour of a car's board status, the same on the progress board and the
lounge TV: ready is green, waiting (for parts or the customer's approval) is
amber, late is red. Colours are exact (not the terminal's 16 named colours, which
each terminal and browser paints its own way), bright enough on a dark screen."""

from __future__ import annotations

from rich.text import Text

from desk.domain.process import BOARD_LABELS, BoardStatus
from desk.i18n import _

GREEN = "#3ddc6a"
AMBER = "#ffb000"
RED = "#ff4d4d"
BLUE = "#5fafff"
VIOLET = "#c792ea"
CYAN = "#4dd0e1"

STATUS_STYLE: dict[BoardStatus, str] = {
    BoardStatus.WAITING: "",
    BoardStatus.IN_WORK: BLUE,
    BoardStatus.WAITING_PARTS: AMBER,
    BoardStatus.WAITING_APPROVAL: f"bold {AMBER}",
    BoardStatus.QC: VIOLET,
    BoardStatus.WASHING: CYAN,
    BoardStatus.READY: f"bold {GREEN}",
    BoardStatus.DELIVERED: "dim",
}
#: A car past its promised time (never a ready one: it is waiting for its owner).
LATE_STYLE = f"bold {RED}"


def status_style(status: BoardStatus | str | None, *, late: bool = False) -> str:
    if late:
        return LATE_STYLE
    return STATUS_STYLE.get(BoardStatus(status), "") if status else ""


def status_text(status: BoardStatus | str | None, *, late: bool = False) -> Text:
    """The status's name in the interface language, in its colour."""
    if not status:
        return Text("")
    return Text(_(BOARD_LABELS[BoardStatus(status)]), style=status_style(status, late=late))
