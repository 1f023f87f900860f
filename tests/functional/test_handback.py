"""The car handed back as it came, comebacks closed at the root, declined work
that comes back: each by real keys."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from desk.shell.app import make_app
from desk.widgets.dialogs import PickDialog
from tests import flow
from tests.functional.pilot import wait_for
from tests.functional.test_checkin_lane import on
from tests.functional.test_two_terminals import Key, lines, two_terminals_walk
from tests.unit.test_carryover_service import declined_lines, declined_visit
from tests.unit.test_comeback_service import comeback_at_qc


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


async def test_a_declined_line_is_added_at_the_next_visit_with_one_key(shop, clock, db_url):
    _first, line = declined_visit(shop, clock)
    clock.advance(days=20)
    nxt = flow.book(shop, clock)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "AppointmentScreen")() and app.screen.offers)
        shown = text_of(app, "#earlier")
        assert "Declined on an earlier visit (1 line): r adds it" in shown
        assert "Front brake pad set" in shown and "420.00" in shown  # today's price, not the 390.00 declined
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "AppointmentScreen")() and app.screen.offers == [])
        assert text_of(app, "#earlier").strip() == ""
        assert app.screen.check_action("earlier_work", ()) is False  # r goes: nothing left to add
    [added] = [ln for ln in shop.desk.lifecycle.visit_view(nxt).lines if ln.carried_from_id == line]
    assert (added.description, added.unit_cents) == ("Front brake pad set", 42000)


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_declined_work_r_on_two_terminals(shop, clock, db_url):
    """r at the estimate on both terminals: B's stale add is refused and named,
    then B adds what is left; every declined line is carried exactly once."""
    carried: dict = {}

    def earlier_declined(shop, vid):
        _first, carried["lines"] = declined_lines(
            shop, clock, {"Wiper blades": 16800, "Cabin air filter": 8000, "Front brake pad set": 39000}
        )

    def carried_once(view) -> bool:
        return sorted(ln.carried_from_id for ln in view.lines if ln.carried_from_id) == sorted(carried["lines"])

    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "ESTIMATE",
        [
            # A picks the first line offered, B "All" (then all that is left)
            Key("declined earlier r", ("r",), picks={"a": (1,), "b": (0,)}, shows=lines, kept=carried_once),
        ],
        prepare=earlier_declined,
    )


async def test_a_comeback_cause_recorded_at_qc_shows_per_technician_on_the_dashboard(shop, clock, db_url):
    from textual.widgets import DataTable, Input

    from desk.screens.dashboard import DashboardScreen
    from desk.widgets.dialogs import FormDialog

    first, again = comeback_at_qc(shop, clock)
    app = make_app(db_url=db_url, clock=clock, user_name="陈静")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "QCScreen")() and app.screen.original is not None)
        shown = text_of(app, "#comeback")
        assert "COMEBACK" in shown and "张强" in shown and "not recorded yet: b records it" in shown
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press("down", "enter")  # workmanship
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        app.screen.query_one("#f-note", Input).value = "Caliper pin not greased"
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: (
                on(app, "QCScreen")() and app.screen.original is not None and app.screen.original.cause == "workmanship"
            ),
        )
        assert "workmanship - 张强" in text_of(app, "#comeback")
        await pilot.press("escape")
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")())
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen) and app.screen.report is not None)
        table = app.screen.query_one(DataTable)
        keys = [r.measure.key for r in app.screen.report.rows]
        row = keys.index(f"frft.tech.{shop.tech.id}")
        assert str(table.get_row_at(row)[0]) == "Fixed right first time: 张强"
        cause = keys.index("comeback.cause.workmanship")
        assert str(table.get_row_at(cause)[0]) == "Comebacks by cause: workmanship"
        table.move_cursor(row=cause)
        await pilot.press("enter")  # the visits behind it: the comeback, with its original and technician
        await wait_for(pilot, lambda: not isinstance(app.screen, DashboardScreen) and getattr(app.screen, "rows", None))
        listed = app.screen.query_one(DataTable)
        cells = " ".join(str(c) for c in listed.get_row_at(0))
        assert shop.desk.lifecycle.visit_view(again).visit.number in cells and "张强" in cells
    visit = shop.desk.lifecycle.visit_view(again).visit
    assert (visit.comeback_cause, visit.comeback_cause_note) == ("workmanship", "Caliper pin not greased")


async def test_new_damage_at_delivery_opens_a_major_complaint_and_the_customer_acknowledges(shop, clock, db_url):
    from textual.widgets import Input

    from desk.widgets.dialogs import FormDialog
    from tests.functional.pilot import record_notifications
    from tests.unit.test_handback_service import ready_with_a_scratch

    vid = ready_with_a_scratch(shop, clock)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "DeliveryScreen")() and app.screen.view is not None)
        shown = text_of(app, "#handback")
        assert "front bumper: scratch | -" in shown and "Acknowledged at the walkaround: 李伟" in shown
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await pilot.press(*["down"] * 9, "enter")  # 10 front left door
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog) and "Kind" in app.screen.title_text)
        await pilot.press("down", "enter")  # dent
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        app.screen.query_one("#f-note", Input).value = "below the handle"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("complaint" in n and "opened" in n for n in notes))
        await wait_for(pilot, lambda: on(app, "DeliveryScreen")() and "NEW: dent" in text_of(app, "#handback"))
        assert "front left door: - | NEW: dent" in text_of(app, "#handback")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: on(app, "DeliveryScreen")() and "Acknowledged at delivery: 李伟" in text_of(app, "#handback")
        )
    [complaint] = shop.desk.complaints.complaints()
    assert complaint.severity == "major" and "below the handle" in complaint.summary
    assert shop.desk.lifecycle.visit_view(vid).visit.damage_ack_out_by == "李伟"


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_comeback_cause_b_on_two_terminals(shop, clock, db_url):
    first = flow.book(shop, clock)
    flow.to_stage(shop, clock, first, "DELIVERED")
    clock.advance(days=10)  # the same complaint again: the walk's visit is proposed as a comeback, confirmed
    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "QC",
        [
            Key(
                "comeback cause b",
                ("b",),
                picks={"a": (0,), "b": (1,)},
                typed={"a": {"note": "Wrong fault found"}, "b": {"note": "Pin not greased"}},
                shows=lambda v: (v.visit.comeback_cause, v.visit.comeback_cause_note),
                kept=lambda v: (
                    (v.visit.comeback_cause, v.visit.comeback_cause_note) == ("workmanship", "Pin not greased")
                ),
            ),
        ],
        prepare=lambda shop, vid: shop.desk.comebacks.decide(shop.sa, shop.desk.lifecycle.ref(vid), confirm=True),
    )


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_walkaround_acknowledge_a_on_two_terminals(shop, clock, db_url):
    def checked(shop, vid):
        d = shop.desk
        d.reception.record_walkaround(
            shop.sa, d.lifecycle.ref(vid), None, damages=[{"panel": "roof", "kind": "chip"}], damage_confirmed=True
        )

    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "WALKAROUND",
        [
            Key(
                "acknowledge a",
                ("a",),
                typed={"a": {"signer": "李伟"}, "b": {"signer": "李芳"}},
                shows=lambda v: v.visit.damage_ack_in_by,
                kept=lambda v: v.visit.damage_ack_in_by == "李芳",
            ),
        ],
        prepare=checked,
    )


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
async def test_delivery_damage_d_and_acknowledge_a_on_two_terminals(shop, clock, db_url):
    def marks(view):
        return view.visit.delivery_damages

    await two_terminals_walk(
        shop,
        clock,
        db_url,
        "READY",
        [
            Key(
                "new damage d",
                ("d",),
                picks={"a": (0, 0), "b": (2, 1)},
                typed={"a": {"note": "near the plate"}, "b": {"note": "by the aerial"}},
                shows=marks,
                kept=lambda v: (
                    v.visit.delivery_damages.count("panel") == 2 and len(shop.desk.complaints.complaints()) == 2
                ),
            ),
            Key(
                "acknowledge a",
                ("a",),
                typed={"a": {"signer": "李伟"}, "b": {"signer": "李芳"}},
                shows=lambda v: v.visit.damage_ack_out_by,
                kept=lambda v: v.visit.damage_ack_out_by == "李芳",
            ),
        ],
    )


async def test_the_follow_up_form_offers_the_channel_the_customers_note_asks_for(shop, clock, db_url):
    from textual.widgets import Input

    from desk.widgets.dialogs import FormDialog

    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "READY")
    d = shop.desk
    ref, _draft = d.people.customer_details(shop.customer)
    d.people.update_customer(shop.sa, ref, {"special_note": "Prefers WeChat messages"})
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: on(app, "AppointmentsScreen")() and app.screen.rows)
        await pilot.press("enter")
        await wait_for(pilot, lambda: on(app, "DeliveryScreen")() and app.screen.view is not None)
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        form = app.screen
        await wait_for(pilot, lambda: form.query("#f-channel") and form.query_one("#f-channel", Input).value)
        assert form.query_one("#f-channel", Input).value == "wechat"
        form.query_one("#f-at", Input).focus()
        await pilot.press(*"tomorrow 10:00", "enter", "enter")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).visit.followup_agreed_at is not None)
    assert d.lifecycle.visit_view(vid).visit.followup_channel == "wechat"
