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


class StaleEdit(DeskError):
    """The record changed on another terminal since it was read.

    ``by``, ``at`` and ``what`` name the other terminal's change (the visit's latest
    audit event) when it is known, so the advisor sees what happened before reloading.
    """

    def __init__(self, message: str = "", *, by: str = "", at=None, what: str = "") -> None:
        super().__init__(message)
        self.by = by
        self.at = at
        self.what = what


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
