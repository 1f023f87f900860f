"""Who may act: one place for every rule of authority.

Each rule is a pure function of the user's roles and the facts the service supplies
(the item, the line and its catalogue price, the visit's technicians, the shop's
users). It returns a :class:`Verdict`: true when allowed, otherwise false and
carrying the :class:`~desk.domain.errors.NotAllowed` a service raises
(``verdict.check()``) and a screen shows. Screens ask the same functions to grey out
a key (``if not staff.may_overbook(user): …``); they never decide themselves.

The rules:

* **tick** an MOT item: the item's role, or a manager/foreman; an item marked
  ``who = "not_technician"`` (QC-03) not by a technician of the visit, where the
  shop has someone else who may tick it;
* **not applicable** on a required item, and **waive**: a manager or foreman (a
  recommended item may be marked n.a. by anyone);
* **price override**: every way to lower what the customer pays, one rule
  (:func:`price_override`): a free line, a warranty line, a discount above the
  advisor's limit, or a unit price, a quantity or hours below the catalogue's (or
  the canned job's), or a tax code below the standard one, that together with the
  line discount come to more than that limit below the book: a manager or foreman;
* **approve** on another's terminal (manager PIN dialog): an active manager or
  foreman with a PIN;
* **act as** for one mark on another's terminal: the users with a PIN whom the
  mark's own rule allows (:func:`who_may_mark`);
* **clear a lock-out** after wrong PINs: a manager;
* **overbook** a full slot, **correct an odometer** below the last reading,
  **close a major complaint**: a manager or foreman;
* **start or finish a line** in a technician's name: that technician (act-as
  with their PIN on another's terminal);
* **record the customer's decision** on added work: an advisor, manager or
  foreman who did not find the work;
* **confirm or reject a proposed comeback**: an advisor, manager or foreman;
* **record a comeback's cause** at its QC: a QC inspector, a manager or foreman;
* **deliver with a balance due**, **void or refund a payment**: a manager or
  foreman;
* **change the shop set-up** (settings, checklist, canned jobs, users, PINs of
  others): a manager.

Pure domain code: no UI or database imports.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from desk.domain.entities import ROLE_LABELS, WAIVE_ROLES, Role, Severity, User
from desk.domain.errors import NotAllowed
from desk.i18n import N_

#: An item's who-constraint: not ticked by a technician who worked on the visit.
NOT_TECHNICIAN = "not_technician"
#: An item's who-constraint: a technician ticks it only for his own work (the
#: self-inspection, QC-01); a manager or foreman may still.
OWN_WORK = "technician_of_visit"

#: Who a refusal names (message ids, translated by the UI as today).
MANAGER_OR_FOREMAN = N_("a manager or foreman")
MANAGER = N_("manager")
OTHER_INSPECTOR = N_("an inspector other than the technician")
THAT_TECHNICIAN = N_("that technician, with their PIN")
WORKED_ON_IT = N_("a technician who worked on this car")
ANOTHER_ADVISOR = N_("an advisor who did not find the work")


@dataclass(frozen=True)
class Verdict:
    """Allowed (true), or refused with the error to raise (false)."""

    refusal: NotAllowed | None = None

    def __bool__(self) -> bool:
        return self.refusal is None

    def check(self) -> None:
        """Raise the refusal, if any (what a service does)."""
        if self.refusal is not None:
            raise self.refusal


ALLOWED = Verdict()


def refuse(action: str, who: str) -> Verdict:
    return Verdict(NotAllowed(action, who))


def _manager_or_foreman(user: User | None) -> bool:
    return user is not None and user.has(*WAIVE_ROLES)


def _manager(user: User | None) -> bool:
    return user is not None and user.has(Role.MANAGER)


# ----------------------------------------------------------------------------- MOT items


class Item(Protocol):
    """What the rules read of a checklist item (``checklist.MotItem``)."""

    role: Role
    required: bool
    who: str | None


def may_tick_role(user: User, item: Item) -> bool:
    """The user's roles allow ticking ``item`` (before the who-constraint)."""
    return user.has(item.role) or _manager_or_foreman(user)


