"""Shop set-up over a real database: stored settings beat desk.toml, changes are
audited old -> new, only a manager changes set-up, the standard stays protected."""

from __future__ import annotations

import json
from datetime import time
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from desk.domain.drafts import CannedJobDraft, CannedLineDraft
from desk.domain.entities import Role
from desk.domain.errors import InvalidInput, NotAllowed, StaleEdit
from desk.store.models import AuditEventRow
from tests.flow import setting_version


def events(desk, action: str) -> list[AuditEventRow]:
    with Session(desk.ctx.engine) as s:
        return list(s.exec(select(AuditEventRow).where(AuditEventRow.action == action)).all())


def test_a_stored_setting_beats_desk_toml_and_is_audited(shop, db_url, clock):
    from desk.config import Settings
    from desk.services import open_desk

    desk = shop.desk
    assert desk.ctx.schedule.slot_minutes == 30
    desk.setup.set_setting(shop.mgr, "slot_minutes", "20", setting_version(desk, "slot_minutes"))
    desk.setup.set_setting(shop.mgr, "amount_tolerance_pct", "2.5", setting_version(desk, "amount_tolerance_pct"))
    assert desk.ctx.schedule.slot_minutes == 20 and desk.ctx.policy.tolerance_pct == 2.5
    (event,) = events(desk, "setup.setting")[:1]
    assert json.loads(event.before) == {"slot_minutes": "30"}
    assert json.loads(event.after) == {"slot_minutes": "20"}
    assert event.user_name == "周经理"
    # another terminal, whose desk.toml says 15: the shop's value wins
    other = open_desk(db_url, clock=clock, settings=Settings(slot_minutes=15, shop_name="Terminal 2"))
    try:
        assert other.ctx.schedule.slot_minutes == 20
        view = {v.key: v for v in other.setup.shop_settings()}
        assert view["slot_minutes"].source == "shop" and view["slot_minutes"].value == 20
        assert view["shop_name"].source == "desk.toml" and view["shop_name"].value == "Terminal 2"
    finally:
        other.ctx.engine.dispose()


def test_only_a_manager_changes_set_up(shop):
    with pytest.raises(NotAllowed):
        shop.desk.setup.set_setting(shop.sa, "bays", "8", setting_version(shop.desk, "bays"))
    with pytest.raises(NotAllowed):
        shop.desk.setup.set_item_required(shop.sa, "RCP-03", True)
    with pytest.raises(NotAllowed):
        shop.desk.setup.add_user(shop.sa, "新人", "advisor")
    assert {v.key: v.value for v in shop.desk.setup.shop_settings()}["bays"] == 6
    assert events(shop.desk, "setup.setting") == []


def test_invalid_settings_write_nothing(shop):
    with pytest.raises(InvalidInput) as exc:
        shop.desk.setup.set_setting(shop.mgr, "closing_time", "07:00", setting_version(shop.desk, "closing_time"))
    assert exc.value.reason.startswith("Closing time")
    with pytest.raises(InvalidInput):
        shop.desk.setup.set_setting(
            shop.mgr, "amount_tolerance_pct", "-1", setting_version(shop.desk, "amount_tolerance_pct")
        )
    assert shop.desk.ctx.schedule.closing == time(18, 0)
    assert events(shop.desk, "setup.setting") == []


def test_a_stale_setting_edit_is_refused(shop):
    version = {v.key: v for v in shop.desk.setup.shop_settings()}["bays"].version
    shop.desk.setup.set_setting(shop.mgr, "bays", "8", version)
    with pytest.raises(StaleEdit):
        shop.desk.setup.set_setting(shop.mgr, "bays", "9", version)  # another terminal's old copy
    assert {v.key: v.value for v in shop.desk.setup.shop_settings()}["bays"] == 8


