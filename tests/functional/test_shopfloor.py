"""The shop floor and hand-back by keyboard: added work approved, QC, delivery,
the follow-up call with a low score, the complaint closed; refusals; and a second
terminal's change reaching the progress board."""

from __future__ import annotations

import time
from decimal import Decimal

from textual.widgets import DataTable, Input, Static

from desk.app import make_app
from desk.screens.lobby import mask_plate, short_name
from desk.widgets.checklist import Checklist
from desk.widgets.dialogs import FormDialog, PickDialog
from tests import flow
from tests.functional.pilot import record_notifications, screen_name, wait_for


def on(app, name):
    return lambda: screen_name(app) == name and getattr(app.screen, "view", True) is not None


async def keys(pilot, *pressed):
    await pilot.press(*pressed)
    await wait_for(pilot, lambda: True)


async def fill_form(pilot, app, values: dict[str, str]) -> None:
    """Set the form's fields and save with Ctrl+S (typing is covered elsewhere)."""
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    for name, value in values.items():
        app.screen.query_one(f"#f-{name}", Input).value = value
    await keys(pilot, "ctrl+s")


async def tick_until_moved(pilot, app, name, limit=12):
    for _ in range(limit):
        await keys(pilot, "f8")
        if screen_name(app) != name:
            return
        await keys(pilot, "space")
    raise AssertionError(f"still on {name}")


async def test_added_work_qc_delivery_followup_complaint(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    shop.desk.assign(shop.mgr, vid, shop.tech.id, "B2")
    d = shop.desk
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await keys(pilot, "f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and app.screen.rows)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "WorkshopScreen"))
        # a finding during repair becomes a line waiting for approval
        await keys(pilot, "g")
        await fill_form(pilot, app, {"finding": "Rear discs worn below limit", "grade": "r", "kind": "p",
                                     "description": "Rear brake disc pair", "qty": "1", "unit_cents": "680"})
        await wait_for(pilot, lambda: d.visit_view(vid).hold == "approval")
        added = [ln for ln in d.visit_view(vid).lines if ln.added_in_repair][0]
        # starting it is refused while the customer has not approved
        await wait_for(pilot, lambda: app.screen.view is not None and len(app.screen.query_one("#work-lines").line_ids) == 3)
        table = app.screen.query_one("#work-lines", DataTable)
        table.focus()
        table.move_cursor(row=2)
        await keys(pilot, "s")
        await wait_for(pilot, lambda: any("not approved" in n for n in notes))
        assert not d.visit_view(vid).lines[2].started
        # the customer approves by phone
        await keys(pilot, "y")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await keys(pilot, "enter")  # approves
        await fill_form(pilot, app, {"channel": "2", "signer": "李伟", "reference": "+8613812345678"})
        await wait_for(pilot, lambda: d.visit_view(vid).hold is None)
        # every line done by the technician (picked, the manager is no technician)
        for row in range(3):
            await wait_for(pilot, on(app, "WorkshopScreen"))
            table = app.screen.query_one("#work-lines", DataTable)
            table.focus()
            table.move_cursor(row=row)
            if d.visit_view(vid).lines[row].is_done:
                continue
            await keys(pilot, "d")
            await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
            await keys(pilot, "enter")
            await wait_for(pilot, lambda r=row: d.visit_view(vid).lines[r].is_done)
        await keys(pilot, "u")
        await fill_form(pilot, app, {"text": "Discs replaced, car ready by 17:00"})
        app.screen.query_one(Checklist).focus()
        await tick_until_moved(pilot, app, "WorkshopScreen")
        # QC: the inspector is not the technician
        await wait_for(pilot, on(app, "QCScreen"))
        await tick_until_moved(pilot, app, "QCScreen")
        # delivery: tell the customer, old parts, follow-up agreed
        await wait_for(pilot, on(app, "DeliveryScreen"))
        await keys(pilot, "t")
        await keys(pilot, "o")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await keys(pilot, "enter")
        await keys(pilot, "c")
        await fill_form(pilot, app, {"at": "tomorrow 10:00", "channel": "phone"})
        await wait_for(pilot, lambda: d.visit_view(vid).visit.followup_agreed_at is not None)
        app.screen.query_one(Checklist).focus()
        await tick_until_moved(pilot, app, "DeliveryScreen")
        assert d.visit_view(vid).visit.stage == "DELIVERED"
        # follow-up call: reached, a low quality score opens a major complaint
        await keys(pilot, "f4")
        await wait_for(pilot, lambda: screen_name(app) == "FollowUpQueueScreen" and app.screen.rows)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "CallScreen"))
        await keys(pilot, "1")
        await fill_form(pilot, app, {"initiation": "4", "advisor": "5", "facility": "4", "pickup": "3",
                                     "quality": "1", "nps": "3", "comment": "Noise is back",
                                     "next_service_stated": "y"})
        await wait_for(pilot, lambda: any("complaint" in n for n in notes))
        app.screen.query_one(Checklist).focus()
        await tick_until_moved(pilot, app, "CallScreen")
        assert d.visit_view(vid).visit.stage == "FOLLOWED_UP"
        # the complaint: closing without a root cause is refused inline
        await keys(pilot, "f5")
        await wait_for(pilot, lambda: screen_name(app) == "ComplaintsScreen" and app.screen.rows)
        await keys(pilot, "c")
        await fill_form(pilot, app, {"root_cause": "", "remedy": "Free re-check", "closing_report": "Done"})
        assert isinstance(app.screen, FormDialog)
        assert "required" in str(app.screen.query_one("#e-root_cause", Static).render())
        await fill_form(pilot, app, {"root_cause": "Pads glazed", "remedy": "Free re-check, labour voucher",
                                     "closing_report": "Customer satisfied after the re-check"})
        await wait_for(pilot, lambda: screen_name(app) == "ComplaintsScreen" and not app.screen.rows)

    assert d.complaints() == []
    assert d.verify_audit() == []
    actions = [e.action for e in d.history(vid)]
    assert "added_work.approved" in actions and "complaint.close" in actions


