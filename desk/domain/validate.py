"""Input validation with messages a service advisor can act on.

Every validator returns the *normalised* value (what is stored) or raises
:class:`~desk.domain.errors.InvalidInput`. Its ``reason`` is an English message
id that is also the English UI text; the UI translates it (``desk/locale``) and
fills in ``params``. So a reason must say what is wrong in the advisor's words
("VIN check digit is wrong (expected X)"), never a Python error.

Pure domain code: only the standard library, ``phonenumbers`` and ``dateutil``
(no UI or database imports), so it is cheap to test exhaustively.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from desk.domain.errors import InvalidInput


def N_(msgid: str) -> str:
    """Mark ``msgid`` for the message catalogue; the UI translates it later.

    A local twin of ``desk.i18n.N_`` so that this module stays free of
    application imports (babel's extractor only looks at the name).
    """
    return msgid


#: Full-width ASCII (what a Chinese input method types: "ＡＢ１２３", "１２，３４５")
#: and the ideographic space, mapped to plain ASCII. Narrower than NFKC on
#: purpose: NFKC would also turn "²" into "2" or "Ⅻ" into "XII".
_HALFWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _halfwidth(value: str) -> str:
    return value.translate(_HALFWIDTH)


# ------------------------------------------------------------------ VIN

#: ISO 3779 transliteration; I, O and Q are not allowed in a VIN at all.
_TRANSLIT = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9))),
    **dict(zip("JKLMN", range(1, 6))),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10))),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
#: World manufacturer identifiers whose check digit is refused when wrong: North
#: America (1-5, FMVSS 115), where every maker uses it, so a mismatch is a typing
#: error. Elsewhere a mismatch is a warning: most European makers fill position 9
#: with anything, and China's GB 16735 asks for it but imported, grey-market and
#: older cars are met without one (refusing would stop a real car at the counter;
#: see desk.domain.vindecode).
_CHECK_DIGIT_ENFORCED = "12345"


@dataclass(frozen=True)
class VinResult:
    """A normalised VIN, and a warning to show when it is accepted with doubts."""

    vin: str
    warning: str | None = None


def vin_check_digit(vin17: str) -> str:
    """The position-9 check digit of a 17-character VIN ('0'-'9' or 'X')."""
    total = sum(_TRANSLIT[ch] * w for ch, w in zip(vin17, _WEIGHTS, strict=True))
    rem = total % 11
    return "X" if rem == 10 else str(rem)


def vin(text: str) -> VinResult:
    """Normalise and check a VIN typed or scanned at reception.

    Spaces are removed and letters upper-cased. The barcode on imported cars is
    often read by USB scanners as 18 characters with a leading 'I' (the import
    marker), which is dropped. The check digit is enforced for North America,
    where every maker uses it; elsewhere (China included) a mismatch is returned
    as ``warning`` so the advisor double-checks instead of being blocked.
    """
    value = re.sub(r"\s+", "", _halfwidth(str(text or ""))).upper()
    if not value:
        raise InvalidInput("vin", "VIN is required")
    if len(value) == 18 and value[0] == "I":
        value = value[1:]
    if len(value) != 17:
        raise InvalidInput("vin", "A VIN has 17 characters, not {n}", {"n": len(value)})
    for pos, ch in enumerate(value, 1):
        if ch not in _TRANSLIT:  # includes I, O and Q
            raise InvalidInput("vin", "VIN cannot contain {ch} (position {pos})", {"ch": ch, "pos": pos})
    expected = vin_check_digit(value)
    if value[8] != expected:
        if value[0] in _CHECK_DIGIT_ENFORCED:
            raise InvalidInput("vin", "VIN check digit is wrong (expected {expected})", {"expected": expected})
        return VinResult(value, N_("VIN check digit does not match; check the VIN"))
    return VinResult(value)


# ------------------------------------------------------------------ plate

#: Separators people type or print inside plates: spaces, hyphens and the
#: middle dot of Chinese new-energy plates in its look-alike forms.
_PLATE_SEPARATORS = re.compile(r"[\s\-·•‧・]")
#: The one-character province abbreviations that start a mainland plate.
_PROVINCES = "京津沪渝冀晋辽吉黑苏浙皖闽赣鲁豫鄂湘粤琼川贵云陕甘青蒙桂宁新藏"
#: Other Chinese characters that appear on plates: police, driving school,
#: trailer, Hong Kong/Macau crossing, embassy/consulate, test, temporary,
#: emergency-service and civil-aviation plates.
_PLATE_SPECIAL = "警学挂港澳使领试超临应急民航"
_PLATE_CJK = frozenset(_PROVINCES + _PLATE_SPECIAL)


def _plate_char_ok(ch: str) -> bool:
    return ("A" <= ch <= "Z") or ("0" <= ch <= "9") or ch in _PLATE_CJK


#: The shortest plate there is ("A1"); the longest is the field's (``fields.PLATE``).
PLATE_SHORTEST = 2


def plate(text: str, max_len: int) -> str:
    """A licence plate as stored and searched: upper-case, no separators.

    "粤B·D12345" (new-energy, 8 characters) becomes "粤BD12345", "ab-123 cd"
    becomes "AB123CD". Only ASCII letters and digits and the Chinese
    characters used on plates are allowed, so a typo is named, not stored.
    """
    value = _PLATE_SEPARATORS.sub("", _halfwidth(str(text or "")))
    # Upper-case ASCII only: str.upper() would turn 'ß' into 'SS'.
    value = "".join(ch.upper() if ch.isascii() else ch for ch in value)
    if not value:
        raise InvalidInput("plate", "Plate is required")
    for ch in value:
        if not _plate_char_ok(ch):
            raise InvalidInput("plate", "Plate cannot contain {ch}", {"ch": ch})
    if not PLATE_SHORTEST <= len(value) <= max_len:
        raise InvalidInput("plate", "A plate has {min} to {max} characters", {"min": PLATE_SHORTEST, "max": max_len})
    return value


# ------------------------------------------------------------------ phone


def phone(text: str, region: str = "CN") -> str:
    """A phone number in E.164 ("13812345678" -> "+8613812345678").

    Stored in one canonical form so the same customer is found whichever way
    the number was typed (with spaces, dashes, +86 or not).
    """
    raw = _halfwidth(str(text or "")).strip()
    if not raw:
        raise InvalidInput("phone", "Phone is required")
    import phonenumbers  # here, not at the top: start-up does not need it (issue 16)

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput("phone", "Not a valid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone", "Not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def show_phone(stored: str, region: str = "CN") -> str:
    """A stored phone number as people of ``region`` write it: the national form
    for a number of that region ("+8613812345678" -> "138 1234 5678", a landline
    "+861012345678" -> "010 1234 5678"), the international form for any other
    ("+44 20 7946 0958"). What cannot be read is shown as stored."""
    raw = str(stored or "").strip()
    if not raw:
        return ""
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return raw
    home = phonenumbers.region_code_for_number(number) == region
    return phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.NATIONAL if home else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )


# ------------------------------------------------------------------ odometer

MAX_KM = 2_000_000
_KM = re.compile(r"^([0-9]{1,3}(,[0-9]{3})+|[0-9]+)$")
_KM_UNIT = re.compile(r"(km|公里)$", re.IGNORECASE)


#: ".0", ".00" at the end of a number: nothing after the point.
_WHOLE_DECIMALS = re.compile(r"\.0+$")


def odometer(km: int | str, last_km: int | None) -> int:
    """An odometer reading in whole km ("12,345", " 12345 ", 12345, "35210.0").

    A reading lower than the vehicle's last one is refused: it is almost
    always a typo, and mileage is evidence (warranty, service intervals). A
    genuine correction (instrument cluster replaced, earlier typo) is not done
    here: it goes through the service layer, by a manager, with an audited
    reason.
    """
    if isinstance(km, float):
        raise TypeError("an odometer reading is int or text, never float")
    if isinstance(km, bool):
        raise InvalidInput("odometer", "Not a number of km: {value}", {"value": str(km)})
    if isinstance(km, int):
        value = km
    else:
        shown = str(km).strip()
        raw = _KM_UNIT.sub("", _halfwidth(shown).replace(" ", "")).strip()
        # a whole number as a spreadsheet writes it ("35210.0"); 35210.5 stays refused
        raw = _WHOLE_DECIMALS.sub("", raw)
        digits = raw[1:] if raw.startswith("-") else raw
        if not _KM.match(digits):
            raise InvalidInput("odometer", "Not a number of km: {value}", {"value": shown})
        if raw.startswith("-") or len(digits) > 12:  # also keeps int() away from huge strings
            raise InvalidInput("odometer", "Odometer must be 0 to {max} km", {"max": MAX_KM})
        value = int(digits.replace(",", ""))
    if not 0 <= value <= MAX_KM:
        raise InvalidInput("odometer", "Odometer must be 0 to {max} km", {"max": MAX_KM})
    if last_km is not None and value < last_km:
        raise InvalidInput(
            "odometer",
            "Odometer {km} km is lower than the last reading {last} km",
            {"km": value, "last": last_km},
        )
    return value


# ------------------------------------------------------------------ free text

#: Terminal escape sequences, removed whole (not just their ESC byte) so that
#: "\x1b[31m" leaves nothing behind: CSI (7- and 8-bit), the string commands
#: OSC/DCS/SOS/PM/APC up to their terminator, and any other escape. (A lone
#: 8-bit C1 byte is simply dropped later with the other control characters.)
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]"
)
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_NEWLINES = re.compile(r"\r\n|[\r\x85\u2028\u2029]")


def without_controls(value: str, *, multiline: bool = False) -> tuple[str, int]:
    """``value`` with what must not be stored taken out, everything else in the
    order it was typed, and how many characters went: the one place that says
    what goes (:func:`text` stores the result; a pasted text is shown so, with
    the count, before it is saved).

    Removed: terminal escape sequences whole ("\\x1b[31m" leaves nothing, the text
    around it stays where it was), Cc (C0/C1 controls), Cf (format characters:
    the bidi overrides U+202A-U+202E and isolates U+2066-U+2069, zero-width
    U+200B-U+200D, the byte-order mark U+FEFF, soft hyphen…) and Cs (lone
    surrogates, which the database cannot encode). Line breaks and tabs become
    spaces unless ``multiline`` (then they are kept, ``\\r\\n`` as ``\\n``) and
    do not count as removed. Private-use and not-yet-assigned code points are
    kept: rare characters in Chinese names can live there."""
    raw = str(value or "")
    s = _ESCAPES.sub("", raw)
    removed = len(raw) - len(s)
    if multiline:
        s = _NEWLINES.sub("\n", s)
    keep = "\n\t" if multiline else ""
    out = []
    for ch in s:
        if ch in keep or unicodedata.category(ch) not in _REMOVED_CATEGORIES:
            out.append(ch)
        elif ch in "\t\n\r\x0b\x0c\x85":
            out.append(" ")
        else:
            removed += 1
    return "".join(out), removed


#: C0 controls -> U+2400 "control pictures"; DEL -> ␡; C1 controls -> "�".
_PICTURES = {cp: 0x2400 + cp for cp in range(0x20)} | {0x7F: 0x2421} | {cp: 0xFFFD for cp in range(0x80, 0xA0)}
#: Bidi overrides/isolates could reorder what follows on the same line.
_PICTURES |= {cp: 0xFFFD for cp in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}


def visible(text: object, *, multiline: bool = False) -> str:
    """``text`` as a ``str`` with every control character made visible."""
    s = "" if text is None else str(text)
    if multiline:
        keep = {0x0A: 0x0A, 0x09: 0x09}
        return s.translate(_PICTURES | keep)
    return s.translate(_PICTURES)


def text(
    value: str,
    *,
    field: str,
    max_len: int = 500,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """Clean free text before it is stored, shown on other terminals or printed.

    NFC-normalised; terminal escape sequences, control characters, bidi
    overrides and zero-width characters are removed (they could recolour or
    reorder another advisor's screen, or hide text). Tabs and newlines are kept
    only when ``multiline``; otherwise all whitespace collapses to single
    spaces. Rich markup such as "[bold]" is deliberately *not* escaped: the text
    is stored literally and the UI escapes it when rendering.
    """
    s, _removed = without_controls(value, multiline=multiline)
    s = unicodedata.normalize("NFC", s)
    if not multiline:
        s = re.sub(r"\s+", " ", s)
    s = s.strip()
    if required and not s:
        raise InvalidInput(field, "{field} is required", {"field": field})
    if len(s) > max_len:
        raise InvalidInput(field, "Too long: {n} characters, at most {max}", {"n": len(s), "max": max_len})
    return s


def name(value: str, max_len: int) -> str:
    """A person's name (Chinese or Latin), 1 to ``max_len`` characters, one line
    (the limit is the field's: ``fields.NAME``)."""
    return text(value, field="name", max_len=max_len, required=True)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$")


def email(value: str, max_len: int) -> str:
    """An optional e-mail address: empty is fine, otherwise it must look like one.

    Only a shape check (something@domain.tld); whether it exists is found out
    by sending to it.
    """
    v = text(value, field="email", max_len=max_len)
    if v and not _EMAIL.match(v):
        raise InvalidInput("email", "Not an e-mail address")
    return v


# ------------------------------------------------------------------ dates and times

#: Words for a day relative to today, as advisors type them.
_SHORTCUTS = {
    "today": 0,
    "今天": 0,
    "今日": 0,
    "tomorrow": 1,
    "明天": 1,
    "明日": 1,
    "yesterday": -1,
    "昨天": -1,
    "后天": 2,
    "後天": 2,
}
_YMD = re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})")
_CJK_DATE = re.compile(r"(?:([0-9]{4})年)?([0-9]{1,2})月([0-9]{1,2})[日号]?")
#: "12-09": month first, as desk itself shows a date of this year (``widgets/when``).
_MD = re.compile(r"([0-9]{1,2})-([0-9]{1,2})")
#: A date typed with a time after it ("2027-01-05 10:00"): the date is the date part.
_WITH_TIME = re.compile(r"(.*[0-9])(?:\s+|t)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?")


def _not_a_date(value) -> InvalidInput:
    return InvalidInput("date", "Not a date: {value}", {"value": str(value).strip()})


def date(value: str, *, today: dt.date) -> dt.date:
    """A calendar date: "2026-11-23", "2026/11/23", "23/11/2026" (day first,
    as written in China and Europe), "11-23" (month first, as desk shows a date),
    "2026年11月23日", any of them with a time after it (the date is taken), or a shortcut:
    "today", "tomorrow", "+3" (days from today), "今天", "明天".

    ``today`` is passed in (not read from the clock) so screens and tests agree.
    """
    raw = _halfwidth(str(value or "")).strip().lower()
    if raw in _SHORTCUTS:
        return today + dt.timedelta(days=_SHORTCUTS[raw])
    if re.fullmatch(r"[+-][0-9]{1,4}", raw):
        try:
            return today + dt.timedelta(days=int(raw))
        except OverflowError:
            raise _not_a_date(value) from None
    timed = _WITH_TIME.fullmatch(raw)
    if timed:
        raw = timed[1].strip()
    ymd = _YMD.fullmatch(raw)
    cjk = _CJK_DATE.fullmatch(raw)
    md = _MD.fullmatch(raw)
    try:
        if ymd:
            return dt.date(int(ymd[1]), int(ymd[2]), int(ymd[3]))
        if cjk:
            return dt.date(int(cjk[1]) if cjk[1] else today.year, int(cjk[2]), int(cjk[3]))
        if md:
            return dt.date(today.year, int(md[1]), int(md[2]))
    except ValueError:
        raise _not_a_date(value) from None
    # A lone number is ambiguous ("2026"? "2311"?): only a day of this month
    # ("23") or a compact YYYYMMDD is taken.
    if not re.search(r"[0-9]", raw) or (re.fullmatch(r"[0-9]+", raw) and len(raw) not in (1, 2, 8)):
        raise _not_a_date(value)
    from dateutil import parser as dateparser  # here: start-up does not need it

    try:
        default = dt.datetime.combine(today, dt.time())
        return dateparser.parse(raw, dayfirst=True, default=default).date()
    except (ValueError, OverflowError, TypeError):  # dateutil's ParserError is a ValueError
        raise _not_a_date(value) from None


_TIME = re.compile(r"(?P<h>[0-9]{1,2})(?:[:.h点時](?P<m>[0-9]{2})?|(?P<m2>[0-9]{2}))?\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?")


def time_of_day(value: str) -> dt.time:
    """A clock time: "9", "09:30", "930", "14:05", "9.30", "2pm", "9点30"."""
    raw = _halfwidth(str(value or "")).strip().lower()
    m = _TIME.fullmatch(raw)
    if not m:
        raise InvalidInput("time", "Not a time: {value}", {"value": str(value).strip()})
    hour = int(m["h"])
    minute = int(m["m"] or m["m2"] or 0)
    if m["ampm"]:
        if not 1 <= hour <= 12:
            raise InvalidInput("time", "Not a time: {value}", {"value": str(value).strip()})
        hour = hour % 12 + (12 if m["ampm"].startswith("p") else 0)
    if hour > 23 or minute > 59:
        raise InvalidInput("time", "Not a time: {value}", {"value": str(value).strip()})
    return dt.time(hour, minute)


_CJK_DAY_PREFIX = re.compile(r"^(今天|今日|明天|明日|后天|後天)(.+)$")


def datetime_local(value: str, *, today: dt.date) -> dt.datetime:
    """A local date and time (naive: the shop's wall clock).

    "2026-11-23 14:00", "2026-11-23T14:00", "tomorrow 9:30", "+1 10:00",
    "明天9:30", or a time alone ("17:30") meaning today.
    """
    shown = str(value or "").strip()
    raw = _halfwidth(shown).strip()
    fail = InvalidInput("when", "Not a date and time: {value}", {"value": shown})
    if re.fullmatch(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}[tT]\S+", raw):
        raw = raw[: raw.lower().index("t")] + " " + raw[raw.lower().index("t") + 1 :]
    cjk = _CJK_DAY_PREFIX.match(raw)
    if cjk:
        raw = f"{cjk[1]} {cjk[2]}"
    parts = raw.split()
    if len(parts) == 1:
        try:
            return dt.datetime.combine(today, time_of_day(parts[0]))
        except InvalidInput:
            raise fail from None
    # The time is the last word, or the last two ("9:30 pm").
    for cut in (len(parts) - 1, len(parts) - 2):
        if cut < 1:
            continue
        try:
            day = date(" ".join(parts[:cut]), today=today)
            clock = time_of_day(" ".join(parts[cut:]))
        except InvalidInput:
            continue
        return dt.datetime.combine(day, clock)
    raise fail


def months_later(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (clamped to month end: 31 Jan + 1 = 28/29 Feb)."""
    return day + relativedelta(months=months)
