"""Printable documents as PDF (A4), in English or Chinese, with the font embedded.

A PDF only shows Chinese when a font with Chinese glyphs is embedded in it, so
the writer looks for one on the machine, in this order:

1. ``DESK_PDF_FONT``: a .ttf/.ttc/.otf file the shop chose;
2. the fonts Linux distributions ship: WenQuanYi Micro Hei (Debian/Ubuntu
   ``fonts-wqy-microhei``, 5 MB, what ``.ci/run`` installs), WenQuanYi Zen Hei,
   Noto Sans CJK / Source Han Sans, Droid Sans Fallback;
3. what Windows and macOS terminals have: Microsoft YaHei, SimHei, SimSun,
   PingFang / STHeiti, Arial Unicode;
4. whatever fontconfig (``fc-match :lang=zh``) names.

Only the characters used are embedded (a subset), so a PDF stays small. Without
any such font an all-Latin document is still written with a built-in PDF font;
a document with Chinese text is refused with :class:`FontMissing`, a sentence
that says what to install: never a PDF of empty boxes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import unicodedata
from collections.abc import Set as AbstractSet
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desk.domain.errors import DeskError
from desk.domain.walkaround import PANEL_NAMES
from desk.i18n import N_, _
from desk.output.text import CAR_DIAGRAM

if TYPE_CHECKING:
    from fpdf import FPDF

    from desk.output.text import Doc

CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/adobe-source-han-sans/SourceHanSansCN-Regular.otf",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
    "C:/Windows/Fonts/simsun.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
)
#: A character every Chinese font has; a font without it is not used.
_PROBE = "维"


class FontMissing(DeskError):
    """No font with Chinese characters was found for a PDF."""

    reason = N_(
        "No Chinese font for the PDF: install fonts-wqy-microhei (Debian/Ubuntu) "
        "or set DESK_PDF_FONT to a .ttf or .ttc file"
    )

    def __init__(self) -> None:
        super().__init__(self.reason)

    def __str__(self) -> str:
        return _(self.reason)


def _usable(path: str) -> bool:
    """The file is a font fpdf2 can embed and it has Chinese glyphs."""
    try:
        from fontTools.ttLib import TTFont

        kw = {"fontNumber": 0} if path.lower().endswith((".ttc", ".otc")) else {}
        font = TTFont(path, lazy=True, **kw)
        if "glyf" not in font:  # TrueType outlines: what fpdf2 subsets reliably
            return False
        cmap = font.getBestCmap() or {}
        return ord(_PROBE) in cmap
    except Exception:  # noqa: BLE001 - an unreadable font is simply not a candidate
        return False


@lru_cache(maxsize=8)
def font_chars(path: str) -> frozenset[int]:
    """The code points ``path``'s font has a glyph for."""
    from fontTools.ttLib import TTFont

    kw = {"fontNumber": 0} if path.lower().endswith((".ttc", ".otc")) else {}
    return frozenset((TTFont(path, lazy=True, **kw).getBestCmap() or {}).keys())


#: What a character the font has no glyph for is printed as (the first the font
#: has): a visible box, never a blank (an emoji in a description printed nothing).
MISSING_GLYPH = ("\u25a1", "\ufffd", "?")


def _extends(ch: str) -> bool:
    """A character that belongs to the one before it: a combining mark, a
    variation selector, a skin tone, a zero-width joiner."""
    cp = ord(ch)
    return bool(unicodedata.combining(ch)) or 0xFE00 <= cp <= 0xFE0F or 0x1F3FB <= cp <= 0x1F3FF or cp == 0x200D


def printable(text: str, chars: frozenset[int]) -> str:
    """``text`` with each character ``chars`` lacks (an emoji with its modifiers
    counted as one) shown as the replacement box."""
    box = next((c for c in MISSING_GLYPH if ord(c) in chars), "?")
    out: list[str] = []
    for ch in text:
        if ord(ch) in chars or ch in "\n\r\t":
            out.append(ch)
        elif _extends(ch):
            # part of the character already replaced, or a mark the font cannot
            # draw over a letter that still shows
            continue
        else:
            out.append(box)
    return "".join(out)


