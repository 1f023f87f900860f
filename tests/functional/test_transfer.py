"""Import, export and print by keyboard: the CSV import screen from the lookup
screen and the palette (a bad row imports nothing; a clean file imports after a
y/n), and F6 writing the PDF beside the text printout."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select
from textual.widgets import DataTable, Static

from desk.output.files import printouts_folder
from desk.shell.app import make_app
from desk.store.models import CustomerRow, VehicleRow
from desk.widgets.dialogs import ConfirmDialog
from tests import flow
from tests.functional.pilot import record_notifications, screen_name, wait_for
from tests.unit.test_import import csv_rows


def on(app, name: str):
    return lambda: screen_name(app) == name


def customers(desk) -> int:
    with Session(desk.ctx.engine) as s:
        return s.exec(select(func.count()).select_from(CustomerRow)).one()


def summary(app) -> str:
    return str(app.screen.query_one("#summary", Static).render())


async def open_import_from_lookup(pilot, app) -> None:
    await wait_for(pilot, on(app, "AppointmentsScreen"))
    await pilot.press("slash")
    await wait_for(pilot, on(app, "LookupScreen"))
    await pilot.press("ctrl+o")
    await wait_for(pilot, on(app, "ImportScreen"))


async def test_a_bad_row_is_shown_with_its_row_number_and_nothing_is_imported(
    shop, clock, db_url, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dms.csv").write_bytes(csv_rows(200, bad={57: {"phone": "555"}}).encode("gbk"))
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_import_from_lookup(pilot, app)
        await pilot.press(*"dms.csv", "enter")
        await wait_for(pilot, lambda: app.screen.checked is not None)
        assert "200 rows read (GBK" in summary(app)
        assert "1 rows with errors" in summary(app)
        errors = app.screen.query_one("#errors", DataTable)
        assert errors.row_count == 1
        assert [str(c) for c in errors.get_row_at(0)] == ["59", "Phone", "Not a valid phone number"]
        # Import is greyed: the key does nothing
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: True)
        assert not isinstance(app.screen, ConfirmDialog)
        assert customers(shop.desk) == 1


@pytest.mark.slow
async def test_ten_thousand_rows_import_from_the_palette_with_a_progress_bar(
    shop, clock, db_url, tmp_path, monkeypatch
):
    from desk.screens.importer import ImportScreen

    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.csv").write_text(csv_rows(10_000), encoding="utf-8-sig")
    steps: list[tuple[int, int]] = []
    original = ImportScreen.set_progress

    def set_progress(self, done, total):
        steps.append((done, total))
        original(self, done, total)

    monkeypatch.setattr(ImportScreen, "set_progress", set_progress)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: screen_name(app) == "CommandPalette")
        await pilot.press(*"Import customers")
        await wait_for(pilot, lambda: True)
        await pilot.press("enter")
        await wait_for(pilot, on(app, "ImportScreen"))
        await pilot.press(*"ok.csv", "enter")
        await wait_for(pilot, lambda: app.screen.checked is not None)
        assert "10000 new customers" in summary(app)
        preview = app.screen.query_one("#preview", DataTable)
        assert preview.row_count == 20 and str(preview.get_row_at(0)[1]) == "Row OK"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        steps.clear()
        await pilot.press("y")
        await wait_for(pilot, lambda: any("Imported: 10000 customers, 10000 vehicles" in n for n in notes))
        assert app.screen.query_one("#progress").percentage == 1.0
        # the bar moved in steps while the rows were written (one per 1,000 rows)
        assert len(steps) >= 20 and steps[-1] == (20_000, 20_000)
        # checked again (Ctrl+O): everything is known now, nothing new
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.screen.checked is not None)
        assert "0 new customers, 10000 already known" in summary(app)
        await pilot.press("escape")
        await wait_for(pilot, on(app, "AppointmentsScreen"))
    assert customers(shop.desk) == 10_001
    with Session(shop.desk.ctx.engine) as s:
        assert s.exec(select(func.count()).select_from(VehicleRow)).one() == 10_001


async def test_a_missing_file_is_a_sentence(shop, clock, db_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await open_import_from_lookup(pilot, app)
        await pilot.press(*"nofile.csv", "enter")
        await wait_for(pilot, lambda: any("Cannot read the file" in n for n in notes))
        assert "No such file" in summary(app)
        assert app.screen.checked is None


async def print_at(shop, clock, db_url, tmp_path, monkeypatch, stage: str, screen: str) -> str:
    """Open the visit at ``stage`` on its screen and press F6; the visit's number."""
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, stage)
    number = shop.desk.lifecycle.visit_view(vid).visit.number
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, on(app, screen))
        await pilot.press("f6")
        await wait_for(pilot, lambda: any("PDF:" in n for n in notes))
    return number


