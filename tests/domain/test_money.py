"""Exact money: parsing, formatting, totals, tax per code — examples and properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.domain import money
from desk.domain.errors import InvalidInput
from desk.domain.money import PricedLine, TaxTable

D = Decimal
TAXES = TaxTable.from_mapping(
    {
        "VAT13": {"rate": "0.13", "label_en": "VAT 13%", "label_zh": "增值税13%"},
        "VAT6": {"rate": "0.06", "label_en": "VAT 6%", "label_zh": "增值税6%"},
        "NONE": {"rate": "0", "label_en": "No tax", "label_zh": "免税"},
    }
)
RATES = {"VAT13": D("0.13"), "VAT6": D("0.06"), "NONE": D(0)}


def message(err: pytest.ExceptionInfo) -> str:
    return err.value.reason.format(**err.value.params)


# ------------------------------------------------------------------ parsing and formatting


@pytest.mark.parametrize(
    "text,cents",
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("1,234.56", 123456),
        ("¥12.50", 1250),
        ("$12", 1200),
        ("￥12", 1200),
        ("12元", 1200),
        ("€ 3.10", 310),
        ("$0.99", 99),
        (".5", 50),
        ("  7 ", 700),
        ("0", 0),
        ("0.00", 0),
        ("-", 0),
        ("1 234.56", 123456),
        ("１２．５", 1250),
        ("1,000,000", 100_000_000),
        ("12.", 1200),
        ("007", 700),
        ("100000000", 10**10),
        ("99,999,999.99", 10**10 - 1),
    ],
)
def test_parse_money(text, cents):
    assert money.parse_money(text) == cents


@pytest.mark.parametrize(
    "text,reason",
    [
        ("", "Not an amount: "),
        ("   ", "Not an amount: "),
        ("¥", "Not an amount: ¥"),
        ("12a", "Not an amount: 12a"),
        ("abc", "Not an amount: abc"),
        ("1.234", "Not an amount: 1.234"),  # more than 2 decimals
        ("12.500", "Not an amount: 12.500"),
        ("NaN", "Not an amount: NaN"),
        ("Infinity", "Not an amount: Infinity"),
        ("-Infinity", "Not an amount: -Infinity"),
        ("1,23", "Not an amount: 1,23"),
        ("12..5", "Not an amount: 12..5"),
        ("1e5", "Not an amount: 1e5"),
        (".", "Not an amount: ."),
        ("1_000", "Not an amount: 1_000"),
        ("٣", "Not an amount: ٣"),
        ("-5", "Amount cannot be negative"),
        ("-¥5.00", "Amount cannot be negative"),
        ("¥-5", "Amount cannot be negative"),
        ("100000000.01", "Amount is too large"),
        ("1" * 5000, "Amount is too large"),
    ],
)
def test_parse_money_refuses(text, reason):
    with pytest.raises(InvalidInput) as err:
        money.parse_money(text)
    assert err.value.field == "money"
    assert message(err) == reason


def test_money_is_never_float():
    with pytest.raises(TypeError):
        money.parse_money(12.5)
    with pytest.raises(TypeError):
        money.parse_money(12)  # yuan or cents? refused, not guessed
    with pytest.raises(TypeError):
        money.format_money(12.5)
    with pytest.raises(TypeError):
        money.round_half_up(0.5)
    with pytest.raises(TypeError):
        money.parse_qty(1.5)
    with pytest.raises(TypeError):
        PricedLine(qty=1.5, unit_cents=100)
    with pytest.raises(TypeError):
        PricedLine(qty=D(1), unit_cents=100.0)
    with pytest.raises(TypeError):
        PricedLine(qty=D(1), unit_cents=100, discount_pct=5.0)
    with pytest.raises(TypeError):
        money.totals([], TAXES, member_discount_pct=5.0)
    with pytest.raises(TypeError):
        money.beyond_tolerance(100, 100, pct=5.0, abs_cents=0)


@pytest.mark.parametrize(
    "cents,text",
    [
        (123456, "1,234.56"),
        (0, "0.00"),
        (5, "0.05"),
        (100, "1.00"),
        (99, "0.99"),
        (100_000_000, "1,000,000.00"),
        (-123456, "-1,234.56"),
    ],
)
def test_format_money(cents, text):
    assert money.format_money(cents) == text


def test_format_money_with_symbol():
    assert money.format_money(1250, "¥") == "¥12.50"
    assert money.format_money(-5, "¥") == "-¥0.05"


@pytest.mark.parametrize(
    "value,cents",
    [
        (D("0.5"), 1),
        (D("1.5"), 2),
        (D("2.5"), 3),
        (D("2.4999"), 2),
        (D("-0.5"), -1),
        (D("-1.4"), -1),
        (D(7), 7),
        (7, 7),
        (D("1234.500"), 1235),
    ],
)
def test_round_half_up(value, cents):
    result = money.round_half_up(value)
    assert result == cents and type(result) is int


@pytest.mark.parametrize(
    "text,qty",
    [
        ("1", D(1)),
        ("1.5", D("1.5")),
        ("0.25", D("0.25")),
        ("0.001", D("0.001")),
        (" 2 ", D(2)),
        ("1.5000", D("1.5")),
        ("1,000", D(1000)),
        ("10000", D(10000)),
        ("１.５", D("1.5")),
        (D("2.5"), D("2.5")),
        (3, D(3)),
    ],
)
def test_parse_qty(text, qty):
    assert money.parse_qty(text) == qty


@pytest.mark.parametrize(
    "text,reason",
    [
        ("0", "Quantity must be more than zero"),
        ("0.000", "Quantity must be more than zero"),
        ("-1", "Quantity must be more than zero"),
        ("abc", "Not a quantity: abc"),
        ("", "Not a quantity: "),
        ("NaN", "Not a quantity: NaN"),
        ("Infinity", "Not a quantity: Infinity"),
        ("1e3", "Not a quantity: 1e3"),
        ("1,5", "Not a quantity: 1,5"),
        ("1_0", "Not a quantity: 1_0"),
        ("1.2345", "At most 3 decimals"),
        ("0.0001", "At most 3 decimals"),
        ("10000.001", "Quantity is too large"),
        ("20000", "Quantity is too large"),
        ("9" * 5000, "Quantity is too large"),
    ],
)
def test_parse_qty_refuses(text, reason):
    with pytest.raises(InvalidInput) as err:
        money.parse_qty(text)
    assert err.value.field == "qty"
    assert message(err) == reason


# ------------------------------------------------------------------ tax table


def test_tax_table_from_mapping():
    assert set(TAXES) == {"VAT13", "VAT6", "NONE"}
    rule = TAXES["VAT13"]
    assert rule.rate == D("0.13") and rule.label_en == "VAT 13%" and rule.label_zh == "增值税13%"
    assert TAXES.rate("VAT6") == D("0.06")
    assert TAXES.prices_include_tax is False


def test_tax_table_adds_none_and_reads_toml_floats_exactly():
    table = TaxTable.from_mapping({"VAT13": {"rate": 0.13}})
    assert table.rate("VAT13") == D("0.13")
    assert table.rate("NONE") == 0


def test_unknown_tax_code_and_bad_rate():
    with pytest.raises(InvalidInput) as err:
        money.totals([PricedLine(D(1), 100, tax_code="XX")], TAXES)
    assert message(err) == "Unknown tax code XX"
    for bad in ("1.5", "1", "-0.1", "NaN"):
        with pytest.raises(ValueError):
            TaxTable.from_mapping({"BAD": {"rate": bad}})


# ------------------------------------------------------------------ lines


def test_line_net_and_discount():
    line = PricedLine(D(2), 4550, D(10), "VAT13")  # 91.00 less 10 %
    assert money.line_gross(line) == 9100
    assert money.line_discount(line) == 910
    assert money.line_net(line) == 8190
    half = PricedLine(D("0.333"), 1000, D(0))  # 333.0 cents
    assert money.line_net(half) == 333
    rounding = PricedLine(D(1), 1005, D("50"))  # 502.5 -> 503 discount
    assert money.line_discount(rounding) == 503 and money.line_net(rounding) == 502
    assert money.line_net(PricedLine(D(3), 999, D(100))) == 0


@pytest.mark.parametrize("pct", [D(-1), D("100.01"), D("NaN")])
def test_line_discount_must_be_0_to_100(pct):
    with pytest.raises(InvalidInput) as err:
        PricedLine(D(1), 100, pct)
    assert message(err) == "Discount is 0 to 100 %"


def test_negative_lines_are_refused():
    with pytest.raises(ValueError):
        PricedLine(D(-1), 100)
    with pytest.raises(ValueError):
        PricedLine(D(1), -100)


def test_priced_reads_any_line_like_object():
    class Row:
        qty, unit_cents, discount_pct, tax_code, chargeable = D("1.5"), 1000, D(10), "VAT6", False

    line = money.priced(Row())
    assert line == PricedLine(D("1.5"), 1000, D(10), "VAT6", False)


# ------------------------------------------------------------------ totals


def test_totals_example_member_discount_warranty():
    lines = [
        PricedLine(D("1.5"), 18000, D(0), "VAT13"),  # labour 270.00
        PricedLine(D(2), 4550, D(10), "VAT13"),  # 91.00 - 9.10
        PricedLine(D(1), 30000, D(0), "VAT13", chargeable=False),  # warranty
        PricedLine(D(1), 1000, D(0), "VAT6"),
    ]
    t = money.totals(lines, TAXES, member_discount_pct=D(5))
    # line nets 27000, 8190, 1000; member 5 %: 1350, 409.5 -> 410, 50
    assert t.gross == 27000 + 9100 + 1000
    assert t.discount == 910 + 1350 + 410 + 50
    assert t.net == 25650 + 7780 + 950 == 34380
    # VAT13 on 334.30 = 43.459 -> 43.46; VAT6 on 9.50 = 0.57
    assert t.tax_by_code == {"VAT13": 4346, "VAT6": 57}
    assert t.tax == 4403
    assert t.total == 38783
    assert t.not_charged == 30000


def test_tax_is_computed_once_per_code_not_per_line():
    # Three lines of 0.05 at 13 %: per line 0.0065 -> 0.01 each = 0.03;
    # on the sum 0.15 * 13 % = 0.0195 -> 0.02. The invoice says 0.02.
    lines = [PricedLine(D(1), 5, tax_code="VAT13")] * 3
    t = money.totals(lines, TAXES)
    assert t.tax_by_code == {"VAT13": 2}
    assert t.total == 17


def test_only_warranty_and_free_lines_cost_nothing():
    lines = [
        PricedLine(D(1), 30000, D(0), "VAT13", chargeable=False),
        PricedLine(D(2), 1500, D(50), "NONE", chargeable=False),
    ]
    t = money.totals(lines, TAXES, member_discount_pct=D(10))
    assert (t.gross, t.discount, t.net, t.tax, t.total) == (0, 0, 0, 0, 0)
    assert t.tax_by_code == {}
    assert t.not_charged == 30000 + 1500


def test_empty_estimate():
    assert money.totals([], TAXES) == money.Totals()


def test_prices_including_tax():
    table = TaxTable.from_mapping({"VAT13": {"rate": "0.13"}}, prices_include_tax=True)
    t = money.totals([PricedLine(D(1), 11300, tax_code="VAT13")], table)
    assert (t.net, t.tax, t.total) == (11300, 1300, 11300)
    # 100.00 including 13 %: 100 / 1.13 = 88.4956 -> 88.50 net, tax 11.50
    t = money.totals([PricedLine(D(1), 10000, tax_code="VAT13")], table)
    assert (t.tax, t.total) == (1150, 10000)


def test_member_discount_must_be_a_percentage():
    with pytest.raises(ValueError):
        money.totals([], TAXES, member_discount_pct=D(101))


# ------------------------------------------------------------------ tolerance


def test_variance():
    assert money.variance(12000, 10000) == 2000
    assert money.variance(9000, 10000) == -1000


@pytest.mark.parametrize(
    "final,authorised,beyond",
    [
        (10000, 10000, False),
        (9000, 10000, False),  # lower is never beyond
        (0, 10000, False),
        (15000, 10000, False),  # +50.00 == abs tolerance 50.00 (5 % would be 5.00)
        (15001, 10000, True),
        (1_050_000, 1_000_000, False),  # +5 % of 10,000.00 exactly
        (1_050_001, 1_000_000, True),
        (5000, 0, False),
        (5001, 0, True),
    ],
)
def test_beyond_tolerance(final, authorised, beyond):
    assert money.beyond_tolerance(final, authorised, pct=D(5), abs_cents=5000) is beyond


def test_beyond_tolerance_percentage_is_exact():
    # 5 % of 333 cents is 16.65 cents: 16 over is within, 17 is beyond.
    assert not money.beyond_tolerance(349, 333, pct=D(5), abs_cents=0)
    assert money.beyond_tolerance(350, 333, pct=D(5), abs_cents=0)


# ------------------------------------------------------------------ properties

cents = st.integers(min_value=0, max_value=10**10 - 1)
pcts = st.decimals(min_value=0, max_value=100, places=2)
lines = st.lists(
    st.builds(
        PricedLine,
        qty=st.decimals(min_value=D("0.001"), max_value=D(10000), places=3),
        unit_cents=st.integers(min_value=0, max_value=10**7),
        discount_pct=pcts,
        tax_code=st.sampled_from(["VAT13", "VAT6", "NONE"]),
        chargeable=st.booleans(),
    ),
    max_size=12,
)


@given(cents)
def test_format_then_parse_round_trips(c):
    assert money.parse_money(money.format_money(c)) == c
    assert money.parse_money(money.format_money(c, "¥")) == c


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_float_input_raises_type_error(f):
    for call in (money.parse_money, money.format_money, money.round_half_up, money.parse_qty):
        with pytest.raises(TypeError):
            call(f)
    with pytest.raises(TypeError):
        PricedLine(qty=f, unit_cents=100)


def code_net(ls: list[PricedLine], code: str, member: Decimal) -> int:
    """The net of one tax code, recomputed here from the definition in the brief."""
    total = 0
    for ln in ls:
        if ln.chargeable and ln.tax_code == code:
            gross = (ln.qty * ln.unit_cents).to_integral_value(rounding="ROUND_HALF_UP")
            disc = (gross * ln.discount_pct / 100).to_integral_value(rounding="ROUND_HALF_UP")
            net = gross - disc
            total += int(net - (net * member / 100).to_integral_value(rounding="ROUND_HALF_UP"))
    return total


@settings(max_examples=300)
@given(lines, pcts)
def test_totals_properties(ls, member):
    t = money.totals(ls, TAXES, member_discount_pct=member)
    values = [t.gross, t.discount, t.net, t.tax, t.total, t.not_charged, *t.tax_by_code.values()]
    assert all(type(v) is int for v in values)
    assert all(v >= 0 for v in values)
    assert t.total == t.net + t.tax
    assert t.net == t.gross - t.discount
    assert t.tax == sum(t.tax_by_code.values())
    assert set(t.tax_by_code) == {ln.tax_code for ln in ls if ln.chargeable}
    for code, tax in t.tax_by_code.items():
        expected = (code_net(ls, code, member) * RATES[code]).to_integral_value(rounding="ROUND_HALF_UP")
        assert tax == int(expected)
        assert tax == money.round_half_up(D(code_net(ls, code, member)) * RATES[code])
    assert sum(code_net(ls, c, member) for c in t.tax_by_code) == t.net
    assert t.not_charged == sum(money.line_net(ln) for ln in ls if not ln.chargeable)


@given(
    st.decimals(min_value=D("0.001"), max_value=D(10000), places=3),
    st.integers(min_value=0, max_value=10**7),
    pcts,
    pcts,
)
def test_discount_never_makes_net_negative(qty, unit, line_pct, member):
    line = PricedLine(qty, unit, line_pct, "VAT13")
    assert 0 <= money.line_net(line) <= money.line_gross(line)
    assert money.line_discount(line) + money.line_net(line) == money.line_gross(line)
    t = money.totals([line], TAXES, member_discount_pct=member)
    assert 0 <= t.net <= t.gross
    assert t.discount <= t.gross


@settings(max_examples=200)
@given(lines)
def test_prices_including_tax_properties(ls):
    table = TaxTable(TAXES.rules, prices_include_tax=True)
    t = money.totals(ls, table)
    assert t.total == t.net
    assert all(type(v) is int and v >= 0 for v in (t.tax, t.total, *t.tax_by_code.values()))
    assert t.tax <= t.total


@given(cents, cents, st.decimals(min_value=0, max_value=100, places=2), st.integers(min_value=0, max_value=10**6))
def test_tolerance_properties(final, authorised, pct, abs_cents):
    beyond = money.beyond_tolerance(final, authorised, pct=pct, abs_cents=abs_cents)
    if final <= authorised:
        assert not beyond
    if beyond:
        assert money.variance(final, authorised) > abs_cents
    # Exact definition: 100 * over > max(100 * abs, authorised * pct), all in Decimal.
    over = final - authorised
    assert beyond == (over > 0 and D(100 * over) > max(D(100 * abs_cents), authorised * pct))
