"""Named field specifications: the one place a field's limits live.

A form builds its inline check from a spec (``FormField(parse=fields.CONCERN.parse)``)
and can show its limits (``fields.CONCERN.counter(text)`` -> ``"123/500"``); the
service receives what the spec (or a draft built from specs) produced and does not
check again. Every spec:

* ``parse(text, **ctx)`` turns what was typed into the value, or raises
  :class:`~desk.domain.errors.InvalidInput` named after the spec's field, with the
  message ids advisors already know;
* ``check(value, **ctx)`` accepts a value that is already typed (an ``int`` of cents,
  a ``Decimal``, a ``date``) as a service or a script passes it, with the same rules;
* ``limits`` says what the form may show as a hint: length, range, decimals.

``ctx`` carries what a rule is relative to: ``today`` (a date), ``now`` (a datetime),
``last_km`` (the vehicle's previous odometer reading). A spec that needs one and is
not given it raises ``TypeError``: that is a programming error, not bad input.

The spec's ``name`` is the form field and the ``InvalidInput.field`` (so a form puts
the message beside the right input); ``label`` is what "{field} is required" names.
Pure domain code: no UI or database imports.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from desk.domain import money, validate
from desk.domain.entities import SYMPTOM_LABELS, Availability, CallOutcome, Channel, Grade, LineKind, Severity, Symptom
from desk.domain.errors import InvalidInput
from desk.i18n import N_, _

# ----------------------------------------------------------------------------- the base


@dataclass(frozen=True)
class Limits:
    """What a form may say about a field before anything is typed."""

    required: bool = False
    max_len: int | None = None
    multiline: bool = False
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    decimals: int | None = None


def _renamed(exc: InvalidInput, name: str) -> InvalidInput:
    return InvalidInput(name, exc.reason, exc.params)


def _need(ctx: Mapping[str, Any], key: str) -> Any:
    if ctx.get(key) is None:
        raise TypeError(f"this field is checked relative to {key}=: pass it")
    return ctx[key]


def _exponent(value: Decimal) -> int:
    """A finite decimal's exponent ("10.50" -> -2)."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):  # 'n', 'N', 'F': NaN and infinity, refused before
        raise ValueError(f"{value} is not finite")
    return exponent


def _halfwidth(text: str) -> str:
    return validate._halfwidth(str(text))


@dataclass(frozen=True)
class Spec(ABC):
    """A field: ``name`` (form key and error field), ``label`` (for messages)."""

    name: str
    label: str = ""
    required: bool = True

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name.replace("_", " "))

    @abstractmethod
    def parse(self, text: str, **ctx: Any) -> Any:
        """The typed text as the field's value, or :class:`InvalidInput`."""

    def check(self, value: Any, **ctx: Any) -> Any:
        """A typed value through the same rules (text specs: the text itself)."""
        return self.parse(value, **ctx)

    @property
    def limits(self) -> Limits:
        return Limits(required=self.required)

    def _missing(self) -> InvalidInput:
        return InvalidInput(self.name, "{field} is required", {"field": self.label})


# ----------------------------------------------------------------------------- text


@dataclass(frozen=True)
class Text(Spec):
    """Free text, cleaned by :func:`validate.text` (escapes and controls removed)."""

    max_len: int = 500
    required: bool = False
    multiline: bool = False
    #: The message when a required text is empty (default "{field} is required").
    required_msg: str = ""

    def parse(self, text: str, **ctx: Any) -> str:
        try:
            value = validate.text(text, field=self.label, max_len=self.max_len, multiline=self.multiline)
        except InvalidInput as exc:
            raise _renamed(exc, self.name) from None
        if self.required and not value:
            if self.required_msg:
                raise InvalidInput(self.name, self.required_msg)
            raise self._missing()
        return value

    @property
    def limits(self) -> Limits:
        return Limits(required=self.required, max_len=self.max_len, multiline=self.multiline)

    def counter(self, text: str) -> str:
        """``"123/500"``: the length that is checked (after cleaning) and the limit."""
        cleaned = validate.text(text, field=self.label, max_len=10**9, multiline=self.multiline)
        return f"{len(cleaned)}/{self.max_len}"


