"""The shape four screens share: a title line over one table of rows, loaded in a
worker, with the cursor kept on the same row across reloads."""

from __future__ import annotations

import dataclasses
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from desk.domain.entities import VisitRef
from desk.i18n import N_, _
from desk.screens.base import DeskScreen
from desk.widgets.footer import DeskFooter
from desk.widgets.tables import row_height


class TableScreen(DeskScreen):
    """A title line over one table whose columns are declared; ``load()`` (the
    subclass's) fills it when the screen mounts and whenever it comes back."""

    DEFAULT_CSS = """
    /* the table scrolls, not the screen (whose scrollbar would cover the footer) */
    TableScreen > DataTable { height: 1fr; }
    """
    # The columns past the terminal's edge (Vehicle, Concern at 80 columns) are
    # reached with shift+arrows (or < >): ← → may be a screen's own keys (the day).
    BINDINGS = [
        Binding(
            "shift+right,greater_than_sign",
            "columns(1)",
            N_("More columns"),
            show=False,
            priority=True,
            id="list.columns_right",
        ),
        Binding(
            "shift+left,less_than_sign",
            "columns(-1)",
            N_("Columns back"),
            show=False,
            priority=True,
            id="list.columns_left",
        ),
    ]
    #: The table's id (the title is ``<id>-title``).
    TABLE_ID = "list"
    #: (key, English label msgid, width) per column; fixed widths keep columns
    #: still while rows refresh.
    COLUMNS: tuple[tuple[str, str, int], ...] = ()
    #: Below ``NARROW_BELOW`` columns of terminal: the column keys in the order
    #: shown, what matters most first so that it stays on an 80-column screen
    #: (the others follow, to scroll to). Empty: ``COLUMNS`` as declared.
    NARROW: tuple[str, ...] = ()
    NARROW_BELOW = 110

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield Static("", id=f"{self.TABLE_ID}-title")
        yield DataTable(id=self.TABLE_ID, cursor_type="row", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        # Textual calls on_mount of every class in the MRO: subclasses add their
        # own on_mount without calling this one.
        self.add_columns()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def column_order(self) -> list[int]:
        """Indexes into ``COLUMNS`` (and each row's cells) in the order shown at
        the terminal's width now."""
        keys = [key for key, _label, _width in self.COLUMNS]
        if not self.NARROW or self.app.size.width >= self.NARROW_BELOW:
            return list(range(len(keys)))
        first = [keys.index(k) for k in self.NARROW]
        return first + [i for i in range(len(keys)) if i not in first]

    def add_columns(self) -> None:
        table = self.query_one(DataTable)
        self.order = self.column_order()
        for i in self.order:
            key, label, width = self.COLUMNS[i]
            table.add_column(_(label), key=key, width=width)

    def action_columns(self, step: int) -> None:
        """Scroll the table half its width to the right (1) or back (-1)."""
        table = self.query_one(DataTable)
        table.scroll_to(x=max(0, table.scroll_x + step * max(table.size.width // 2, 10)), animate=False)

    def in_order(self, cells: tuple) -> list:
        """A row's cells (in ``COLUMNS`` order) in the order shown."""
        return [cells[i] for i in self.order]

    def on_resize(self) -> None:
        """Across ``NARROW_BELOW`` the columns change order; the rows stay."""
        if self.is_mounted and getattr(self, "order", None) is not None and self.column_order() != self.order:
            table = self.query_one(DataTable)
            at = table.cursor_row
            table.clear(columns=True)
            self.add_columns()
            self.redraw()
            if table.row_count:
                table.move_cursor(row=min(at, table.row_count - 1))

    def redraw(self) -> None:
        """Draw the rows again after the columns changed (the subclass's rows)."""
        self.load()


class ListScreen(TableScreen):
    """Rows read by ``fetch()`` in a worker thread, drawn by ``cells(row)`` (user
    text as ``Text``, never markup); the cursor stays on the same row across
    reloads. Every subclass defines both, which is checked when it is declared."""

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        missing = [name for name in ("fetch", "cells") if not callable(getattr(cls, name, None))]
        if missing:
            raise TypeError(f"{cls.__name__} must define {' and '.join(missing)}")

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []

    def load(self) -> None:
        self.run_db(self.fetch, self.take, group=self.TABLE_ID, exclusive=True)

    def take(self, read: Any) -> None:
        """What ``fetch()`` returned, on the UI thread: the rows. A screen whose read
        brings more than its rows returns a frozen value and keeps the rest here
        (never from the worker's thread, where a superseded read would overwrite
        a newer one's values)."""
        self.show_rows(read)

    def on_data_changed(self, message) -> None:
        """Something changed, here or on another terminal: read the rows again
        (the cursor stays on its row; an open dialog stays as it is)."""
        self.load()

    def redraw(self) -> None:
        ListScreen.show_rows(self, self.rows)  # the same rows: no reading again

    def row_key(self, row) -> Any:
        return row.visit_id

    def set_title(self, text: str | Text) -> None:
        self.query_one(f"#{self.TABLE_ID}-title", Static).update(text)

    def show_rows(self, rows) -> None:
        table = self.query_one(DataTable)
        keep = self.current_key()
        table.clear()
        self.rows = rows
        for row in rows:
            cells = self.in_order(self.cells(row))
            # a long flag, name or concern takes another line, never cut
            table.add_row(*cells, key=str(self.row_key(row)), height=row_height(table, cells))
        for i, row in enumerate(rows):
            if self.row_key(row) == keep:
                table.move_cursor(row=i)

    def took(self, ref) -> None:
        """This terminal changed the visit of a row: keep the row's new version
        until the list is read again."""
        self.rows = [
            dataclasses.replace(r, ref=ref)
            if isinstance(getattr(r, "ref", None), VisitRef) and r.ref.id == ref.id
            else r
            for r in self.rows
        ]

    def current_key(self):
        row = self.current_row()
        return None if row is None else self.row_key(row)

    def current_row(self):
        table = self.query_one(DataTable)
        if not self.rows or table.row_count == 0:
            return None
        return self.rows[min(table.cursor_row, len(self.rows) - 1)]
