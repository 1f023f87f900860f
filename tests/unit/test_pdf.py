"""The printed documents as PDF: rendered to images (pypdfium2) and read back.

Each document is checked in English and Chinese: the page is not blank, the text
extracted from the PDF is the document's text, and the Chinese characters are
drawn as real glyphs, not as the empty boxes ("tofu") a font without them draws.
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime

import pypdfium2 as pdfium
import pytest

from desk.config import Settings
from desk.i18n import set_locale
from desk.output import pdf
from desk.output import text as printout
from tests import flow

LANGS = ["en", "zh"]
SCALE = 3  # 216 dpi
PRINTED = datetime(2026, 11, 23, 9, 30)


_OPEN: list = []


@pytest.fixture(autouse=True)
def _close_documents():
    yield
    while _OPEN:
        _OPEN.pop().close()


def open_pdf(data: bytes):
    doc = pdfium.PdfDocument(data)
    _OPEN.append(doc)
    return doc


def pdf_page(data: bytes):
    doc = open_pdf(data)
    assert len(doc) >= 1
    return doc, doc[0]


def page_text(data: bytes) -> str:
    doc = open_pdf(data)
    return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def ink(image) -> int:
    """Dark pixels in a greyscale PIL image."""
    hist = image.convert("L").histogram()
    return sum(hist[:128])


def glyph_images(data: bytes, chars: str):
    """The rendered image of each occurrence of ``chars``' characters on page 1,
    cropped to the character's box (PDF points -> pixels)."""
    doc, page = pdf_page(data)
    image = page.render(scale=SCALE).to_pil().convert("L")
    height = page.get_height()
    text = page.get_textpage()
    out = []
    for i in range(text.count_chars()):
        ch = text.get_text_range(i, 1)
        if ch in chars:
            left, bottom, right, top = text.get_charbox(i)
            box = (
                int(left * SCALE),
                int((height - top) * SCALE),
                int(right * SCALE) + 1,
                int((height - bottom) * SCALE) + 1,
            )
            out.append((ch, image.crop(box)))
    return out


def tofu_images(font_path: str):
    """How this font draws a character it does not have (U+E000, U+E001: private
    use): its .notdef glyph, an empty or outlined box, the same for both. Each
    is the inked part of its own page (a white square when nothing is drawn)."""
    from fpdf import FPDF
    from PIL import Image

    out = []
    for ch in "\ue000\ue001":
        p = FPDF(format="A4", unit="mm")
        kw = {"collection_font_number": 0} if font_path.endswith(".ttc") else {}
        p.add_font("f", fname=font_path, **kw)
        p.add_page()
        p.set_font("f", size=18)
        p.cell(40, 10, ch)
        image = open_pdf(bytes(p.output()))[0].render(scale=SCALE).to_pil().convert("L")
        box = image.point(lambda v: 255 - v).getbbox()
        out.append(image.crop(box) if box else Image.new("L", (24, 24), 255))
    return out


def small(image) -> bytes:
    return image.resize((24, 24)).tobytes()


@pytest.fixture
def visit(shop, clock):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "READY")
    d = shop.desk
    d.reception.record_walkaround(
        shop.sa,
        d.lifecycle.ref(vid),
        d.reception.readings(warning_lights="ABS", tyres="ok", valuables=""),
        damages=[{"panel": "bonnet", "kind": "scratch"}],
        damage_confirmed=True,
    )
    return vid


def docs(shop, vid):
    d = shop.desk
    view = d.lifecycle.visit_view(vid)
    settings = Settings()
    return {
        "estimate": printout.estimate_doc(view, settings, printed_at=PRINTED),
        "invoice": printout.invoice_doc(view, settings, d.lifecycle.next_service_due(vid), printed_at=PRINTED),
        "walkaround": printout.walkaround_doc(view, settings, printed_at=PRINTED),
    }


TITLES = {
    "estimate": ("Repair order / estimate", "维修委托书 / 估价单"),
    "invoice": ("Invoice summary", "结算单"),
    "walkaround": ("Walkaround sheet", "环车检查单"),
}