@dataclass(frozen=True)
class Parsed(Spec):
    """A field read by one of :mod:`validate`'s parsers (name, phone, plate …).

    Optional ones (``required=False``) are empty when nothing was typed."""

    fn: Callable[..., Any] = str
    max_len: int | None = None
    #: ``fn(text, max_len)`` takes the limit from here: this spec is its one owner.
    sized: bool = False

    def parse(self, text: str, **ctx: Any) -> Any:
        if not self.required and not str(text or "").strip():
            return ""
        try:
            return self.fn(text, self.max_len) if self.sized else self.fn(text)
        except InvalidInput as exc:
            raise _renamed(exc, self.name) from None

    @property
    def limits(self) -> Limits:
        return Limits(required=self.required, max_len=self.max_len)


def _vin(text: str) -> str:
    return validate.vin(text).vin


def vin_warning(vin: str) -> str | None:
    """The doubt about an accepted VIN (a check digit that need not match), if any."""
    return validate.vin(vin).warning if vin else None


# ----------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Money(Spec):
    """An amount typed as "12.50", "¥1,234", held as int cents (``min_cents``..``max_cents``)."""

    min_cents: int = 0
    max_cents: int = money.MAX_CENTS

    def parse(self, text: str, **ctx: Any) -> int | None:
        if not self.required and not str(text or "").strip():
            return None
        try:
            cents = money.parse_money(text)
        except InvalidInput as exc:
            raise _renamed(exc, self.name) from None
        return self.check(cents)

    def check(self, value: Any, **ctx: Any) -> int | None:
        if value is None and not self.required:
            return None
        if isinstance(value, float):
            raise TypeError("money is never a float: use int cents")
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidInput(self.name, "Not an amount: {value}", {"value": str(value)})
        if value < 0:
            raise InvalidInput(self.name, "Amount cannot be negative")
        if value > self.max_cents:
            if self.max_cents == money.MAX_CENTS:
                raise InvalidInput(self.name, "Amount is too large")
            raise InvalidInput(
                self.name, N_("The amount is at most {max}"), {"max": money.format_money(self.max_cents)}
            )
        if value < self.min_cents:
            raise InvalidInput(
                self.name, N_("The amount is at least {min}"), {"min": money.format_money(self.min_cents)}
            )
        return value

    @property
    def limits(self) -> Limits:
        return Limits(required=self.required, minimum=self.min_cents, maximum=self.max_cents, decimals=2)

    @staticmethod
    def show(cents: int | None) -> str:
        """The text a form is filled with: read back by :meth:`parse` unchanged."""
        return "" if cents is None else money.format_money(cents)


@dataclass(frozen=True)
class Percent(Spec):
    """A percentage 0..100 typed as "10", "10.5" or "10 %", at most ``decimals``
    decimals (a discount is stored in basis points: two decimals, no rounding).
    Empty is ``default`` when the field is not required."""

    required: bool = False
    decimals: int = 2
    default: Decimal = Decimal(0)
    maximum: Decimal = Decimal(100)
    message: str = N_("Enter a percentage from 0 to 100")

    def parse(self, text: str, **ctx: Any) -> Decimal:
        raw = _halfwidth(str(text or "")).strip()
        if not raw:
            if self.required:
                raise self._missing()
            return self.default
        raw = raw.removesuffix("%").strip()
        if not re.fullmatch(r"[+-]?[0-9]*\.?[0-9]*", raw) or not any(c.isdigit() for c in raw):
            raise InvalidInput(self.name, self.message)
        return self._range(Decimal(raw))

    def check(self, value: Any, **ctx: Any) -> Decimal:
        if isinstance(value, float):
            raise TypeError("a percentage is never a float: use Decimal or its text")
        if isinstance(value, str):
            return self.parse(value)
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise InvalidInput(self.name, self.message)
        return self._range(Decimal(value))

    def _range(self, value: Decimal) -> Decimal:
        if not value.is_finite() or not Decimal(0) <= value <= self.maximum:
            raise InvalidInput(self.name, self.message)
        if _exponent(value) < -self.decimals:
            exact = value.quantize(Decimal(1).scaleb(-self.decimals))
            if exact != value:
                raise InvalidInput(self.name, N_("At most {n} decimals"), {"n": self.decimals})
            value = exact  # "10.500" is just 10.50
        return value

    @property
    def limits(self) -> Limits:
        return Limits(required=self.required, minimum=Decimal(0), maximum=self.maximum, decimals=self.decimals)


