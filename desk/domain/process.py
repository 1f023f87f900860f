"""The visit's life cycle: stages, the arrows between them, holds and board status.

```
BOOKED --arrive--> RECEPTION --> WALKAROUND --> ESTIMATE --sign--> IN_REPAIR
   |                                                        (hold: PARTS / APPROVAL)
   +--no-show / cancel                                                 |
FOLLOWED_UP <-- DELIVERED <-- READY <-- QC <---------------------------+
```
A walk-in is created at RECEPTION. Which MOT items guard each arrow is the
checklist's business (:mod:`desk.domain.checklist`); this module only knows the
shape of the graph.
"""

from __future__ import annotations

from enum import StrEnum

from desk.domain.entities import Approval, Availability, LineKind
from desk.domain.errors import InvalidTransition
from desk.i18n import N_


class Stage(StrEnum):
    BOOKED = "BOOKED"
    RECEPTION = "RECEPTION"
    WALKAROUND = "WALKAROUND"
    ESTIMATE = "ESTIMATE"
    IN_REPAIR = "IN_REPAIR"
    QC = "QC"
    READY = "READY"
    DELIVERED = "DELIVERED"
    FOLLOWED_UP = "FOLLOWED_UP"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


STAGE_LABELS: dict[Stage, str] = {
    Stage.BOOKED: N_("Booked"),
    Stage.RECEPTION: N_("Reception"),
    Stage.WALKAROUND: N_("Walkaround"),
    Stage.ESTIMATE: N_("Estimate"),
    Stage.IN_REPAIR: N_("In repair"),
    Stage.QC: N_("QC"),
    Stage.READY: N_("Ready"),
    Stage.DELIVERED: N_("Delivered"),
    Stage.FOLLOWED_UP: N_("Followed up"),
    Stage.CANCELLED: N_("Cancelled"),
    Stage.NO_SHOW: N_("No-show"),
}

#: The main line of the process, in order.
MAIN_LINE: tuple[Stage, ...] = (
    Stage.BOOKED,
    Stage.RECEPTION,
    Stage.WALKAROUND,
    Stage.ESTIMATE,
    Stage.IN_REPAIR,
    Stage.QC,
    Stage.READY,
    Stage.DELIVERED,
    Stage.FOLLOWED_UP,
)

TERMINAL = frozenset({Stage.FOLLOWED_UP, Stage.CANCELLED, Stage.NO_SHOW})
#: Stages in which the car is at the shop (the progress board shows these).
IN_SHOP = frozenset({Stage.RECEPTION, Stage.WALKAROUND, Stage.ESTIMATE, Stage.IN_REPAIR, Stage.QC, Stage.READY})


class Action(StrEnum):
    ARRIVE = "arrive"
    ADVANCE = "advance"
    CANCEL = "cancel"
    NO_SHOW = "no_show"
    #: QC found the job not done right: back to the workshop (the reason is audited).
    REWORK = "rework"


#: (from, action) -> (to, guarded). A guarded arrow needs every required MOT item
#: of the stage being left to be done, not applicable or waived.
TRANSITIONS: dict[tuple[Stage, Action], tuple[Stage, bool]] = {
    (Stage.BOOKED, Action.ARRIVE): (Stage.RECEPTION, True),
    (Stage.BOOKED, Action.CANCEL): (Stage.CANCELLED, False),
    (Stage.BOOKED, Action.NO_SHOW): (Stage.NO_SHOW, False),
    (Stage.RECEPTION, Action.ADVANCE): (Stage.WALKAROUND, True),
    (Stage.WALKAROUND, Action.ADVANCE): (Stage.ESTIMATE, True),
    (Stage.ESTIMATE, Action.ADVANCE): (Stage.IN_REPAIR, True),
    (Stage.IN_REPAIR, Action.ADVANCE): (Stage.QC, True),
    (Stage.QC, Action.ADVANCE): (Stage.READY, True),
    (Stage.QC, Action.REWORK): (Stage.IN_REPAIR, False),
    (Stage.READY, Action.ADVANCE): (Stage.DELIVERED, True),
    (Stage.DELIVERED, Action.ADVANCE): (Stage.FOLLOWED_UP, True),
}