@pytest.mark.cjk_font
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["estimate", "invoice", "walkaround"])
def test_pdf_renders_its_text_in_both_languages(shop, visit, lang, kind):
    set_locale(lang)
    doc = docs(shop, visit)[kind]
    data = pdf.render(doc)
    assert data.startswith(b"%PDF")
    _doc, page = pdf_page(data)
    image = page.render(scale=1).to_pil()
    assert ink(image) > 2000, "the page is blank"
    text = page_text(data)
    title = TITLES[kind][1 if lang == "zh" else 0]
    assert doc.title == title
    for must in (title, doc.number, "京A12345", "李伟"):
        assert must in text, f"{must!r} not in the PDF text"
    if kind != "walkaround":
        assert doc.totals[-1][1].replace(",", "") in text.replace(",", "")


@pytest.mark.cjk_font
def test_chinese_glyphs_are_drawn_not_tofu(shop, visit):
    set_locale("zh")
    doc = docs(shop, visit)["estimate"]
    font = pdf.find_cjk_font()
    assert font, "no CJK font: .ci/run installs fonts-wqy-microhei"
    data = pdf.render(doc, font)
    title = doc.title.replace("/", "").replace(" ", "")
    glyphs = glyph_images(data, title)
    assert {ch for ch, _img in glyphs} == set(title)
    tofu = tofu_images(font)
    assert len(tofu) == 2 and small(tofu[0]) == small(tofu[1]), "missing glyphs all look alike"
    # real glyphs: each has ink, each differs from the others and from the missing-glyph box
    shapes = {small(img) for _ch, img in glyphs}
    assert len(shapes) >= len(set(title)) - 1, "the Chinese characters all look alike (tofu boxes)"
    for ch, img in glyphs:
        assert ink(img) > 20, f"{ch} drew nothing"
        diff = sum(abs(a - b) for a, b in zip(small(img), small(tofu[0]), strict=True))
        assert diff > 24 * 24 * 10, f"{ch} is drawn like a missing glyph"


@pytest.mark.cjk_font
def test_tofu_check_fails_on_a_font_without_chinese(shop, visit):
    """The check above can fail: with a Latin-only font the same title is drawn
    as identical boxes (or nothing), and the shapes collapse."""
    latin = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    set_locale("zh")
    doc = docs(shop, visit)["estimate"]
    data = pdf.render(doc, latin)
    title = doc.title.replace("/", "").replace(" ", "")
    shapes = {img.resize((24, 24)).tobytes() for _ch, img in glyph_images(data, title)}
    assert len(shapes) <= 2


def test_no_chinese_font_is_a_sentence_not_an_empty_pdf(shop, visit, monkeypatch):
    monkeypatch.setattr(pdf, "find_cjk_font", lambda env=None: None)
    set_locale("zh")
    with pytest.raises(pdf.FontMissing) as err:
        pdf.render(docs(shop, visit)["estimate"])
    assert "fonts-wqy-microhei" in str(err.value) or "DESK_PDF_FONT" in str(err.value)


def test_an_all_latin_document_needs_no_chinese_font(desk, clock, monkeypatch):
    from desk.domain.entities import Role

    monkeypatch.setattr(pdf, "find_cjk_font", lambda env=None: None)
    sa = desk.people.user(desk.people.create_user(None, "Ann", [Role.ADVISOR]))
    cid = desk.people.register_customer(sa, desk.people.customer_draft(name="John Smith", phone="13900001111"))
    veh = desk.people.register_vehicle(sa, cid, desk.people.vehicle_draft(plate="AB123CD", make="Ford", model="Focus"))
    vid = desk.booking.book(
        sa,
        customer_id=cid,
        vehicle_id=veh,
        booking=desk.booking.draft(at=clock.now.replace(hour=10), concerns=[("Oil change", ())]),
    ).id
    doc = printout.estimate_doc(desk.lifecycle.visit_view(vid), Settings(), printed_at=PRINTED)
    data = pdf.render(doc)
    assert "John Smith" in page_text(data)


@pytest.mark.cjk_font
def test_write_puts_the_pdf_in_the_printouts_folder(shop, visit, tmp_path):
    doc = docs(shop, visit)["walkaround"]
    path = pdf.write(doc, tmp_path)
    assert path.name.endswith("-walkaround.pdf") and path.read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob(".*.tmp"))
    assert json.loads(shop.desk.lifecycle.visit_view(visit).visit.damages)[0]["panel"] == "bonnet"


def test_a_font_file_that_is_not_a_font_is_refused_with_the_sentence(shop, visit, tmp_path):
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font")
    assert pdf.find_cjk_font(str(bogus)) is None
    set_locale("zh")
    with pytest.raises(pdf.FontMissing):
        pdf.render(docs(shop, visit)["estimate"], str(bogus))


