"""Printouts in the shop's own folder, never another shop's, and printed through
the system's print service (issue 29 item 3): a fake ``lp`` on PATH records what
it was asked to print."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from desk.domain import setup
from desk.domain.errors import InvalidInput
from desk.output.files import print_doc, printouts_folder
from desk.output.text import Doc


def fake_lp(folder: Path, *, fail: str = "") -> Path:
    """An ``lp`` that writes its arguments, one a line, to ``lp.args`` (or fails
    with ``fail`` on standard error)."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "lp"
    record = folder / "lp.args"
    body = f'echo "{fail}" >&2; exit 1' if fail else f'printf "%s\\n" "$@" > "{record}"'
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return record


def doc() -> Doc:
    return Doc(
        kind="invoice",
        title="Invoice summary",
        number="RO26000001",
        shop=("Desk Motors",),
        date="2026-12-07",
        fields=[("Customer", "Li Wei")],
        filename="RO26000001-invoice",
    )


def test_each_shop_keeps_its_printouts_beside_its_database_or_named_by_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    a = printouts_folder(f"sqlite:///{tmp_path / 'north.db'}")
    b = printouts_folder(f"sqlite:///{tmp_path / 'south.db'}")
    assert a == tmp_path / "north-printouts" and b == tmp_path / "south-printouts" and a.is_dir()
    pg_a = printouts_folder("postgresql+psycopg://desk@db-host:5432/north")
    pg_b = printouts_folder("postgresql+psycopg://desk@db-host:5432/south")
    assert pg_a == tmp_path / "data" / "printouts" / "db-host-5432-north" and pg_a != pg_b
    assert len({a, b, pg_a, pg_b}) == 4


def test_a_shop_file_where_no_folder_can_be_made_beside_it_gets_one_named_by_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # "beside it" cannot be made (as when the folder is read-only: root may write there)
    folder = printouts_folder(f"sqlite:///{blocked / 'shop.db'}")
    assert folder.parent == tmp_path / "data" / "printouts" and folder.name.startswith("shop-") and folder.is_dir()


def test_printing_sends_the_pdf_or_the_text_to_the_set_up_printer_through_lp(tmp_path, monkeypatch):
    record = fake_lp(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    folder = printouts_folder(f"sqlite:///{tmp_path / 'shop.db'}")
    printed = print_doc(doc(), folder, "Front_Desk")
    assert printed.printer == "Front_Desk" and printed.print_problem is None
    args = record.read_text().splitlines()
    sent = printed.pdf or printed.text
    assert args == ["-d", "Front_Desk", "-t", "Invoice summary RO26000001", "--", str(sent)]
    assert Path(args[-1]).parent == tmp_path / "shop-printouts"
    # without a printer set up: only the files
    record.unlink()
    assert print_doc(doc(), folder, "").printer is None and not record.exists()


def test_a_printer_that_refuses_or_no_print_service_is_said_in_words(tmp_path, monkeypatch):
    fake_lp(tmp_path / "bin", fail="lp: The printer or class does not exist.")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    printed = print_doc(doc(), tmp_path, "Nowhere")
    assert printed.print_problem == "Not printed on Nowhere: lp: The printer or class does not exist."
    assert printed.text.exists()  # the file stands
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert print_doc(doc(), tmp_path, "Front_Desk").print_problem == (
        "Not printed: no print service (lp) on this computer"
    )


@pytest.mark.parametrize(
    "name, ok",
    [("Front_Desk", True), ("hp@office:631", True), ("-o evil", False), ("two words", False), ("a/b", False)],
)
def test_the_printer_setting_takes_a_print_queue_name_never_an_option(name, ok):
    if ok:
        assert setup.parse_setting("shop_printer", name) == name
    else:
        with pytest.raises(InvalidInput):
            setup.parse_setting("shop_printer", name)
    assert setup.parse_setting("shop_printer", "") == ""
