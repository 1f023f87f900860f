"""The MOT checklist engine.

Templates (data, from ``desk/fixtures/mot_checklist.toml``) list each stage's items.
A visit's marks (done / not applicable / waived, each with who and when) plus the
[data] rules give every item a state. :func:`guard` refuses to leave a stage while
a required item is open: every path that advances a visit goes through it.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from desk.domain import staff
from desk.domain.entities import Role, User
from desk.domain.errors import GuardFailed, InvalidInput
from desk.domain.rules import CHECKS, CONDITIONS, VisitFacts
from desk.domain.staff import NOT_TECHNICIAN  # noqa: F401 - the who-constraint items carry
from desk.i18n import lang_text
from desk.resources import fixture


@dataclass(frozen=True)
class MotItem:
    id: str
    stage: str
    en: str
    zh: str
    required: bool
    role: Role
    #: Name of a rule in ``rules.CHECKS``: the app ticks the item from data.
    check: str | None = None
    #: Name of a rule in ``rules.CONDITIONS``: the item applies only when it holds.
    when: str | None = None
    #: Extra constraint on who may tick (e.g. QC-03 not by the visit's technician).
    who: str | None = None

    @property
    def text(self) -> str:
        return lang_text(self.en, self.zh)

    @property
    def from_data(self) -> bool:
        return self.check is not None


class MarkKind(StrEnum):
    DONE = "done"
    NA = "na"
    WAIVED = "waived"
    #: An earlier mark withdrawn (a mistaken tick), with the reason: the item is open again.
    UNDONE = "undone"


@dataclass(frozen=True)
class ItemMark:
    item_id: str
    kind: MarkKind
    by_user: int
    at: datetime
    reason: str = ""


class ItemState(StrEnum):
    OPEN = "open"
    DONE = "done"
    NA = "na"
    WAIVED = "waived"
    #: The item's condition does not hold for this visit (e.g. not a comeback).
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class ItemStatus:
    item: MotItem
    state: ItemState
    mark: ItemMark | None = None
    by_data: bool = False
    hint: str = ""

    @property
    def blocking(self) -> bool:
        return self.item.required and self.state == ItemState.OPEN

    @property
    def satisfied(self) -> bool:
        return self.state != ItemState.OPEN


@dataclass(frozen=True)
class Templates:
    items: tuple[MotItem, ...]

    def for_stage(self, stage: str) -> list[MotItem]:
        return [i for i in self.items if i.stage == stage]

    def get(self, item_id: str) -> MotItem:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(item_id)

    @property
    def stages(self) -> list[str]:
        seen: list[str] = []
        for i in self.items:
            if i.stage not in seen:
                seen.append(i.stage)
        return seen


def parse_templates(data: dict) -> Templates:
    """Build templates from the TOML structure, refusing unknown rule names so a
    typo in a shop's edited template cannot silently disable a check."""
    items = []
    seen = set()
    for raw in data.get("item", []):
        item = MotItem(
            id=raw["id"],
            stage=raw["stage"],
            en=raw["en"],
            zh=raw["zh"],
            required=bool(raw.get("required", False)),
            role=Role(raw.get("role", "advisor")),
            check=raw.get("check") or None,
            when=raw.get("when") or None,
            who=raw.get("who") or None,
        )
        if item.id in seen:
            raise ValueError(f"duplicate MOT item {item.id}")
        if item.check and item.check not in CHECKS:
            raise ValueError(f"{item.id}: unknown check rule {item.check!r}")
        if item.when and item.when not in CONDITIONS:
            raise ValueError(f"{item.id}: unknown condition {item.when!r}")
        seen.add(item.id)
        items.append(item)
    return Templates(tuple(items))


def load_templates(path: Path | None = None) -> Templates:
    """The templates in ``path``, by default the shipped ``mot_checklist.toml``."""
    with (path or fixture("mot_checklist.toml")).open("rb") as fh:
        return parse_templates(tomllib.load(fh))


