"""Exact money: integer cents everywhere, quantities as Decimal, never float.

Why: binary floats cannot hold 0.10 exactly, so sums drift by a cent and an
estimate, the customer's authorisation and the invoice stop agreeing. Every
amount is therefore an ``int`` of cents; a quantity (hours, pieces) is a
``Decimal`` with at most 3 decimals; anything multiplied is rounded half-up to
whole cents at one documented place. A float passed in is a bug and raises
``TypeError`` at once instead of being rounded silently.

Tax and discount rules are data (``desk/fixtures/pricing.toml``). Prices are net
(tax added on top) unless the table says ``prices_include_tax``. Tax is computed
once per tax code on the sum of that code's net amounts, rounded half-up, which
is how a Chinese VAT invoice (fapiao) and most others are totalled; per-line tax
would drift from the invoice by a cent per line.

Pure domain code: standard library only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from desk.domain.errors import InvalidInput

#: The largest amount accepted from the keyboard: 100,000,000.00.
MAX_CENTS = 10**10
#: The largest quantity of one line (hours or pieces).
MAX_QTY = Decimal(10_000)

#: "1,234.56", "1234.56", "1234", "12.5", ".5" — comma only as thousands separator.
_AMOUNT = re.compile(r"(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.(?P<frac>[0-9]*))?")
#: Currency signs an advisor may type before or after the number.
_CURRENCY = "¥￥$€£元"
#: Full-width ASCII from Chinese input methods ("１２．５", "１，２３４").
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _no_float(*values) -> None:
    for value in values:
        if isinstance(value, float):
            raise TypeError("money is never a float: use int cents or Decimal")


def _require_int(value, what: str) -> int:
    _no_float(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be int cents, not {type(value).__name__}")
    return value


def _decimal(value, what: str) -> Decimal:
    """An int or Decimal as Decimal; floats and anything else are refused."""
    _no_float(value)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError(f"{what} must be Decimal or int, not {type(value).__name__}")
    return Decimal(value)


def round_half_up(d: Decimal) -> int:
    """Round an amount of cents (Decimal or int) to whole cents, halves up.

    Half-up (0.5 -> 1, -0.5 -> -1) is the commercial rounding customers and tax
    offices expect; Python's default banker's rounding would surprise them.
    """
    value = _decimal(d, "an amount")
    if not value.is_finite():
        raise ValueError(f"not a finite amount: {value}")
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


# ------------------------------------------------------------------ parsing and formatting


def parse_money(text: str) -> int:
    """What an advisor types, in cents: "12", "12.5", "1,234.56", "¥12.50", "$12".

    A lone "-" is the accountant's nil and means 0. Negative amounts, more than
    2 decimals, letters, NaN/Infinity and amounts above ``MAX_CENTS`` are
    refused with a message, never guessed at. Only text is accepted: an int
    here would be ambiguous (yuan or cents?), a float is never money.
    """
    _no_float(text)
    if not isinstance(text, str):
        raise TypeError(f"parse_money takes the typed text, not {type(text).__name__}")
    shown = text.strip()
    raw = text.translate(_HALFWIDTH).strip().replace(" ", "").strip(_CURRENCY)
    if raw == "-":
        return 0
    if raw.startswith("-"):
        digits = raw[1:].lstrip(_CURRENCY)
        if digits and _AMOUNT.fullmatch(digits) and any(c.isdigit() for c in digits):
            raise InvalidInput("money", "Amount cannot be negative")
        raise InvalidInput("money", "Not an amount: {value}", {"value": shown})
    m = _AMOUNT.fullmatch(raw)
    if not raw or not m or not any(c.isdigit() for c in raw) or len(m["frac"] or "") > 2:
        raise InvalidInput("money", "Not an amount: {value}", {"value": shown})
    whole = m["int"].replace(",", "").lstrip("0")
    if len(whole) > 9:  # keeps int() away from absurdly long strings
        raise InvalidInput("money", "Amount is too large")
    cents = int(whole or "0") * 100 + int((m["frac"] or "").ljust(2, "0"))
    if cents > MAX_CENTS:
        raise InvalidInput("money", "Amount is too large")
    return cents


def parse_qty(text: str | Decimal) -> Decimal:
    """A quantity (hours or pieces): more than 0, at most 3 decimals, at most 10,000.

    Three decimals because quantities are stored as thousandths. A comma is a
    thousands separator, as in amounts ("1,000"); "1,5" is refused rather
    than read as either 1.5 or 15.
    """
    _no_float(text)
    if isinstance(text, Decimal):
        raw = format(text, "f") if text.is_finite() else str(text)
    else:
        raw = str(text)
    shown = raw.strip()
    raw = raw.translate(_HALFWIDTH).strip().replace(" ", "")
    if raw.startswith("-") and _AMOUNT.fullmatch(raw[1:]) and any(c.isdigit() for c in raw):
        raise InvalidInput("qty", "Quantity must be more than zero")
    m = _AMOUNT.fullmatch(raw)
    if not raw or not m or not any(c.isdigit() for c in raw):
        raise InvalidInput("qty", "Not a quantity: {value}", {"value": shown})
    if len(m["int"].replace(",", "").lstrip("0")) > 5:
        raise InvalidInput("qty", "Quantity is too large")
    qty = Decimal(raw.replace(",", ""))
    if qty <= 0:
        raise InvalidInput("qty", "Quantity must be more than zero")
    if qty > MAX_QTY:
        raise InvalidInput("qty", "Quantity is too large")
    if qty.as_tuple().exponent < -3:
        three = qty.quantize(Decimal("0.001"))
        if three != qty:
            raise InvalidInput("qty", "At most 3 decimals")
        qty = three  # "1.5000" is just 1.500
    return qty


def format_money(cents: int, currency_symbol: str = "") -> str:
    """123456 -> "1,234.56"; -5 with "¥" -> "-¥0.05".

    The exact inverse of :func:`parse_money` for amounts it accepts, so a
    formatted value can be put in an input field and read back unchanged.
    """
    value = _require_int(cents, "format_money")
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 100)
    return f"{sign}{currency_symbol}{whole:,}.{frac:02d}"


# ------------------------------------------------------------------ tax rules


@dataclass(frozen=True)
class TaxRule:
    """One tax code: its rate (0.13 for 13 %) and its labels on invoices."""

    code: str
    rate: Decimal
    label_en: str = ""
    label_zh: str = ""


@dataclass(frozen=True)
class TaxTable(Mapping):
    """The shop's tax codes (code -> :class:`TaxRule`), read from configuration.

    ``prices_include_tax`` says whether catalogue prices already contain the
    tax (then the tax is the part included) or are net (tax added on top, the
    default).
    """

    rules: Mapping[str, TaxRule]
    prices_include_tax: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", dict(self.rules))  # a private copy

    @classmethod
    def from_mapping(cls, data: Mapping[str, Mapping], *, prices_include_tax: bool = False) -> TaxTable:
        """Build from configuration data, e.g. the ``[tax.*]`` tables of
        ``pricing.toml``: ``{"VAT13": {"rate": "0.13", "label_en": "VAT 13%",
        "label_zh": "增值税13%"}}``.

        Rates are written as strings in the file to stay exact. The code
        "NONE" (untaxed, the default of a line) is added when missing.
        """
        rules: dict[str, TaxRule] = {}
        for code, spec in data.items():
            rate = Decimal(str(spec["rate"]))
            if not rate.is_finite() or not Decimal(0) <= rate < Decimal(1):
                raise ValueError(f"tax {code}: rate must be 0 <= rate < 1, not {spec['rate']}")
            rules[code] = TaxRule(code, rate, spec.get("label_en", code), spec.get("label_zh", code))
        rules.setdefault("NONE", TaxRule("NONE", Decimal(0), "No tax", "免税"))
        return cls(rules, prices_include_tax)

    def __getitem__(self, code: str) -> TaxRule:
        return self.rules[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def standard_code(self) -> str:
        """The table's first code: a line's when none is given (``fields.TAX_CODE``),
        the one a lower code is measured against (``staff.price_override``)."""
        return next(iter(self.rules))

    def rate(self, code: str) -> Decimal:
        """The rate of ``code``; an unknown code is a message, not a KeyError."""
        try:
            return self.rules[code].rate
        except KeyError:
            raise InvalidInput("tax", "Unknown tax code {code}", {"code": code}) from None


# ------------------------------------------------------------------ lines and totals


@dataclass(frozen=True)
class PricedLine:
    """The money view of one estimate or invoice line.

    ``unit_cents`` is the net unit price; ``discount_pct`` 0–100 is the line
    discount. ``chargeable`` is False for warranty and free (goodwill) lines:
    they are listed with their value but the customer pays nothing for them.
    """

    qty: Decimal
    unit_cents: int
    discount_pct: Decimal = Decimal(0)
    tax_code: str = "NONE"
    chargeable: bool = True

    def __post_init__(self) -> None:
        qty = _decimal(self.qty, "qty")
        unit = _require_int(self.unit_cents, "unit_cents")
        pct = _decimal(self.discount_pct, "discount_pct")
        if not qty.is_finite() or qty < 0:
            raise ValueError(f"quantity must be 0 or more, not {qty}")
        if unit < 0:
            raise ValueError(f"unit price must be 0 or more, not {unit}")
        if not pct.is_finite() or not 0 <= pct <= 100:
            raise InvalidInput("discount", "Discount is 0 to 100 %")
        object.__setattr__(self, "qty", qty)
        object.__setattr__(self, "discount_pct", pct)


def priced(line) -> PricedLine:
    """The money view of an estimate line (anything with qty, unit_cents,
    discount_pct, tax_code and chargeable)."""
    return PricedLine(
        qty=line.qty,
        unit_cents=line.unit_cents,
        discount_pct=line.discount_pct,  # no Decimal() here: it would accept a float
        tax_code=line.tax_code,
        chargeable=line.chargeable,
    )


def line_gross(line: PricedLine) -> int:
    """qty × unit price, rounded half-up to cents."""
    return round_half_up(line.qty * line.unit_cents)


def line_discount(line: PricedLine) -> int:
    """The line discount in cents: the rounded gross × discount_pct / 100, rounded."""
    return round_half_up(Decimal(line_gross(line)) * line.discount_pct / 100)


def line_net(line: PricedLine) -> int:
    """The line's net: gross minus the line discount (never negative)."""
    return line_gross(line) - line_discount(line)


