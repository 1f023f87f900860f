"""What a VIN says of its car, offline: the maker from the world manufacturer
identifier (positions 1-3, ``desk/fixtures/wmi.toml``, whose source it names)
and the model year from position 10 (ISO 3779's year code, a 30-year cycle).

The vehicle form fills Make and Year from them as the VIN is typed (a field the
advisor has typed is left alone), and says when the check digit (position 9)
does not match. The check digit is refused only for North American VINs
(positions 1 = 1-5), where FMVSS 115 makes it mandatory and every maker uses it,
so a mismatch is a typing error; elsewhere, China included, it is a warning:
GB 16735 asks for it too, but imported, grey-market and older cars are met whose
position 9 is not one, and refusing them would stop a real car at the counter
(``desk.domain.validate.vin``).

A WMI not in the table leaves the make as it is; a position 10 that is no year
code (European makers need not use it) leaves the year.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import cache

from desk.domain import validate
from desk.domain.errors import InvalidInput
from desk.resources import fixture

#: Position 10's year codes: 1980 + their index, and again every 30 years
#: (I, O, Q, U, Z and 0 are not used).
YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
FIRST_CYCLE = 1980


@dataclass(frozen=True)
class VinFacts:
    """The maker and model year a VIN carries (None: not known)."""

    make: str | None = None
    maker: str | None = None
    year: int | None = None
    #: The doubt about the VIN (a check digit that does not match), a msgid.
    warning: str | None = None


@dataclass(frozen=True)
class WmiTable:
    makers: dict[str, tuple[str, str]]
    #: Where the table comes from (shown by ``desk --help``'s readers: the README).
    source: str


@cache
def wmi_table() -> WmiTable:
    """The table shipped in the package (read once)."""
    with fixture("wmi.toml").open("rb") as fh:
        data = tomllib.load(fh)
    return WmiTable({code: (row["make"], row["maker"]) for code, row in data["wmi"].items()}, data["source"])


def model_year(code: str, *, today: dt.date) -> int | None:
    """The model year of position 10's ``code``: of the years it can stand for
    (every 30 years), the latest not after next year's models."""
    index = YEAR_CODES.find(code.upper()) if code else -1
    if index < 0:
        return None
    year = FIRST_CYCLE + index
    while year + 30 <= today.year + 1:
        year += 30
    return year


def decode(text: str, *, today: dt.date) -> VinFacts:
    """What the VIN ``text`` (as typed) carries; nothing before it is a whole
    VIN (17 characters of a VIN's alphabet, a North American check digit right)."""
    try:
        checked = validate.vin(text)
    except InvalidInput:
        return VinFacts()
    vin = checked.vin
    make, maker = wmi_table().makers.get(vin[:3], (None, None))
    return VinFacts(make=make, maker=maker, year=model_year(vin[9], today=today), warning=checked.warning)


def form_values(text: str, *, today: dt.date) -> tuple[dict[str, str], str | None]:
    """The vehicle form's fields a typed VIN fills (``make``, ``year``) and the
    warning to show under it (a msgid, or None)."""
    facts = decode(text, today=today)
    values = {"make": facts.make or "", "year": str(facts.year) if facts.year else ""}
    return {k: v for k, v in values.items() if v}, facts.warning