@lru_cache(maxsize=8)
def find_cjk_font(env: str | None = None) -> str | None:
    """The path of a font with Chinese glyphs, or None (see the module docstring)."""
    chosen = env if env is not None else os.environ.get("DESK_PDF_FONT", "")
    if chosen:
        return chosen if os.path.isfile(chosen) and _usable(chosen) else None
    for path in CANDIDATES:
        if os.path.isfile(path) and _usable(path):
            return path
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(
                ["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=5
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and os.path.isfile(out) and _usable(out):
            return out
    return None


def _latin1(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


# ------------------------------------------------------------------ layout

#: A4 portrait, millimetres.
MARGIN = 15
BODY = 10


def render(doc: Doc, font_path: str | None = None) -> bytes:
    """``doc`` (:class:`desk.output.text.Doc`) laid out as PDF bytes."""
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos
    from fpdf.fonts import FontFace

    doc = doc.shown()  # control characters as their pictures, as on paper in text
    everything = doc.text()
    if font_path is None:
        font_path = find_cjk_font()
    if font_path is None and not _latin1(everything):
        raise FontMissing()

    class Page(FPDF):
        """Every text drawn shows each character: those the font lacks as a box."""

        def normalize_text(self, text: str) -> str:
            if font_path is not None:
                text = printable(text, font_chars(font_path))
            return super().normalize_text(text)

    pdf = Page(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=MARGIN)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title(f"{doc.title} {doc.number}")
    pdf.set_creator("desk")
    if font_path is not None:
        kw: dict[str, Any] = {"collection_font_number": 0} if font_path.lower().endswith((".ttc", ".otc")) else {}
        try:
            pdf.add_font("body", fname=font_path, **kw)
        except Exception:  # noqa: BLE001 - a font file fpdf2 cannot read is the shop's to replace
            raise FontMissing() from None
        family = "body"
    else:
        family = "helvetica"
    pdf.add_page()
    width = pdf.w - 2 * MARGIN

    def line(text: str, size: float = BODY, h: float = 5.5, align: str = "L") -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(width, h, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    # header: the shop on the left (name, address, phone and tax id), the title,
    # number and date on the right
    left = list(doc.shop)
    right = [(doc.title, 16), (doc.number, 11), (f"{_('Date')}: {doc.date}", 10)]
    top = pdf.get_y()
    for i, text in enumerate(left):
        pdf.set_font(family, size=13 if i == 0 else 9)
        pdf.set_text_color(0, 0, 0) if i == 0 else pdf.set_text_color(80, 80, 80)
        pdf.set_xy(MARGIN, top + (0 if i == 0 else 3 + 4.5 * i))
        pdf.cell(width * 0.58, 7 if i == 0 else 4.5, _fit(pdf, text, width * 0.58))
    pdf.set_text_color(0, 0, 0)
    y = top
    for text, size in right:
        pdf.set_font(family, size=size)
        pdf.set_xy(MARGIN + width * 0.4, y)
        h = size * 0.5
        pdf.cell(width * 0.6, h, text, align="R")
        y += h + 1
    bottom = max(y, top + 3 + 4.5 * len(left))
    pdf.set_draw_color(60, 60, 60)
    pdf.line(MARGIN, bottom + 1, MARGIN + width, bottom + 1)
    pdf.set_xy(MARGIN, bottom + 4)

    # fields in two columns of label: value
    pdf.set_font(family, size=BODY)
    half = width / 2
    label_w = min(max([pdf.get_string_width(k) for k, _v in doc.fields] + [20]) + 3, 36)
    for i, (label, value) in enumerate(doc.fields):
        pdf.set_text_color(90, 90, 90)
        pdf.cell(label_w, 6, label)
        pdf.set_text_color(0, 0, 0)
        last = i % 2 == 1 or i == len(doc.fields) - 1
        pdf.cell(
            half - label_w,
            6,
            _fit(pdf, value, half - label_w - 2),
            new_x=XPos.LMARGIN if last else XPos.RIGHT,
            new_y=YPos.NEXT if last else YPos.TOP,
        )
    pdf.ln(2)

    if doc.kind == "walkaround" or doc.diagram:
        _diagram(pdf, family, doc.damaged, width, doc.new_damage)

    for heading, lines in doc.sections:
        pdf.ln(2)
        line(heading, size=11)
        for text in lines:
            line(f"{'•' if font_path else '-'}  {text}")

    if doc.table:
        head, align, rows = doc.columns()
        pdf.ln(3)
        pdf.set_font(family, size=BODY)
        # each figure column as wide as its widest entry; the description takes the rest
        figures = [max(pdf.get_string_width(r[i]) for r in (head, *rows)) + 5 for i in range(1, len(head))]
        widths = (width - sum(figures), *figures)
        with pdf.table(
            col_widths=widths,
            text_align=tuple("LEFT" if a == "L" else "RIGHT" for a in align),
            width=width,
            first_row_as_headings=True,
            line_height=6,
            headings_style=FontFace(emphasis=None, fill_color=(230, 230, 230)),
        ) as table:
            table.row(head)
            for r in rows:
                table.row(r)

    if doc.totals:
        pdf.ln(3)
        for i, (label, value) in enumerate(doc.totals):
            pdf.set_font(family, size=12 if i == 2 else BODY)  # net, tax, then the total
            pdf.cell(width * 0.75, 7, label, align="R")
            pdf.cell(width * 0.25, 7, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for note in doc.notes:
        pdf.ln(2)
        line(note, size=9 if doc.table else BODY)

    for statement, who in doc.signatures:
        pdf.ln(8)
        if statement:
            line(statement)
        pdf.ln(8)
        pdf.set_font(family, size=BODY)
        pdf.cell(30, 6, f"{who}:")
        y = pdf.get_y() + 6
        pdf.line(pdf.get_x(), y, pdf.get_x() + 80, y)
        pdf.cell(85, 6, "")
        date_label = _("Date signed") + ":"
        pdf.cell(pdf.get_string_width(date_label) + 2, 6, date_label)
        pdf.line(pdf.get_x(), y, MARGIN + width, y)
        pdf.ln(8)
    return bytes(pdf.output())


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` mm on one line."""
    if pdf.get_string_width(text) <= width:
        return text
    dots = "…" if pdf.font_family != "helvetica" else "..."
    while text and pdf.get_string_width(text + dots) > width:
        text = text[:-1]
    return text + dots


def _diagram(
    pdf: FPDF, family: str, damaged: AbstractSet[str], width: float, new: AbstractSet[str] = frozenset()
) -> None:
    """The car from above, panels as boxes; damaged ones shaded and marked (×),
    damage noted at delivery that the walkaround did not have darker (!)."""
    cell_w, cell_h = 44, 8
    left = pdf.l_margin + (width - 3 * cell_w) / 2
    top = pdf.get_y() + 2
    pdf.set_font(family, size=8)
    for r, row in enumerate(CAR_DIAGRAM):
        for c, key in enumerate(row):
            if not key:
                continue
            x, y = left + c * cell_w, top + r * cell_h
            if key in new:
                pdf.set_fill_color(230, 110, 60)
                pdf.rect(x + 0.5, y + 0.5, cell_w - 1, cell_h - 1, style="DF")
            elif key in damaged:
                pdf.set_fill_color(240, 170, 170)
                pdf.rect(x + 0.5, y + 0.5, cell_w - 1, cell_h - 1, style="DF")
            else:
                pdf.rect(x + 0.5, y + 0.5, cell_w - 1, cell_h - 1)
            pdf.set_xy(x, y + 1)
            label = _(PANEL_NAMES[key]) + (" ×" if key in damaged else "") + (" !" if key in new else "")
            pdf.cell(cell_w, cell_h - 2, label, align="C")
    pdf.set_fill_color(255, 255, 255)  # the table after it is not shaded
    pdf.set_xy(pdf.l_margin, top + len(CAR_DIAGRAM) * cell_h + 2)


# ------------------------------------------------------------------ files


def write(doc: Doc, folder: Path, font_path: str | None = None) -> Path:
    """Render ``doc`` into ``folder`` and return the path; written whole or not
    at all."""
    folder.mkdir(parents=True, exist_ok=True)
    data = render(doc, font_path)
    path = folder / f"{doc.filename or doc.kind}.pdf"
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path
