"""DataTable helpers for screens that change one or two rows at a time."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text
from textual.widgets import DataTable

#: Measures wrapped cells (no output: only its width rules are used).
_MEASURE = Console(width=1000, file=None, color_system=None, legacy_windows=False)


def row_height(table: DataTable, cells) -> int:
    """The lines a row of ``cells`` needs for every cell to show whole, each
    wrapped in its column's width: what must be read is never cut (a long
    description, a note, a flag), it takes another line instead."""
    height = 1
    for cell, column in zip(cells, table.ordered_columns, strict=False):
        if column.auto_width or not isinstance(cell, str | Text):
            continue
        text = cell if isinstance(cell, Text) else Text(cell)
        height = max(height, len(text.wrap(_MEASURE, max(column.width, 1))))
    return height


def append_rows(table: DataTable, rows: list[tuple[str, tuple]], *, wrap: bool = False) -> None:
    """Add ``rows`` (key, cells) at the end of ``table`` keeping the renders of
    the rows already shown.

    Every ``add_row`` bumps a counter that each cached cell and row render is
    keyed by, so the next frame renders every visible row again. Appending
    leaves the existing rows as they were (same data, same place, and, with
    fixed column widths, same width), so their renders are carried over to the
    new counter and only the new rows are rendered. With an auto-width column,
    or should Textual's internals differ, the table simply renders everything.
    ``wrap``: each row as tall as its longest cell needs (:func:`row_height`).
    """
    before = getattr(table, "_update_count", None)
    try:  # the lines drawn so far (header and rows): they stay where they are
        drawn = table._total_row_height + (table.header_height if table.show_header else 0)
    except AttributeError:
        drawn = 0
    for key, cells in rows:
        table.add_row(*cells, key=key, height=row_height(table, cells) if wrap else 1)
    if before is None or not rows or any(c.auto_width for c in table.columns.values()):
        return
    after = table._update_count
    try:
        caches = ((table._cell_render_cache, 6), (table._row_render_cache, 8), (table._row_renderable_cache, 0))
    except AttributeError:
        return
    for cache, at in caches:
        for key in [k for k in cache.keys() if len(k) > at and k[at] == before]:
            value = cache.get(key)
            if value is not None:
                cache[(*key[:at], after, *key[at + 1 :])] = value
    # whole lines, by line number (blank lines below the old rows are not kept)
    lines = getattr(table, "_line_cache", None)
    if lines is None:
        return
    for key in [k for k in lines.keys() if len(k) > 9 and k[9] == before and k[0] < drawn]:
        value = lines.get(key)
        if value is not None:
            lines[(*key[:9], after, *key[10:])] = value
