"""The printed documents as PDF: rendered to images (pypdfium2) and read back.

Each document is checked in English and Chinese: the page is not blank, the text
extracted from the PDF is the document's text, and the Chinese characters are
drawn as real glyphs, not as the empty boxes ("tofu") a font without them draws.
"""

from __future__ import annotations

import json

import pypdfium2 as pdfium
import pytest

from desk.config import Settings
from desk.i18n import set_locale
from desk.output import pdf
from desk.output import text as printout
from tests import flow

LANGS = ["en", "zh"]
SCALE = 3  # 216 dpi


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
            box = (int(left * SCALE), int((height - top) * SCALE), int(right * SCALE) + 1,
                   int((height - bottom) * SCALE) + 1)
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
    d.record_walkaround(shop.sa, vid, damages=[{"panel": "bonnet", "kind": "scratch"}], damage_confirmed=True,
                        warning_lights="ABS", tyres="ok", valuables="")
    return vid


def docs(shop, vid):
    d = shop.desk
    view = d.visit_view(vid)
    settings = Settings()
    return {
        "estimate": printout.estimate_doc(view, settings),
        "invoice": printout.invoice_doc(view, settings, d.next_service_due(vid)),
        "walkaround": printout.walkaround_doc(view, settings),
    }


TITLES = {"estimate": ("Repair order / estimate", "维修委托书 / 估价单"),
          "invoice": ("Invoice summary", "结算单"),
          "walkaround": ("Walkaround sheet", "环车检查单")}


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
    sa = desk.user(desk.create_user(None, "Ann", [Role.ADVISOR]))
    cid = desk.register_customer(sa, name="John Smith", phone="13900001111")
    veh = desk.register_vehicle(sa, customer_id=cid, plate="AB123CD", make="Ford", model="Focus")
    vid = desk.book(sa, customer_id=cid, vehicle_id=veh, at=clock.now.replace(hour=10),
                    concerns=[("Oil change", ())])
    doc = printout.estimate_doc(desk.visit_view(vid), Settings())
    data = pdf.render(doc)
    assert "John Smith" in page_text(data)


@pytest.mark.cjk_font
def test_write_puts_the_pdf_in_the_printouts_folder(shop, visit, tmp_path):
    doc = docs(shop, visit)["walkaround"]
    path = pdf.write(doc, tmp_path)
    assert path.name.endswith("-walkaround.pdf") and path.read_bytes().startswith(b"%PDF")
    assert not list(tmp_path.glob(".*.tmp"))
    assert json.loads(shop.desk.visit_view(visit).visit.damages)[0]["panel"] == "bonnet"


def test_a_font_file_that_is_not_a_font_is_refused_with_the_sentence(shop, visit, tmp_path):
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font")
    assert pdf.find_cjk_font(str(bogus)) is None
    set_locale("zh")
    with pytest.raises(pdf.FontMissing):
        pdf.render(docs(shop, visit)["estimate"], str(bogus))
