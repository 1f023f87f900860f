"""The MOT checklist engine: templates, item states, the guard, who may mark."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from desk.domain import checklist as ck
from desk.domain.checklist import ItemMark, ItemState, MarkKind
from desk.domain.entities import Concern, Customer, Finding, Grade, Role, User, Vehicle
from desk.domain.errors import GuardFailed, InvalidInput, NotAllowed
from desk.domain.rules import VisitFacts

NOW = datetime(2026, 11, 22, 10, 0)
SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec" / "mot-process.md"

ADVISOR = User(1, "Wang", frozenset({Role.ADVISOR}))
TECH = User(2, "Zhang", frozenset({Role.TECHNICIAN}))
QC = User(3, "Chen", frozenset({Role.QC}))
MANAGER = User(4, "Zhou", frozenset({Role.MANAGER}))


@pytest.fixture(scope="module")
def templates():
    return ck.load_templates()


def facts(**kw) -> VisitFacts:
    return VisitFacts(now=NOW, **kw)


def mark(item, kind=MarkKind.DONE, user=ADVISOR, reason=""):
    return ItemMark(item_id=item, kind=kind, by_user=user.id, at=NOW, reason=reason)


def test_templates_hold_every_item_of_the_spec(templates):
    ids = {i.id for i in templates.items}
    if SPEC.exists():  # the spec lives beside the repo in the workplace
        spec_ids = set(re.findall(r"^\| ((?:APPT|RCP|WLK|EST|REP|QC|DLV|FUP)-\d\d) \|", SPEC.read_text(), re.M))
        assert spec_ids and spec_ids <= ids, spec_ids - ids
    assert len(ids) == 71  # the spec's 70 and QC-09, a comeback's cause (issue 17)
    for item in templates.items:
        assert item.en and item.zh, item.id


def test_templates_use_the_words_of_the_source(templates):
    """The four-piece protection set (四件套) fitted at the walkaround is the one
    laid for a road test with the customer and taken off in front of them at
    delivery (it said three-piece there: one set, one name); the QC stage is 检验."""
    from desk.domain.process import STAGE_LABELS, Stage
    from desk.i18n import _, set_locale

    items = {i.id: i for i in templates.items}
    assert "四件套" in items["WLK-03"].zh and "four-piece protection set" in items["WLK-03"].en
    assert "四件套" in items["DLV-07"].zh and "four-piece protection set" in items["DLV-07"].en
    for road_test in (i for i in templates.items if i.when == "road_test_symptom"):
        assert "四件套" in road_test.zh and "four-piece protection set" in road_test.en, road_test.id
    assert not any("三件套" in i.zh or "three-piece" in i.en for i in templates.items)
    set_locale("zh")
    try:
        assert _(STAGE_LABELS[Stage.QC]) == "检验"
    finally:
        set_locale("en")


def test_unknown_rule_name_in_a_template_is_refused():
    with pytest.raises(ValueError, match="unknown check"):
        ck.parse_templates({"item": [{"id": "X-1", "stage": "BOOKED", "en": "a", "zh": "b", "check": "nope"}]})
    with pytest.raises(ValueError, match="duplicate"):
        ck.parse_templates(
            {"item": [{"id": "X", "stage": "S", "en": "a", "zh": "b"}, {"id": "X", "stage": "S", "en": "a", "zh": "b"}]}
        )


def test_guard_lists_every_open_required_item(templates):
    with pytest.raises(GuardFailed) as err:
        ck.guard(templates, "BOOKED", facts(), [])
    open_ids = {s.item.id for s in err.value.items}
    # customer not linked, no concern, notes not reviewed; not a comeback, not first visit
    assert open_ids == {"APPT-02", "APPT-04", "APPT-07"}


def test_guard_passes_when_data_present_and_manual_items_ticked(templates):
    f = facts(customer=Customer(1, "Li"), vehicle=Vehicle(1, 1), concerns=[Concern("noise")])
    ck.guard(templates, "BOOKED", f, [mark("APPT-07")])


def test_recommended_items_never_block(templates):
    statuses = ck.evaluate(templates, "RECEPTION", facts(concerns=[Concern("x", confirmed=True)]), [])
    assert not ck.missing(statuses)
    assert any(s.state == ItemState.OPEN and not s.item.required for s in statuses)


def test_conditional_item_applies_only_when_condition_holds(templates):
    red = facts(findings=[Finding("worn tyre", Grade.RED)])
    green = facts(findings=[Finding("ok", Grade.GREEN)])
    by_id = lambda f: {s.item.id: s for s in ck.evaluate(templates, "WALKAROUND", f, [])}
    assert by_id(red)["WLK-07"].blocking
    assert by_id(green)["WLK-07"].state == ItemState.NOT_APPLICABLE


def test_waiver_unblocks_and_is_recorded(templates):
    statuses = ck.evaluate(templates, "BOOKED", facts(), [mark("APPT-04", MarkKind.WAIVED, MANAGER, "phone booking")])
    s = {x.item.id: x for x in statuses}["APPT-04"]
    assert s.state == ItemState.WAIVED and s.mark.reason == "phone booking" and not s.blocking


def test_later_mark_wins(templates):
    statuses = ck.evaluate(
        templates, "BOOKED", facts(), [mark("APPT-07"), mark("APPT-07", MarkKind.NA, MANAGER, "no notes")]
    )
    assert {x.item.id: x for x in statuses}["APPT-07"].state == ItemState.NA


def test_data_item_cannot_be_ticked_by_hand(templates):
    with pytest.raises(InvalidInput):
        ck.check_mark(templates.get("APPT-04"), MarkKind.DONE, ADVISOR, "")


def test_a_data_item_is_waived_not_marked_not_applicable(templates):
    """A late follow-up call marked n.a. by a manager counted as "MOT kept without
    waiver" (breaking test of issue 26): a data item's applicability is its
    data's; skipping it is a waiver, and counted as one."""
    with pytest.raises(InvalidInput, match="waive it"):
        ck.check_mark(templates.get("FUP-01"), MarkKind.NA, MANAGER, "customer said no need")
    ck.check_mark(templates.get("FUP-01"), MarkKind.WAIVED, MANAGER, "customer said no need")