# ------------------------------------------------------------------ what a customer accepts

HEADER = {
    "shop_address": "北京市朝阳区建国路 88 号",
    "shop_phone": "010-6552 9988",
    "shop_tax_id": "91110105MA01ABCD2X",
}


def set_up_header(desk, manager) -> None:
    """The shop's header as a manager types it on the set-up screen."""
    for key, text in HEADER.items():
        version = next(v.version for v in desk.setup.shop_settings() if v.key == key)
        desk.setup.set_setting(manager, key, text, version)


def text_of(data: bytes) -> str:
    """The PDF's text with its spacing made single (PDF text runs split and join words)."""
    return " ".join(page_text(data).split())


@pytest.mark.cjk_font
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", ["estimate", "invoice", "walkaround"])
def test_every_printout_carries_the_shop_header_date_advisor_and_units(shop, visit, lang, kind):
    set_up_header(shop.desk, shop.mgr)
    set_locale(lang)
    d = shop.desk
    view = d.lifecycle.visit_view(visit)
    doc = {
        "estimate": lambda: printout.estimate_doc(view, d.ctx.settings, printed_at=PRINTED),
        "invoice": lambda: printout.invoice_doc(
            view, d.ctx.settings, d.lifecycle.next_service_due(visit), printed_at=PRINTED
        ),
        "walkaround": lambda: printout.walkaround_doc(view, d.ctx.settings, printed_at=PRINTED),
    }[kind]()
    text = text_of(pdf.render(doc))
    tax_id = "税号" if lang == "zh" else "Tax ID"
    for must in (
        "Desk Motors",
        HEADER["shop_address"].replace(" ", "")[:6],
        "010 6552 9988",
        f"{tax_id}: 91110105MA01ABCD2X",
        "2026-11-23",
        "王丽",
        "138 1234 5678",
        "43,000 km",
    ):
        assert must in text.replace("北京市朝阳区建国路 88", "北京市朝阳区建国路88"), f"{must!r} not in the {kind} PDF"
    assert "+86" not in text, "a phone printed in the international form"
    if kind != "walkaround":  # the priced table: labour in hours, parts in pieces
        hours, pieces = ("1 小时", "1 件") if lang == "zh" else ("1 h", "1 pcs")
        assert hours in text and pieces in text


def table_column_ink(data: bytes, heading: str) -> list[int]:
    """The ink inside each column of the table under ``heading`` on page 1, left to
    right, the cell borders and the heading row left out: a column that is
    empty on every row has (almost) none. Read from the rendered image."""
    _doc, page = pdf_page(data)
    image = page.render(scale=SCALE).to_pil().convert("L")
    px, (w, h) = image.load(), image.size
    text = page.get_textpage()
    index, _n = text.search(heading).get_next()
    _l, bottom, _r, top = text.get_charbox(index)
    y_mid = int((page.get_height() - (top + bottom) / 2) * SCALE)

    def dark(x, y) -> bool:
        return px[x, y] < 128

    def run_down(x) -> int:
        y = y_mid
        while y < h and (dark(x, y) or (x > 0 and dark(x - 1, y)) or (x + 1 < w and dark(x + 1, y))):
            y += 1
        return y - y_mid

    # the vertical borders: dark from the heading row down through every row
    # (text strokes are far shorter than a table of three rows)
    tall = [x for x in range(w) if dark(x, y_mid) and run_down(x) > 40 * SCALE]
    borders: list[list[int]] = []
    for x in tall:
        if borders and x - borders[-1][-1] <= 2:
            borders[-1].append(x)
        else:
            borders.append([x])
    assert len(borders) >= 3, "no table found under the heading"
    table_bottom = y_mid + min(run_down(b[0]) for b in borders)
    header_bottom = next(y for y in range(y_mid, table_bottom) if dark(borders[0][-1] + 3, y))
    inks = []
    for left, right in itertools.pairwise(borders):
        x0, x1 = left[-1] + 3, right[0] - 3
        counts = [sum(1 for x in range(x0, x1) if dark(x, y)) for y in range(header_bottom + 3, table_bottom - 3)]
        # the borders between rows cross the whole cell: they are not its content
        inks.append(sum(c for c in counts if c < 0.8 * (x1 - x0)))
    return inks


