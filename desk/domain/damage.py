"""The car handed back as it came (spec WLK-06, DLV-04, CSI "car clean and
undamaged at delivery").

The walkaround's damage map (panel by panel, desk.domain.walkaround's words) is
shown again at delivery beside what is noted there. The customer acknowledges
the map at both ends: at the walkaround (the car as it came) and at delivery
(the car as it leaves). Damage noted at delivery that the walkaround's map did
not have is new: a complaint opens at once, of the severity :func:`severity`
gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from desk.domain import fields
from desk.domain.entities import Severity
from desk.domain.errors import InvalidInput
from desk.domain.process import Stage
from desk.domain.walkaround import DAMAGE_KINDS, PANELS, known_damage

#: Damage that is more than cosmetic: a complaint about it is major.
MAJOR_KINDS = frozenset({"dent", "crack"})
#: Panels where any new damage is major (a crack or chip in the windscreen is a safety matter).
MAJOR_PANELS = frozenset({"windscreen"})


def marks(raw: str | None) -> list[dict]:
    """The stored damage list (JSON of {panel, kind, note}); unreadable or unknown
    entries are left out rather than shown wrong."""
    try:
        found = json.loads(raw or "[]")
    except ValueError:
        return []
    return [m for m in found if isinstance(m, dict) and known_damage(m)] if isinstance(found, list) else []


@dataclass(frozen=True)
class DamageDraft:
    """Damage noted at delivery, checked (build it with :meth:`of`)."""

    panel: str
    kind: str
    note: str = ""

    @classmethod
    def of(cls, panel: str, kind: str, note: str = "") -> DamageDraft:
        if not known_damage({"panel": panel, "kind": kind}):
            raise InvalidInput("damage", "Unknown panel or kind of damage")
        return cls(panel, kind, fields.DAMAGE_NOTE.check(note))

    def mark(self) -> dict:
        return {"panel": self.panel, "kind": self.kind, **({"note": self.note} if self.note else {})}


def _same(a: dict, b: dict) -> bool:
    return a.get("panel") == b.get("panel") and a.get("kind") == b.get("kind")


def check_delivery_mark(stage: Stage | str, walkaround: list[dict], delivery: list[dict], mark: dict) -> None:
    """Damage is noted at delivery (the car ready), on a known panel and kind, and
    only when the walkaround's map (or an earlier delivery note) does not have it."""
    if Stage(stage) != Stage.READY:
        raise InvalidInput("damage", "Damage is noted at delivery, when the car is ready")
    if not known_damage(mark):
        raise InvalidInput("damage", "Unknown panel or kind of damage")
    if any(_same(mark, m) for m in walkaround):
        raise InvalidInput("damage", "That damage is on the walkaround's map: the car came so")
    if any(_same(mark, m) for m in delivery):
        raise InvalidInput("damage", "That damage is noted already")


def severity(new: list[dict]) -> Severity:
    """A complaint about new damage: major for a dent or crack, anything on the
    windscreen, or damage on more than one panel; else (a scratch or chip on one
    panel) ordinary."""
    if any(m["kind"] in MAJOR_KINDS or m["panel"] in MAJOR_PANELS for m in new):
        return Severity.MAJOR
    if len({m["panel"] for m in new}) > 1:
        return Severity.MAJOR
    return Severity.ORDINARY


@dataclass(frozen=True)
class PanelRow:
    """One panel of the map as delivery shows it: its damage at the walkaround
    and what was noted since."""

    panel: str
    at_walkaround: tuple[str, ...]
    since: tuple[str, ...]


def damage_map(walkaround: list[dict], delivery: list[dict]) -> list[PanelRow]:
    """The panels with damage, in the walkaround's panel order."""
    rows = []
    for panel in PANELS:
        before = tuple(m["kind"] for m in walkaround if m["panel"] == panel)
        after = tuple(m["kind"] for m in delivery if m["panel"] == panel)
        if before or after:
            rows.append(PanelRow(panel, before, after))
    return rows


@dataclass(frozen=True)
class Acknowledgement:
    """The customer's acknowledgement of the map at one end: who, when."""

    by: str
    at: datetime


def acknowledgement(by: str, at: datetime | None) -> Acknowledgement | None:
    return Acknowledgement(by, at) if by and at is not None else None


#: Where each end's acknowledgement is given.
ACK_STAGES = {"in": Stage.WALKAROUND, "out": Stage.READY}


def check_acknowledge(end: str, stage: Stage | str, damage_confirmed: bool) -> None:
    """The customer acknowledges the map at the walkaround, once the damage list
    is checked, and at delivery."""
    if Stage(stage) != ACK_STAGES[end]:
        raise InvalidInput("acknowledgement", "The damage map is acknowledged at the walkaround and at delivery")
    if end == "in" and not damage_confirmed:
        raise InvalidInput("acknowledgement", "Check the damage list first (c)")


__all__ = [
    "DAMAGE_KINDS",
    "DamageDraft",
    "PanelRow",
    "acknowledgement",
    "check_acknowledge",
    "check_delivery_mark",
    "damage_map",
    "marks",
    "severity",
]
