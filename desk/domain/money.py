"""Exact money: integer cents everywhere, quantities as Decimal, never float.

Tax and discount rules are data (``fixtures/pricing.toml``). Tax is computed once
per tax code on the sum of that code's net amounts, rounded half-up, which is how
a Chinese VAT invoice (and most others) totals.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from desk.domain.errors import InvalidInput

MAX_CENTS = 10**10
_MONEY = re.compile(r"^\d{1,3}(,\d{3})+(\.\d{1,2})?$|^\d+(\.\d{1,2})?$|^\.\d{1,2}$")
_SYMBOLS = "¥$€£￥ "


def _no_float(value) -> None:
    if isinstance(value, float):
        raise TypeError("money is never a float: use int cents or Decimal")


def round_half_up(d: Decimal) -> int:
    """Round a Decimal amount of cents to whole cents, halves away from zero."""
    _no_float(d)
    return int(Decimal(d).to_integral_value(rounding=ROUND_HALF_UP))


def parse_money(text: str) -> int:
    """Parse what an advisor types ("1,234.50", "¥12", "12.5") into cents."""
    _no_float(text)
    raw = str(text).strip()
    cleaned = raw.strip(_SYMBOLS).replace(" ", "")
    if not cleaned:
        raise InvalidInput("money", "Not an amount: {value}", {"value": raw})
    if cleaned.startswith("-"):
        raise InvalidInput("money", "Amount cannot be negative")
    if not _MONEY.match(cleaned):
        raise InvalidInput("money", "Not an amount: {value}", {"value": raw})
    cents = round_half_up(Decimal(cleaned.replace(",", "")) * 100)
    if cents >= MAX_CENTS:
        raise InvalidInput("money", "Amount is too large")
    return cents


def parse_qty(text: str) -> Decimal:
    """A quantity (hours or pieces): positive, at most 3 decimals, at most 10,000."""
    _no_float(text)
    raw = str(text).strip().replace(",", ".")
    try:
        qty = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput("qty", "Not a quantity: {value}", {"value": raw}) from None
    if not qty.is_finite() or qty <= 0:
        raise InvalidInput("qty", "Quantity must be more than zero")
    if qty.as_tuple().exponent < -3:
        raise InvalidInput("qty", "At most 3 decimals")
    if qty > 10000:
        raise InvalidInput("qty", "Quantity is too large")
    return qty


def format_money(cents: int, currency_symbol: str = "") -> str:
    """123456 -> "1,234.56" (with an optional symbol)."""
    _no_float(cents)
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}{currency_symbol}{whole:,}.{frac:02d}"


@dataclass(frozen=True)
class TaxRule:
    code: str
    rate: Decimal
    label_en: str = ""
    label_zh: str = ""


@dataclass(frozen=True)
class TaxTable:
    rules: Mapping[str, TaxRule]
    prices_include_tax: bool = False

    @classmethod
    def from_mapping(cls, data: Mapping[str, Mapping], *, prices_include_tax: bool = False) -> TaxTable:
        rules = {}
        for code, spec in data.items():
            rate = Decimal(str(spec["rate"]))
            if not Decimal(0) <= rate < Decimal(1):
                raise ValueError(f"tax {code}: rate must be 0 <= rate < 1")
            rules[code] = TaxRule(code, rate, spec.get("label_en", code), spec.get("label_zh", code))
        return cls(rules, prices_include_tax)

    def rate(self, code: str) -> Decimal:
        try:
            return self.rules[code].rate
        except KeyError:
            raise InvalidInput("tax", "Unknown tax code {code}", {"code": code}) from None


@dataclass(frozen=True)
class PricedLine:
    qty: Decimal
    unit_cents: int
    discount_pct: Decimal = Decimal(0)
    tax_code: str = "NONE"
    chargeable: bool = True

    def __post_init__(self) -> None:
        for v in (self.qty, self.unit_cents, self.discount_pct):
            _no_float(v)


def priced(line) -> PricedLine:
    """The money view of an estimate line (anything with qty, unit_cents,
    discount_pct, tax_code and chargeable)."""
    return PricedLine(
        qty=line.qty, unit_cents=line.unit_cents, discount_pct=Decimal(line.discount_pct),
        tax_code=line.tax_code, chargeable=line.chargeable,
    )


def line_gross(line: PricedLine) -> int:
    return round_half_up(Decimal(line.qty) * line.unit_cents)


def line_discount(line: PricedLine) -> int:
    return round_half_up(Decimal(line_gross(line)) * Decimal(line.discount_pct) / 100)


def line_net(line: PricedLine) -> int:
    return line_gross(line) - line_discount(line)


@dataclass(frozen=True)
class Totals:
    gross: int = 0
    discount: int = 0
    net: int = 0
    tax_by_code: dict[str, int] = field(default_factory=dict)
    tax: int = 0
    total: int = 0
    not_charged: int = 0


def totals(
    lines: Iterable[PricedLine], taxes: TaxTable, member_discount_pct: Decimal = Decimal(0)
) -> Totals:
    """Exact totals of an estimate or invoice. Warranty/free lines are shown as
    ``not_charged`` and add nothing to pay."""
    _no_float(member_discount_pct)
    gross = discount = 0
    not_charged = 0
    net_by_code: dict[str, int] = {}
    for line in lines:
        if not line.chargeable:
            not_charged += line_net(line)
            continue
        g = line_gross(line)
        d = line_discount(line)
        net = g - d
        member = round_half_up(Decimal(net) * Decimal(member_discount_pct) / 100)
        gross += g
        discount += d + member
        net_by_code[line.tax_code] = net_by_code.get(line.tax_code, 0) + net - member
    tax_by_code = {}
    for code, net in net_by_code.items():
        rate = taxes.rate(code)
        if taxes.prices_include_tax:
            tax_by_code[code] = net - round_half_up(Decimal(net) / (1 + rate))
        else:
            tax_by_code[code] = round_half_up(Decimal(net) * rate)
    net = sum(net_by_code.values())
    tax = sum(tax_by_code.values())
    total = net if taxes.prices_include_tax else net + tax
    return Totals(gross, discount, net, tax_by_code, tax, total, not_charged)


def variance(final_cents: int, authorised_cents: int) -> int:
    return final_cents - authorised_cents