def yours_to_tick(user: User | None, statuses: Iterable) -> list:
    """The required items still open (``ItemStatus``) that are ticked by hand and
    that ``user``'s roles may tick: what a move the user confirms ticks with it
    (the arrival's question, the signature form), each named to them first. The
    items the data answers are left to the data: the move is refused while one is
    open, and names it."""
    if user is None:
        return []
    return [s for s in statuses if s.blocking and not s.item.from_data and may_tick_role(user, s.item)]


def others_who_may_tick(item: Item, users: Iterable[User], technician_ids: Collection[int]) -> list[User]:
    """Active users, not technicians of the visit, whose roles allow ticking ``item``."""
    return [u for u in users if u.active and u.id not in technician_ids and may_tick_role(u, item)]


def may_tick(
    user: User,
    item: Item,
    *,
    technician_ids: Collection[int] = frozenset(),
    shop_has_other_inspector: bool = True,
) -> Verdict:
    """Tick ``item`` done. ``technician_ids``: who worked on the visit (its assigned
    technician and whoever finished a line); ``shop_has_other_inspector``: someone
    else could tick it (:func:`shop_has_other_inspector`)."""
    if not may_tick_role(user, item):
        return refuse(N_("tick"), ROLE_LABELS[item.role])
    if item.who == NOT_TECHNICIAN and user.id in technician_ids and shop_has_other_inspector:
        return refuse(N_("tick"), OTHER_INSPECTOR)
    if item.who == OWN_WORK and technician_ids and user.id not in technician_ids and not _manager_or_foreman(user):
        return refuse(N_("tick"), WORKED_ON_IT)
    return ALLOWED


def shop_has_other_inspector(item: Item, users: Iterable[User], technician_ids: Collection[int]) -> bool:
    """Inspector ≠ technician applies only where the shop has another inspector."""
    return bool(others_who_may_tick(item, users, technician_ids))


def visit_technicians(assigned: int | None, done_by: Iterable[int | None]) -> frozenset[int]:
    """The technicians of a visit: the assigned one and whoever finished a line."""
    return frozenset(t for t in (assigned, *done_by) if t)


def may_mark_na(user: User, item: Item) -> Verdict:
    """Not applicable: anyone on a recommended item; a required one is a waiver."""
    if item.required:
        return may_waive(user)
    return ALLOWED


def may_waive(user: User) -> Verdict:
    return ALLOWED if _manager_or_foreman(user) else refuse(N_("waive"), MANAGER_OR_FOREMAN)


def may_mark(
    user: User,
    item: Item,
    kind: str,
    *,
    technician_ids: Collection[int] = frozenset(),
    shop_has_other_inspector: bool = True,
) -> Verdict:
    """``kind`` is a ``checklist.MarkKind``: "done", "na" or "waived"."""
    if kind == "done":
        return may_tick(user, item, technician_ids=technician_ids, shop_has_other_inspector=shop_has_other_inspector)
    if kind == "na":
        return may_mark_na(user, item)
    if kind == "waived":
        return may_waive(user)
    raise ValueError(f"no such mark kind {kind!r}")


def who_may_mark(
    item: Item,
    kind: str,
    users: Iterable[User],
    pin_holders: Collection[int],
    *,
    technician_ids: Collection[int] = frozenset(),
    shop_has_other_inspector: bool = True,
) -> list[User]:
    """Whom a terminal may offer to put ``kind`` on ``item`` in their own name with
    their PIN (act as, for one mark): active users with a PIN whom
    :func:`may_mark` allows."""
    return [
        u
        for u in users
        if u.active
        and u.id in pin_holders
        and may_mark(u, item, kind, technician_ids=technician_ids, shop_has_other_inspector=shop_has_other_inspector)
    ]


