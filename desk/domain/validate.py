"""Input validation with messages an advisor can act on.

Every validator returns the normalised value or raises
:class:`~desk.domain.errors.InvalidInput` whose ``reason`` is an English message
id (translated by the UI) with ``params``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from dateutil import parser as dateparser
from dateutil.relativedelta import relativedelta

from desk.domain.errors import InvalidInput
from desk.i18n import N_

# ------------------------------------------------------------------ VIN

_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))),
    "P": 7, "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class VinResult:
    vin: str
    warning: str | None = None


def vin_check_digit(vin17: str) -> str:
    """The position-9 check digit (ISO 3779 / FMVSS 115) of a 17-character VIN."""
    total = sum(_TRANSLIT[ch] * w for ch, w in zip(vin17, _WEIGHTS))
    rem = total % 11
    return "X" if rem == 10 else str(rem)


def vin(text: str) -> VinResult:
    """Normalise and check a VIN. The check digit is enforced for North American
    (1-5) and Chinese (L) VINs; elsewhere a mismatch is only a warning."""
    value = re.sub(r"\s+", "", str(text)).upper()
    if not value:
        raise InvalidInput("vin", "VIN is required")
    # USB scanners reading the barcode of imported cars prefix an 'I'.
    if len(value) == 18 and value[0] == "I":
        value = value[1:]
    if len(value) != 17:
        raise InvalidInput("vin", "A VIN has 17 characters, not {n}", {"n": len(value)})
    for pos, ch in enumerate(value, 1):
        if ch in "IOQ":
            raise InvalidInput("vin", "VIN cannot contain {ch} (position {pos})", {"ch": ch, "pos": pos})
        if ch not in _TRANSLIT:
            raise InvalidInput("vin", "VIN cannot contain {ch} (position {pos})", {"ch": ch, "pos": pos})
    expected = vin_check_digit(value)
    if value[8] != expected:
        if value[0] in "12345L":
            raise InvalidInput("vin", "VIN check digit is wrong (expected {expected})", {"expected": expected})
        return VinResult(value, N_("VIN check digit does not match; check the VIN"))
    return VinResult(value)


# ------------------------------------------------------------------ plate, phone

_PLATE_SEP = re.compile(r"[\s\-·•.]")
_PLATE_OK = re.compile(r"^[A-Z0-9\u4e00-\u9fff]{2,10}$")


def plate(text: str) -> str:
    """A licence plate: letters, digits and Chinese characters (京A12345)."""
    value = _PLATE_SEP.sub("", unicodedata.normalize("NFKC", str(text))).upper()
    if not value:
        raise InvalidInput("plate", "Plate is required")
    for ch in value:
        if not re.match(r"[A-Z0-9\u4e00-\u9fff]", ch):
            raise InvalidInput("plate", "Plate cannot contain {ch}", {"ch": ch})
    if not _PLATE_OK.match(value):
        raise InvalidInput("plate", "A plate has 2 to 10 characters")
    return value


def phone(text: str, region: str = "CN") -> str:
    """A phone number in E.164 (+8613812345678)."""
    import phonenumbers

    raw = str(text).strip()
    if not raw:
        raise InvalidInput("phone", "Phone is required")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput("phone", "Not a valid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone", "Not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# ------------------------------------------------------------------ odometer

MAX_KM = 2_000_000


def odometer(km, last_km: int | None) -> int:
    """A reading in km; never below the vehicle's last reading (a correction goes
    through the service layer, audited, by a manager)."""
    if isinstance(km, bool):
        raise InvalidInput("odometer", "Not a number of km: {value}", {"value": km})
    if isinstance(km, int):
        value = km
    else:
        raw = str(km).strip().replace(",", "").replace(" ", "")
        if not raw.isdigit() or not raw.isascii():
            raise InvalidInput("odometer", "Not a number of km: {value}", {"value": str(km).strip()})
        value = int(raw)
    if value < 0 or value > MAX_KM:
        raise InvalidInput("odometer", "Odometer must be 0 to {max} km", {"max": MAX_KM})
    if last_km is not None and value < last_km:
        raise InvalidInput(
            "odometer", "Odometer {km} km is lower than the last reading {last} km",
            {"km": value, "last": last_km},
        )
    return value


# ------------------------------------------------------------------ text

_ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
_INVISIBLE = dict.fromkeys(
    [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200B, 0x200C, 0x200D, 0xFEFF, 0x200E, 0x200F]
)


def text(
    value: str, *, field: str, max_len: int = 500, required: bool = False, multiline: bool = False
) -> str:
    """Clean free text: NFC, no escape sequences, control, bidi-override or
    zero-width characters; one line unless ``multiline``. Rich markup is kept as
    typed (the UI renders it literally)."""
    s = unicodedata.normalize("NFC", str(value or ""))
    s = _ANSI.sub("", s).translate(_INVISIBLE)
    keep = "\n\t" if multiline else ""
    s = "".join(
        ch if (ch in keep or unicodedata.category(ch)[0] != "C") else (" " if ch in "\n\r\t" else "")
        for ch in s
    )
    if not multiline:
        s = re.sub(r"\s+", " ", s)
    s = s.strip()
    if required and not s:
        raise InvalidInput(field, "{field} is required", {"field": field})
    if len(s) > max_len:
        raise InvalidInput(field, "Too long: {n} characters, at most {max}", {"n": len(s), "max": max_len})
    return s


def name(value: str) -> str:
    return text(value, field="name", max_len=80, required=True)


def email(value: str) -> str:
    v = text(value, field="email", max_len=120)
    if v and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", v):
        raise InvalidInput("email", "Not an e-mail address")
    return v


# ------------------------------------------------------------------ dates and times

_SHORTCUTS = {"today": 0, "今天": 0, "tomorrow": 1, "明天": 1, "yesterday": -1, "昨天": -1}


def date(value: str, *, today: dt.date) -> dt.date:
    """"2026-11-23", "23/11/2026", "today", "tomorrow", "+3", "明天"."""
    raw = str(value).strip().lower()
    if raw in _SHORTCUTS:
        return today + dt.timedelta(days=_SHORTCUTS[raw])
    if re.fullmatch(r"[+-]\d{1,3}", raw):
        return today + dt.timedelta(days=int(raw))
    if re.fullmatch(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}", raw):
        try:
            y, m, d = (int(p) for p in re.split(r"[-/.]", raw))
            return dt.date(y, m, d)
        except ValueError:
            raise InvalidInput("date", "Not a date: {value}", {"value": value}) from None
    if not raw or not re.search(r"\d", raw):
        raise InvalidInput("date", "Not a date: {value}", {"value": value})
    try:
        return dateparser.parse(raw, dayfirst=True, default=dt.datetime.combine(today, dt.time())).date()
    except (ValueError, OverflowError):
        raise InvalidInput("date", "Not a date: {value}", {"value": value}) from None


def time_of_day(value: str) -> dt.time:
    """"9", "09:30", "930", "14:05"."""
    raw = str(value).strip().replace("：", ":")
    m = re.fullmatch(r"(\d{1,2})(?::?(\d{2}))?", raw)
    if not m:
        raise InvalidInput("time", "Not a time: {value}", {"value": value})
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        raise InvalidInput("time", "Not a time: {value}", {"value": value})
    return dt.time(hour, minute)


def datetime_local(value: str, *, today: dt.date) -> dt.datetime:
    """"2026-11-23 14:00", "tomorrow 9:30", "+1 10:00", "17:30" (today)."""
    parts = str(value).strip().split()
    if len(parts) == 1:
        return dt.datetime.combine(today, time_of_day(parts[0]))
    if len(parts) == 2:
        return dt.datetime.combine(date(parts[0], today=today), time_of_day(parts[1]))
    raise InvalidInput("when", "Not a date and time: {value}", {"value": value})


def months_later(day: dt.date, months: int) -> dt.date:
    return day + relativedelta(months=months)