@dataclass(frozen=True)
class Quantity(Spec):
    """Hours or pieces: more than 0, at most 3 decimals, at most 10,000 (``money.parse_qty``)."""

    def parse(self, text: str | Decimal, **ctx: Any) -> Decimal:
        try:
            return money.parse_qty(text)
        except InvalidInput as exc:
            raise _renamed(exc, self.name) from None

    def check(self, value: Any, **ctx: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            if isinstance(value, float):
                raise TypeError("a quantity is never a float: use Decimal or its text")
            raise InvalidInput(self.name, "Not a quantity: {value}", {"value": str(value)})
        return self.parse(value if isinstance(value, (str, Decimal)) else Decimal(value))

    @property
    def limits(self) -> Limits:
        return Limits(required=True, minimum=Decimal("0.001"), maximum=money.MAX_QTY, decimals=3)


@dataclass(frozen=True)
class Whole(Spec):
    """A whole number ``minimum``..``maximum``; anything else is ``message``.
    Optional ones are None when nothing was typed."""

    minimum: int = 0
    maximum: int = 0
    message: str = ""

    def parse(self, text: str, **ctx: Any) -> int | None:
        raw = _halfwidth(str(text or "")).strip()
        if not raw:
            if self.required:
                raise self._missing()
            return None
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
            raise self._refused(raw, **ctx)
        return self._range(int(raw), **ctx)

    def check(self, value: Any, **ctx: Any) -> int | None:
        if value is None or value == "":
            return self.parse("", **ctx)
        if isinstance(value, str):
            return self.parse(value, **ctx)
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float):
                raise TypeError(f"{self.name} is a whole number, never a float")
            raise self._refused(str(value), **ctx)
        return self._range(value, **ctx)

    def bounds(self, **ctx: Any) -> tuple[int, int]:
        return self.minimum, self.maximum

    def _range(self, value: int, **ctx: Any) -> int:
        low, high = self.bounds(**ctx)
        if not low <= value <= high:
            raise self._refused(str(value), **ctx)
        return value

    def _refused(self, shown: str, **ctx: Any) -> InvalidInput:
        low, high = self.bounds(**ctx)
        return InvalidInput(self.name, self.message, {"value": shown, "min": low, "max": high})

    @property
    def limits(self) -> Limits:
        return Limits(required=self.required, minimum=self.minimum, maximum=self.maximum, decimals=0)


#: The oldest model year a shop still sees; the newest is next year's model.
FIRST_MODEL_YEAR = 1950


@dataclass(frozen=True)
class ModelYear(Whole):
    """A model year 1950..next year ("2019", "2019年", "2019款"); needs ``today``."""

    minimum: int = FIRST_MODEL_YEAR
    message: str = N_("Not a model year: {value}")

    def parse(self, text: str, **ctx: Any) -> int | None:
        raw = _halfwidth(str(text or "")).strip()
        try:
            return super().parse(raw.removesuffix("年").removesuffix("款").strip(), **ctx)
        except InvalidInput as exc:
            if exc.reason != self.message:
                raise
            raise InvalidInput(self.name, self.message, {**exc.params, "value": str(text).strip()}) from None

    def bounds(self, **ctx: Any) -> tuple[int, int]:
        return self.minimum, _need(ctx, "today").year + 1

    @property
    def limits(self) -> Limits:
        return Limits(required=self.required, minimum=self.minimum, decimals=0)


@dataclass(frozen=True)
class Odometer(Spec):
    """Whole km 0..2,000,000, not below ``last_km`` when given (``validate.odometer``)."""

    required: bool = False

    def parse(self, text: str, **ctx: Any) -> int | None:
        if text is None or (isinstance(text, str) and not text.strip()):
            if self.required:
                raise self._missing()
            return None
        try:
            return validate.odometer(text, ctx.get("last_km"))
        except InvalidInput as exc:
            raise _renamed(exc, self.name) from None

    @property
    def limits(self) -> Limits:
        return Limits(required=self.required, minimum=0, maximum=validate.MAX_KM, decimals=0)


# ----------------------------------------------------------------------------- dates and times