# ----------------------------------------------------------------------------- prices


class PricedFacts(Protocol):
    """What the price rule reads of a line: a draft, a line as it would be after a
    change, an ``EstimateLine``, or :class:`PriceFacts`."""

    discount_pct: Decimal
    free: bool
    warranty: bool
    unit_cents: int | None
    qty: Decimal


@dataclass(frozen=True)
class PriceFacts:
    """The price facts of a line when no whole line is at hand."""

    discount_pct: Decimal = Decimal(0)
    free: bool = False
    warranty: bool = False
    unit_cents: int | None = None
    qty: Decimal = Decimal(1)


def price_override(
    line: PricedFacts,
    *,
    limit_pct: Decimal,
    list_cents: int | None = None,
    list_qty: Decimal | None = None,
    tax_rate: Decimal | None = None,
    list_tax_rate: Decimal | None = None,
) -> bool:
    """True when ``line`` makes the customer pay less than an advisor may give on
    their own: the one rule of every way to lower a price.

    A free line and a warranty line cost the customer nothing, and a discount
    above ``limit_pct`` is beyond the advisor's limit. Otherwise what the line
    costs, ``qty × unit × (100 − discount) × (1 + tax)``, is compared with the
    book's, ``list qty × list price × (100 − limit) × (1 + standard tax)``: a unit
    price below the catalogue's (typing 0.01), a quantity or hours below the canned
    job's (typing 0.001), a tax code below the standard one (NONE for VAT13), alone
    or together with the line discount, is an override when it comes to more than
    ``limit_pct`` below. A figure the book does not give (``None``) is the line's
    own: a line typed by hand is held only to its discount and tax code. Exact
    (Decimal), no rounding.
    """
    discount, limit = Decimal(line.discount_pct), Decimal(limit_pct)
    if line.free or line.warranty or discount > limit:
        return True
    if line.unit_cents is None:
        return False
    unit, qty = Decimal(line.unit_cents), Decimal(line.qty)
    rate = Decimal(tax_rate or 0)
    ref_unit = Decimal(list_cents) if list_cents is not None and list_cents > 0 else unit
    # the book's charge for what the customer gets: at least the job's quantity,
    # and all of it when more is sold (5 pieces at a quarter of the catalogue's
    # price are not "more than the book's 1 piece")
    ref_qty = max(qty, Decimal(list_qty)) if list_qty is not None and list_qty > 0 else qty
    ref_rate = Decimal(list_tax_rate) if list_tax_rate is not None else rate
    return qty * unit * (100 - discount) * (1 + rate) < ref_qty * ref_unit * (100 - limit) * (1 + ref_rate)


def may_price(
    user: User,
    line: PricedFacts,
    *,
    limit_pct: Decimal,
    list_cents: int | None = None,
    list_qty: Decimal | None = None,
    tax_rate: Decimal | None = None,
    list_tax_rate: Decimal | None = None,
) -> Verdict:
    """Give this price (:func:`price_override`): anyone within the limit, a manager
    or foreman beyond it (on another's terminal, on the spot with their PIN)."""
    if _manager_or_foreman(user) or not price_override(
        line,
        limit_pct=limit_pct,
        list_cents=list_cents,
        list_qty=list_qty,
        tax_rate=tax_rate,
        list_tax_rate=list_tax_rate,
    ):
        return ALLOWED
    return refuse(N_("override a price"), MANAGER_OR_FOREMAN)


def line_pays(line: PricedFacts, tax_rate: Decimal | None = None) -> Decimal:
    """What the customer pays for ``line``, up to a constant factor (exact):
    ``qty × unit × (100 − discount) × (1 + tax)``; nothing for a free or warranty line."""
    return Decimal(line.qty) * unit_pays(line, tax_rate)