def test_checklist_template_changes_apply_and_protect_the_standard(shop):
    desk = shop.desk
    assert not desk.ctx.templates.get("RCP-03").required
    desk.setup.set_item_required(shop.mgr, "RCP-03", True)
    assert desk.ctx.templates.get("RCP-03").required
    new = desk.setup.add_template_item(
        shop.mgr, stage="RECEPTION", en="Offer the Wi-Fi password", zh="告知无线网络密码"
    )
    assert desk.ctx.templates.for_stage("RECEPTION")[-1].id == new == "OWN-01"
    with pytest.raises(InvalidInput):
        desk.setup.set_item_required(shop.mgr, "RCP-04", False)
    with pytest.raises(InvalidInput):
        desk.setup.delete_template_item(shop.mgr, "RCP-04")
    desk.setup.delete_template_item(shop.mgr, new)
    assert [i.id for i in desk.setup.template_items() if i.item.id == new] == []
    assert desk.ctx.templates.get("RCP-04").required
    assert len(events(desk, "setup.item_required")) == 1
    assert len(events(desk, "setup.item_delete")) == 1


def test_canned_jobs_added_edited_and_removed(shop):
    desk = shop.desk
    shipped = [j.id for j in desk.estimate.canned_jobs()]
    desk.setup.add_canned_job_def(shop.mgr, CannedJobDraft.of(job_id="wipers", en="Wiper blades", zh="更换雨刮片"))
    desk.setup.add_canned_line(
        shop.mgr,
        "wipers",
        CannedLineDraft.of(kind="part", description="Wiper blade pair", qty="1", unit_price="128.50"),
    )
    desk.setup.add_canned_line(
        shop.mgr, "wipers", CannedLineDraft.of(kind="labour", description="Fit wipers", qty="0.2", unit_price="180")
    )
    job = next(j for j in desk.estimate.canned_jobs() if j.id == "wipers")
    assert desk.setup.job_total_cents(job) == 12850 + 3600
    with pytest.raises(InvalidInput):
        desk.setup.add_canned_job_def(shop.mgr, CannedJobDraft.of(job_id="oil", en="Dup"))
    with pytest.raises(InvalidInput):
        desk.setup.add_canned_line(
            shop.mgr, "wipers", CannedLineDraft.of(kind="part", description="x", qty="1", unit_price="-3")
        )
    desk.setup.delete_canned_job(shop.mgr, "oil")
    assert [j.id for j in desk.estimate.canned_jobs()] == [j for j in shipped if j != "oil"] + ["wipers"]
    # the estimate uses the shop's jobs
    from tests import flow

    vid = flow.book(shop, shop.desk.ctx.clock)
    with pytest.raises(InvalidInput):
        desk.estimate.add_canned_job(shop.sa, desk.lifecycle.ref(vid), "oil")


def test_opening_checklist_once_per_day_per_shop(shop, clock):
    desk = shop.desk
    assert len(desk.setup.opening_open_items()) == 6
    desk.setup.tick_opening(shop.sa, "FAC-01")
    with pytest.raises(InvalidInput):
        desk.setup.tick_opening(shop.csr, "FAC-01")
    for item in desk.setup.opening_open_items():
        desk.setup.tick_opening(shop.sa, item)
    assert desk.setup.opening_open_items() == []
    view = desk.setup.opening_checklist()
    assert all(v.ticked and v.by == "王丽" for v in view)
    clock.advance(days=1)
    assert len(desk.setup.opening_open_items()) == 6


def test_users_and_roles(shop):
    desk = shop.desk
    uid = desk.setup.add_user(shop.mgr, "刘洋", "advisor")
    desk.setup.set_user_role(shop.mgr, uid, "foreman")
    assert desk.people.user(uid).roles == {Role.FOREMAN}
    desk.setup.set_user_active(shop.mgr, uid, False)
    assert not desk.people.user(uid).active
    with pytest.raises(InvalidInput):
        desk.setup.set_user_role(shop.mgr, shop.mgr.id, "advisor")  # the only manager
    with pytest.raises(InvalidInput):
        desk.setup.set_user_active(shop.mgr, shop.mgr.id, False)
    actions = [e.action for e in events(desk, "user.roles") + events(desk, "user.active")]
    assert actions == ["user.roles", "user.active"]


