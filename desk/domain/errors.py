"""Typed errors the UI turns into messages (never a traceback)."""

from __future__ import annotations

from dataclasses import dataclass, field


class DeskError(Exception):
    """Base of every error a screen may show to the user."""


@dataclass
class InvalidInput(DeskError):
    """A field's value is not acceptable; ``reason`` is a translatable message id."""

    field: str
    reason: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:  # pragma: no cover - repr helper
        return f"{self.field}: {self.reason}"


@dataclass
class GuardFailed(DeskError):
    """A stage cannot be left: required MOT items are still open."""

    stage: str
    items: list  # list[ItemStatus] from desk.domain.checklist

    def __str__(self) -> str:
        return f"{self.stage}: open " + ", ".join(s.item.id for s in self.items)


@dataclass
class NotAllowed(DeskError):
    """The signed-in user's roles do not allow this action."""

    action: str
    reason: str = ""

    def __str__(self) -> str:
        return f"not allowed: {self.action} {self.reason}".strip()


@dataclass
class InvalidTransition(DeskError):
    """The visit's life cycle has no such arrow from its current stage."""

    stage: str
    action: str

    def __str__(self) -> str:
        return f"cannot {self.action} from {self.stage}"


@dataclass(frozen=True)
class OnFile:
    """A phone or plate typed for a new customer that is already on file:
    whose it is (and, for a plate, which car)."""

    field: str  # "phone" or "plate"
    value: str
    customer_id: int
    customer_name: str
    vehicle_id: int | None = None


@dataclass
class AlreadyOnFile(DeskError):
    """A new customer's phone or plate already belongs to a customer: nothing was
    saved; the user chooses that customer, or a new one with a reason."""

    matches: list[OnFile]

    def __str__(self) -> str:
        return "on file: " + ", ".join(f"{m.field} of customer {m.customer_id}" for m in self.matches)

    def customers(self) -> dict[int, str]:
        """The customers named, in order: id -> name."""
        return {m.customer_id: m.customer_name for m in self.matches}


class StaleEdit(DeskError):
    """The record changed on another terminal since it was read.

    ``by``, ``at`` and ``what`` name the other terminal's change (the visit's latest
    audit event) when it is known, so the advisor sees what happened before reloading;
    ``change`` is that event as :class:`desk.domain.stale.OtherChange` (what it
    wrote, to say in words); ``changes``: every change the reader had not seen,
    oldest first (``change`` the last of them). ``current``: the record's version now (a ``VisitRef``,
    a ``ComplaintRef``, a setting's version), for a save on top of it when the user
    asks for one.
    """

    def __init__(
        self, message: str = "", *, by: str = "", at=None, what: str = "", change=None, current=None, changes=()
    ) -> None:
        super().__init__(message)
        self.by = by
        self.at = at
        self.what = what
        self.change = change
        self.changes = tuple(changes) or ((change,) if change is not None else ())
        self.current = current


class StoreUnavailable(DeskError):
    """The database cannot be used (locked, read-only, missing, corrupt…).

    ``reason`` is an English message id, translated with ``params`` by the UI.
    """

    def __init__(self, reason: str, params: dict | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params or {}

    def __str__(self) -> str:
        return self.reason.format(**self.params) if self.params else self.reason


class StoreBusy(StoreUnavailable):
    """The database is healthy but in use: another terminal is writing, or holds
    it for something that needs it alone (a restore, a journal switch). The
    caller waits and tries again; it never offers a restore for this.

    ``holders``: who has it open, as shown to a user (may be empty)."""

    def __init__(self, reason: str, params: dict | None = None, *, holders: tuple[str, ...] = ()) -> None:
        super().__init__(reason, params)
        self.holders = tuple(holders)


class StandardRefused(StoreUnavailable):
    """A store of a dealer group wrote to head office's standard (refused by the
    database itself: desk.store.group). Said as the refusal it is, not as a fault."""


class StoreDamaged(StoreUnavailable):
    """The file is a damaged database: restoring a backup is the way out."""


class StoreNotAShop(StoreUnavailable):
    """The file is not a desk database (empty, not SQLite, another program's
    SQLite, a newer schema). ``can_initialise``: an empty file (0 bytes or a
    SQLite database without tables) may be made into a new shop, when asked."""

    def __init__(self, reason: str, params: dict | None = None, *, can_initialise: bool = False) -> None:
        super().__init__(reason, params)
        self.can_initialise = can_initialise