def unit_pays(line: PricedFacts, tax_rate: Decimal | None = None) -> Decimal:
    """What the customer pays for one piece (hour) of ``line``, up to the same factor."""
    if line.free or line.warranty or line.unit_cents is None:
        return Decimal(0)
    return line.unit_cents * (100 - Decimal(line.discount_pct)) * (1 + Decimal(tax_rate or 0))


def may_change_price(
    user: User,
    before: PricedFacts,
    after: PricedFacts,
    *,
    limit_pct: Decimal,
    list_cents: int | None = None,
    list_qty: Decimal | None = None,
    rate_before: Decimal | None = None,
    rate_after: Decimal | None = None,
    list_tax_rate: Decimal | None = None,
) -> Verdict:
    """Change a line's price fields: a change that lowers neither what the
    customer pays for the line nor for each piece leaves the line as it was
    allowed (more pieces of a line a manager discounted); one that lowers
    either is held to :func:`may_price` (more pieces at a cut price are a cut
    price)."""
    if (
        line_pays(after, rate_after) >= line_pays(before, rate_before)
        and unit_pays(after, rate_after) >= unit_pays(before, rate_before)
        and not ((after.free and not before.free) or (after.warranty and not before.warranty))
    ):
        return ALLOWED
    return may_price(
        user,
        after,
        limit_pct=limit_pct,
        list_cents=list_cents,
        list_qty=list_qty,
        tax_rate=rate_after,
        list_tax_rate=list_tax_rate,
    )


# ----------------------------------------------------------------------------- approval


def is_approver(user: User, *, has_pin: bool) -> bool:
    """Who may authorise one action on another's terminal with their PIN."""
    return user.active and has_pin and _manager_or_foreman(user)


def approvers(users: Iterable[User], pin_holders: Collection[int]) -> list[User]:
    """The users the manager-approval dialog offers."""
    return [u for u in users if is_approver(u, has_pin=u.id in pin_holders)]


def may_approve(user: User) -> Verdict:
    """The PIN was right: does this user's word authorise the action?"""
    return ALLOWED if user.active and _manager_or_foreman(user) else refuse(N_("approve"), MANAGER)


# ----------------------------------------------------------------------------- who works on what


def is_manager(user: User | None) -> bool:
    """A manager: the only one who changes the shop's set-up (not a foreman)."""
    return _manager(user)


def is_technician(user: User | None) -> bool:
    """Works on cars: may be assigned a car, starts and finishes its lines."""
    return bool(user and user.has(Role.TECHNICIAN))


def technicians(users: Iterable[User]) -> list[User]:
    """The active technicians: whom a car is assigned to, who did a line."""
    return [u for u in users if u.active and is_technician(u)]


def advisors(users: Iterable[User]) -> list[User]:
    """The active service advisors: whose visits and figures a list is filtered by."""
    return [u for u in users if u.active and u.has(Role.ADVISOR)]


def may_work_as(user: User | None, technician_id: int | None) -> Verdict:
    """Start or finish a line in technician ``technician_id``'s name (REP-01/07):
    that technician only, on another's terminal by act-as with their PIN
    (:func:`who_may_work`), as QC-03 is ticked; nobody marks a line "done 张强" by
    picking his name."""
    if user is not None and technician_id is not None and user.id == technician_id and is_technician(user):
        return ALLOWED
    return refuse(N_("record a line's work in a technician's name"), THAT_TECHNICIAN)


def who_may_work(users: Iterable[User], pin_holders: Collection[int]) -> list[User]:
    """Whom a terminal may offer to start or finish a line in their own name with
    their PIN (act as): active technicians with a PIN."""
    return [u for u in users if u.active and u.id in pin_holders and is_technician(u)]