@dataclass(frozen=True)
class Date(Spec):
    """A date ("2026-11-23", "tomorrow", "+3", "明天"), relative to ``today``.

    ``past_msg``: refused before today with this message; ``future_msg``: refused
    after today. Optional ones are None when nothing was typed."""

    past_msg: str = ""
    future_msg: str = ""

    def parse(self, text: str, **ctx: Any) -> dt.date | None:
        today = _need(ctx, "today")
        if not str(text or "").strip():
            if self.required:
                raise self._missing()
            return None
        try:
            value = validate.date(text, today=today)
        except InvalidInput as exc:
            raise _renamed(exc, self.name) from None
        return self.check(value, today=today)

    def check(self, value: Any, **ctx: Any) -> dt.date | None:
        if isinstance(value, str):
            return self.parse(value, **ctx)
        today = _need(ctx, "today")
        if value is None:
            if self.required:
                raise self._missing()
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise InvalidInput(self.name, "Not a date: {value}", {"value": str(value)})
        if self.past_msg and value < today:
            raise InvalidInput(self.name, self.past_msg)
        if self.future_msg and value > today:
            raise InvalidInput(self.name, self.future_msg)
        return value


@dataclass(frozen=True)
class When(Spec):
    """A local date and time ("tomorrow 9:30", "17:30"), relative to ``now``.

    ``past_msg``: refused when earlier than ``now``."""

    past_msg: str = ""

    def parse(self, text: str, **ctx: Any) -> dt.datetime | None:
        now = _need(ctx, "now")
        if not str(text or "").strip():
            if self.required:
                raise self._missing()
            return None
        try:
            value = validate.datetime_local(text, today=now.date())
        except InvalidInput as exc:
            raise _renamed(exc, self.name) from None
        return self.check(value, now=now)

    def check(self, value: Any, **ctx: Any) -> dt.datetime | None:
        if isinstance(value, str):
            return self.parse(value, **ctx)
        now = _need(ctx, "now")
        if value is None:
            if self.required:
                raise self._missing()
            return None
        if not isinstance(value, dt.datetime):
            raise InvalidInput(self.name, "Not a date and time: {value}", {"value": str(value)})
        if self.past_msg and value < now:
            raise InvalidInput(self.name, self.past_msg)
        return value


# ----------------------------------------------------------------------------- choices


@dataclass(frozen=True)
class Choice(Spec):
    """One of a few values, typed as a key ("1", "p", "phone", "电话") or the value.

    ``first_letter``: only the first character counts ("yellow" is "y")."""

    options: tuple[tuple[Any, tuple[str, ...]], ...] = ()
    message: str = ""
    first_letter: bool = False
    #: The value of an empty field (``None``: empty is refused with ``message``).
    empty: Any = None

    def parse(self, text: str, **ctx: Any) -> Any:
        key = _halfwidth(str(text or "")).strip().lower()
        if not key and self.empty is not None:
            return self.empty
        if self.first_letter:
            key = key[:1]
        for value, keys in self.options:
            if key in keys or key == str(value).lower():
                return value
        raise InvalidInput(self.name, self.message)

    def check(self, value: Any, **ctx: Any) -> Any:
        for option, _keys in self.options:
            if value == option:
                return option
        return self.parse(value if isinstance(value, str) else "", **ctx)

    @property
    def values(self) -> tuple:
        return tuple(v for v, _k in self.options)


def _flag_options() -> tuple:
    return ((True, ("y", "yes", "是", "1", "true")), (False, ("n", "no", "否", "0", "false")))


@dataclass(frozen=True)
class TaxCode(Spec):
    """A tax code of the shop's table (``ctx["taxes"]``, a ``money.TaxTable``);
    empty is the table's first code (the default of a line)."""

    def parse(self, text: str, **ctx: Any) -> str:
        taxes = _need(ctx, "taxes")
        code = _halfwidth(str(text or "")).strip().upper()
        if not code:
            return str(next(iter(taxes)))
        if code not in taxes:
            raise InvalidInput(self.name, "Unknown tax code {code}", {"code": code})
        return code

    def check(self, value: Any, **ctx: Any) -> str:
        return self.parse("" if value is None else str(value), **ctx)


# ----------------------------------------------------------------------------- symptom tags

