"""Exact money: parsing, formatting, totals, tax per code — examples and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.domain import money
from desk.domain.errors import InvalidInput
from desk.domain.money import PricedLine, TaxTable

TAXES = TaxTable.from_mapping({
    "VAT13": {"rate": "0.13"}, "VAT6": {"rate": "0.06"}, "NONE": {"rate": "0"},
})


@pytest.mark.parametrize("text,cents", [
    ("12", 1200), ("12.5", 1250), ("12.50", 1250), ("1,234.56", 123456), ("¥12.50", 1250),
    ("$0.99", 99), (".5", 50), ("  7 ", 700),
])
def test_parse_money(text, cents):
    assert money.parse_money(text) == cents


@pytest.mark.parametrize("text", ["", "-5", "12a", "abc", "1.234", "NaN", "Infinity", "1,23", "12..5", "1e5"])
def test_parse_money_refuses(text):
    with pytest.raises(InvalidInput):
        money.parse_money(text)


def test_money_is_never_float():
    with pytest.raises(TypeError):
        money.parse_money(12.5)
    with pytest.raises(TypeError):
        money.format_money(12.5)
    with pytest.raises(TypeError):
        PricedLine(qty=1.5, unit_cents=100)


def test_format_money():
    assert money.format_money(123456) == "1,234.56"
    assert money.format_money(-5, "¥") == "-¥0.05"
    assert money.format_money(0) == "0.00"


def test_totals_example_member_discount_warranty():
    lines = [
        PricedLine(Decimal("1.5"), 18000, Decimal(0), "VAT13"),          # 270.00 labour
        PricedLine(Decimal(2), 4550, Decimal(10), "VAT13"),              # 91.00 - 9.10
        PricedLine(Decimal(1), 30000, Decimal(0), "VAT13", chargeable=False),  # warranty
        PricedLine(Decimal(1), 1000, Decimal(0), "VAT6"),
    ]
    t = money.totals(lines, TAXES, member_discount_pct=Decimal(5))
    # nets: 27000, 8190, 1000; member 5 %: 1350, 410 (409.5 up), 50
    assert t.net == (27000 - 1350) + (8190 - 410) + (1000 - 50)
    assert t.tax_by_code == {"VAT13": money.round_half_up(Decimal(25650 + 7780) * Decimal("0.13")),
                             "VAT6": money.round_half_up(Decimal(950) * Decimal("0.06"))}
    assert t.total == t.net + t.tax
    assert t.not_charged == 30000


def test_prices_including_tax():
    table = TaxTable.from_mapping({"VAT13": {"rate": "0.13"}}, prices_include_tax=True)
    t = money.totals([PricedLine(Decimal(1), 11300, tax_code="VAT13")], table)
    assert t.total == 11300 and t.tax == 1300


def test_unknown_tax_code_and_bad_rate():
    with pytest.raises(InvalidInput):
        money.totals([PricedLine(Decimal(1), 100, tax_code="XX")], TAXES)
    with pytest.raises(ValueError):
        TaxTable.from_mapping({"BAD": {"rate": "1.5"}})


def test_parse_qty():
    assert money.parse_qty("1.5") == Decimal("1.5")
    for bad in ("0", "-1", "abc", "1.2345", "20000", "NaN"):
        with pytest.raises(InvalidInput):
            money.parse_qty(bad)


cents = st.integers(min_value=0, max_value=10**10 - 1)
lines = st.lists(
    st.builds(
        PricedLine,
        qty=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(100), places=3),
        unit_cents=st.integers(min_value=0, max_value=10**7),
        discount_pct=st.decimals(min_value=0, max_value=100, places=2),
        tax_code=st.sampled_from(["VAT13", "VAT6", "NONE"]),
        chargeable=st.booleans(),
    ),
    max_size=12,
)


@given(cents)
def test_format_then_parse_round_trips(c):
    assert money.parse_money(money.format_money(c)) == c


@settings(max_examples=300)
@given(lines, st.decimals(min_value=0, max_value=50, places=2))
def test_totals_properties(ls, member):
    t = money.totals(ls, TAXES, member_discount_pct=member)
    values = [t.gross, t.discount, t.net, t.tax, t.total, t.not_charged, *t.tax_by_code.values()]
    assert all(isinstance(v, int) and not isinstance(v, bool) for v in values)
    assert t.total == t.net + t.tax
    assert t.net >= 0 and t.tax >= 0 and t.discount >= 0
    assert t.net == t.gross - t.discount
    for code, tax in t.tax_by_code.items():
        code_net = 0
        for ln in ls:
            if ln.chargeable and ln.tax_code == code:
                n = money.line_net(ln)
                code_net += n - money.round_half_up(Decimal(n) * member / 100)
        assert tax == money.round_half_up(Decimal(code_net) * TAXES.rate(code))