#: Actions that must carry a reason (it is written to the audit log).
NEEDS_REASON = frozenset({Action.CANCEL, Action.REWORK})

WALK_IN_START = Stage.RECEPTION

#: Stages in which the estimate itself may still be edited (before the customer signs).
EDITABLE = frozenset({Stage.BOOKED, Stage.RECEPTION, Stage.WALKAROUND, Stage.ESTIMATE})


def target(stage: Stage, action: Action) -> tuple[Stage, bool]:
    """Where ``action`` leads from ``stage`` and whether the arrow is guarded."""
    try:
        return TRANSITIONS[(Stage(stage), Action(action))]
    except KeyError:
        raise InvalidTransition(str(stage), str(action)) from None


def next_stage(stage: Stage) -> Stage | None:
    """The stage after ``stage`` on the main line (None at the end or off it)."""
    for (frm, action), (to, _) in TRANSITIONS.items():
        if frm == stage and action in (Action.ADVANCE, Action.ARRIVE):
            return to
    return None


def allowed_actions(stage: Stage) -> list[Action]:
    return [action for (frm, action) in TRANSITIONS if frm == stage]


class Hold(StrEnum):
    APPROVAL = "approval"
    PARTS = "parts"


def hold(lines) -> Hold | None:
    """The hold a visit in repair is on, derived from its lines.

    Waiting for approval wins over waiting for parts: nothing may be ordered or
    started for a line the customer has not approved (REP-04).
    """
    live = [ln for ln in lines if ln.approval != Approval.DECLINED]
    if any(ln.approval == Approval.PENDING for ln in live):
        return Hold.APPROVAL
    if any(ln.kind == LineKind.PART and ln.availability == Availability.BACK_ORDER for ln in live):
        return Hold.PARTS
    return None


class BoardStatus(StrEnum):
    WAITING = "waiting"
    IN_WORK = "in_work"
    WAITING_PARTS = "waiting_parts"
    WAITING_APPROVAL = "waiting_approval"
    QC = "qc"
    WASHING = "washing"
    READY = "ready"
    DELIVERED = "delivered"


BOARD_LABELS: dict[BoardStatus, str] = {
    BoardStatus.WAITING: N_("Waiting"),
    BoardStatus.IN_WORK: N_("In work"),
    BoardStatus.WAITING_PARTS: N_("Waiting parts"),
    BoardStatus.WAITING_APPROVAL: N_("Waiting approval"),
    BoardStatus.QC: N_("QC"),
    BoardStatus.WASHING: N_("Washing"),
    BoardStatus.READY: N_("Ready"),
    BoardStatus.DELIVERED: N_("Delivered"),
}


def board_status(stage: Stage, lines, *, washing: bool = False) -> BoardStatus | None:
    """The progress-board status of a visit (None when it is not on the board)."""
    if stage in (Stage.RECEPTION, Stage.WALKAROUND, Stage.ESTIMATE):
        return BoardStatus.WAITING
    if stage == Stage.IN_REPAIR:
        h = hold(lines)
        if h == Hold.APPROVAL:
            return BoardStatus.WAITING_APPROVAL
        if h == Hold.PARTS:
            return BoardStatus.WAITING_PARTS
        if any(ln.started or ln.is_done for ln in lines):
            return BoardStatus.IN_WORK
        return BoardStatus.WAITING
    if stage == Stage.QC:
        return BoardStatus.WASHING if washing else BoardStatus.QC
    if stage == Stage.READY:
        return BoardStatus.READY
    if stage in (Stage.DELIVERED, Stage.FOLLOWED_UP):
        return BoardStatus.DELIVERED
    return None