#: Words typed for a symptom tag beside its value and label ("异响" is a noise).
TAG_WORDS: dict[str, Symptom] = {
    "异响": Symptom.NOISE,
    "振动": Symptom.VIBRATION,
    "制动": Symptom.BRAKE,
    "刹车": Symptom.BRAKE,
    "加速": Symptom.ACCELERATION,
    "跑偏": Symptom.PULLING,
    "漏油": Symptom.LEAK,
    "故障灯": Symptom.WARNING_LIGHT,
    "保养": Symptom.SERVICE,
    "其他": Symptom.OTHER,
}
#: The order of the tags' digits (1 = noise … 9 = other).
TAG_ORDER: tuple[Symptom, ...] = tuple(Symptom)


@dataclass(frozen=True)
class Tags(Spec):
    """Symptom tags typed as digits ("12" = tags 1 and 2), values, labels or the
    Chinese words; none is fine."""

    required: bool = False

    def parse(self, text: str, **ctx: Any) -> tuple[Symptom, ...]:
        names = {s.value: s for s in Symptom}
        names.update({label: s for s, label in SYMPTOM_LABELS.items()})
        names.update({_(label): s for s, label in SYMPTOM_LABELS.items()})
        names.update(TAG_WORDS)
        names = {k.lower(): v for k, v in names.items()}
        out: list[Symptom] = []
        for word in _halfwidth(str(text or "")).replace(",", " ").replace("，", " ").replace("、", " ").split():
            if word.lower() in names:
                found = [names[word.lower()]]
            elif word.isdigit() and all(1 <= int(ch) <= len(TAG_ORDER) for ch in word):
                found = [TAG_ORDER[int(ch) - 1] for ch in word]
            else:
                raise InvalidInput(self.name, "Unknown tag: {tag}", {"tag": word})
            out.extend(t for t in found if t not in out)
        return tuple(out)

    def check(self, value: Any, **ctx: Any) -> tuple[Symptom, ...]:
        if isinstance(value, str):
            return self.parse(value)
        out: list[Symptom] = []
        for tag in value or ():
            try:
                symptom = Symptom(tag)
            except ValueError:
                raise InvalidInput(self.name, "Unknown tag: {tag}", {"tag": str(tag)}) from None
            if symptom not in out:
                out.append(symptom)
        return tuple(out)


# ----------------------------------------------------------------------------- the named fields

# People and cars
NAME = Parsed("name", fn=validate.name, max_len=80, sized=True)
SIGNER = Parsed("signer", fn=validate.name, max_len=80, sized=True)
PHONE = Parsed("phone", fn=validate.phone, max_len=20)
EMAIL = Parsed("email", fn=validate.email, required=False, max_len=254, sized=True)
SPECIAL_NOTE = Text("special_note", label="note", max_len=500, multiline=True)
PLATE = Parsed("plate", fn=validate.plate, max_len=10, sized=True)
VIN = Parsed("vin", fn=_vin, required=False, max_len=17)
MAKE = Text("make", max_len=40)
MODEL = Text("model", max_len=40)
YEAR = ModelYear("year", required=False)
PURCHASE_DATE = Date("purchase_date", required=False, future_msg=N_("Purchase date is in the future"))
ODOMETER = Odometer("odometer_km", label="odometer")
FLAG = Choice("flag", options=_flag_options(), message=N_("Answer y or n"), empty=False)

# Booking and reception
WHEN = When("when")
CONCERN = Text("concern", max_len=500, required=True)
TAGS = Tags("tags")
REMINDER_OUTCOME = Text("outcome", max_len=200, required=True)

# Walkaround readings and findings
FUEL = Whole(
    "fuel_eighths", label="fuel", minimum=0, maximum=8, required=False, message=N_("Fuel level is 0 to 8 eighths")
)
WARNING_LIGHTS = Text("warning_lights", label="warning lights", max_len=500)
TYRES = Text("tyres", max_len=500)
VALUABLES = Text("valuables", max_len=500)
FINDING = Text("finding", max_len=500, required=True)
GRADE = Choice(
    "grade",
    first_letter=True,
    message=N_("Grade is g, y or r"),
    options=((Grade.GREEN, ("g", "绿")), (Grade.YELLOW, ("y", "黄")), (Grade.RED, ("r", "红"))),
)