def may_record_decision(user: User | None, found_by: Collection[int]) -> Verdict:
    """Record the customer's decision on added work (REP-03/04): an advisor (or a
    manager or foreman), never whoever found the work (``found_by``: who added
    the lines); on another's terminal by act-as with the advisor's PIN."""
    if user is None or not (user.has(Role.ADVISOR) or _manager_or_foreman(user)):
        return refuse(N_("record the customer's decision"), ROLE_LABELS[Role.ADVISOR])
    if user.id in found_by:
        return refuse(N_("record the customer's decision on work you found"), ANOTHER_ADVISOR)
    return ALLOWED


def may_record_consent(user: User | None) -> Verdict:
    """Record the customer's consent to a change of what was signed, such as a
    later promised time (REP-04): an advisor, a manager or a foreman, never a
    technician on his own word (on his terminal, act-as with an advisor's PIN)."""
    if user is None or not (user.has(Role.ADVISOR) or _manager_or_foreman(user)):
        return refuse(N_("record the customer's approval"), ROLE_LABELS[Role.ADVISOR])
    return ALLOWED


def who_may_record_decision(
    users: Iterable[User], pin_holders: Collection[int], found_by: Collection[int]
) -> list[User]:
    """Whom a terminal may offer to record the customer's decision with their PIN."""
    return [u for u in users if u.active and u.id in pin_holders and may_record_decision(u, found_by)]


# ----------------------------------------------------------------------------- other actions


def may_overbook(user: User) -> Verdict:
    """Book (or move) an appointment into a full slot."""
    return ALLOWED if _manager_or_foreman(user) else refuse(N_("overbook"), MANAGER)


def may_correct_odometer(user: User) -> Verdict:
    """Record a reading below the vehicle's last one (with a reason, audited)."""
    return ALLOWED if _manager_or_foreman(user) else refuse(N_("correct odometer"), MANAGER)


def may_close_complaint(user: User, severity: Severity | str) -> Verdict:
    """Anyone closes an ordinary complaint; a major one is the manager's."""
    if Severity(severity) != Severity.MAJOR or _manager_or_foreman(user):
        return ALLOWED
    return refuse(N_("close major complaint"), MANAGER)


def may_decide_comeback(user: User | None) -> Verdict:
    """Confirm or reject the comeback the data proposes: an advisor (or a manager
    or foreman), whose word then counts against the earlier technician."""
    if user is not None and (user.has(Role.ADVISOR) or _manager_or_foreman(user)):
        return ALLOWED
    return refuse(N_("decide a comeback"), ROLE_LABELS[Role.ADVISOR])


def may_deliver_with_balance(user: User | None) -> Verdict:
    """Let a car go with a balance still due (DLV-13): a manager or foreman (an
    advisor asks one for their PIN on the spot)."""
    return ALLOWED if _manager_or_foreman(user) else refuse(N_("deliver with a balance due"), MANAGER)


def may_void_payment(user: User | None) -> Verdict:
    """Void a payment recorded by mistake, or refund money: a manager or foreman."""
    return ALLOWED if _manager_or_foreman(user) else refuse(N_("void or refund a payment"), MANAGER)


def may_record_cause(user: User) -> Verdict:
    """Record why a comeback came back (at its QC): a QC inspector, a manager or foreman."""
    if user.has(Role.QC) or _manager_or_foreman(user):
        return ALLOWED
    return refuse(N_("record a comeback's cause"), ROLE_LABELS[Role.QC])


def may_change_setup(user: User | None, action: str = N_("change the shop set-up")) -> Verdict:
    """Shop settings, checklist templates, canned jobs, users and roles: a manager.
    ``action`` names what is refused ("add a user", "change a role" …)."""
    return ALLOWED if _manager(user) else refuse(action, ROLE_LABELS[Role.MANAGER])


def hears_of_major_complaints(user: User | None) -> bool:
    """A major complaint reaches the manager at once (seed 001: 重大投诉立即上报
    经理): every terminal a manager is signed in to is told."""
    return _manager(user)


