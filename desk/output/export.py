"""Writing export tables (``desk.services.transfer.Table``) to CSV or Excel.

CSV is written as UTF-8 with a byte-order mark, so Excel on a Chinese Windows
opens the Chinese text correctly; Excel files (.xlsx) are written with openpyxl,
money as exact decimals with two places, dates and times as real date cells.
Column headings are in the interface language.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from desk.i18n import _

FORMATS = ("csv", "xlsx")


class Table(Protocol):
    """A sheet to export (``desk.services.transfer.Table``): a title, column
    headings and rows (English message ids where they are words), the columns
    whose values are message ids too."""

    @property
    def title(self) -> str: ...
    @property
    def columns(self) -> Sequence[str]: ...
    @property
    def rows(self) -> Sequence[Sequence[object]]: ...
    @property
    def msgid_columns(self) -> Sequence[int]: ...


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _cells(table: Table, row: Sequence[object]) -> list[object]:
    return [_(v) if i in table.msgid_columns and isinstance(v, str) else v for i, v in enumerate(row)]


def _safe_text(value: str) -> str:
    """A cell that starts with = + - @ is a formula to Excel ("CSV injection"):
    a customer named "=HYPERLINK(…)" must stay text."""
    if value[:1] in ("=", "+", "-", "@") and not _is_number(value):
        return "'" + value
    return value


def _is_number(value: str) -> bool:
    try:
        Decimal(value)
    except ArithmeticError:
        return False
    return True


def write_table(table: Table, path: Path, fmt: str | None = None) -> Path:
    """Write ``table`` to ``path`` as csv or xlsx (from the suffix when ``fmt`` is
    None). Written to a temporary file first and renamed: never half a file."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "csv").lower()
    if fmt not in FORMATS:
        from desk.domain.errors import InvalidInput

        raise InvalidInput("format", "Export format is csv or xlsx, not {value}", {"value": fmt})
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".desk-export-", dir=path.parent)
    os.close(fd)
    try:
        if fmt == "csv":
            _write_csv(table, Path(tmp))
        else:
            _write_xlsx(table, Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _write_csv(table: Table, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        for label, value in table.preamble:  # whose figures: the shop, the period
            out.writerow([_(label), _safe_text(value)])
        if table.preamble:
            out.writerow([])
        out.writerow([_(c) for c in table.columns])
        for row in table.rows:
            out.writerow([_safe_text(_cell_text(v)) for v in _cells(table, row)])


def _write_xlsx(table: Table, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = _(table.title)[:31]
    for label, value in table.preamble:  # whose figures: the shop, the period
        ws.append([_(label), _safe_text(value)])
    if table.preamble:
        ws.append([])
    ws.append([_(c) for c in table.columns])
    head = ws.max_row
    for cell in ws[head]:
        cell.font = Font(bold=True)
    for row in table.rows:
        values: list[object] = []
        for v in _cells(table, row):
            if isinstance(v, bool):
                values.append(_cell_text(v))
            elif isinstance(v, str):
                values.append(_safe_text(v))
            else:
                values.append(v)
        ws.append(values)
    for col_cells in ws.iter_cols(min_row=head + 1):
        for cell in col_cells:
            if isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
            elif isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for idx, heading in enumerate(table.columns, 1):
        width = max([len(_(heading)) * 2] + [len(_cell_text(r[idx - 1])) for r in table.rows[:200]]) + 2
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = min(width, 40)
    ws.freeze_panes = f"A{head + 1}"
    wb.save(path)
