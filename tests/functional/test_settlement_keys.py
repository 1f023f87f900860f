"""Settlement at delivery by keys (issue 29 item 2, DLV-13): two payments settle
the visit; f8 with a balance left asks an advisor for a manager; a late payment
form is refused in words."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from desk.domain.payment import PaymentDraft
from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog
from tests.functional.pilot import record_notifications, screen_name, wait_for
from tests.functional.test_checkin_lane import on
from tests.unit.test_settlement import ready_visit


def shown(app) -> str:
    return str(app.screen.query_one("#settlement", Static).render())


async def open_delivery(pilot, app) -> None:
    await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
    await pilot.press("enter")
    await wait_for(pilot, lambda: on(app, "DeliveryScreen")() and app.screen.view is not None)


async def pay(pilot, app, method: str, amount: str | None, received: str = "") -> None:
    """p, then the method, the amount (None: the balance offered) and the cash received."""
    count = len(app.screen.view.payments)
    await pilot.press("p")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    await pilot.press("backspace", method, "tab")
    if amount is not None:
        await pilot.press("ctrl+u", *amount)
    await pilot.press("tab", *received, "enter")
    await wait_for(pilot, lambda: on(app, "DeliveryScreen")() and len(app.screen.view.payments) == count + 1)


async def test_two_payments_by_keys_settle_and_f8_with_a_balance_asks_an_advisor_for_a_manager(shop, clock, db_url):
    vid = ready_visit(shop, clock)
    total = shop.desk.lifecycle.visit_view(vid).totals.total
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await open_delivery(pilot, app)
        assert "Balance due" in shown(app) and "no invoice number yet" in shown(app)
        await pay(pilot, app, "2", "100")  # card
        assert "card ¥100.00" in shown(app) and "invoice 000001" in shown(app)
        # f8 with the balance left: not the advisor's; a manager is asked, Escape: nobody lets it go
        await pilot.press("f8")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval")
        assert "deliver with a balance due" in str(app.screen.query_one("#approval-action").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: on(app, "DeliveryScreen")())
        assert shop.desk.lifecycle.visit_view(vid).visit.stage == "READY"
        # the rest in cash, with ¥50 over: the change is said
        left = total - 10000
        await pay(pilot, app, "1", None, received=f"{(left + 5000) / 100:.2f}")
        await wait_for(pilot, lambda: "settled" in shown(app))
        assert "change ¥50.00" in shown(app) and "Give ¥50.00 change" in notes
        await pilot.press("f8")
        await wait_for(pilot, lambda: shop.desk.lifecycle.visit_view(vid).visit.stage == "DELIVERED")
    view = shop.desk.lifecycle.visit_view(vid)
    assert [(p.method, p.amount_cents, p.change_cents) for p in view.payments] == [
        ("card", 10000, 0),
        ("cash", left, 5000),
    ]
    assert view.balance == 0 and view.visit.invoice_no == 1


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_a_payment_form_opened_before_another_terminals_payment_is_refused_in_words(shop, clock, db_url):
    vid = ready_visit(shop, clock)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_delivery(pilot, app)
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        # meanwhile the other terminal takes a payment on the same visit
        shop.desk.settlement.pay(
            shop.mgr, shop.desk.lifecycle.ref(vid), PaymentDraft.of(method="card", amount_cents=1000)
        )
        await pilot.press("backspace", "2", "tab", "ctrl+u", *"50", "ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                app.screen is form
                and form.query("#stale")
                and "took a payment" in str(form.query_one("#stale", Static).render())
            ),
        )
        assert form.query_one("#f-amount_cents", Input).value == "50"
    assert len(shop.desk.lifecycle.visit_view(vid).payments) == 1


async def test_v_voids_a_payment_with_its_reason_and_an_advisor_asks_a_manager_for_it(shop, clock, db_url):
    from tests.functional.test_signin import cheap_pin

    cheap_pin(shop.desk, shop.mgr.id, "1357")
    vid = ready_visit(shop, clock)
    shop.desk.settlement.pay(shop.sa, shop.desk.lifecycle.ref(vid), PaymentDraft.of(method="alipay", amount_cents=5000))
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_delivery(pilot, app)
        await pilot.press("v")
        await wait_for(pilot, lambda: screen_name(app) == "PickDialog")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen_name(app) == "ReasonDialog")
        await pilot.press(*"typed twice", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval" and app.screen.query("#approval-managers"))
        await wait_for(pilot, lambda: app.screen.query_one("#approval-managers").option_count == 1)
        await pilot.press("enter", *"1357", "enter")
        await wait_for(pilot, lambda: on(app, "DeliveryScreen")() and "void: typed twice" in shown(app))
        assert "Paid: ¥0.00" in shown(app) and app.user.name == "王丽"  # the advisor stays signed in
    event = [e for e in shop.desk.lifecycle.history(vid) if e.action == "payment.void"][-1]
    assert event.user_name == "周经理" and "typed twice" in event.after


async def test_f6_prints_the_invoice_on_the_set_up_printer_from_the_shops_own_folder(
    shop, clock, db_url, tmp_path, monkeypatch
):
    import os

    from desk.output.files import printouts_folder
    from tests.flow import setting_version
    from tests.unit.test_printing import fake_lp

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    record = fake_lp(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    shop.desk.setup.set_setting(shop.mgr, "shop_printer", "Front_Desk", setting_version(shop.desk, "shop_printer"))
    vid = ready_visit(shop, clock)
    number = shop.desk.lifecycle.visit_view(vid).visit.number
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await open_delivery(pilot, app)
        await pilot.press("f6")
        await wait_for(pilot, lambda: "Sent to the printer Front_Desk" in notes)
    args = record.read_text().splitlines()
    assert args[:2] == ["-d", "Front_Desk"] and args[-2] == "--"
    sent = args[-1]
    assert sent.startswith(str(printouts_folder(db_url))) and f"{number}-invoice" in sent
