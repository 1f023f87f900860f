"""Clocking on a line not yet started starts it in the same transaction: a
refused clocking leaves the line unstarted, a refused start clocks nobody on."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from desk.domain.errors import InvalidInput
from tests import flow


def in_repair(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    lines = d.lifecycle.visit_view(vid).lines
    return vid, next(ln for ln in lines if ln.kind == "labour"), next(ln for ln in lines if ln.kind == "part")


def starts(d, vid) -> list[str]:
    return [e.action for e in d.lifecycle.history(vid) if e.action in ("line.start", "clock.on")]


def test_clocking_a_non_technician_on_an_unstarted_line_leaves_it_unstarted(shop, clock):
    d = shop.desk
    vid, labour, _part = in_repair(shop, clock)
    assert not labour.started
    with pytest.raises(InvalidInput, match="Not a technician"):
        d.clocking.clock(shop.mgr, d.lifecycle.ref(vid), labour.id, technician_id=shop.sa.id)
    after = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.id == labour.id)
    assert not after.started and starts(d, vid) == []
    assert d.clocking.on_now([vid]) in ({}, {vid: []})


def test_a_part_not_arrived_is_neither_started_nor_clocked(shop, clock):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "tyre_rotation")
    lid = d.estimate.add_line(
        shop.sa,
        d.lifecycle.ref(vid),
        d.estimate.draft(
            kind="part",
            description="Wiper set",
            qty=Decimal(1),
            unit_cents=16800,
            availability="back_order",
            eta=(clock.now + timedelta(days=2)).date(),
        ),
    ).value
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    with pytest.raises(InvalidInput, match="has not arrived"):
        d.clocking.clock(shop.tech, d.lifecycle.ref(vid), lid)
    assert not next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.id == lid).started
    assert starts(d, vid) == [] and d.clocking.on_now([vid]) in ({}, {vid: []})


def test_clocking_on_an_unstarted_line_starts_it_in_one_change(shop, clock):
    d = shop.desk
    vid, labour, _part = in_repair(shop, clock)
    before = d.lifecycle.ref(vid)
    saved = d.clocking.clock(shop.tech, before, labour.id)
    assert saved.value is True
    view = d.lifecycle.visit_view(vid)
    assert next(ln for ln in view.lines if ln.id == labour.id).started
    assert starts(d, vid) == ["line.start", "clock.on"]
    assert saved.ref.version == view.ref.version  # what the terminal holds is current: no stale edit next
    assert [o.technician for o in d.clocking.on_now([vid])[vid]] == [shop.tech.name]