def evaluate_item(item: MotItem, facts: VisitFacts, marks: dict[str, ItemMark]) -> ItemStatus:
    mark = marks.get(item.id)
    if mark is not None and mark.kind == MarkKind.UNDONE:
        mark = None  # the last mark was withdrawn: as if never marked
    if item.when and not CONDITIONS[item.when](facts):
        return ItemStatus(item, ItemState.NOT_APPLICABLE, mark)
    if item.check:
        rule = CHECKS[item.check]
        if rule.fn(facts):
            return ItemStatus(item, ItemState.DONE, mark, by_data=True)
        if mark and mark.kind in (MarkKind.WAIVED, MarkKind.NA):
            return ItemStatus(item, ItemState(mark.kind.value), mark, hint=rule.hint)
        return ItemStatus(item, ItemState.OPEN, None, hint=rule.hint)
    if mark:
        return ItemStatus(item, ItemState(mark.kind.value), mark)
    return ItemStatus(item, ItemState.OPEN)


def evaluate(templates: Templates, stage: str, facts: VisitFacts, marks: list[ItemMark]) -> list[ItemStatus]:
    """Every item of ``stage`` with its state for this visit."""
    by_id = {m.item_id: m for m in marks}  # later marks win
    return [evaluate_item(item, facts, by_id) for item in templates.for_stage(stage)]


def missing(statuses: list[ItemStatus]) -> list[ItemStatus]:
    return [s for s in statuses if s.blocking]


def guard(templates: Templates, stage: str, facts: VisitFacts, marks: list[ItemMark]) -> None:
    """Refuse to leave ``stage`` while a required item is open (GuardFailed lists them)."""
    open_items = missing(evaluate(templates, stage, facts, marks))
    if open_items:
        raise GuardFailed(stage, open_items)


def check_mark(
    item: MotItem,
    kind: MarkKind,
    user: User,
    reason: str,
    *,
    facts: VisitFacts | None = None,
    technician_ids: set[int] | frozenset[int] | None = None,
    shop_has_other_inspector: bool = True,
    current: ItemMark | None = None,
) -> None:
    """Validate that ``user`` may put ``kind`` on ``item``; raise if not.

    * ``current``: the item's latest mark. The same mark twice is refused (a second
      space on a ticked item wrote another tick); :attr:`MarkKind.UNDONE` withdraws
      the current mark, with a reason, by someone who may make that mark.

    * A [data] item cannot be ticked by hand: the data has to be recorded.
    * Not applicable and waived need a reason.
    * Who may tick, mark n.a. or waive is :func:`desk.domain.staff.may_mark`: the
      item's role to tick (or manager/foreman); a manager or foreman to waive or to
      mark a required item n.a.; QC-03 style items not by a technician who worked
      on the visit, where the shop has another person who may inspect.
    """
    if kind == MarkKind.DONE and item.from_data:
        raise InvalidInput(item.id, "This item is checked from the recorded data")
    if kind == MarkKind.NA and item.from_data:
        # whether it applies is the data's to say (its condition); skipping it is a
        # waiver, counted as one (a late call marked n.a. counted as "kept")
        raise InvalidInput(item.id, "This item is checked from the recorded data: waive it (w) if it cannot be done")
    if kind != MarkKind.DONE and not reason.strip():
        raise InvalidInput("reason", "A reason is required")
    current = None if current is None or current.kind == MarkKind.UNDONE else current
    if kind == MarkKind.UNDONE:
        if current is None:
            raise InvalidInput(item.id, "Only a ticked or marked item can be un-ticked")
        kind_of_authority = current.kind  # withdrawing a mark takes the authority to make it
    else:
        if current is not None and current.kind == kind:
            raise InvalidInput(item.id, "This item is already marked so: space on it again un-ticks it, with a reason")
        kind_of_authority = kind
    staff.may_mark(
        user,
        item,
        kind_of_authority,
        technician_ids=technician_ids or frozenset(),
        shop_has_other_inspector=shop_has_other_inspector,
    ).check()
