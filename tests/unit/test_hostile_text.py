"""Hostile text through every service that takes text: checked once, at the
service boundary, by the field's specification (desk.domain.fields), whoever
calls it; and by the store's last check (desk.store.text_guard) for what comes
without one. Nothing with an escape sequence, a control character or a bidi
override is ever stored; 10,000 characters are refused in words, never cut.

Was: the checklist service stored a reason unchecked (ESC, BEL, NUL, 10,000
characters), which the checklist then drew raw: opening the visit cleared the
terminal and set its title."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

import desk.services as services_pkg
from desk.domain.checklist import MarkKind
from desk.domain.entities import Severity
from desk.domain.errors import InvalidInput
from desk.domain.validate import without_controls
from desk.services.context import Service
from desk.store.models import AuditEventRow, CustomerRow, ReminderRow, VisitRow
from tests import flow

#: An OSC that sets the terminal's title, a clear-screen, NUL, BEL, a bidi override.
HOSTILE = "Ok \x1b]0;pwned\x07\x1b[2J\x00\x07\u202eyes\u202c"
CLEANED = "Ok yes"
LONG = "x" * 10_000

#: Parameters typed ``str`` that are not free text (ids, keys, choices, PINs,
#: a search, a file): each is checked against its own set of values.
NOT_TEXT = {
    "item_id",
    "kind",
    "job_id",
    "stage",
    "role",
    "key",
    "pin",
    "by_pin",
    "pins",
    "query",
    "encoding",
    "source",
    "choice",
    "channel",
    "tick",
    "severity",
    "end",
    "panel",
    # a database address (a dealer group's head office); the site's texts come
    # parsed (desk.domain.group.parse_site: tests/domain/test_group_sites.py)
    "hq_url",
}


def text_methods() -> set[str]:
    """Every public service method with a free-text parameter, as "Class.method"."""
    found = set()
    for info in pkgutil.iter_modules(services_pkg.__path__):
        module = importlib.import_module(f"desk.services.{info.name}")
        for cls in vars(module).values():
            if not (inspect.isclass(cls) and issubclass(cls, Service) and cls.__module__ == module.__name__):
                continue
            for name, fn in vars(cls).items():
                fn = fn.__func__ if isinstance(fn, (staticmethod, classmethod)) else fn
                if name.startswith("_") or not inspect.isfunction(fn):
                    continue
                params = inspect.signature(fn).parameters.values()
                if any("str" in str(p.annotation) and p.name not in NOT_TEXT for p in params):
                    found.add(f"{cls.__name__}.{name}")
    return found


def stored_controls(d) -> list[tuple[str, str, str]]:
    """Every (table, column, value) in the database holding what is never stored
    (the audit's JSON read back too)."""
    bad = []
    with d.ctx.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, sa.String)]
            if not cols:
                continue
            for row in conn.execute(sa.select(*cols)):
                for col, value in zip(cols, row, strict=True):
                    if not isinstance(value, str):
                        continue
                    texts = [value]
                    if table.name == "audit_event" and col.name in ("before", "after") and value:
                        texts = [json.dumps(json.loads(value), ensure_ascii=False)]
                    if any(without_controls(t, multiline=True)[0] != t for t in texts):
                        bad.append((table.name, col.name, value))
    return bad


# ----------------------------------------------------------------------------- drivers
# Each stores ``text`` through one service method, with what it needs set up
# first; it returns what the service stored, read back.


def _visit(shop, clock, stage="BOOKED"):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, stage)
    return vid


def _ref(shop, vid):
    return shop.desk.lifecycle.ref(vid)


def mark_reason(shop, clock, text):
    d = shop.desk
    vid = _visit(shop, clock)
    item = next(s.item.id for s in d.checklist.checklist(vid) if s.state.value == "open" and s.item.required)
    d.checklist.mark_item(shop.mgr, _ref(shop, vid), item, MarkKind.WAIVED, reason=text)
    return next(s.mark.reason for s in d.checklist.checklist(vid) if s.item.id == item)


def cancel_reason(shop, clock, text):
    vid = _visit(shop, clock)
    shop.desk.lifecycle.cancel(shop.sa, _ref(shop, vid), text)
    return _audited(shop, vid, "reason")


def rework_reason(shop, clock, text):
    vid = _visit(shop, clock, "QC")
    shop.desk.lifecycle.rework(shop.qc, _ref(shop, vid), text)
    return _audited(shop, vid, "reason")


def _audited(shop, vid, key):
    with shop.desk.ctx.engine.connect() as conn:
        afters = conn.execute(
            sa.text("SELECT after FROM audit_event WHERE visit_id = :v ORDER BY id DESC"), {"v": vid}
        ).scalars()
        return next(json.loads(a)[key] for a in afters if a and key in json.loads(a))


def assign_bay(shop, clock, text):
    vid = _visit(shop, clock, "IN_REPAIR")
    shop.desk.lifecycle.assign(shop.mgr, _ref(shop, vid), shop.tech.id, text)
    return _visit_row(shop, vid).bay


