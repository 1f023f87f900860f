"""CSV import names what it cannot read: encodings are detected without reading
Western European text as Chinese (a Windows-1252 "Jürgen Müller" never becomes
"J黵gen M黮ler"), UTF-16 without a byte-order mark is read (or refused saying
exactly why), a NUL byte is named by its row and column, and ``--encoding``
names the file's encoding on the command line and in the app."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from desk.domain import csvimport
from desk.domain.errors import InvalidInput
from desk.store.models import CustomerRow

TODAY = date(2026, 11, 23)
README = Path(__file__).resolve().parents[2] / "README.md"
LATIN = (
    "name,phone,plate\n"
    "Jürgen Müller,+49 30 1234567,B-AB 123\n"
    "François Léger,+33 1 23 45 67 89,AB-123-CD\n"
    "Søren Ærø,+45 32 12 34 56,CD-456-EF\n"
)
CHINESE = "姓名,手机,车牌\n王丽,13812345678,京A12345\n张强,13912345678,沪B54321\n"
MOJIBAKE = re.compile(r"[\u3400-\u9fff]")


def names(data: bytes, encoding=None) -> tuple[str, list[str]]:
    parsed = csvimport.parse(data, today=TODAY, encoding=encoding)
    assert not parsed.errors, parsed.errors
    return parsed.encoding, [r.name for r in parsed.records]


def test_a_windows_1252_export_is_read_as_latin_text_not_as_chinese():
    encoding, got = names(LATIN.encode("cp1252"))
    assert encoding == "Windows-1252"
    assert got == ["Jürgen Müller", "François Léger", "Søren Ærø"]


@pytest.mark.parametrize(
    "codec,shown",
    [
        ("utf-8", "UTF-8"),
        ("utf-8-sig", "UTF-8 BOM"),
        ("utf-16", "UTF-16"),
        ("utf-16-le", "UTF-16LE"),
        ("utf-16-be", "UTF-16BE"),
        ("gbk", "GBK"),
        ("gb18030", "GBK"),
    ],
)
def test_chinese_exports_are_still_read(codec, shown):
    assert names(CHINESE.encode(codec)) == (shown, ["王丽", "张强"])


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read(codec):
    data = LATIN.encode(codec)
    assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    assert names(data)[1][0] == "Jürgen Müller"


def test_utf16_without_a_byte_order_mark_that_cannot_be_read_says_exactly_why():
    data = bytearray(LATIN.encode("utf-16-le"))
    data[40:42] = b"\x00\xd8"  # half a surrogate pair: not UTF-16
    with pytest.raises(InvalidInput) as err:
        csvimport.parse(bytes(data), today=TODAY)
    assert err.value.reason == csvimport.UTF16_NO_BOM
    assert err.value.params["offset"] == 40 and err.value.params["line"] == 2
    assert err.value.params["encoding"] == "UTF-16LE"
    with pytest.raises(InvalidInput) as cut:
        csvimport.parse(LATIN.encode("utf-16-le")[:-1], today=TODAY)
    assert cut.value.reason == csvimport.ODD_UTF16


def test_a_nul_byte_is_named_by_row_and_column_and_nothing_is_imported():
    data = "name,phone,plate\nAnn,13900001111,京A11111\nBob,1390000\x002222,京A22222\n".encode()
    parsed = csvimport.parse(data, today=TODAY)
    (err,) = parsed.errors
    assert err.reason == csvimport.NUL_BYTE and err.line == 3
    assert err.params == {"line": 3, "column": "phone"} and err.field == "phone"
    assert not parsed.ok or len(parsed.records) == 1  # the other row is read, the import is refused
    assert "\x00" not in "".join(c for _l, cells in parsed.preview for c in cells)


def test_forcing_a_chinese_encoding_on_latin_text_never_gives_mojibake_names():
    two = "".join(LATIN.splitlines(keepends=True)[:3])  # these two still decode as GBK, to nonsense
    parsed = csvimport.parse(two.encode("cp1252"), today=TODAY, encoding="gbk")
    assert parsed.records == []
    assert [e.reason for e in parsed.errors] == [csvimport.MOJIBAKE] * 2
    assert parsed.errors[0].params["value"] == "J黵gen M黮ler"
    with pytest.raises(InvalidInput) as err:  # "ø," is not GBK at all: refused, with where
        csvimport.parse(LATIN.encode("cp1252"), today=TODAY, encoding="gbk")
    assert err.value.reason == csvimport.NOT_IN_ENCODING and err.value.params["line"] == 4


def test_an_encoding_the_file_is_not_in_is_named_with_the_byte_and_row():
    with pytest.raises(InvalidInput) as err:
        csvimport.parse(LATIN.encode("cp1252"), today=TODAY, encoding="utf-8")
    assert err.value.reason == csvimport.NOT_IN_ENCODING
    assert err.value.params["line"] == 2 and err.value.params["encoding"] == "UTF-8"


# ------------------------------------------------------------------ the command


def _desk_cli():
    from desk.__main__ import main

    return main


def test_a_windows_1252_file_imported_on_the_command_line_stores_no_mojibake(shop, db_url, tmp_path):
    path = tmp_path / "dms.csv"
    path.write_bytes(LATIN.encode("cp1252"))
    out = CliRunner().invoke(
        _desk_cli(), ["--db", db_url, "--user", "王丽", "import", "customers", str(path)], catch_exceptions=False
    )
    assert out.exit_code == 0, out.output
    assert "Windows-1252" in out.output
    with Session(shop.desk.ctx.engine) as s:
        stored = set(s.exec(select(CustomerRow.name)).all())
    assert {"Jürgen Müller", "François Léger", "Søren Ærø"} <= stored
    assert not any(MOJIBAKE.search(n) and re.search(r"[A-Za-z]", n) for n in stored), stored


def test_the_encoding_option_reads_the_file_that_way(shop, db_url, tmp_path):
    path = tmp_path / "dms.csv"
    path.write_bytes(LATIN.encode("cp1252"))
    cli = _desk_cli()
    wrong = CliRunner().invoke(
        cli,
        ["--db", db_url, "import", "customers", str(path), "--dry-run", "--encoding", "utf-8"],
        catch_exceptions=False,
    )
    assert wrong.exit_code == 1 and "byte 18 (row 2) cannot be read as UTF-8" in wrong.output, wrong.output
    right = CliRunner().invoke(
        cli,
        ["--db", db_url, "import", "customers", str(path), "--dry-run", "--encoding", "CP1252"],
        catch_exceptions=False,
    )
    assert right.exit_code == 0 and "3 rows read (Windows-1252" in right.output, right.output
    bad = CliRunner().invoke(cli, ["--db", db_url, "import", "customers", str(path), "--encoding", "ebcdic"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_a_nul_byte_on_the_command_line_names_row_and_column(shop, db_url, tmp_path):
    path = tmp_path / "dms.csv"
    path.write_bytes("name,phone\nAnn,13900001111\nBob,1390000\x002222\n".encode())
    out = CliRunner().invoke(
        _desk_cli(), ["--db", db_url, "import", "customers", str(path), "--dry-run"], catch_exceptions=False
    )
    assert out.exit_code == 1
    assert "A NUL (zero) byte in row 3, column Phone" in out.output, out.output


def test_help_and_readme_list_the_same_encodings_and_separators():
    out = CliRunner().invoke(_desk_cli(), ["import", "customers", "--help"], terminal_width=400)
    text = " ".join(out.output.split())
    readme = " ".join(README.read_text(encoding="utf-8").split())
    for listed in (csvimport.ENCODINGS_TEXT, csvimport.SEPARATORS_TEXT):
        assert listed in text, f"--help does not list: {listed}"
        assert listed in readme, f"the README does not list: {listed}"
    for choice in csvimport.ENCODING_CHOICES:
        assert f"`{choice}`" in readme, f"the README does not name --encoding {choice}"


# ------------------------------------------------------------------ the app


async def test_ctrl_e_names_the_encoding_in_the_import_screen_and_checks_again(shop, clock, tmp_path, monkeypatch):
    """A UTF-8 reading of a Windows-1252 file is refused with the byte and row;
    Ctrl+E steps through the encodings, each checked again, until it reads."""
    from desk.shell.app import make_app
    from tests.functional.pilot import wait_for
    from tests.functional.test_transfer import open_import_from_lookup, summary

    monkeypatch.chdir(tmp_path)
    (tmp_path / "dms.csv").write_bytes(LATIN.encode("cp1252"))
    app = make_app(db_url=str(shop.desk.ctx.engine.url), clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_import_from_lookup(pilot, app)
        await pilot.press(*"dms.csv", "enter")
        await wait_for(pilot, lambda: app.screen.checked is not None)
        assert "3 rows read (Windows-1252" in summary(app)
        await pilot.press("ctrl+e")  # detected -> UTF-8: the file is not UTF-8
        await wait_for(pilot, lambda: "cannot be read as UTF-8" in summary(app))
        assert "byte 18 (row 2)" in summary(app) and app.screen.encoding == "utf-8"
        for _ in range(len(csvimport.ENCODING_CHOICES) - 2):  # on to cp1252, the last one
            await pilot.press("ctrl+e")
            await wait_for(pilot, lambda: not app.screen.busy)
        assert app.screen.encoding == "cp1252"
        await wait_for(pilot, lambda: "3 rows read (Windows-1252" in summary(app))