def test_waive_needs_reason_and_role(templates):
    item = templates.get("WLK-03")
    with pytest.raises(InvalidInput):
        ck.check_mark(item, MarkKind.WAIVED, MANAGER, "  ")
    with pytest.raises(NotAllowed):
        ck.check_mark(item, MarkKind.WAIVED, ADVISOR, "customer in a hurry")
    ck.check_mark(item, MarkKind.WAIVED, MANAGER, "customer in a hurry")


def test_na_on_required_item_needs_waive_role_but_not_on_recommended(templates):
    with pytest.raises(NotAllowed):
        ck.check_mark(templates.get("WLK-04"), MarkKind.NA, ADVISOR, "no valuables")
    ck.check_mark(templates.get("RCP-03"), MarkKind.NA, ADVISOR, "declined a drink")


def test_tick_needs_the_items_role(templates):
    with pytest.raises(NotAllowed):
        ck.check_mark(templates.get("QC-03"), MarkKind.DONE, ADVISOR, "")
    ck.check_mark(templates.get("QC-03"), MarkKind.DONE, QC, "")
    ck.check_mark(templates.get("QC-03"), MarkKind.DONE, MANAGER, "")


def test_inspector_must_not_be_the_technician_when_shop_has_another():
    item = ck.MotItem("QC-03", "QC", "a", "b", True, Role.QC, who=ck.NOT_TECHNICIAN)
    both = User(9, "Sole", frozenset({Role.QC, Role.TECHNICIAN}))
    with pytest.raises(NotAllowed):
        ck.check_mark(item, MarkKind.DONE, both, "", technician_ids={9}, shop_has_other_inspector=True)
    ck.check_mark(item, MarkKind.DONE, both, "", technician_ids={9}, shop_has_other_inspector=False)


def test_a_tick_is_withdrawn_with_a_reason_and_the_item_is_open_again(templates):
    item = templates.get("APPT-07")
    ticked = mark("APPT-07")
    statuses = ck.evaluate(
        templates, "BOOKED", facts(), [ticked, mark("APPT-07", MarkKind.UNDONE, ADVISOR, "ticked the wrong row")]
    )
    assert {x.item.id: x for x in statuses}["APPT-07"].state == ItemState.OPEN
    with pytest.raises(InvalidInput):  # a reason is required
        ck.check_mark(item, MarkKind.UNDONE, ADVISOR, " ", current=ticked)
    with pytest.raises(InvalidInput):  # nothing to withdraw
        ck.check_mark(item, MarkKind.UNDONE, ADVISOR, "mistake", current=None)
    ck.check_mark(item, MarkKind.UNDONE, ADVISOR, "mistake", current=ticked)


def test_the_same_mark_twice_is_refused(templates):
    item = templates.get("APPT-07")
    with pytest.raises(InvalidInput, match="already"):
        ck.check_mark(item, MarkKind.DONE, ADVISOR, "", current=mark("APPT-07"))
    ck.check_mark(item, MarkKind.DONE, ADVISOR, "", current=mark("APPT-07", MarkKind.UNDONE, ADVISOR, "x"))


def test_withdrawing_a_waiver_takes_a_manager(templates):
    waived = mark("WLK-03", MarkKind.WAIVED, MANAGER, "customer in a hurry")
    with pytest.raises(NotAllowed):
        ck.check_mark(templates.get("WLK-03"), MarkKind.UNDONE, ADVISOR, "came back", current=waived)
    ck.check_mark(templates.get("WLK-03"), MarkKind.UNDONE, MANAGER, "came back", current=waived)