@dataclass(frozen=True)
class Totals:
    """The totals of an estimate or invoice, all in int cents.

    ``gross`` and ``discount`` cover chargeable lines only, and
    ``net == gross - discount``. ``tax_by_code`` holds the tax per code.
    With net prices ``total == net + tax``; with ``prices_include_tax`` the tax
    is the part already included and ``total == net``. ``not_charged`` is the
    value (net of line discount) of warranty and free lines, shown but not paid.
    """

    gross: int = 0
    discount: int = 0
    net: int = 0
    tax_by_code: dict[str, int] = field(default_factory=dict)
    tax: int = 0
    total: int = 0
    not_charged: int = 0
    #: The rate each taxed code was summed with (what a printout shows beside its
    #: tax); not part of what the totals are: left out of comparisons.
    rate_by_code: dict[str, Decimal] = field(default_factory=dict, compare=False)


def totals(lines: Iterable[PricedLine], taxes: TaxTable, member_discount_pct: Decimal = Decimal(0)) -> Totals:
    """Exact totals of an estimate or invoice.

    The member discount applies to each chargeable line's net after its line
    discount and is rounded per line (so each printed line is consistent with
    the total). Tax is then computed once per tax code on that code's summed
    net, rounded half-up.
    """
    member_pct = _decimal(member_discount_pct, "member_discount_pct")
    if not member_pct.is_finite() or not 0 <= member_pct <= 100:
        raise ValueError(f"member discount must be 0 to 100 %, not {member_pct}")
    gross = discount = not_charged = 0
    net_by_code: dict[str, int] = {}
    for line in lines:
        if not line.chargeable:
            not_charged += line_net(line)
            continue
        taxes.rate(line.tax_code)  # an unknown code is refused before anything is summed
        line_g = line_gross(line)
        line_d = line_discount(line)
        member = round_half_up(Decimal(line_g - line_d) * member_pct / 100)
        gross += line_g
        discount += line_d + member
        net_by_code[line.tax_code] = net_by_code.get(line.tax_code, 0) + line_g - line_d - member
    tax_by_code: dict[str, int] = {}
    for code, code_net in net_by_code.items():
        rate = taxes.rate(code)
        if taxes.prices_include_tax:
            tax_by_code[code] = code_net - round_half_up(Decimal(code_net) / (1 + rate))
        else:
            tax_by_code[code] = round_half_up(Decimal(code_net) * rate)
    net = gross - discount
    tax = sum(tax_by_code.values())
    total = net if taxes.prices_include_tax else net + tax
    return Totals(
        gross,
        discount,
        net,
        tax_by_code,
        tax,
        total,
        not_charged,
        rate_by_code={code: taxes.rate(code) for code in tax_by_code},
    )


# ------------------------------------------------------------------ authorised vs final


def variance(final_cents: int, authorised_cents: int) -> int:
    """How much the final bill differs from what was authorised (+ = more)."""
    return _require_int(final_cents, "final_cents") - _require_int(authorised_cents, "authorised_cents")


def beyond_tolerance(final_cents: int, authorised_cents: int, *, pct: Decimal, abs_cents: int) -> bool:
    """True when the final bill exceeds the authorised amount by more than the
    larger of ``abs_cents`` and ``pct`` % of the authorised amount.

    Then the customer must re-approve (or the difference be explained) before
    hand-over. A final *lower* than authorised is never beyond tolerance. The
    comparison is exact (no rounding of the percentage).
    """
    over = variance(final_cents, authorised_cents)
    pct = _decimal(pct, "pct")
    abs_cents = _require_int(abs_cents, "abs_cents")
    if over <= 0:
        return False
    return Decimal(over) > max(Decimal(abs_cents), Decimal(authorised_cents) * pct / 100)
