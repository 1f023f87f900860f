"""Settlement at delivery (issue 29 item 2, DLV-13): payments with change, the
balance due ticking DLV-13 from the data, a delivery with a balance left is a
manager's, voids and refunds audited with a reason, and the invoice numbers
from one gapless sequence however many terminals take them at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from desk import filler
from desk.domain.checklist import MarkKind
from desk.domain.entities import Disposal
from desk.domain.errors import GuardFailed, InvalidInput, NotAllowed
from desk.domain.payment import INVOICE_SEQUENCE, Kind, PaymentDraft
from desk.store import repo
from desk.store.db import write_session
from tests import flow


def ready_visit(shop, clock) -> int:
    """A visit at delivery with everything done but the payment."""
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "READY")
    d.lifecycle.notify_ready(shop.sa, d.lifecycle.ref(vid))
    d.delivery.set_disposal(shop.sa, d.lifecycle.ref(vid), Disposal.TAKE_AWAY)
    d.delivery.agree_followup(
        shop.sa, d.lifecycle.ref(vid), d.delivery.agreement(clock.now + timedelta(hours=24), "phone")
    )
    flow.tick_open(d, shop.sa, vid)
    return vid


def dlv13(desk, vid):
    return next(s for s in desk.lifecycle.visit_view(vid).checklist if s.item.id == "DLV-13")


def test_two_payments_settle_the_visit_cash_gives_change_and_dlv13_ticks_itself(shop, clock):
    d = shop.desk
    vid = ready_visit(shop, clock)
    view = d.lifecycle.visit_view(vid)
    total = view.totals.total
    assert total > 10000 and view.balance == total and view.visit.invoice_no is None
    assert dlv13(d, vid).state == "open" and dlv13(d, vid).item.from_data
    left = d.settlement.pay(shop.sa, d.lifecycle.ref(vid), PaymentDraft.of(method="card", amount_cents=10000)).value
    assert left == total - 10000
    number = d.lifecycle.visit_view(vid).visit.invoice_no
    assert number is not None
    with pytest.raises(InvalidInput, match="balance due"):
        d.settlement.pay(shop.sa, d.lifecycle.ref(vid), PaymentDraft.of(method="cash", amount_cents=left + 1))
    with pytest.raises(InvalidInput, match="less than the amount"):
        PaymentDraft.of(method="cash", amount_cents=left, received_cents=left - 1)
    with pytest.raises(InvalidInput, match="Only cash"):
        PaymentDraft.of(method="card", amount_cents=left, received_cents=left + 100)
    cash = PaymentDraft.of(method="cash", amount_cents=left, received_cents=left + 1234)
    assert d.settlement.pay(shop.sa, d.lifecycle.ref(vid), cash).value == 0
    view = d.lifecycle.visit_view(vid)
    assert view.balance == 0 and view.paid == total and view.visit.invoice_no == number  # one invoice per visit
    assert [(p.method, p.amount_cents, p.change_cents, p.by) for p in view.payments] == [
        ("card", 10000, 0, "王丽"),
        ("cash", left, 1234, "王丽"),
    ]
    assert dlv13(d, vid).state == "done" and dlv13(d, vid).by_data
    with pytest.raises(InvalidInput, match="Nothing is due"):
        d.settlement.pay(shop.sa, d.lifecycle.ref(vid), PaymentDraft.of(method="card", amount_cents=1))
    d.lifecycle.advance(shop.sa, d.lifecycle.ref(vid))
    assert d.lifecycle.visit_view(vid).visit.stage == "DELIVERED"
    taken = [e for e in d.lifecycle.history(vid) if e.action == "payment.take"]
    assert len(taken) == 2 and '"change_cents": 1234' in taken[1].after and f'"invoice_no": {number}' in taken[1].after


def test_a_balance_left_is_refused_for_an_advisor_and_let_go_by_a_manager_audited(shop, clock):
    d = shop.desk
    vid = ready_visit(shop, clock)
    total = d.lifecycle.visit_view(vid).totals.total
    d.settlement.pay(shop.sa, d.lifecycle.ref(vid), PaymentDraft.of(method="wechat", amount_cents=5000))
    with pytest.raises(NotAllowed) as refused:
        d.lifecycle.advance(shop.sa, d.lifecycle.ref(vid))
    assert refused.value.action == "deliver with a balance due"
    assert d.lifecycle.visit_view(vid).visit.stage == "READY"
    # another item open as well: the guard names both, nobody is asked to let a balance go
    d.delivery.set_disposal(shop.sa, d.lifecycle.ref(vid), Disposal.SHOP_DISPOSES)
    d.checklist.mark_item(shop.sa, d.lifecycle.ref(vid), "DLV-07", MarkKind.UNDONE, "not yet")
    with pytest.raises(GuardFailed) as guard:
        d.lifecycle.advance(shop.mgr, d.lifecycle.ref(vid))
    assert {s.item.id for s in guard.value.items} == {"DLV-07", "DLV-13"}
    d.checklist.mark_item(shop.sa, d.lifecycle.ref(vid), "DLV-07", MarkKind.DONE)
    d.lifecycle.advance(shop.mgr, d.lifecycle.ref(vid))
    view = d.lifecycle.visit_view(vid)
    assert view.visit.stage == "DELIVERED" and view.balance == total - 5000 and view.visit.invoice_no
    moved = [e for e in d.lifecycle.history(vid) if e.action == "visit.advance"][-1]
    assert moved.user_name == "周经理" and f'"balance_cents": {total - 5000}' in moved.after


def test_voids_and_refunds_are_a_managers_with_a_reason_and_audited(shop, clock):
    d = shop.desk
    vid = ready_visit(shop, clock)
    total = d.lifecycle.visit_view(vid).totals.total
    d.settlement.pay(shop.sa, d.lifecycle.ref(vid), PaymentDraft.of(method="alipay", amount_cents=total))
    pay = d.lifecycle.visit_view(vid).payments[0]
    with pytest.raises(NotAllowed):
        d.settlement.void(shop.sa, d.lifecycle.ref(vid), pay.id, "wrong method")
    with pytest.raises(InvalidInput, match="reason"):
        d.settlement.void(shop.mgr, d.lifecycle.ref(vid), pay.id, "  ")
    d.settlement.void(shop.mgr, d.lifecycle.ref(vid), pay.id, "wrong method: was card")
    view = d.lifecycle.visit_view(vid)
    assert view.balance == total and view.payments[0].void_reason == "wrong method: was card"
    with pytest.raises(InvalidInput, match="void already"):
        d.settlement.void(shop.mgr, d.lifecycle.ref(vid), pay.id, "again")
    d.settlement.pay(shop.sa, d.lifecycle.ref(vid), PaymentDraft.of(method="card", amount_cents=total))
    with pytest.raises(InvalidInput, match="More than was paid"):
        d.settlement.refund(shop.mgr, d.lifecycle.ref(vid), "card", total + 1, "goodwill")
    d.settlement.refund(shop.mgr, d.lifecycle.ref(vid), "card", 1000, "goodwill: waited an hour")
    view = d.lifecycle.visit_view(vid)
    assert view.balance == 1000 and view.payments[-1].kind == Kind.REFUND
    actions = [(e.action, e.user_name) for e in d.lifecycle.history(vid) if e.action.startswith("payment.")]
    assert actions == [
        ("payment.take", "王丽"),
        ("payment.void", "周经理"),
        ("payment.take", "王丽"),
        ("payment.refund", "周经理"),
    ]
    ids = [e.entity_id for e in d.lifecycle.history(vid) if e.action.startswith("payment.")]
    assert ids == [pay.id, pay.id, view.payments[1].id, view.payments[2].id]


def test_the_invoice_sequence_is_gapless_under_two_terminals_with_failures(db_url, desk, clock):
    """Two terminals (two engines, two sessions each) take numbers at once; every
    third transaction fails after taking one. What was committed is 1..N, each once."""
    from desk.services import open_desk

    other = open_desk(db_url, clock=clock)
    taken: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    class Abort(Exception):
        pass

    def terminal(engine, n: int) -> None:
        for i in range(n):
            try:
                with write_session(engine) as session:
                    value = repo.next_number(session=session, name=INVOICE_SEQUENCE)
                    if i % 3 == 2:
                        raise Abort
                with lock:
                    taken.append(value)
            except Abort:
                pass
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    try:
        threads = [
            threading.Thread(target=terminal, args=(e, 30))
            for e in (desk.ctx.engine, other.ctx.engine, desk.ctx.engine, other.ctx.engine)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors
        assert sorted(taken) == list(range(1, len(taken) + 1)) and len(taken) == 80
    finally:
        other.ctx.engine.dispose()


def test_two_terminals_settling_two_visits_get_consecutive_invoice_numbers(db_url, shop, clock):
    from desk.services import open_desk

    d = shop.desk
    first, second = ready_visit(shop, clock), ready_visit(shop, clock)
    other = open_desk(db_url, clock=clock)
    try:
        results: dict[int, BaseException | None] = {}

        def settle(desk_, vid) -> None:
            try:
                filler.settle(desk_, shop.sa, vid)
                results[vid] = None
            except BaseException as exc:  # noqa: BLE001
                results[vid] = exc

        threads = [
            threading.Thread(target=settle, args=(d, first)),
            threading.Thread(target=settle, args=(other, second)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert results == {first: None, second: None}
        numbers = sorted(d.lifecycle.visit_view(v).visit.invoice_no for v in (first, second))
        assert numbers == [1, 2]
    finally:
        other.ctx.engine.dispose()


def test_takings_count_payments_less_refunds_without_voids():
    from datetime import datetime

    from desk.domain.payment import Method, Payment
    from desk.domain.takings import takings

    at = datetime(2026, 12, 7, 10, 0)

    def p(i, amount, kind=Kind.PAYMENT, void=False):
        return Payment(i, kind, Method.CARD, amount, at, voided_at=at if void else None)

    took = takings(
        [
            (1, p(1, 30000)),
            (1, p(2, 10001)),
            (2, p(3, 50000)),
            (2, p(4, 5000, Kind.REFUND)),
            (3, p(5, 99999, void=True)),
        ]
    )
    assert (took.revenue_cents, took.orders, took.average_cents) == (85001, 2, 42501)
    assert takings([]).average_cents is None


def test_desk_report_shows_revenue_and_average_order(shop, clock, db_url):
    import csv
    import io

    from click.testing import CliRunner

    from desk.__main__ import main

    d = shop.desk
    vid = ready_visit(shop, clock)
    total = d.lifecycle.visit_view(vid).totals.total
    filler.settle(d, shop.sa, vid)
    day = f"{clock.now:%Y-%m-%d}"
    result = CliRunner().invoke(main, ["--db", db_url, "report", "--from", day, "--to", day])
    assert result.exit_code == 0, result.output
    money = f"{total // 100:,}.{total % 100:02d}"
    assert f"Revenue: {money}" in result.output and f"Average order: {money}" in result.output
    result = CliRunner().invoke(main, ["--db", db_url, "report", "--from", day, "--to", day, "--csv", "-"])
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(result.output))}
    assert rows["revenue"]["value"] == money and rows["orders_paid"]["value"] == "1"
