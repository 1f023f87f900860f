"""The visit life cycle: every arrow of the spec's drawing, and every refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from desk.domain import process as proc
from desk.domain.entities import Approval, Availability, EstimateLine, LineKind
from desk.domain.errors import InvalidTransition
from desk.domain.process import Action, BoardStatus, Hold, Stage

SPEC_ARROWS = [
    (Stage.BOOKED, Action.ARRIVE, Stage.RECEPTION, True),
    (Stage.BOOKED, Action.CANCEL, Stage.CANCELLED, False),
    (Stage.BOOKED, Action.NO_SHOW, Stage.NO_SHOW, False),
    (Stage.RECEPTION, Action.ADVANCE, Stage.WALKAROUND, True),
    (Stage.WALKAROUND, Action.ADVANCE, Stage.ESTIMATE, True),
    (Stage.ESTIMATE, Action.ADVANCE, Stage.IN_REPAIR, True),
    (Stage.IN_REPAIR, Action.ADVANCE, Stage.QC, True),
    (Stage.QC, Action.ADVANCE, Stage.READY, True),
    (Stage.QC, Action.REWORK, Stage.IN_REPAIR, False),
    (Stage.READY, Action.ADVANCE, Stage.DELIVERED, True),
    (Stage.DELIVERED, Action.ADVANCE, Stage.FOLLOWED_UP, True),
]


@pytest.mark.parametrize("frm,action,to,guarded", SPEC_ARROWS)
def test_every_arrow_of_the_spec(frm, action, to, guarded):
    assert proc.target(frm, action) == (to, guarded)


def test_no_other_arrows_exist():
    allowed = {(f, a) for f, a, _, _ in SPEC_ARROWS}
    for stage in Stage:
        for action in Action:
            if (stage, action) in allowed:
                continue
            with pytest.raises(InvalidTransition):
                proc.target(stage, action)


def test_terminal_stages_have_no_way_out():
    for stage in proc.TERMINAL:
        assert proc.allowed_actions(stage) == []


def test_walk_in_starts_at_reception_and_main_line_order():
    assert proc.WALK_IN_START == Stage.RECEPTION
    for a, b in zip(proc.MAIN_LINE, proc.MAIN_LINE[1:]):
        assert proc.next_stage(a) == b
    assert proc.next_stage(Stage.FOLLOWED_UP) is None


def test_cancel_and_rework_need_a_reason():
    assert proc.NEEDS_REASON == {Action.CANCEL, Action.REWORK}


def _line(**kw):
    base = dict(kind=LineKind.LABOUR, description="x", qty=Decimal(1), unit_cents=100)
    base.update(kw)
    return EstimateLine(**base)


def test_hold_approval_wins_over_parts():
    pending = _line(approval=Approval.PENDING, added_in_repair=True)
    backorder = _line(kind=LineKind.PART, availability=Availability.BACK_ORDER)
    assert proc.hold([backorder]) == Hold.PARTS
    assert proc.hold([backorder, pending]) == Hold.APPROVAL
    assert proc.hold([_line()]) is None


def test_declined_lines_put_no_hold():
    declined = _line(approval=Approval.DECLINED, kind=LineKind.PART, availability=Availability.BACK_ORDER)
    assert proc.hold([declined]) is None


def test_board_status_follows_stage_and_lines():
    assert proc.board_status(Stage.BOOKED, []) is None
    assert proc.board_status(Stage.WALKAROUND, []) == BoardStatus.WAITING
    assert proc.board_status(Stage.IN_REPAIR, [_line()]) == BoardStatus.WAITING
    assert proc.board_status(Stage.IN_REPAIR, [_line(started=True)]) == BoardStatus.IN_WORK
    assert proc.board_status(Stage.IN_REPAIR, [_line(approval=Approval.PENDING)]) == BoardStatus.WAITING_APPROVAL
    assert (
        proc.board_status(Stage.IN_REPAIR, [_line(kind=LineKind.PART, availability=Availability.BACK_ORDER)])
        == BoardStatus.WAITING_PARTS
    )
    assert proc.board_status(Stage.QC, []) == BoardStatus.QC
    assert proc.board_status(Stage.QC, [], washing=True) == BoardStatus.WASHING
    assert proc.board_status(Stage.READY, []) == BoardStatus.READY
    assert proc.board_status(Stage.DELIVERED, []) == BoardStatus.DELIVERED