@pytest.mark.cjk_font
@pytest.mark.parametrize("lang", LANGS)
def test_no_table_column_is_empty_on_the_page(shop, visit, lang):
    set_locale(lang)
    doc = docs(shop, visit)["estimate"]
    heading = doc.table_head[0]
    inks = table_column_ink(pdf.render(doc), heading)
    assert len(inks) == len(doc.columns()[0]) == 4  # description, qty, unit price, net: no flag, no discount
    assert min(inks) > 50, f"a column with nothing in it: {inks}"


@pytest.mark.cjk_font
def test_the_empty_column_check_can_fail(shop, visit, monkeypatch):
    """Laid out with every column, the flag and discount columns (empty on every
    line of this visit) are found empty on the page."""
    doc = docs(shop, visit)["estimate"]
    monkeypatch.setattr(printout.Doc, "columns", lambda self: (self.table_head, self.table_align, self.table))
    inks = table_column_ink(pdf.render(doc), doc.table_head[0])
    assert len(inks) == 5 and min(inks) < 10


def test_a_column_empty_on_every_line_is_left_out_and_kept_when_one_line_has_it(shop, visit):
    doc = docs(shop, visit)["estimate"]
    head, _align, rows = doc.columns()
    assert "Discount" not in head and all(len(r) == len(head) for r in rows)
    doc.table[0] = (*doc.table[0][:3], "10%", doc.table[0][4])
    head, _align, rows = doc.columns()
    assert "Discount" in head and rows[0][head.index("Discount")] == "10%"
    # the text printout lines up the same columns
    table = doc.text().split("Description", 1)[1].splitlines()
    assert "Discount" in table[0] and "10%" in table[2]


@pytest.mark.cjk_font
@pytest.mark.parametrize("lang", LANGS)
def test_an_estimate_without_lines_has_nothing_to_sign(shop, clock, lang):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    assert not shop.desk.lifecycle.visit_view(vid).lines
    set_locale(lang)
    doc = printout.estimate_doc(shop.desk.lifecycle.visit_view(vid), Settings(), printed_at=PRINTED)
    data = pdf.render(doc)
    text = text_of(data)
    from desk.i18n import _

    assert _("No work on this estimate yet: there is nothing to sign.").rstrip("。.") in text
    for absent in (_("I authorise the work above."), _("Signature") + ":", _("Date signed"), "0.00"):
        assert absent.rstrip("。.") not in text, f"{absent!r} on an estimate with nothing to sign"
    # the page itself: no signature line drawn (no long horizontal rule below the header's)
    _doc, page = pdf_page(data)
    image = page.render(scale=1).to_pil().convert("L")
    px, (w, h) = image.load(), image.size
    rules = [y for y in range(h) if sum(1 for x in range(w) if px[x, y] < 128) > w // 4]
    assert len(rules) <= 2, f"lines drawn across the page at {rules}"
    assert "Squeaking noise when braking" in text  # the requests still go to the workshop


@pytest.mark.cjk_font
@pytest.mark.parametrize("lang", LANGS)
def test_empty_lists_say_none_not_a_dash(shop, visit, lang):
    set_locale(lang)
    from desk.i18n import _

    doc = docs(shop, visit)["walkaround"]
    assert dict(doc.sections)[_("Findings")] == [_("none")]
    text = text_of(pdf.render(doc))
    assert f"{_('Findings')} • {_('none')}" in text
    assert "• -" not in text and not any(v in ("", "-") for _k, v in doc.fields)


@pytest.mark.cjk_font
def test_an_emoji_prints_as_a_visible_box_never_a_blank(shop, clock):
    """A description with emoji (a skin tone, a variation selector) printed
    nothing where they stood; now each is a box the reader sees."""
    from decimal import Decimal

    set_locale("en")
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d.estimate.add_estimate_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(
            kind="part",
            description="Wiper 🚗 blades 👍🏽 ok ❤️",
            qty=Decimal(1),
            unit_cents=16800,
            availability="in_stock",
        ),
    )
    doc = printout.estimate_doc(d.lifecycle.visit_view(vid), Settings(), printed_at=PRINTED)
    font = pdf.find_cjk_font()
    data = pdf.render(doc, font)
    text = page_text(data)
    assert "Wiper □ blades □ ok □" in text, text
    boxes = glyph_images(data, "□")
    assert len(boxes) == 3 and all(ink(img) > 20 for _ch, img in boxes)
