"""The estimate's field rules and price authority by keyboard, and the signed
amount on the Ready screen after a set-up change: the form's inline message is
the domain spec's, a price override asks for a manager, and a member discount
changed after signing leaves "Authorised" and the final amount as signed."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static

from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog
from tests import flow
from tests.flow import setting_version
from tests.functional.pilot import screen_name, wait_for
from tests.functional.test_checkin_lane import on, type_text
from tests.functional.test_signin import cheap_pin, type_pin
from tests.unit.test_signed_estimate import signed_member_visit


def error(app, name: str) -> str:
    return str(app.screen.query_one(f"#e-{name}", Static).render()).strip()


async def open_estimate(pilot, app) -> None:
    await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
    await pilot.press("enter")
    await wait_for(pilot, lambda: on(app, "EstimateScreen")() and app.screen.view is not None)


async def labour_form(
    pilot, app, description: str, price: str, *, discount: str = "0", warranty: str = "n", free: str = "n"
) -> None:
    """Press l and fill the labour form by typing, field by field; Enter on the last saves."""
    await pilot.press("l")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    await type_text(pilot, description)
    await pilot.press("tab", "tab")
    await type_text(pilot, price)
    for value in (discount, warranty, free):
        await pilot.press("tab", "end", "backspace")
        await type_text(pilot, value)
    await pilot.press("enter")
    await wait_for(pilot, lambda: True)


async def test_a_150_percent_discount_is_refused_in_the_form(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_estimate(pilot, app)
        await labour_form(pilot, app, "Brake check", "100", discount="150")
        await wait_for(pilot, lambda: error(app, "discount_pct") != "")
        assert isinstance(app.screen, FormDialog) and "100" in error(app, "discount_pct")
        # corrected in the same form: nothing typed is lost
        app.screen.query_one("#f-discount_pct", Input).value = "15"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: any(ln.description == "Brake check" for ln in shop.desk.lifecycle.visit_view(vid).lines)
        )
    line = next(ln for ln in shop.desk.lifecycle.visit_view(vid).lines if ln.description == "Brake check")
    assert line.discount_pct == 15 and line.unit_cents == 10000


async def test_free_and_warranty_by_an_advisor_asks_for_a_manager(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    before = len(shop.desk.lifecycle.visit_view(vid).lines)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_estimate(pilot, app)
        await labour_form(pilot, app, "Goodwill check", "100", warranty="y", free="y")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval")
        assert "Goodwill check" in str(app.screen.query_one("#approval-action").render())
        await pilot.press("escape")  # no manager at hand: nothing is written, the form is still there
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        assert app.screen.query_one("#f-description", Input).value == "Goodwill check"
    assert len(shop.desk.lifecycle.visit_view(vid).lines) == before


async def test_a_cent_for_catalogue_labour_asks_for_a_manager(shop, clock, db_url):
    d = shop.desk
    d.setup.set_setting(shop.mgr, "labour_rate_cents", "180", setting_version(d, "labour_rate_cents"))
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    before = len(d.lifecycle.visit_view(vid).lines)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_estimate(pilot, app)
        await labour_form(pilot, app, "Brake check", "0.01")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        # at the labour rate the advisor saves it alone
        app.screen.query_one("#f-unit_cents", Input).value = "180"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: len(d.lifecycle.visit_view(vid).lines) == before + 1)
    assert d.lifecycle.history(vid)[-1].user_name == "王丽"


async def test_the_ready_screen_shows_the_signed_amount_after_a_discount_change(shop, clock, db_url):
    d = shop.desk
    vid = signed_member_visit(shop, clock)
    d.setup.set_setting(shop.mgr, "member_discount_pct", "0", setting_version(d, "member_discount_pct"))
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await pilot.press("f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and len(app.screen.rows) == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "DeliveryScreen")() and app.screen.view is not None)
        await wait_for(pilot, lambda: "617.26" in str(app.screen.query_one("#amounts", Static).render()))
        amounts = str(app.screen.query_one("#amounts", Static).render())
    assert amounts.count("617.26") == 2 and "649.75" not in amounts and "0.00" not in amounts
    assert d.lifecycle.visit_view(vid).visit.id == vid


async def test_sign_is_greyed_until_the_estimate_has_a_line(shop, clock, db_url):
    """An empty estimate offers nothing to sign: ``s`` is dimmed and does nothing;
    the first line enables it, and its form carries the promised time."""
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")

    def sign_enabled() -> bool:
        return app.screen.active_bindings["s"].enabled

    async with app.run_test(size=(120, 40)) as pilot:
        await open_estimate(pilot, app)
        assert not sign_enabled()
        await pilot.press("s")
        await wait_for(pilot, lambda: True)
        assert not isinstance(app.screen, FormDialog)
        await labour_form(pilot, app, "Brake check", "100")
        await wait_for(pilot, lambda: on(app, "EstimateScreen")() and sign_enabled())
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        assert app.screen.query_one("#f-promised", Input).value  # the offered time, Enter takes it
    assert not shop.desk.lifecycle.visit_view(vid).authorised


async def change_line(pilot, app, **values: str) -> None:
    """Press c on the chosen line and type ``values`` over its fields (by name)."""
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    for name, value in values.items():
        app.screen.query_one(f"#f-{name}", Input).focus()
        await pilot.press("end", *["backspace"] * 12)
        await type_text(pilot, value)
    await pilot.press("ctrl+s")


async def test_a_catalogue_parts_quantity_or_tax_code_cut_by_keys_asks_for_a_manager(shop, clock, db_url):
    """Issue 25: an advisor billed a ¥420 catalogue part as ¥0.42 (quantity
    0.001) or took 13 % off with the tax code NONE, with no manager."""
    d = shop.desk
    cheap_pin(d, shop.mgr.id, "1357")
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "ESTIMATE")
    d.estimate.add_canned_job(shop.sa, d.lifecycle.ref(vid), "brake_pads")
    part = next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.description == "Front brake pad set")
    total = d.estimate.estimate_total(vid)

    def the_part():
        return next(ln for ln in d.lifecycle.visit_view(vid).lines if ln.id == part.id)

    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_estimate(pilot, app)
        await pilot.press("down")  # the labour line, then the part
        await wait_for(pilot, lambda: app.screen.selected_line() == part.id)
        await change_line(pilot, app, qty="0.001")
        await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval")
        assert "Front brake pad set" in str(app.screen.query_one("#approval-action").render())
        await pilot.press("escape")  # no manager: nothing written, what was typed is still there
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        assert app.screen.query_one("#f-qty", Input).value == "0.001"
        assert the_part().qty == 1 and d.estimate.estimate_total(vid) == total
        await pilot.press("escape")
        await wait_for(pilot, on(app, "EstimateScreen"))
        # the tax code NONE: 13 % off; the manager authorises it with the PIN
        await change_line(pilot, app, tax_code="NONE")
        await wait_for(
            pilot,
            lambda: (
                screen_name(app) == "ManagerApproval"
                and app.screen.query_one("#approval-managers", OptionList).option_count == 1
            ),
        )
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one("#approval-pin", Input).has_focus)
        await type_pin(pilot, "1357")
        await wait_for(pilot, lambda: on(app, "EstimateScreen")() and the_part().tax_code == "NONE")
    assert the_part().qty == 1
    assert d.lifecycle.history(vid)[-1].user_name == "周经理"  # the manager is the actor
