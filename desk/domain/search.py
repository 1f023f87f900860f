"""Search keys: what the lookup matches, as plain strings an index can range over.

Lookup as you type must stay fast over tens of thousands of customers, so it
matches *prefixes* of normalised keys (an index range scan) instead of
``LIKE '%text%'`` (a scan of every row). Each field is stored twice: as typed
forward and reversed, so the end of a value is a prefix too — the last digits of
a phone or a VIN, a plate without its province character, a Chinese given name.

* names: case-folded, spaces and separators dropped ("Tom Becker" -> "tombecker");
* phones: the national number's digits ("+86 138-1234-5678" -> "13812345678");
* plates and VINs: upper-case ASCII letters and digits (and the Chinese plate
  characters), separators dropped ("粤B·D12345" -> "粤BD12345");
* Chinese names also by pinyin, whole and by initials ("王丽" -> "wangli", "wl"),
  so an advisor on an English keyboard (or a Chinese IME switched off) finds the
  customer: each character's most common reading (desk/fixtures/pinyin.txt), and a
  surname's own reading for the first character where it differs ("曾" as a surname
  is zeng, elsewhere ceng).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache

#: Shortest query for which the reversed (suffix) keys are searched: one or two
#: characters at the end of a value match too much to be useful.
MIN_SUFFIX = 3
#: Shortest query looked up as pinyin (one letter is a fifth of the shop).
MIN_PINYIN = 2
#: Shortest digit run for which phones are searched.
MIN_PHONE_DIGITS = 3


def _fold(text: str) -> str:
    # NFKC turns full-width letters and digits into ASCII ones (an IME left on).
    return unicodedata.normalize("NFKC", str(text or ""))


def name_key(text: str) -> str:
    """A name as searched: case-folded letters and digits, nothing else."""
    return "".join(ch for ch in _fold(text).casefold() if ch.isalnum())


def code_key(text: str) -> str:
    """A plate or VIN as searched: letters and digits, ASCII upper-cased."""
    return "".join((ch.upper() if ch.isascii() else ch) for ch in _fold(text) if ch.isalnum())


def digits_key(text: str) -> str:
    """Digits only."""
    return "".join(ch for ch in _fold(text) if ch.isdigit() and ch.isascii())


#: The shop's country calling code: stored phones are E.164 ("+86…"), typed ones
#: usually start with the national number ("138…").
COUNTRY_CODE = "86"


def phone_key(text: str) -> str:
    """A stored phone as searched: the national number's digits
    ("+8613812345678" -> "13812345678")."""
    digits = digits_key(text)
    if str(text or "").lstrip().startswith("+" + COUNTRY_CODE) and digits.startswith(COUNTRY_CODE):
        return digits[len(COUNTRY_CODE) :]
    return digits


#: Surnames read otherwise than the character's most common reading.
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "区": "ou",
    "查": "zha",
    "盖": "ge",
    "乐": "yue",
    "翟": "zhai",
    "缪": "miao",
    "覃": "qin",
    "种": "chong",
    "秘": "bi",
    "召": "shao",
    "繁": "po",
    "员": "yun",
    "尉": "yu",
    "句": "gou",
    "隗": "wei",
    "长": "chang",
}
#: Longest pinyin keys stored (the columns' lengths).
PINYIN_LENGTH, INITIALS_LENGTH = 160, 40


@cache
def _readings() -> dict[str, str]:
    """Each CJK character's most common toneless reading (read once, ~80 KB)."""
    from desk.resources import fixture

    table: dict[str, str] = {}
    with fixture("pinyin.txt").open("rb") as fh:
        for line in fh.read().decode("utf-8").splitlines():
            if line and not line.startswith("#"):
                reading, chars = line.split("\t", 1)
                table.update(dict.fromkeys(chars, reading))
    return table


