"""Declined work comes back (spec DLV-06: "record declined recommendations for
the next visit").

A line the customer declined (added work found during repair and declined, kept
as a recommendation) is offered again on the vehicle's later visits, at booking
and at the estimate, until it is added to one of them. It is priced afresh, never
at the old visit's price:

* a line of today's canned jobs with the same kind and description: that price
  (the catalogue's, so no price override);
* else a labour line: today's labour rate;
* else (a part or fee the catalogue does not know) the price it had, which the
  advisor checks.

Discounts, free and warranty flags and a part's stock are not carried over: they
are the new visit's to decide (a part's stock is checked again, EST-01).

A declined line is *later done* when a line added from it on a later visit was
done (the dashboard counts them).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from desk.domain.entities import EstimateLine, LineKind
from desk.i18n import N_


class PriceSource(StrEnum):
    CATALOGUE = "catalogue"
    LABOUR_RATE = "labour_rate"
    LAST_PRICE = "last_price"


PRICE_SOURCE_LABELS = {
    PriceSource.CATALOGUE: N_("today's catalogue price"),
    PriceSource.LABOUR_RATE: N_("today's labour rate"),
    PriceSource.LAST_PRICE: N_("last price, check it"),
}


@dataclass(frozen=True)
class Earlier:
    """A line declined on an earlier visit of the vehicle, as it was declined."""

    line_id: int
    visit_id: int
    visit_number: str
    day: date
    line: EstimateLine


@dataclass(frozen=True)
class Offer:
    """An earlier declined line offered again at today's price."""

    earlier: Earlier
    unit_cents: int
    #: The catalogue price the new line keeps (None: no catalogue knows it).
    list_cents: int | None
    source: PriceSource

    @property
    def line_id(self) -> int:
        return self.earlier.line_id

    def draft_values(self) -> dict:
        """The new line's values, for ``LineDraft.of`` (which checks them)."""
        ln = self.earlier.line
        return {"kind": ln.kind, "description": ln.description, "qty": ln.qty, "unit_cents": self.unit_cents}


def key(kind: LineKind | str, description: str) -> tuple[str, str]:
    """Lines are the same work when kind and description match, case and spacing aside."""
    return str(kind), " ".join(description.casefold().split())


#: How alike a typed line's name must be to a catalogue line's to be priced as it
#: (difflib's ratio over the names' letters and digits, case aside).
LIKE_CATALOGUE = 0.85


def _name_key(text: str) -> str:
    """A name's letters and digits, case and width aside ("Front brake pad set."
    and "front  brake pad-set" are one name)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def book_line(kind: LineKind | str, description: str, job_lines: Iterable[Mapping]) -> Mapping | None:
    """The catalogue line a typed line is, to hold its price to the book's: the
    same name with case, spacing and punctuation aside, or a name alike
    (:data:`LIKE_CATALOGUE`) with the same numbers (5W-30 is not 5W-40), of any
    kind (a part typed as a fee is still the part). The most alike wins, the same
    kind first; free lines are no price. None: no catalogue line is like it."""
    key = _name_key(description)
    if not key:
        return None
    numbers = re.findall(r"\d+", key)
    best: tuple[float, bool] | None = None
    found: Mapping | None = None
    for ln in job_lines:
        if ln.get("free"):
            continue
        other = _name_key(str(ln["description"]))
        if not other or re.findall(r"\d+", other) != numbers:
            continue
        ratio = 1.0 if other == key else difflib.SequenceMatcher(None, key, other).ratio()
        rank = (ratio, str(ln["kind"]) == str(kind))
        if ratio >= LIKE_CATALOGUE and (best is None or rank > best):
            best, found = rank, ln
    return found


def catalogue(job_lines: Iterable[Mapping]) -> dict[tuple[str, str], int]:
    """Today's catalogue prices from canned jobs' lines (``kind``, ``description``,
    ``unit_cents``); the first job naming a line gives its price. Free lines
    (a free check) are no price for a paid line."""
    out: dict[tuple[str, str], int] = {}
    for ln in job_lines:
        if ln.get("free"):
            continue
        out.setdefault(key(ln["kind"], ln["description"]), int(ln["unit_cents"]))
    return out


def reprice(earlier: Earlier, prices: Mapping[tuple[str, str], int], labour_rate_cents: int | None) -> Offer:
    """The earlier line at today's price (see the module's rule)."""
    ln = earlier.line
    found = prices.get(key(ln.kind, ln.description))
    if found is not None:
        return Offer(earlier, found, found, PriceSource.CATALOGUE)
    if ln.kind == LineKind.LABOUR and labour_rate_cents:
        return Offer(earlier, labour_rate_cents, labour_rate_cents, PriceSource.LABOUR_RATE)
    return Offer(earlier, ln.unit_cents, ln.list_cents, PriceSource.LAST_PRICE)


def open_offers(declined: Iterable[Earlier], carried: Iterable[int], *, before: date | None = None) -> list[Earlier]:
    """The declined lines still to offer: not yet added to any visit (``carried``:
    the ids lines were added from), declined on a visit before ``before`` (the
    visit being worked on), newest first, one per kind and description (the
    newest declining wins)."""
    taken = set(carried)
    seen: set[tuple[str, str]] = set()
    out = []
    for e in sorted(declined, key=lambda e: (e.day, e.visit_id, e.line_id), reverse=True):
        k = key(e.line.kind, e.line.description)
        if e.line_id in taken or k in seen or (before is not None and e.day > before):
            continue
        seen.add(k)
        out.append(e)
    return out


def net_of(qty: Decimal, unit_cents: int) -> int:
    """The line's amount before discount and tax, to show beside the offer."""
    return int((qty * unit_cents).to_integral_value())


@dataclass(frozen=True)
class DeclinedRec:
    """A declined line as the dashboard counts it: when its visit was delivered
    and when (if ever) a line added from it on a later visit was done."""

    visit_id: int
    line_id: int
    delivered_at: datetime | None
    done_at: datetime | None = None
    #: The later visit it was done on (its RO number, for the dashboard's note).
    done_visit_id: int | None = None
    done_number: str = ""


def later_done(rec: DeclinedRec) -> bool:
    return rec.done_at is not None
