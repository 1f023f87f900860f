"""Validation with messages an advisor can act on."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desk.domain import validate
from desk.domain.errors import InvalidInput

TODAY = date(2026, 11, 22)
# Check digits confirmed with an independent implementation (the vininfo
# package): 1M8GDM9AXKP042788 is the textbook example with check digit X.
GOOD_VINS = ["1M8GDM9AXKP042788", "11111111111111111", "1HGCM82633A004352", "LSVAM4187C2184847"]


@pytest.mark.parametrize("vin", GOOD_VINS)
def test_valid_vins(vin):
    assert validate.vin(vin).vin == vin and validate.vin(vin).warning is None


def test_vin_normalised_and_scanner_prefix():
    assert validate.vin(" 1m8gdm9axkp042788 ").vin == "1M8GDM9AXKP042788"
    assert validate.vin("I1M8GDM9AXKP042788").vin == "1M8GDM9AXKP042788"


def test_wrong_check_digit_north_america_and_china_refused():
    with pytest.raises(InvalidInput, match="check digit"):
        validate.vin("1M8GDM9A1KP042788")
    with pytest.raises(InvalidInput, match="check digit"):
        validate.vin("LSVAM4181C2184847")


def test_wrong_check_digit_elsewhere_is_a_warning():
    r = validate.vin("WVWZZZ1JZXW000001")
    assert r.vin == "WVWZZZ1JZXW000001" and r.warning


@pytest.mark.parametrize("bad,part", [("", "required"), ("1M8GDM9AXKP04278", "17"),
                                      ("1M8GDM9AXKP04278O", "O"), ("1M8GDM9AXKP0427Q8", "Q")])
def test_bad_vins_say_why(bad, part):
    with pytest.raises(InvalidInput) as err:
        validate.vin(bad)
    assert part in (err.value.reason.format(**err.value.params))


@pytest.mark.parametrize("text,plate", [("京A12345", "京A12345"), ("粤B·D12345", "粤BD12345"),
                                        ("ab-123 cd", "AB123CD")])
def test_plates(text, plate):
    assert validate.plate(text) == plate


@pytest.mark.parametrize("bad", ["", "A", "京A12345678901", "AB#12"])
def test_bad_plates(bad):
    with pytest.raises(InvalidInput):
        validate.plate(bad)


def test_phones():
    assert validate.phone("13812345678") == "+8613812345678"
    assert validate.phone("+86 138 1234 5678") == "+8613812345678"
    for bad in ("", "12", "abcdefg", "1381234567"):
        with pytest.raises(InvalidInput):
            validate.phone(bad)


def test_odometer():
    assert validate.odometer("12,345", None) == 12345
    assert validate.odometer(50000, 42000) == 50000
    with pytest.raises(InvalidInput, match="lower than the last reading"):
        validate.odometer(41000, 42000)
    for bad in ("abc", "-5", "12.5", "３０", 3_000_000):
        with pytest.raises(InvalidInput):
            validate.odometer(bad, None)


def test_text_cleaning_keeps_markup_literal():
    assert validate.text("[bold]x[/bold]", field="n") == "[bold]x[/bold]"
    assert validate.text("a\x1b[31mred\x1b[0m b", field="n") == "ared b"
    assert validate.text("ab\u202ecd\u200b", field="n") == "abcd"
    assert validate.text("line1\nline2", field="n") == "line1 line2"
    assert validate.text("line1\nline2", field="n", multiline=True) == "line1\nline2"
    with pytest.raises(InvalidInput, match="Too long"):
        validate.text("x" * 10_000, field="n", max_len=500)
    with pytest.raises(InvalidInput):
        validate.text("   ", field="n", required=True)


@given(st.text(max_size=300))
def test_text_never_raises_unexpectedly_and_is_idempotent(s):
    try:
        once = validate.text(s, field="n", max_len=1000)
    except InvalidInput:
        return
    assert validate.text(once, field="n", max_len=1000) == once
    assert "\x1b" not in once


def test_dates_and_times():
    assert validate.date("2026-11-25", today=TODAY) == date(2026, 11, 25)
    assert validate.date("25/11/2026", today=TODAY) == date(2026, 11, 25)
    assert validate.date("tomorrow", today=TODAY) == date(2026, 11, 23)
    assert validate.date("明天", today=TODAY) == date(2026, 11, 23)
    assert validate.date("+3", today=TODAY) == date(2026, 11, 25)
    assert validate.time_of_day("930") == time(9, 30)
    assert validate.datetime_local("tomorrow 9:30", today=TODAY) == datetime(2026, 11, 23, 9, 30)
    assert validate.datetime_local("17:30", today=TODAY) == datetime(2026, 11, 22, 17, 30)
    for bad in ("soon", "2026-13-40", ""):
        with pytest.raises(InvalidInput):
            validate.date(bad, today=TODAY)
    for bad in ("25:00", "9:75", "x"):
        with pytest.raises(InvalidInput):
            validate.time_of_day(bad)
