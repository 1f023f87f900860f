"""Comebacks closed at the root (spec APPT-03 and "fix right first time").

A comeback (返修) is proposed by the data when the visit is booked
(``rules.comeback_of``: the same vehicle, a similar concern, within the window)
and decided by the advisor (:func:`check_decide`): confirmed with one key, the
visit is linked to its original and counts as a comeback; rejected, with a
reason, it counts as a visit of its own. Both are audited. Only a confirmed
comeback counts against the earlier technician's "fixed right first time".
At its QC the inspector records why the car came back: the diagnosis was wrong,
the workmanship, a part, the customer's use, or another reason, put down to the
technician of the original visit. QC-09 keeps the comeback from leaving QC
without it.

Fix right first time per technician counts each arrival against the technician
responsible for it: a comeback against the one its cause was put down to (the
original visit's), any other visit against its own technician.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from desk.domain import fields
from desk.domain.errors import InvalidInput
from desk.domain.process import Stage
from desk.i18n import N_


class Cause(StrEnum):
    DIAGNOSIS = "diagnosis"
    WORKMANSHIP = "workmanship"
    PART = "part"
    CUSTOMER_USE = "customer_use"
    OTHER = "other"


CAUSE_LABELS = {
    Cause.DIAGNOSIS: N_("diagnosis"),
    Cause.WORKMANSHIP: N_("workmanship"),
    Cause.PART: N_("part"),
    Cause.CUSTOMER_USE: N_("customer use"),
    Cause.OTHER: N_("other"),
}
#: A comeback whose cause is not recorded yet (the dashboard's own row).
NOT_RECORDED = ""
NOT_RECORDED_LABEL = N_("cause not recorded")


@dataclass(frozen=True)
class CauseDraft:
    """A comeback's cause as QC records it, checked (build it with :meth:`of`)."""

    cause: Cause
    note: str = ""

    @classmethod
    def of(cls, cause: Cause | str, note: str = "") -> CauseDraft:
        try:
            found = Cause(cause)
        except ValueError:
            raise InvalidInput("cause", "Unknown cause: {cause}", {"cause": cause}) from None
        return cls(found, fields.COMEBACK_NOTE.check(note))


def cause_label(cause: str) -> str:
    """The msgid naming ``cause`` ("" is "not recorded")."""
    return CAUSE_LABELS[Cause(cause)] if cause else NOT_RECORDED_LABEL


def check_record(stage: Stage | str, comeback_of_id: int | None) -> None:
    """A cause is recorded on a comeback, at its QC (later it is what QC said)."""
    if comeback_of_id is None:
        raise InvalidInput("cause", "This visit is not a comeback")
    if Stage(stage) != Stage.QC:
        raise InvalidInput("cause", "A comeback's cause is recorded at its QC")


def responsible(
    technician_id: int | None,
    comeback_of_id: int | None,
    cause_technician_id: int | None,
    original_technician_id: int | None,
) -> int | None:
    """The technician an arrival counts against for fix right first time: a
    comeback's recorded one (else its original visit's), any other visit's own."""
    if comeback_of_id is None:
        return technician_id
    return cause_technician_id if cause_technician_id is not None else original_technician_id


def cause_recorded(comeback_of_id: int | None, cause: str) -> bool:
    """QC-09: a comeback leaves QC with its cause recorded."""
    return comeback_of_id is None or bool(cause)


#: The advisor's decision on a proposed comeback.
CONFIRMED, REJECTED = "confirmed", "rejected"


@dataclass(frozen=True)
class Proposal:
    """A comeback the data proposes and nobody has decided yet: the original
    visit, its number, how many days before this visit it was, its concern."""

    original_id: int
    number: str
    days: int
    concern: str = ""


def open_proposal(proposed_id: int | None, decision: str) -> bool:
    """A proposed comeback waits for the advisor's decision."""
    return proposed_id is not None and not decision


def check_decide(proposed_id: int | None, decision: str, confirm: bool, reason: str, cause: str = "") -> str:
    """The advisor confirms or rejects a proposed comeback; a rejection says why
    (``fields.REASON``). A decision taken by mistake can be turned the other way
    with a reason, until QC has recorded the comeback's cause. Returns the reason
    as kept."""
    if proposed_id is None:
        raise InvalidInput("comeback", N_("No comeback is proposed for this visit"))
    wanted = CONFIRMED if confirm else REJECTED
    if decision == wanted:
        raise InvalidInput("comeback", N_("The comeback was already {decision}"), {"decision": decision})
    if decision and cause:
        raise InvalidInput(
            "comeback", N_("QC has recorded the comeback's cause; the decision can no longer be changed")
        )
    return "" if confirm and not decision else fields.REASON.check(reason)


def changeable(proposed_id: int | None, decision: str, cause: str = "") -> str:
    """Which decision the advisor can still take: "" none, CONFIRMED or REJECTED
    (the open proposal offers both: the screen asks ``open_proposal`` first)."""
    if proposed_id is None or not decision or cause:
        return ""
    return REJECTED if decision == CONFIRMED else CONFIRMED