async def test_progress_board_sees_another_terminal_within_a_second(shop, clock, db_url):
    from desk.services import open_desk

    ids = []
    for minutes in (30, 60):
        vid = flow.book(shop, clock, minutes_ahead=minutes)
        flow.to_stage(shop, clock, vid, "IN_REPAIR")
        ids.append(vid)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    other = open_desk(db_url, clock=clock)  # the second terminal
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await keys(pilot, "f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and len(app.screen.rows) == 2)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=1)
        chosen = app.screen.current_visit()
        other.assign(shop.mgr, ids[0], shop.tech2.id, "B9")
        start = time.monotonic()
        await wait_for(pilot, lambda: any(r.bay == "B9" for r in app.screen.rows), tries=2000)
        assert time.monotonic() - start < 1.5
        assert app.screen.current_visit() == chosen  # the cursor stayed on the same car
    other.engine.dispose()


def test_lobby_masks_personal_data():
    assert mask_plate("京A12345") == "京A***45"
    assert short_name("李伟") == "李*"
    assert short_name("Tom Becker") == "Tom"


async def test_lobby_view_shows_no_full_plate_or_name(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await keys(pilot, "f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and app.screen.rows)
        await keys(pilot, "l")
        await wait_for(pilot, lambda: screen_name(app) == "LobbyScreen" and app.screen.query_one(DataTable).row_count)
        cells = [str(c) for c in app.screen.query_one(DataTable).get_row_at(0)]
        assert "京A***45" in cells and "李*" in cells
        assert not any("京A12345" in c or "李伟" in c or "138" in c for c in cells)


async def test_finishing_an_unapproved_line_is_impossible(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    line = shop.desk.add_found_work(shop.tech, vid, finding="Wipers", grade="yellow", kind="part",
                                    description="Wiper blades", qty=Decimal(1), unit_cents=16800,
                                    availability="in_stock")
    app = make_app(db_url=db_url, clock=clock, user_name="张强")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await keys(pilot, "f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and app.screen.rows)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "WorkshopScreen"))
        await wait_for(pilot, lambda: len(app.screen.query_one("#work-lines").line_ids) == 3)
        table = app.screen.query_one("#work-lines", DataTable)
        table.focus()
        table.move_cursor(row=2)
        await keys(pilot, "d")
        await wait_for(pilot, lambda: any("not approved" in n for n in notes))
    assert not [ln for ln in shop.desk.visit_view(vid).lines if ln.id == line][0].is_done