def _has_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def pinyin_keys(name: str) -> tuple[str, str]:
    """A Chinese name's pinyin, whole and by initials ("王丽" -> ("wangli", "wl")); an
    ASCII word inside it counts as it is (its initial once). ("", "") for a name
    without Chinese characters: its name key already serves."""
    text = _fold(name).casefold()
    if not _has_cjk(text):
        return "", ""
    table = _readings()
    full, initials, word = [], [], False
    for i, ch in enumerate(text):
        reading = (SURNAME_READINGS.get(ch) if i == 0 else None) or table.get(ch)
        if reading:
            full.append(reading)
            initials.append(reading[0])
            word = False
        elif ch.isascii() and ch.isalnum():
            full.append(ch)
            if not word:
                initials.append(ch)
            word = True
        else:
            word = False
    return "".join(full)[:PINYIN_LENGTH], "".join(initials)[:INITIALS_LENGTH]


def reverse(key: str) -> str:
    return key[::-1]


def prefix_upper(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``
    (code-point order, which is also the byte order of UTF-8): ``prefix <= s <
    prefix_upper(prefix)`` holds exactly for the strings ``s`` starting with it."""
    if not prefix:
        raise ValueError("empty prefix")
    last = ord(prefix[-1])
    if last >= 0x10FFFF:  # pragma: no cover - not a character anyone types
        return prefix_upper(prefix[:-1]) if len(prefix) > 1 else prefix + "\U0010ffff"
    nxt = last + 1
    if 0xD800 <= nxt <= 0xDFFF:  # skip the surrogates: not encodable
        nxt = 0xE000
    return prefix[:-1] + chr(nxt)


@dataclass(frozen=True)
class Probe:
    """One index range to look in: ``column`` starts with ``prefix``."""

    column: str
    prefix: str


def probes(query: str) -> list[Probe]:
    """The index ranges a typed query is looked up in, most specific first.

    Column names are those of :func:`customer_keys` / :func:`vehicle_keys`.
    """
    code = code_key(query)
    name = name_key(query)
    digits = digits_key(query)
    out: list[Probe] = []
    if code:
        out.append(Probe("plate_key", code))
        out.append(Probe("vin_key", code))
        if len(code) >= MIN_SUFFIX:
            out.append(Probe("plate_rev", reverse(code)))
            out.append(Probe("vin_rev", reverse(code)))
    if len(digits) >= MIN_PHONE_DIGITS and len(digits) >= len(code) - 1:
        # mostly digits: a phone, typed with or without the country code
        if len(digits) > 11 and digits.startswith(COUNTRY_CODE):
            digits = digits[len(COUNTRY_CODE) :]
        out.append(Probe("phone_key", digits))
        out.append(Probe("phone_rev", reverse(digits)))
        if digits.startswith("0") and len(digits) > MIN_PHONE_DIGITS:
            # a landline as desk shows it, with the trunk 0 ("010 1234 5678"):
            # stored without it ("+86 10 1234 5678")
            out.append(Probe("phone_key", digits[1:]))
    if name:
        out.append(Probe("name_key", name))
        # the end of a name: a surname typed alone, a Chinese given name
        if len(name) >= MIN_SUFFIX or not name.isascii():
            out.append(Probe("name_rev", reverse(name)))
        if len(name) >= MIN_PINYIN and name.isascii() and name.isalpha():
            # a Chinese name typed as pinyin: initials ("wl") or whole ("wangli")
            out.append(Probe("pinyin_key", name))
            out.append(Probe("initials_key", name))
    return out


def customer_keys(name: str, phone: str) -> dict[str, str]:
    n, p = name_key(name), phone_key(phone)
    full, initials = pinyin_keys(name)
    return {
        "name_key": n,
        "name_rev": reverse(n),
        "phone_key": p,
        "phone_rev": reverse(p),
        "pinyin_key": full,
        "initials_key": initials,
    }


def vehicle_keys(plate: str, vin: str) -> dict[str, str]:
    pl, v = code_key(plate), code_key(vin)
    return {"plate_key": pl, "plate_rev": reverse(pl), "vin_key": v, "vin_rev": reverse(v)}


CUSTOMER_KEYS = ("name_key", "name_rev", "phone_key", "phone_rev", "pinyin_key", "initials_key")
VEHICLE_KEYS = ("plate_key", "plate_rev", "vin_key", "vin_rev")
