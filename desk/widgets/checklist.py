"""The MOT checklist of one stage: see every item's state, tick it, mark it not
applicable or waive it with a reason. The widget only asks (the reason dialog is
its own); the screen calls the service and reloads (the domain decides who may do
what).

Use: ``yield Checklist()``, ``checklist.show(statuses)`` with the
:class:`ItemStatus` rows of a stage, and handle ``on_checklist_mark(event)``:
``event.item_id``, ``event.kind`` (a :class:`MarkKind`) and ``event.reason``
(``""`` for a tick).
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from desk.domain import staff
from desk.domain.checklist import ItemState, ItemStatus, MarkKind
from desk.i18n import N_, _
from desk.widgets.safe import literal
from desk.widgets.tables import row_height

#: ASCII state marks: box-drawing and symbols like ✓ ■ are ambiguous-width on CJK
#: terminals and shift the columns.
STATE_MARK = {
    ItemState.OPEN: ("[ ]", "bold"),
    ItemState.DONE: ("[x]", "green"),
    ItemState.NA: ("[-]", "dim"),
    ItemState.WAIVED: ("[w]", "yellow"),
    ItemState.NOT_APPLICABLE: (" - ", "dim"),
}


class Checklist(DataTable):
    """A DataTable of :class:`ItemStatus` rows, keyed by item id."""

    BINDINGS = [
        Binding("space,x", "mark('done')", N_("Tick"), show=True, id="checklist.tick"),
        Binding("enter", "mark('done')", N_("Tick"), show=False, id="checklist.tick_enter"),
        Binding("n", "mark('na')", N_("Not applicable"), id="checklist.not_applicable"),
        Binding("w", "mark('waived')", N_("Waive"), id="checklist.waive"),
        # greyed out above where the domain (desk.domain.staff) says this user may
        # not, for the item under the cursor: the same key then asks who may (their
        # PIN on this terminal, for one mark)
        Binding(
            "space,x",
            "mark('done', True)",
            N_("Tick (someone who may, with their PIN)"),
            id="checklist.tick_approved",
            show=False,
        ),
        Binding(
            "enter",
            "mark('done', True)",
            N_("Tick (someone who may, with their PIN)"),
            id="checklist.tick_enter_approved",
            show=False,
        ),
        Binding(
            "n",
            "mark('na', True)",
            N_("Not applicable (a manager approves)"),
            id="checklist.not_applicable_approved",
            show=False,
        ),
        Binding(
            "w", "mark('waived', True)", N_("Waive (a manager approves)"), id="checklist.waive_approved", show=False
        ),
    ]

    class Mark(Message):
        """The user asked to mark ``item_id`` as ``kind``. ``reason`` is what the
        user typed in the reason dialog for n.a. and waivers, ``""`` for a tick."""

        def __init__(self, item_id: str, kind: MarkKind, reason: str = "") -> None:
            super().__init__()
            self.item_id = item_id
            self.kind = kind
            self.reason = reason

    class TickRequired(Message):
        """The user asked to tick every required item still open that is ticked
        by hand (``item_ids``, in order): they did them all."""

        def __init__(self, item_ids: list[str]) -> None:
            super().__init__()
            self.item_ids = item_ids

    def __init__(self, **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kw)
        self.statuses: list[ItemStatus] = []

    def on_mount(self) -> None:
        self.add_column("", key="state", width=3)
        self.add_column("", key="id", width=7)
        # Fixed widths: auto-sizing depends on when the rows arrive, and the
        # columns would jump as items change state.
        # The kind as wide as its longest word in this language ("recommended
        # data"); the item and its note wrap onto more lines rather than be cut.
        self.add_column(_("Item"), key="text", width=42)
        self.add_column(_("Kind"), key="kind", width=max(cell_len(k) for k in self.kinds()))
        self.add_column(_("Note"), key="note", width=38)

    #: The columns' keys, in the order of :meth:`_cells`.
    COLUMNS = ("state", "id", "text", "kind", "note")

    @staticmethod
    def kind_text(required: bool, from_data: bool) -> str:
        kind = _("required") if required else _("recommended")
        return kind + " " + _("data") if from_data else kind

    @classmethod
    def kinds(cls) -> list[str]:
        return [cls.kind_text(r, d) for r in (True, False) for d in (True, False)]

    @classmethod
    def _cells(cls, s: ItemStatus) -> tuple[Text, ...]:
        mark, style = STATE_MARK[s.state]
        kind = cls.kind_text(s.item.required, s.item.from_data)
        note = ""
        if s.mark is not None and s.mark.reason:
            note = s.mark.reason
        elif s.state == ItemState.OPEN and s.hint:
            note = _(s.hint)
        row_style = "bold red" if s.blocking else ""
        return (
            Text(mark, style=style),
            Text(s.item.id, style=row_style),
            literal(s.item.text, style=row_style),
            Text(kind, style="dim" if not s.item.required else ""),
            literal(note, style="italic"),
        )

    def show(self, statuses: list[ItemStatus]) -> None:
        """Show ``statuses``, keeping the cursor on the same item. When the items
        are the ones shown (a reload), only the rows whose state changed are
        updated, in place; otherwise the rows are replaced."""
        if self.row_count and [s.item.id for s in statuses] == [s.item.id for s in self.statuses]:
            for new in statuses:
                self.update_status(new)
            return
        current = self.current_item_id
        self.statuses = list(statuses)
        self.clear()
        for s in statuses:
            cells = self._cells(s)
            self.add_row(*cells, key=s.item.id, height=row_height(self, cells))
        if current is not None:
            self.focus_item(current)

    def update_status(self, status: ItemStatus) -> bool:
        """Show one item's new status in its row (nothing else is redrawn from
        scratch). False when the item is not in this checklist."""
        for i, old in enumerate(self.statuses):
            if old.item.id == status.item.id:
                break
        else:
            return False
        if old == status:
            return True
        if row_height(self, self._cells(old)) != row_height(self, self._cells(status)):
            # the row needs more or fewer lines (a note came or went): drawn again
            current, rows = self.current_item_id, list(self.statuses)
            rows[i], self.statuses = status, []
            self.show(rows)
            if current is not None:
                self.focus_item(current)
            return True
        self.statuses[i] = status
        changed = {
            column: after
            for column, before, after in zip(self.COLUMNS, self._cells(old), self._cells(status), strict=True)
            if (before.plain, before.style) != (after.plain, after.style)
        }
        if changed:
            self._redraw_row(status.item.id, i, changed)
        return True

    def _redraw_row(self, key: str, index: int, cells: dict[str, Text]) -> None:
        """Put ``cells`` into one row and redraw only that row.

        ``DataTable.update_cell`` bumps a counter that every cached cell and line
        is keyed by, so each update renders every visible row again (most of a
        tick's frame time). Here the row's own cache entries are dropped instead;
        the other rows' renders are kept. Falls back to ``update_cell`` should
        Textual's internals differ."""
        from textual.widgets.data_table import ColumnKey, RowKey

        row_key = RowKey(key)
        try:
            data = self._data[row_key]
            caches = (self._cell_render_cache, self._row_render_cache, self._row_renderable_cache, self._line_cache)
        except (AttributeError, KeyError):
            for column, value in cells.items():
                self.update_cell(key, column, value)
            return
        for column, value in cells.items():
            data[ColumnKey(column)] = value
        cell, row, renderables, lines = caches
        for cache, hit in (
            (cell, lambda k: k[0] == row_key),
            (row, lambda k: k[0] == row_key),
            (renderables, lambda k: k[1] == index),
        ):
            for cache_key in [k for k in cache.keys() if hit(k)]:
                cache.discard(cache_key)
        lines.clear()  # assembled from the row renders: cheap to build again
        self.refresh_row(index)

    @property
    def current_item_id(self) -> str | None:
        if not self.statuses or self.row_count == 0:
            return None
        row = min(self.cursor_row, self.row_count - 1)
        return self.statuses[row].item.id

    @property
    def current_status(self) -> ItemStatus | None:
        if not self.statuses or self.row_count == 0:
            return None
        return self.statuses[min(self.cursor_row, self.row_count - 1)]

    def focus_item(self, item_id: str) -> None:
        for i, s in enumerate(self.statuses):
            if s.item.id == item_id:
                self.move_cursor(row=i)
                return

    def first_blocking(self) -> str | None:
        return next((s.item.id for s in self.statuses if s.blocking), None)

    def may(self, kind: str) -> bool:
        """This user may mark the item under the cursor so, as far as the roles
        tell (``desk.domain.staff``; the visit's facts, inspector ≠ technician,
        are the service's): tick and n.a. on an open item, waive anywhere."""
        user = getattr(self.app, "user", None)
        if kind == "waived":
            return staff.can(user, staff.Act.WAIVE)
        status = self.current_status
        if user is None or status is None or status.state != ItemState.OPEN or status.by_data:
            return True  # a marked item's key un-ticks it; a fact is not ticked
        if kind == "done":
            return staff.may_tick_role(user, status.item)
        return bool(staff.may_mark_na(user, status.item))

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Tick, n.a. and waive are greyed out where this user may not, for the
        item under the cursor; pressed anyway, the same key asks who may."""
        if action == "mark" and parameters:
            allowed = self.may(parameters[0])
            if len(parameters) > 1:  # the approval route: only where the key is greyed
                return not allowed
            return True if allowed else None
        return True

    def watch_cursor_coordinate(self, old, new) -> None:
        """Another item under the cursor: its keys grey out or light up."""
        super().watch_cursor_coordinate(old, new)
        self.screen.refresh_bindings()

    def action_mark(self, kind: str, approved: bool = False) -> None:
        item = self.current_item_id
        if item is None:
            return
        # n.a. and waivers: the screen asks the reason, in a dialog that stays
        # up (with what was typed) until the mark is saved
        self.post_message(self.Mark(item, MarkKind(kind)))

    def action_tick_required(self) -> None:
        """Every required item still open that is ticked by hand (the visit
        screen's ctrl+a, wherever the focus is)."""
        ids = [s.item.id for s in self.statuses if s.blocking and not s.item.from_data]
        if ids:
            self.post_message(self.TickRequired(ids))

    def item_text(self, item_id: str) -> str:
        return next((s.item.text for s in self.statuses if s.item.id == item_id), "")