@pytest.mark.cjk_font
async def test_f6_writes_the_pdf_beside_the_text_printout(shop, clock, db_url, tmp_path, monkeypatch):
    number = await print_at(shop, clock, db_url, tmp_path, monkeypatch, "ESTIMATE", "EstimateScreen")
    folder = printouts_folder(db_url)
    assert (folder / f"{number}-estimate-v1.txt").exists()
    pdf = folder / f"{number}-estimate-v1.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf.read_bytes())
    try:
        assert number in doc[0].get_textpage().get_text_range()
    finally:
        doc.close()


@pytest.mark.cjk_font
async def test_f6_on_the_walkaround_prints_the_walkaround_sheet(shop, clock, db_url, tmp_path, monkeypatch):
    number = await print_at(shop, clock, db_url, tmp_path, monkeypatch, "WALKAROUND", "WalkaroundScreen")
    assert (printouts_folder(db_url) / f"{number}-walkaround.pdf").read_bytes().startswith(b"%PDF")


async def test_without_a_chinese_font_f6_says_what_to_install(shop, clock, db_url, tmp_path, monkeypatch):
    from desk.output import pdf

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(pdf, "find_cjk_font", lambda env=None: None)
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, on(app, "EstimateScreen"))
        await pilot.press("f6")
        await wait_for(pilot, lambda: any("fonts-wqy-microhei" in n for n in notes))
    # the text printout is still written; no PDF of empty boxes
    folder = printouts_folder(db_url)
    assert list(folder.glob("*.txt")) and not list(folder.glob("*.pdf"))


async def test_a_line_the_change_feed_already_showed_is_drawn_and_printed_once(
    shop, clock, db_url, tmp_path, monkeypatch
):
    """The feed read the visit, new line and all, before the save's own result
    arrived: the line was drawn twice and f6 printed it twice, with a 'member
    discount' making up the difference (breaking test of issue 24). The line is
    shown once, and the paper is made from the record."""
    from decimal import Decimal

    from desk.services.estimate import LineAdded

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "EstimateScreen")() and app.screen.view is not None)
        added = d.estimate.add_estimate_line(
            shop.sa,
            d.lifecycle.ref(vid),
            d.estimate.draft(kind="labour", description="Café révision̈ 🚗 check", qty=Decimal(1), unit_cents=20000),
        ).value
        assert isinstance(added, LineAdded)
        # the feed's reload comes first, then the save's own result
        await wait_for(pilot, lambda: len(app.screen.view.lines) == 1, tries=2000)
        app.screen.show_line_added(added)
        assert [ln.id for ln in app.screen.view.lines] == [added.line.id]
        await pilot.press("f6")
        await wait_for(pilot, lambda: any("Saved for printing" in n for n in notes), tries=600)
    said = next(n for n in notes if "Saved for printing" in n)
    path = said.split(": ", 1)[1].split("\n", 1)[0]
    from pathlib import Path

    text = Path(path).read_text(encoding="utf-8")
    assert text.count("Café révision̈ 🚗 check") == 1, text
