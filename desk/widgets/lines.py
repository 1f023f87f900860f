"""The cells every line table shares (estimate, workshop, QC, hand-back): a part's
stock and its ETA, and the work on a line with who did it; short enough that a
line table fits 80 columns beside nothing (the visit body stacks them)."""

from __future__ import annotations

from rich.text import Text

from desk.domain.entities import Availability, LineKind
from desk.domain.estimate import chase_supplier
from desk.i18n import N_, _
from desk.widgets.safe import literal

#: Short stock words (the column is narrow; f1 and the form say them in full).
STOCK_LABELS = {
    Availability.UNKNOWN: N_("check"),
    Availability.IN_STOCK: N_("in stock"),
    Availability.BACK_ORDER: N_("ordered"),
    Availability.ARRIVED: N_("arrived"),
}
#: Width of the stock and the work columns: "ordered 12-10" whole (a date is
#: never cut: "ordered 12-1" reads as the first of December).
STOCK_WIDTH = 13
WORK_WIDTH = 14


def stock_cell(ln) -> Text:
    """``in stock``, ``ordered 12-05`` (the ETA), ``ordered ?`` in red while the
    supplier has given no date (chase them), ``check`` in red: nothing for labour."""
    if ln.kind != LineKind.PART:
        return Text("")
    label = _(STOCK_LABELS[ln.availability])
    if ln.availability == Availability.BACK_ORDER:
        label += f" {ln.eta:%m-%d}" if ln.eta else " ?"
    attention = ln.availability == Availability.UNKNOWN or chase_supplier(ln)
    return Text(
        label, style="bold red" if attention else "green" if ln.availability != Availability.BACK_ORDER else "yellow"
    )


def description_cell(ln) -> Text:
    """The line's description, ``*`` first when the work was added in repair
    (first, so that a narrow column never cuts the mark)."""
    return literal(("* " if ln.added_in_repair else "") + ln.description)


def work_cell(ln, names: dict[int, str], technician_id: int | None = None, todo: str | None = None) -> Text:
    """``done 张强``, ``in work 张强`` (the visit's technician), ``to do`` (or
    ``todo``: the estimate leaves it empty)."""
    if ln.is_done:
        return Text(f"{_('done')} {names.get(ln.done_by, '')}".rstrip(), style="green")
    if ln.started:
        return Text(f"{_('in work')} {names.get(technician_id, '')}".rstrip(), style="cyan")
    return Text(_("to do") if todo is None else todo, style="dim")
