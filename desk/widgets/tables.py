"""DataTable helpers for screens that change one or two rows at a time."""

from __future__ import annotations

from textual.widgets import DataTable


def append_rows(table: DataTable, rows: list[tuple[str, tuple]]) -> None:
    """Add ``rows`` (key, cells) at the end of ``table`` keeping the renders of
    the rows already shown.

    Every ``add_row`` bumps a counter that each cached cell and row render is
    keyed by, so the next frame renders every visible row again. Appending
    leaves the existing rows as they were (same data, same place, and, with
    fixed column widths, same width), so their renders are carried over to the
    new counter and only the new rows are rendered. With an auto-width column,
    or should Textual's internals differ, the table simply renders everything.
    """
    before = getattr(table, "_update_count", None)
    try:  # the lines drawn so far (header and rows): they stay where they are
        drawn = table._total_row_height + (table.header_height if table.show_header else 0)
    except AttributeError:
        drawn = 0
    for key, cells in rows:
        table.add_row(*cells, key=key)
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