def _visit_row(shop, vid):
    with shop.desk.ctx.engine.connect() as conn:
        return conn.execute(sa.select(VisitRow.__table__).where(VisitRow.__table__.c.id == vid)).one()


def start_bay(shop, clock, text):
    d = shop.desk
    vid = _visit(shop, clock, "IN_REPAIR")
    line = d.lifecycle.visit_view(vid).lines[0]
    # a line is started in a technician's name by him only (issue 25)
    d.workshop.start_line(shop.tech, _ref(shop, vid), line.id, technician_id=shop.tech.id, bay=text)
    return _visit_row(shop, vid).bay


def progress_text(shop, clock, text):
    vid = _visit(shop, clock, "IN_REPAIR")
    shop.desk.workshop.progress_update(shop.sa, _ref(shop, vid), text)
    with shop.desk.ctx.engine.connect() as conn:
        return conn.execute(sa.text("SELECT text FROM progress_update WHERE visit_id = :v"), {"v": vid}).scalar_one()


def explanation(shop, clock, text):
    vid = _visit(shop, clock, "READY")
    shop.desk.delivery.explain_amount(shop.sa, _ref(shop, vid), text)
    return _visit_row(shop, vid).amount_explanation


def _paid_visit(shop, clock):
    from desk.domain.payment import PaymentDraft

    vid = _visit(shop, clock, "READY")
    shop.desk.settlement.pay(shop.sa, _ref(shop, vid), PaymentDraft.of(method="card", amount_cents=1000))
    return vid


def void_reason(shop, clock, text):
    vid = _paid_visit(shop, clock)
    payment = shop.desk.lifecycle.visit_view(vid).payments[0]
    shop.desk.settlement.void(shop.mgr, _ref(shop, vid), payment.id, text)
    return _audited(shop, vid, "reason")


def refund_reason(shop, clock, text):
    vid = _paid_visit(shop, clock)
    shop.desk.settlement.refund(shop.mgr, _ref(shop, vid), "card", 500, text)
    return _audited(shop, vid, "reason")


def reminder_outcome(shop, clock, text):
    d = shop.desk
    vid = flow.book(shop, clock, minutes_ahead=26 * 60)
    with d.ctx.engine.connect() as conn:
        rid = (
            conn.execute(sa.select(ReminderRow.__table__.c.id).where(ReminderRow.__table__.c.visit_id == vid))
            .scalars()
            .first()
        )
    d.booking.complete_reminder(shop.sa, _ref(shop, vid), rid, text)
    with d.ctx.engine.connect() as conn:
        return conn.execute(sa.text("SELECT outcome FROM reminder WHERE id = :r"), {"r": rid}).scalar_one()


def complaint_summary(shop, clock, text):
    d = shop.desk
    vid = _visit(shop, clock)

    def run(session):
        return d.complaints.open_in(session, shop.sa, session.get(VisitRow, vid), Severity.ORDINARY, text)

    d.complaints._write(run)
    with d.ctx.engine.connect() as conn:
        return conn.execute(sa.text("SELECT summary FROM complaint WHERE visit_id = :v"), {"v": vid}).scalar_one()


def new_user(shop, clock, text):
    uid = shop.desk.people.create_user(shop.mgr, text, ["advisor"])
    return shop.desk.people.user(uid).name


def setup_user(shop, clock, text):
    uid = shop.desk.setup.add_user(shop.mgr, text, "advisor")
    return shop.desk.people.user(uid).name


def template_item(shop, clock, text):
    d = shop.desk
    item = d.setup.add_template_item(shop.mgr, stage="RECEPTION", en=text, zh=text)
    return _item_text(d, item)


def _item_text(d, item_id):
    with d.ctx.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT en FROM checklist_override WHERE item_id = :i"), {"i": item_id}
        ).scalar_one()


def shop_name(shop, clock, text):
    d = shop.desk
    d.setup.set_setting(shop.mgr, "shop_name", text, flow.setting_version(d, "shop_name"))
    d.setup.refresh_setup()
    return d.ctx.settings.shop_name


def acknowledged_by(shop, clock, text):
    d = shop.desk
    vid = _visit(shop, clock, "READY")
    d.handback.acknowledge(shop.sa, _ref(shop, vid), "out", text)
    return _visit_row(shop, vid).damage_ack_out_by


def flag_note(shop, clock, text):
    """No flag to accept on a fresh visit: the note is checked before that."""
    vid = _visit(shop, clock)
    with pytest.raises(InvalidInput) as refused:
        shop.desk.integrity.accept(shop.mgr, _ref(shop, vid), "no-such-flag", text)
    if refused.value.field == "flag":
        return CLEANED  # the note passed its spec; nothing was stored
    raise refused.value


def _last_after(shop, action: str) -> dict:
    with shop.desk.ctx.engine.connect() as conn:
        after = conn.execute(
            sa.select(AuditEventRow.__table__.c.after)
            .where(AuditEventRow.__table__.c.action == action)
            .order_by(AuditEventRow.__table__.c.id.desc())
            .limit(1)
        ).scalar_one()
    return json.loads(after)


