"""The car handed back as it came: acknowledged at both ends, new damage at
delivery opening a complaint of the domain's severity in the same transaction."""

from __future__ import annotations

import json

import pytest

from desk.domain.errors import InvalidInput, StaleEdit
from tests import flow


def ready_with_a_scratch(shop, clock) -> int:
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "WALKAROUND")
    d.reception.record_walkaround(
        shop.sa,
        d.lifecycle.ref(vid),
        d.reception.readings(odometer_km=43000, fuel_eighths=4),
        damages=[{"panel": "front_bumper", "kind": "scratch"}],
        damage_confirmed=True,
    )
    d.handback.acknowledge(shop.sa, d.lifecycle.ref(vid), "in", d.handback.signer("李伟"))
    flow.tick_open(d, shop.sa, vid, skip={"WLK-09"})
    d.checklist.mark_item(shop.tech, d.lifecycle.ref(vid), "WLK-09", "done")
    d.lifecycle.advance(shop.sa, d.lifecycle.ref(vid))  # flow's walkaround would record no damage
    flow.to_stage(shop, clock, vid, "READY")
    return vid


def test_the_map_is_acknowledged_at_both_ends_audited(shop, clock):
    d = shop.desk
    vid = ready_with_a_scratch(shop, clock)
    saved = d.handback.acknowledge(shop.sa, d.lifecycle.ref(vid), "out", "李伟")
    v = d.lifecycle.visit_view(vid).visit
    assert (v.damage_ack_in_by, v.damage_ack_out_by, v.damage_ack_out_at) == ("李伟", "李伟", clock.now)
    assert v.damage_ack_in_at < v.damage_ack_out_at and saved.ref.version == v.version
    actions = [e.action for e in d.lifecycle.history(vid)]
    assert "damage.acknowledge_in" in actions and actions[-1] == "damage.acknowledge_out"
    with pytest.raises(InvalidInput):
        d.handback.acknowledge(shop.sa, d.lifecycle.ref(vid), "in", "李伟")  # not at delivery


def test_new_damage_at_delivery_opens_a_complaint_of_the_right_severity_at_once(shop, clock):
    d = shop.desk
    vid = ready_with_a_scratch(shop, clock)
    with pytest.raises(InvalidInput, match="the car came so"):
        d.handback.note_delivery_damage(shop.sa, d.lifecycle.ref(vid), d.handback.draft("front_bumper", "scratch"))
    assert d.complaints.complaints() == []
    ordinary = d.handback.note_delivery_damage(shop.sa, d.lifecycle.ref(vid), d.handback.draft("boot", "scratch"))
    major = d.handback.note_delivery_damage(
        shop.sa, d.lifecycle.ref(vid), d.handback.draft("door_front_left", "dent", "below the handle")
    )
    open_ = {c.id: c for c in d.complaints.complaints()}
    assert open_[ordinary.value].severity == "ordinary" and open_[major.value].severity == "major"
    assert "front left door" in open_[major.value].summary and "below the handle" in open_[major.value].summary
    v = d.lifecycle.visit_view(vid).visit
    assert [m["panel"] for m in json.loads(v.delivery_damages)] == ["boot", "door_front_left"]
    assert v.version == major.ref.version
    with pytest.raises(StaleEdit):
        d.handback.note_delivery_damage(shop.sa, ordinary.ref, d.handback.draft("roof", "chip"))


def test_damage_noted_after_the_customer_acknowledged_asks_for_the_acknowledgement_again(shop, clock):
    d = shop.desk
    vid = ready_with_a_scratch(shop, clock)
    d.handback.acknowledge(shop.sa, d.lifecycle.ref(vid), "out", "李伟")
    clock.advance(minutes=2)
    d.handback.note_delivery_damage(shop.sa, d.lifecycle.ref(vid), d.handback.draft("boot", "scratch"))
    v = d.lifecycle.visit_view(vid).visit
    assert (v.damage_ack_out_by, v.damage_ack_out_at) == ("", None)  # it was of the map without the boot
    assert v.damage_ack_in_by == "李伟"  # the walkaround's stands: the map then is unchanged
    noted = [e for e in d.lifecycle.history(vid) if e.action == "damage.delivery"][-1]
    assert json.loads(noted.before)["damage_ack_out_by"] == "李伟"
    d.handback.acknowledge(shop.sa, d.lifecycle.ref(vid), "out", "李伟")
    assert d.lifecycle.visit_view(vid).visit.damage_ack_out_at == clock.now
