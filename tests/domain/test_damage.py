"""The car handed back as it came: the map at both ends, new damage and its
complaint's severity, the acknowledgements."""

from __future__ import annotations

from datetime import datetime

import pytest

from desk.domain import damage
from desk.domain.entities import Severity
from desk.domain.errors import InvalidInput

WALK = [{"panel": "front_bumper", "kind": "scratch"}, {"panel": "door_rear_left", "kind": "dent"}]


def test_stored_marks_are_read_and_unknown_or_damaged_ones_left_out():
    assert damage.marks('[{"panel": "roof", "kind": "dent"}, {"panel": "wing", "kind": "dent"}]') == [
        {"panel": "roof", "kind": "dent"}
    ]
    assert damage.marks("not json") == [] and damage.marks("") == [] and damage.marks('{"a": 1}') == []


def test_new_damage_is_noted_at_delivery_only_when_the_walkaround_map_lacks_it():
    damage.check_delivery_mark("READY", WALK, [], {"panel": "front_bumper", "kind": "dent"})
    with pytest.raises(InvalidInput, match="the car came so"):
        damage.check_delivery_mark("READY", WALK, [], {"panel": "front_bumper", "kind": "scratch"})
    with pytest.raises(InvalidInput, match="noted already"):
        damage.check_delivery_mark(
            "READY", WALK, [{"panel": "roof", "kind": "chip"}], {"panel": "roof", "kind": "chip"}
        )
    with pytest.raises(InvalidInput, match="at delivery"):
        damage.check_delivery_mark("QC", WALK, [], {"panel": "roof", "kind": "chip"})
    with pytest.raises(InvalidInput):
        damage.DamageDraft.of("tailgate", "scratch")
    assert damage.DamageDraft.of("roof", "chip", " by the aerial ").mark() == {
        "panel": "roof",
        "kind": "chip",
        "note": "by the aerial",
    }


@pytest.mark.parametrize(
    "new, expected",
    [
        ([{"panel": "boot", "kind": "scratch"}], Severity.ORDINARY),
        ([{"panel": "roof", "kind": "chip"}], Severity.ORDINARY),
        ([{"panel": "boot", "kind": "dent"}], Severity.MAJOR),
        ([{"panel": "bonnet", "kind": "crack"}], Severity.MAJOR),
        ([{"panel": "windscreen", "kind": "chip"}], Severity.MAJOR),
        ([{"panel": "boot", "kind": "scratch"}, {"panel": "roof", "kind": "scratch"}], Severity.MAJOR),
    ],
)
def test_the_complaint_about_new_damage_is_major_for_more_than_a_cosmetic_mark(new, expected):
    assert damage.severity(new) == expected


def test_the_map_shows_each_damaged_panel_with_what_was_noted_since_in_panel_order():
    rows = damage.damage_map(WALK, [{"panel": "bonnet", "kind": "scratch"}, {"panel": "front_bumper", "kind": "dent"}])
    assert [(r.panel, r.at_walkaround, r.since) for r in rows] == [
        ("front_bumper", ("scratch",), ("dent",)),
        ("bonnet", (), ("scratch",)),
        ("door_rear_left", ("dent",), ()),
    ]


def test_the_map_is_acknowledged_at_the_walkaround_once_checked_and_at_delivery():
    damage.check_acknowledge("in", "WALKAROUND", True)
    damage.check_acknowledge("out", "READY", False)
    with pytest.raises(InvalidInput, match="damage list first"):
        damage.check_acknowledge("in", "WALKAROUND", False)
    with pytest.raises(InvalidInput, match="at the walkaround and at delivery"):
        damage.check_acknowledge("out", "QC", True)
    assert damage.acknowledgement("", datetime(2026, 11, 2)) is None
    assert damage.acknowledgement("李伟", datetime(2026, 11, 2)).by == "李伟"