def register_reason(shop, clock, text):
    """A new customer on a phone already on file, with the reason typed."""
    d = shop.desk
    d.people.register(
        shop.sa,
        d.people.customer_draft(name="李娜", phone="13812345678"),
        d.people.vehicle_draft(plate="沪B67890"),
        reason=text,
    )
    return _last_after(shop, "customer.create")["reason"]


def comeback_reason(shop, clock, text):
    """A comeback the data proposed, rejected with the reason typed."""
    d = shop.desk
    first = flow.book(shop, clock)
    flow.to_stage(shop, clock, first, "DELIVERED")
    clock.advance(days=10)
    again = flow.book(shop, clock, concerns=(("Brakes squeak again when braking", ("brake", "noise")),))
    d.comebacks.decide(shop.sa, _ref(shop, again), confirm=False, reason=text)
    return _visit_row(shop, again).comeback_reason


def customer_note(shop, clock, text):
    """A customer's details corrected: the note typed."""
    d = shop.desk
    ref, _details = d.people.customer_details(shop.customer)
    d.people.update_customer(shop.sa, ref, {"special_note": text})
    return d.people.customer_details(shop.customer)[1].special_note


# Draft builders: what they return is what the storing method takes.
def concern(shop, clock, text):
    return shop.desk.reception.concern(text).text


def finding(shop, clock, text):
    return shop.desk.reception.finding(text, "yellow").text


def damage_note(shop, clock, text):
    return shop.desk.handback.draft("bonnet", "scratch", text).note


def cause_note(shop, clock, text):
    return shop.desk.comebacks.draft("workmanship", text).note


def complaint_draft(shop, clock, text):
    return shop.desk.complaints.complaint("ordinary", text).summary


def signer(shop, clock, text):
    return shop.desk.handback.signer(text)


DRIVERS = {
    "ChecklistService.mark_item": mark_reason,
    "ChecklistService.mark_in": mark_reason,  # mark_item's transaction
    "LifecycleService.cancel": cancel_reason,
    "LifecycleService.rework": rework_reason,
    "LifecycleService.assign": assign_bay,
    "WorkshopService.start_line": start_bay,
    "WorkshopService.start_in": start_bay,  # start_line's transaction
    "WorkshopService.progress_update": progress_text,
    "DeliveryService.explain_amount": explanation,
    "SettlementService.void": void_reason,
    "SettlementService.refund": refund_reason,
    "BookingService.complete_reminder": reminder_outcome,
    "ComplaintService.open_in": complaint_summary,
    "ComplaintService.complaint": complaint_draft,
    "PeopleService.create_user": new_user,
    "SetupService.add_user": setup_user,
    "SetupService.add_template_item": template_item,
    "SetupService.set_setting": shop_name,
    "HandbackService.acknowledge": acknowledged_by,
    "HandbackService.signer": signer,
    "HandbackService.draft": damage_note,
    "IntegrityService.accept": flag_note,
    "ReceptionService.concern": concern,
    "ReceptionService.finding": finding,
    "ComebackService.draft": cause_note,
    "ComebackService.decide": comeback_reason,
    "PeopleService.register": register_reason,
    "PeopleService.update_customer": customer_note,
}


def test_every_service_method_that_takes_text_is_driven_here():
    """A new method with a text parameter joins DRIVERS (or NOT_TEXT, when its
    text is an id or a choice)."""
    assert text_methods() == set(DRIVERS)


@pytest.mark.parametrize("method", sorted(DRIVERS))
def test_hostile_text_is_cleaned_by_the_fields_spec_and_nothing_raw_is_stored(shop, clock, method):
    stored = DRIVERS[method](shop, clock, HOSTILE)
    assert stored == CLEANED
    assert stored_controls(shop.desk) == []


@pytest.mark.parametrize("method", sorted(DRIVERS))
def test_ten_thousand_characters_are_refused_in_words_never_cut(shop, clock, method):
    with pytest.raises(InvalidInput) as refused:
        DRIVERS[method](shop, clock, LONG)
    assert refused.value.reason == "Too long: {n} characters, at most {max}"
    assert refused.value.params["n"] == 10_000
    assert stored_controls(shop.desk) == []


def test_the_store_refuses_a_row_with_control_characters_whoever_wrote_it(shop):
    """A script that builds a row by hand, past every spec: refused at the flush,
    the column named; nothing of the transaction stored."""
    d = shop.desk

    def run(session):
        customer = session.get(CustomerRow, shop.customer)
        customer.special_note = "note\x1b]0;pwned\x07"

    with pytest.raises(InvalidInput) as refused:
        d.people._write(run)
    assert refused.value.field == "special_note"
    assert stored_controls(d) == []


def test_the_store_refuses_text_longer_than_its_column(shop):
    d = shop.desk

    def run(session):
        session.get(CustomerRow, shop.customer).special_note = "n" * 501

    with pytest.raises(InvalidInput) as refused:
        d.people._write(run)
    assert (refused.value.field, refused.value.params) == ("special_note", {"n": 501, "max": 500})