def may_hide_item(user: User | None) -> Verdict:
    """Hide a recommended item of the MOT standard from the shop's checklists
    (or delete a shop's own item): a manager only, never a foreman; the KPI
    report lists what the shop hides, with who and when."""
    return ALLOWED if _manager(user) else refuse(N_("hide a recommended MOT item"), ROLE_LABELS[Role.MANAGER])


def may_set_pin(actor: User | None, user_id: int) -> Verdict:
    """A user sets their own PIN; a manager sets anyone's."""
    if actor is not None and (actor.id == user_id or _manager(actor)):
        return ALLOWED
    return refuse(N_("set a PIN"), ROLE_LABELS[Role.MANAGER])


def may_clear_pin(actor: User | None) -> Verdict:
    return ALLOWED if _manager(actor) else refuse(N_("clear a PIN"), ROLE_LABELS[Role.MANAGER])


def may_clear_lockout(actor: User | None) -> Verdict:
    """Let a locked-out user try their PIN again at once: a manager."""
    return ALLOWED if _manager(actor) else refuse(N_("clear a lock-out"), ROLE_LABELS[Role.MANAGER])


def may_recover_pin(target: User) -> Verdict:
    """A new PIN without the old one, on the shop's own computer (``desk
    recover-manager``): only for a manager, so that wrong or forgotten PINs never
    lock the shop out of its managers for good; anyone else asks a manager."""
    return ALLOWED if _manager(target) else refuse(N_("recover a PIN"), ROLE_LABELS[Role.MANAGER])


def may_import(user: User) -> Verdict:
    """Import customers and vehicles from a file: an advisor (or manager/foreman)."""
    if user.has(Role.ADVISOR) or _manager_or_foreman(user):
        return ALLOWED
    return refuse(N_("import customers"), ROLE_LABELS[Role.ADVISOR])


def may_accept_flag(user: User | None) -> Verdict:
    """A checklist flagged as rushed or blank (desk.domain.integrity) is accepted,
    with a note, by a manager only: the flag is about the others' work."""
    return ALLOWED if _manager(user) else refuse(N_("accept a checklist flag"), ROLE_LABELS[Role.MANAGER])


def may_clock(user: User | None, technician_id: int) -> Verdict:
    """A technician clocks themselves on and off a line; a manager or foreman
    may clock for a technician (the shared terminal's act-as clocks as them)."""
    if user is not None and (_manager_or_foreman(user) or (user.id == technician_id and user.has(Role.TECHNICIAN))):
        return ALLOWED
    return refuse(N_("clock on a line for someone else"), MANAGER_OR_FOREMAN)


def who_may_clock(users: Iterable[User], pin_holders: Collection[int]) -> list[User]:
    """Whom the shared terminal may offer to clock on or off in their own name
    with their PIN (act as): active technicians with a PIN."""
    return [u for u in users if u.active and u.id in pin_holders and u.has(Role.TECHNICIAN)]


# ----------------------------------------------------------------------------- keys


class Act(StrEnum):
    """Actions a screen greys out by role alone (no facts needed)."""

    WAIVE = "waive"
    OVERRIDE_PRICE = "override_price"
    OVERBOOK = "overbook"
    CORRECT_ODOMETER = "correct_odometer"
    CLOSE_MAJOR_COMPLAINT = "close_major_complaint"
    CHANGE_SETUP = "change_setup"
    IMPORT = "import"
    ACCEPT_FLAG = "accept_flag"
    #: clock a technician on or off a line for them (may_clock)
    CLOCK_OTHERS = "clock_others"


def can(user: User | None, act: Act | str) -> bool:
    """Whether ``user`` may ever do ``act`` by role: for greying out a key. A
    refused user may still get a manager's approval on the spot."""
    if user is None:
        return False
    act = Act(act)
    if act == Act.CHANGE_SETUP:
        return bool(may_change_setup(user))
    if act == Act.IMPORT:
        return bool(may_import(user))
    if act == Act.ACCEPT_FLAG:
        return bool(may_accept_flag(user))
    return _manager_or_foreman(user)
