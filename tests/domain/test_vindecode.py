"""VIN decoding offline: the maker from the WMI table shipped in the package
(its source named), the model year from position 10, the check digit a warning
outside North America."""

from __future__ import annotations

from datetime import date

import pytest

from desk.domain import vindecode

TODAY = date(2026, 12, 8)


@pytest.mark.parametrize(
    ("vin", "make", "year"),
    [
        ("LSVAM4187C2184847", "SAIC Volkswagen", 2012),  # a Chinese joint venture's
        ("LSGPC52U8AF102555", "SAIC-GM", 2010),
        ("1HGCM82633A004352", "Honda", 2003),  # a digit: the 2000s
        ("WBA3A5C53CF256985", "BMW", 2012),
        ("JHMCM56557C404453", "Honda", 2007),
        ("1M8GDM9AXKP042788", None, 2019),  # a WMI not in the table: no make
    ],
)
def test_the_maker_and_model_year_of_known_vins(vin, make, year):
    facts = vindecode.decode(vin, today=TODAY)
    assert (facts.make, facts.year, facts.warning) == (make, year, None)


def test_the_year_code_is_the_latest_of_its_cycle_not_after_next_years_models():
    assert vindecode.model_year("A", today=TODAY) == 2010  # not 1980, not 2040
    assert vindecode.model_year("T", today=TODAY) == 2026
    assert vindecode.model_year("V", today=TODAY) == 2027  # next year's models
    assert vindecode.model_year("W", today=TODAY) == 1998
    assert vindecode.model_year("Y", today=date(2031, 1, 1)) == 2030
    for not_a_year in ("Z", "U", "0", "I", ""):
        assert vindecode.model_year(not_a_year, today=TODAY) is None


def test_nothing_is_decoded_before_the_vin_is_whole():
    for typed in ("", "LSVAM", "LSVAM4187C218484", "1M8GDM9A1KP042788"):  # the last: a wrong NA check digit
        assert vindecode.decode(typed, today=TODAY) == vindecode.VinFacts()
        assert vindecode.form_values(typed, today=TODAY) == ({}, None)


def test_a_chinese_vin_with_a_wrong_check_digit_is_decoded_with_a_warning():
    facts = vindecode.decode("lsvam4181c2184847", today=TODAY)  # as typed, lower case
    assert (facts.make, facts.year) == ("SAIC Volkswagen", 2012)
    assert facts.warning == "VIN check digit does not match; check the VIN"
    assert vindecode.form_values("LSVAM4181C2184847", today=TODAY) == (
        {"make": "SAIC Volkswagen", "year": "2012"},
        "VIN check digit does not match; check the VIN",
    )


def test_the_table_names_its_source_and_every_code_is_a_wmi():
    table = vindecode.wmi_table()
    assert "ISO 3780" in table.source and "vininfo" in table.source
    assert len(table.makers) > 50
    for code, (make, maker) in table.makers.items():
        assert len(code) == 3 and not set(code) & set("IOQ"), code
        assert make and maker, code