# Estimate lines
KIND = Choice(
    "kind",
    first_letter=True,
    message=N_("Kind is l (labour), p (part) or f (fee)"),
    options=((LineKind.LABOUR, ("l", "工")), (LineKind.PART, ("p", "件")), (LineKind.FEE, ("f", "费"))),
)
DESCRIPTION = Text("description", max_len=200, required=True)
QTY = Quantity("qty")
UNIT_PRICE = Money("unit_cents", label="price")
TAX_CODE = TaxCode("tax_code", label="tax")
AVAILABILITY = Choice(
    "availability",
    message=N_("Availability is in stock, back order or arrived"),
    options=(
        (Availability.UNKNOWN, ()),
        (Availability.IN_STOCK, ("in stock",)),
        (Availability.BACK_ORDER, ("back order",)),
        (Availability.ARRIVED, ()),
    ),
)
DISCOUNT = Percent("discount_pct", label="discount", message=N_("Discount is 0 to 100 %"))
WARRANTY = Choice("warranty", options=_flag_options(), message=N_("Answer y or n"), empty=False)
FREE = Choice("free", options=_flag_options(), message=N_("Answer y or n"), empty=False)
ETA = Date("eta", required=False, past_msg=N_("The arrival date is in the past"))


class _NoDateYet:
    """The supplier has not said when the part comes (see :data:`PART_ETA`)."""

    def __repr__(self) -> str:
        return "NO_DATE_YET"


NO_DATE_YET = _NoDateYet()


@dataclass(frozen=True)
class PartEta(Date):
    """A part's arrival date on the line form: a date (back order), nothing (in
    stock), or "?" / "back order" / "缺货" / "待定" when it is on back order and
    the supplier has given no date yet (:data:`NO_DATE_YET`)."""

    WORDS = ("?", "？", "back order", "unknown", "缺货", "待定")

    def parse(self, text: str, **ctx: Any) -> Any:
        if str(text or "").strip().lower() in self.WORDS:
            return NO_DATE_YET
        return super().parse(text, **ctx)


PART_ETA = PartEta("eta", required=False, past_msg=N_("The arrival date is in the past"))
PROMISED = When("promised", past_msg=N_("The promised time is in the past"))

# Authorisation and the customer's decisions
CHANNEL = Choice(
    "channel",
    message=N_("Channel is 1 (in person) or 2 (phone)"),
    options=((Channel.IN_PERSON, ("1", "p", "in person", "当面")), (Channel.PHONE, ("2", "t", "phone", "电话"))),
)
REFERENCE = Text("reference", max_len=40)
#: How each signature channel is shown (msgids: translate with ``_``).
CHANNEL_LABELS: dict[str, str] = {Channel.IN_PERSON: N_("in person"), Channel.PHONE: N_("phone")}


def channel_label(channel: str | None) -> str:
    """The msgid naming a stored signature channel (as stored when unknown)."""
    return CHANNEL_LABELS.get(channel or "", channel or "")


AMOUNT = Money("amount_cents", label="amount")

# Workshop, QC and delivery
BAY = Text("bay", max_len=20)
PROGRESS_UPDATE = Text("text", label="update", max_len=500, required=True)
EXPLANATION = Text("text", label="explanation", max_len=1000, required=True)
FOLLOWUP_CHANNEL = Choice(
    "channel",
    message=N_("Channel is phone, wechat or sms"),
    options=(("phone", ("电话",)), ("wechat", ("微信",)), ("sms", ("短信",))),
)
#: How each follow-up channel is shown (msgids: translate with ``_``).
FOLLOWUP_CHANNEL_LABELS = {"phone": N_("phone"), "wechat": N_("WeChat"), "sms": N_("SMS")}


#: Words of a customer's note that name the channel they want (lower case).
_CHANNEL_WORDS = (("wechat", ("wechat", "微信", "weixin")), ("sms", ("sms", "短信", "text message")))


def preferred_channel(note: str) -> str:
    """The follow-up channel a customer's special note asks for ("Prefers WeChat
    messages" -> wechat, "请发短信" -> sms), else phone: the form offers it."""
    text = (note or "").lower()
    return next((channel for channel, words in _CHANNEL_WORDS if any(w in text for w in words)), "phone")


def followup_channel_label(channel: str | None) -> str:
    """The msgid naming a stored follow-up channel (as stored when unknown)."""
    return FOLLOWUP_CHANNEL_LABELS.get(channel or "", channel or "")


FOLLOWUP_AT = When("at")