def test_a_tax_rate_changes_the_totals_and_the_invoice_label(shop):
    desk = shop.desk
    view = {v.key: v for v in desk.setup.shop_settings()}
    assert view["tax.VAT13"].value == 13 and "tax.NONE" not in view
    desk.setup.set_setting(shop.mgr, "tax.VAT13", "9", setting_version(desk, "tax.VAT13"))
    rule = desk.ctx.pricing.taxes["VAT13"]
    assert rule.rate == Decimal("0.09") and rule.label_en == "VAT 9%" and rule.label_zh == "增值税9%"
    with pytest.raises(InvalidInput) as exc:
        desk.setup.set_setting(shop.mgr, "tax.VAT13", "100", setting_version(desk, "tax.VAT13"))
    assert exc.value.reason == "A tax rate is below 100%"
    with pytest.raises(InvalidInput):
        desk.setup.set_setting(shop.mgr, "tax.GST", "5", setting_version(desk, "tax.GST"))  # no such tax code


def test_another_terminal_sees_the_change_after_a_refresh(shop, db_url, clock):
    from desk.services import open_desk

    other = open_desk(db_url, clock=clock)
    try:
        shop.desk.setup.set_setting(
            shop.mgr, "late_after_minutes", "10", setting_version(shop.desk, "late_after_minutes")
        )
        shop.desk.setup.set_item_required(shop.mgr, "RCP-02", True)
        assert other.ctx.policy.late_after_minutes == 15
        other.setup.refresh_setup()  # what the app does on a change notice from the database
        assert other.ctx.policy.late_after_minutes == 10
        assert other.ctx.templates.get("RCP-02").required
    finally:
        other.ctx.engine.dispose()


def test_a_shop_required_item_guards_the_visit(shop, clock):
    from desk.domain.checklist import MarkKind
    from desk.domain.errors import GuardFailed
    from tests import flow

    desk = shop.desk
    own = desk.setup.add_template_item(
        shop.mgr, stage="BOOKED", en="Confirm the pickup address", zh="确认取车地址", required=True
    )
    vid = flow.book(shop, clock)
    flow.tick_open(desk, shop.sa, vid, skip={own})
    with pytest.raises(GuardFailed) as exc:
        desk.lifecycle.arrive(shop.sa, desk.lifecycle.ref(vid))
    assert [s.item.id for s in exc.value.items] == [own]
    desk.checklist.mark_item(shop.sa, desk.lifecycle.ref(vid), own, MarkKind.DONE)
    desk.lifecycle.arrive(shop.sa, desk.lifecycle.ref(vid))
    assert desk.lifecycle.visit_view(vid).visit.stage == "RECEPTION"


def test_a_role_changed_on_another_terminal_is_not_overwritten_unseen(shop):
    """Two managers' role pickers open on the same user: A saves csr, B saves qc a
    moment later from what it showed before. B's is refused naming A's change
    (it overwrote it without a word: breaking test of issue 24)."""
    from desk.domain.entities import Role
    from desk.domain.errors import StaleEdit
    from desk.widgets.feedback import describe_error

    d = shop.desk
    seen = d.people.user(shop.tech.id).roles
    d.setup.set_user_role(shop.mgr, shop.tech.id, "csr", seen=seen)  # terminal A
    with pytest.raises(StaleEdit) as err:
        d.setup.set_user_role(shop.mgr, shop.tech.id, "qc", seen=seen)  # terminal B, opened before
    assert "周经理 set the role of 张强 to CSR" in describe_error(err.value)
    assert d.people.user(shop.tech.id).roles == frozenset({Role.CSR})
    d.setup.set_user_role(shop.mgr, shop.tech.id, "qc", seen=frozenset({Role.CSR}))  # on what is there now
    assert d.people.user(shop.tech.id).roles == frozenset({Role.QC})