# Settlement at delivery (DLV-13, desk.domain.payment)
PAYMENT_METHOD = Choice(
    "method",
    message=N_("Method is 1 cash, 2 card, 3 WeChat Pay, 4 Alipay or 5 account"),
    options=(
        ("cash", ("1", "c", "现金")),
        ("card", ("2", "k", "刷卡", "银行卡")),
        ("wechat", ("3", "w", "wechat pay", "微信", "微信支付")),
        ("alipay", ("4", "a", "支付宝")),
        ("account", ("5", "挂账", "记账")),
    ),
)
#: What a payment pays (never nothing) and, for cash, what the customer handed over.
PAYMENT_AMOUNT = Money("amount_cents", label="amount", min_cents=1)
CASH_RECEIVED = Money("received_cents", label="cash received", required=False)

# Follow-up call and complaints
OUTCOME = Choice(
    "outcome",
    message=N_("Outcome is reached, no answer or wrong number"),
    options=(
        (CallOutcome.REACHED, ("r", "reached", "接通")),
        (CallOutcome.NO_ANSWER, ("n", "no answer", "无人接听")),
        (CallOutcome.WRONG_NUMBER, ("w", "wrong number", "号码错误")),
    ),
)
SCORE = Whole("score", minimum=1, maximum=5, message=N_("Scores are 1 to 5"))
NPS = Whole("nps", minimum=0, maximum=10, required=False, message=N_("NPS is 0 to 10"))
COMMENT = Text("comment", max_len=1000, multiline=True)
SEVERITY = Choice(
    "severity",
    first_letter=True,
    message=N_("Severity is o (ordinary) or m (major)"),
    options=((Severity.ORDINARY, ("o", "一")), (Severity.MAJOR, ("m", "重"))),
)
SUMMARY = Text("summary", max_len=1000, required=True, multiline=True)
ROOT_CAUSE = Text("root_cause", label="root cause", max_len=1000, required=True, multiline=True)
REMEDY = Text("remedy", max_len=1000, required=True, multiline=True)
CLOSING_REPORT = Text("closing_report", label="report", max_len=2000, required=True, multiline=True)

# Reasons: a cancellation, a rework, an n.a. or a waiver, an odometer correction
REASON = Text("reason", max_len=500, required=True, required_msg=N_("A reason is required"))
#: A reason where the action decides whether one is needed (cancel yes, advance no).
OPTIONAL_REASON = Text("reason", max_len=500)
#: What QC adds to a comeback's cause (desk.domain.comebacks).
COMEBACK_NOTE = Text("note", max_len=500)
#: Where exactly damage noted at delivery is (desk.domain.damage).
DAMAGE_NOTE = Text("note", max_len=200)

# Reports and exports: a period's first and last day
FIRST_DAY = Date("first", label="from")
LAST_DAY = Date("last", label="to")

# Shop set-up
SETTING_VALUE = Text("value", max_len=80)
ITEM_TEXT_EN = Text("en", max_len=200, required=True, required_msg=N_("The item needs a text"))
ITEM_TEXT_ZH = Text("zh", max_len=200)
ITEM_REQUIRED = Choice("required", options=_flag_options(), message=N_("Answer y or n"), empty=False)
JOB_CODE = Text("job", max_len=30)
JOB_NAME_EN = Text("en", max_len=80, required=True, required_msg=N_("Must not be empty"))
JOB_NAME_ZH = Text("zh", max_len=80)


# ----------------------------------------------------------------------------- forms


def parse_all(specs: Iterable[Spec], form: Mapping[str, str], **ctx: Any) -> tuple[dict, dict[str, InvalidInput]]:
    """Every spec's value from ``form`` (name -> typed text) and every refusal, so a
    form can show all its messages at once. A name missing from ``form`` is empty."""
    values: dict = {}
    errors: dict[str, InvalidInput] = {}
    for spec in specs:
        try:
            values[spec.name] = spec.parse(form.get(spec.name, ""), **ctx)
        except InvalidInput as exc:
            errors[spec.name] = exc
    return values, errors


def parse_form(specs: Iterable[Spec], form: Mapping[str, str], **ctx: Any) -> dict:
    """Like :func:`parse_all`, raising the first refusal in the form's order."""
    values, errors = parse_all(specs, form, **ctx)
    if errors:
        raise next(iter(errors.values()))
    return values


def decimal_text(value: Decimal) -> str:
    """A Decimal as a form shows it and stores it exactly: "1.5", "10", "0.13"."""
    value = Decimal(value)
    out = format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out
