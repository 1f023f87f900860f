"""The shop floor and hand-back by keyboard: added work approved, QC, delivery,
the follow-up call with a low score, the complaint closed; refusals; and a second
terminal's change reaching the progress board."""

from __future__ import annotations

import time
from decimal import Decimal

from textual.widgets import DataTable, Input, OptionList, Static

from desk.domain.privacy import mask_name, mask_plate
from desk.shell.app import make_app
from desk.widgets.checklist import Checklist
from desk.widgets.dialogs import FormDialog, PickDialog, ReasonDialog
from desk.widgets.open_items import OpenItemsDialog
from desk.widgets.survey import SurveyDialog
from tests import flow
from tests.functional.pilot import record_notifications, screen_name, wait_for
from tests.functional.test_signin import cheap_pin, type_pin


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


async def act_as(pilot, app, name: str, pin: str) -> None:
    """The ActAs dialog: pick ``name`` with the arrow keys, Enter, type the PIN."""
    await wait_for(
        pilot, lambda: screen_name(app) == "ActAs" and app.screen.query_one("#approval-users", OptionList).option_count
    )
    names = [u.name for u in app.screen.users]
    assert name in names, names
    await pilot.press(*["down"] * names.index(name), "enter")
    await wait_for(pilot, lambda: app.screen.query_one("#approval-pin", Input).has_focus)
    await type_pin(pilot, pin)


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
    shop.desk.lifecycle.assign(shop.mgr, shop.desk.lifecycle.ref(vid), shop.tech.id, "B2")
    d = shop.desk
    cheap_pin(d, shop.sa.id, "2468")
    cheap_pin(d, shop.tech.id, "3333")
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
        await fill_form(
            pilot,
            app,
            {
                "finding": "Rear discs worn below limit",
                "grade": "r",
                "kind": "p",
                "description": "Rear brake disc pair",
                "qty": "1",
                "unit_cents": "680",
            },
        )
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).hold == "approval")
        assert [ln.description for ln in d.lifecycle.visit_view(vid).lines if ln.added_in_repair] == [
            "Rear brake disc pair"
        ]
        # starting it is refused while the customer has not approved
        await wait_for(
            pilot, lambda: app.screen.view is not None and len(app.screen.query_one("#work-lines").line_ids) == 3
        )
        table = app.screen.query_one("#work-lines", DataTable)
        table.focus()
        table.move_cursor(row=2)
        await keys(pilot, "s")
        await wait_for(pilot, lambda: any("not approved" in n for n in notes))
        assert not d.lifecycle.visit_view(vid).lines[2].started
        # the customer approves by phone: recorded by an advisor, not by who found
        # the work (the manager typed the finding): 王丽 with her PIN
        await keys(pilot, "y")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await keys(pilot, "enter")  # approves
        await fill_form(pilot, app, {"channel": "2", "signer": "李伟", "reference": "+8613812345678"})
        await act_as(pilot, app, "王丽", "2468")
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).hold is None)
        # every line done by the technician, in his name with his PIN (the manager is no technician)
        for row in range(3):
            await wait_for(pilot, on(app, "WorkshopScreen"))
            table = app.screen.query_one("#work-lines", DataTable)
            table.focus()
            table.move_cursor(row=row)
            if d.lifecycle.visit_view(vid).lines[row].is_done:
                continue
            await keys(pilot, "d")
            await act_as(pilot, app, "张强", "3333")
            await wait_for(pilot, lambda r=row: d.lifecycle.visit_view(vid).lines[r].is_done)
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
        await wait_for(pilot, lambda: d.lifecycle.visit_view(vid).visit.followup_agreed_at is not None)
        app.screen.query_one(Checklist).focus()
        await tick_until_moved(pilot, app, "DeliveryScreen")
        assert d.lifecycle.visit_view(vid).visit.stage == "DELIVERED"
        # follow-up call: reached, a low quality score opens a major complaint
        await keys(pilot, "f4")
        await wait_for(pilot, lambda: screen_name(app) == "FollowUpQueueScreen" and app.screen.rows)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "CallScreen"))
        await keys(pilot, "1")
        await wait_for(pilot, lambda: isinstance(app.screen, SurveyDialog))
        # five factors by digit keys, then NPS and a comment typed
        await keys(pilot, "4", "5", "4", "3", "1", "tab")
        await keys(pilot, "3", "enter", *"Noise is back", "enter")
        await wait_for(pilot, lambda: any("complaint" in n for n in notes))
        await wait_for(pilot, lambda: "Complaint" in str(app.screen.query_one("#recap", Static).render()))
        app.screen.query_one(Checklist).focus()
        await tick_until_moved(pilot, app, "CallScreen")
        assert d.lifecycle.visit_view(vid).visit.stage == "FOLLOWED_UP"
        # the complaint: closing without a root cause is refused inline
        await keys(pilot, "f5")
        await wait_for(pilot, lambda: screen_name(app) == "ComplaintsScreen" and app.screen.rows)
        await keys(pilot, "c")
        await fill_form(pilot, app, {"root_cause": "", "remedy": "Free re-check", "closing_report": "Done"})
        assert isinstance(app.screen, FormDialog)
        assert "required" in str(app.screen.query_one("#e-root_cause", Static).render())
        await fill_form(
            pilot,
            app,
            {
                "root_cause": "Pads glazed",
                "remedy": "Free re-check, labour voucher",
                "closing_report": "Customer satisfied after the re-check",
            },
        )
        await wait_for(pilot, lambda: screen_name(app) == "ComplaintsScreen" and not app.screen.rows)

    assert d.complaints.complaints() == []
    assert d.reports.verify_audit() == []
    actions = [e.action for e in d.lifecycle.history(vid)]
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
        other.lifecycle.assign(shop.mgr, other.lifecycle.ref(ids[0]), shop.tech2.id, "B9")
        start = time.monotonic()
        await wait_for(pilot, lambda: any(r.bay == "B9" for r in app.screen.rows), tries=2000)
        assert time.monotonic() - start < 1.5
        assert app.screen.current_visit() == chosen  # the cursor stayed on the same car
    other.ctx.engine.dispose()


def test_lobby_masks_personal_data():
    assert mask_plate("京A12345") == "京A***45"
    assert mask_name("李伟") == "李*"
    assert mask_name("Tom Becker") == "T. B."


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


async def test_a_promise_for_another_day_shows_its_date_on_the_board_and_in_the_lobby(shop, clock, db_url):
    """Tomorrow's 10:00 read as today's on the boards (breaking test of issue 24)."""
    from datetime import timedelta

    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    tomorrow = (clock.now + timedelta(days=1)).replace(hour=10, minute=0)
    from desk.domain.estimate import Signature

    shop.desk.lifecycle.set_promised(
        shop.sa, shop.desk.lifecycle.ref(vid), tomorrow, approval=Signature.of(channel="in_person", signer="李伟")
    )
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await keys(pilot, "f3")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and app.screen.rows)
        table = app.screen.query_one(DataTable)
        assert str(table.get_cell_at((0, 6))) == f"{tomorrow:%m-%d} 10:00"
        await keys(pilot, "l")
        await wait_for(pilot, lambda: screen_name(app) == "LobbyScreen" and app.screen.query_one(DataTable).row_count)
        assert f"{tomorrow:%m-%d} 10:00" in [str(c) for c in app.screen.query_one(DataTable).get_row_at(0)]


def test_a_time_shows_its_date_on_any_other_day():
    from datetime import datetime

    from desk.widgets.when import at_text

    now = datetime(2026, 12, 7, 17, 34)
    assert at_text(datetime(2026, 12, 7, 9, 5), now) == "09:05"
    assert at_text(datetime(2026, 12, 8, 10, 0), now) == "12-08 10:00"
    assert at_text(None, now) == "-"


async def test_finishing_an_unapproved_line_is_impossible(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    line = shop.desk.workshop.add_found_work(
        shop.tech,
        shop.desk.lifecycle.ref(vid),
        finding=shop.desk.reception.finding("Wipers", "yellow"),
        line=shop.desk.estimate.draft(
            kind="part", description="Wiper blades", qty=Decimal(1), unit_cents=16800, availability="in_stock"
        ),
    ).value
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
    assert not [ln for ln in shop.desk.lifecycle.visit_view(vid).lines if ln.id == line][0].is_done


async def open_board(pilot, app, rows=1):
    await wait_for(pilot, on(app, "AppointmentsScreen"))
    await keys(pilot, "f3")
    await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and len(app.screen.rows) == rows)


async def test_board_move_refused_names_the_open_items_and_opens_the_visit(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_board(pilot, app)
        await keys(pilot, "f8")
        await wait_for(pilot, lambda: isinstance(app.screen, OpenItemsDialog))
        shown = str(app.screen.query_one("#open-items", Static).render())
        blocking = [s.item.id for s in shop.desk.checklist.checklist(vid) if s.blocking]
        assert blocking and all(item in shown for item in blocking)
        assert "REP-02" not in shown  # recommended items never block
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "WorkshopScreen"))
        await wait_for(pilot, lambda: app.screen.query_one(Checklist).current_item_id == blocking[0])
    assert shop.desk.lifecycle.visit_view(vid).visit.stage == "IN_REPAIR"


async def test_board_moves_a_car_whose_items_are_done(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "QC")
    shop.desk.checklist.mark_item(shop.tech, shop.desk.lifecycle.ref(vid), "QC-01", "done")
    flow.tick_open(shop.desk, shop.qc, vid)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await open_board(pilot, app)
        await keys(pilot, "f8")
        await wait_for(pilot, lambda: shop.desk.lifecycle.visit_view(vid).visit.stage == "READY")
        await wait_for(pilot, lambda: app.screen.rows and app.screen.rows[0].stage == "READY")
        assert any("moved to" in n for n in notes)


async def test_board_assigns_and_filters_by_technician(shop, clock, db_url):
    ids = []
    for minutes in (30, 60):
        vid = flow.book(shop, clock, minutes_ahead=minutes)
        flow.to_stage(shop, clock, vid, "IN_REPAIR")
        ids.append(vid)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_board(pilot, app, rows=2)
        table = app.screen.query_one(DataTable)
        table.move_cursor(row=1)
        target = app.screen.current_visit()
        await keys(pilot, "a")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        names = [label for _id, label in app.screen.choices]
        assert names == ["张强", "Mike Ross"]  # technicians only
        await keys(pilot, "down", "enter")
        await wait_for(pilot, lambda: shop.desk.lifecycle.visit_view(target).visit.technician_id == shop.tech2.id)
        await wait_for(pilot, lambda: any(r.technician == "Mike Ross" for r in app.screen.rows))
        # filter on Mike Ross: only his car stays, the title says whose
        await keys(pilot, "f")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        assert app.screen.choices[0][0] == 0  # "Everyone" first
        await keys(pilot, "down", "down", "enter")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and len(app.screen.rows) == 1)
        assert app.screen.rows[0].visit_id == target
        assert "Mike Ross" in str(app.screen.query_one("#progress-title", Static).render())
        await keys(pilot, "f")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await keys(pilot, "enter")  # everyone again
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen" and len(app.screen.rows) == 2)


async def test_lobby_is_an_area_of_its_own_and_escape_goes_to_the_board(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        app.action_area("lobby")
        await wait_for(pilot, lambda: screen_name(app) == "LobbyScreen" and app.screen.query_one(DataTable).row_count)
        await keys(pilot, "escape")
        await wait_for(pilot, lambda: screen_name(app) == "ProgressScreen")


async def test_checklist_not_applicable_asks_a_reason_and_records_it(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_board(pilot, app)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "WorkshopScreen"))
        checklist = app.screen.query_one(Checklist)
        await wait_for(pilot, lambda: checklist.row_count > 0)
        checklist.focus()
        checklist.focus_item("REP-06")
        await keys(pilot, "n")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await keys(pilot, "enter")  # empty: refused inline, the dialog stays
        assert isinstance(app.screen, ReasonDialog)
        await keys(pilot, *"no paid parts replaced", "enter")
        await wait_for(
            pilot, lambda: any(s.item.id == "REP-06" and s.state == "na" for s in shop.desk.checklist.checklist(vid))
        )
        # enter ticks too
        await wait_for(pilot, on(app, "WorkshopScreen"))
        checklist = app.screen.query_one(Checklist)
        checklist.focus()
        checklist.focus_item("REP-08")
        await keys(pilot, "enter")
        await wait_for(
            pilot, lambda: any(s.item.id == "REP-08" and s.state == "done" for s in shop.desk.checklist.checklist(vid))
        )
    mark = [s for s in shop.desk.checklist.checklist(vid) if s.item.id == "REP-06"][0].mark
    assert mark.reason == "no paid parts replaced"


async def test_unanswered_calls_count_up_to_the_limit(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await keys(pilot, "f4")
        await wait_for(pilot, lambda: screen_name(app) == "FollowUpQueueScreen" and app.screen.rows)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "CallScreen"))
        for n, key in enumerate(("2", "2", "3"), start=1):
            await keys(pilot, key)
            await wait_for(
                pilot, lambda n=n: f"Attempts: {n} of 3" in str(app.screen.query_one("#recap", Static).render())
            )
        assert "No more attempts" in str(app.screen.query_one("#recap", Static).render())
        await keys(pilot, "escape")
        await wait_for(
            pilot,
            lambda: screen_name(app) == "FollowUpQueueScreen" and app.screen.rows and app.screen.rows[0].attempts == 3,
        )


async def open_survey(pilot, app) -> None:
    """From the board: f4, the first call of the queue, reached (1): the survey."""
    await wait_for(pilot, on(app, "AppointmentsScreen"))
    await keys(pilot, "f4")
    await wait_for(pilot, lambda: screen_name(app) == "FollowUpQueueScreen" and app.screen.rows)
    await keys(pilot, "enter")
    await wait_for(pilot, on(app, "CallScreen"))
    await keys(pilot, "1")
    await wait_for(pilot, lambda: isinstance(app.screen, SurveyDialog))


async def test_survey_needs_all_five_factors(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_survey(pilot, app)
        await keys(pilot, "5", "5", "ctrl+s")
        assert isinstance(app.screen, SurveyDialog)
        assert "five" in str(app.screen.query_one("#e-scores", Static).render())
        await keys(pilot, "5", "4", "5", "tab", "1", "1", "enter", *"great", "enter")  # NPS 11 refused
        assert isinstance(app.screen, SurveyDialog)
        app.screen.query_one("#f-nps", Input).value = "10"
        await keys(pilot, "ctrl+s")
        await wait_for(pilot, on(app, "CallScreen"))
    assert shop.desk.complaints.complaints() == []  # nobody was dissatisfied
    assert "call.reached" in [e.action for e in shop.desk.lifecycle.history(vid)]


async def test_survey_keeps_every_answer_when_typed_as_the_hint_says(shop, clock, db_url):
    """Five digits, Tab, the recommend score, Tab, a comment, Enter: pressed with no
    pause, as a caller who knows the form types. Focus moves only on Tab, so every
    answer lands where it was meant (the recommend score, the whole comment) and
    "next service stated" stays ticked."""
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_survey(pilot, app)
        await pilot.press("5", "4", "5", "5", "4", "tab", "9", "tab", *"Quick and clean, thanks", "enter")
        await wait_for(pilot, on(app, "CallScreen"))
    from sqlmodel import select

    from desk.store.db import read_session
    from desk.store.models import FollowUpCallRow, SurveyAnswerRow

    with read_session(shop.desk.ctx.engine) as s:
        call = s.exec(select(FollowUpCallRow).where(FollowUpCallRow.visit_id == vid)).one()
        scores = sorted(a.score for a in s.exec(select(SurveyAnswerRow).where(SurveyAnswerRow.call_id == call.id)))
        assert (call.nps, call.comment, call.next_service_stated) == (9, "Quick and clean, thanks", True)
    assert scores == [4, 4, 5, 5, 5]


async def test_a_refused_survey_save_keeps_every_answer(shop, clock, db_url, monkeypatch):
    """The survey is held while it is saved: when the save is refused (here the
    service refuses it once, as for a change on another terminal), the dialog
    stays with the scores, the recommend score and the comment, and saves on
    the next Ctrl+S (it closed and lost them)."""
    from desk.domain.errors import InvalidInput
    from desk.services.followup import FollowupService

    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    real, refusals = FollowupService.record_call, []

    def refuse_once(self, *args, **kw):
        if not refusals:
            refusals.append(kw)
            raise InvalidInput("call", "Changed on another terminal: reload and try again")
        return real(self, *args, **kw)

    monkeypatch.setattr(FollowupService, "record_call", refuse_once)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await open_survey(pilot, app)
        await pilot.press("5", "4", "5", "5", "4", "tab", "9", "tab", *"Kept after a refusal", "enter")
        await wait_for(pilot, lambda: refusals and any("another terminal" in n for n in notes))
        assert isinstance(app.screen, SurveyDialog)  # still open, every answer in place
        assert app.screen.query_one("#f-nps", Input).value == "9"
        assert app.screen.query_one("#f-comment", Input).value == "Kept after a refusal"
        assert len(app.screen.query_one("#scores").scores) == 5
        await pilot.press("ctrl+s")
        await wait_for(pilot, on(app, "CallScreen"))
    assert "call.reached" in [e.action for e in shop.desk.lifecycle.history(vid)]


async def test_a_major_complaint_is_closed_by_a_manager_only(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    shop.desk.complaints.open_complaint(
        shop.sa, shop.desk.lifecycle.ref(vid), shop.desk.complaints.complaint("major", "Car returned with a scratch")
    )
    clock.advance(hours=30)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, on(app, "AppointmentsScreen"))
        await keys(pilot, "f5")
        await wait_for(pilot, lambda: screen_name(app) == "ComplaintsScreen" and app.screen.rows)
        cells = [str(c) for c in app.screen.query_one(DataTable).get_row_at(0)]
        assert any("OVERDUE" in c for c in cells) and any(c.startswith("1d 6h") for c in cells)
        await keys(pilot, "c")
        await fill_form(
            pilot,
            app,
            {
                "root_cause": "Wash brush",
                "remedy": "Polish free of charge",
                "closing_report": "Polished, customer content",
            },
        )
        # the advisor may not: a manager is asked for their PIN on this terminal
        await wait_for(pilot, lambda: screen_name(app) == "ManagerApproval")
        action = str(app.screen.query_one("#approval-action").render())
        assert "Not allowed" in action and "manager" in action
        await keys(pilot, "escape")
        # no manager: the form is back with what was typed, to save later or leave
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        assert app.screen.query_one("#f-remedy", Input).value == "Polish free of charge"
        await keys(pilot, "escape")
        await wait_for(pilot, lambda: screen_name(app) == "ComplaintsScreen")
    assert not [n for n in notes if "Not allowed" in n]  # asked, not refused
    assert len(shop.desk.complaints.complaints()) == 1


async def test_delivery_writes_the_invoice_summary(shop, clock, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "READY")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await open_board(pilot, app)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "DeliveryScreen"))
        await keys(pilot, "f6")
        await wait_for(pilot, lambda: any("invoice.txt" in n for n in notes))
        # a follow-up time beyond 72 hours is refused in the form
        await keys(pilot, "c")
        await fill_form(pilot, app, {"at": "+5 10:00", "channel": "phone"})
        await wait_for(pilot, lambda: any("72" in n for n in notes) or isinstance(app.screen, FormDialog))
    from desk.output.files import printouts_folder

    files = list(printouts_folder(db_url).glob("*-invoice.txt"))  # the shop's own folder
    assert len(files) == 1 and shop.desk.lifecycle.visit_view(vid).visit.number in files[0].read_text(encoding="utf-8")
    assert shop.desk.lifecycle.visit_view(vid).visit.followup_agreed_at is None


async def test_the_technician_who_starts_a_line_is_assigned_with_his_pin(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    assert shop.desk.lifecycle.visit_view(vid).visit.technician_id is None
    cheap_pin(shop.desk, shop.tech.id, "3333")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_board(pilot, app)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "WorkshopScreen"))
        await wait_for(pilot, lambda: app.screen.query_one("#work-lines").line_ids)
        app.screen.query_one("#work-lines", DataTable).focus()
        await keys(pilot, "s")
        await act_as(pilot, app, "张强", "3333")
        await wait_for(pilot, lambda: shop.desk.lifecycle.visit_view(vid).lines[0].started)
    assert shop.desk.lifecycle.visit_view(vid).visit.technician_id == shop.tech.id
    start = next(e for e in shop.desk.lifecycle.history(vid) if e.action == "line.start")
    assert start.user_name == "张强"  # in his name, not the manager's


def test_late_cars_are_red_and_cars_at_risk_yellow(clock):
    from desk.domain.entities import VisitRef
    from desk.screens.progress import ProgressScreen
    from desk.services.workshop import ShopRow

    def row(minutes_left, late, at_risk):
        return ShopRow(
            ref=VisitRef(1, 1),
            number="RO1",
            plate="京A12345",
            customer="李伟",
            vehicle="",
            status="in_work",
            stage="IN_REPAIR",
            technician="",
            technician_id=None,
            advisor="",
            advisor_id=None,
            bay="",
            promised_at=clock.now,
            minutes_left=minutes_left,
            late=late,
            at_risk=at_risk,
            comeback=True,
            update_due=True,
        )

    from types import SimpleNamespace

    board = SimpleNamespace(runs={}, on={}, app=SimpleNamespace(clock=lambda: clock.now))  # what cells() reads
    late = ProgressScreen.cells(board, row(-20, True, False))
    risky = ProgressScreen.cells(board, row(30, False, True))
    calm = ProgressScreen.cells(board, row(300, False, False))
    assert str(late[0].style) == "red" and "LATE" in str(late[7])
    assert str(risky[0].style) == "yellow" and str(calm[0].style) == ""
    assert "COMEBACK" in str(late[8]) and "update due" in str(late[8])


async def test_qc_sends_the_car_back_with_a_reason(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "QC")
    app = make_app(db_url=db_url, clock=clock, user_name="陈静")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_board(pilot, app)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "QCScreen"))
        await keys(pilot, "k")
        await wait_for(pilot, lambda: isinstance(app.screen, ReasonDialog))
        await keys(pilot, *"Squeak still there on the road test", "enter")
        await wait_for(pilot, on(app, "WorkshopScreen"))
    assert shop.desk.lifecycle.visit_view(vid).visit.stage == "IN_REPAIR"
    assert any(e.action == "visit.rework" and "Squeak" in (e.after or "") for e in shop.desk.lifecycle.history(vid))


async def test_delivery_records_the_amount_explanation(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "READY")
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_board(pilot, app)
        await keys(pilot, "enter")
        await wait_for(pilot, on(app, "DeliveryScreen"))
        await keys(pilot, "e")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await keys(pilot, *"Brake fluid topped up, agreed by phone", "enter")
        await wait_for(pilot, lambda: shop.desk.lifecycle.visit_view(vid).visit.amount_explanation)
    assert shop.desk.lifecycle.visit_view(vid).visit.amount_explanation == "Brake fluid topped up, agreed by phone"


async def test_a_stale_board_move_names_the_other_change_and_reloads(shop, clock, db_url, monkeypatch):
    """Another terminal changes the car after this board read it: the move is refused
    as stale, the message names who changed it and how, and the board reloads."""
    from desk.services import open_desk
    from desk.shell.live import ChangeWatcher

    # no automatic refresh: the board keeps its stale copy until the key is pressed
    monkeypatch.setattr(ChangeWatcher, "POLL_SECONDS", 3600)
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "QC")
    shop.desk.checklist.mark_item(shop.tech, shop.desk.lifecycle.ref(vid), "QC-01", "done")
    flow.tick_open(shop.desk, shop.qc, vid)
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    other = open_desk(db_url, clock=clock)  # the second terminal
    async with app.run_test(size=(120, 40)) as pilot:
        notes = record_notifications(app)
        await open_board(pilot, app)
        seen = app.screen.rows[0].ref
        other.lifecycle.assign(shop.mgr, other.lifecycle.ref(vid), shop.tech2.id, "B7")
        await keys(pilot, "f8")
        await wait_for(pilot, lambda: any("Changed on another terminal:" in n for n in notes))
        message = next(n for n in notes if "Changed on another terminal:" in n)
        # in words, not the audit's code ("visit.assign")
        assert message == f"Changed on another terminal: {shop.mgr.name} assigned the technician at {clock.now:%H:%M}"
        assert shop.desk.lifecycle.visit_view(vid).visit.stage == "QC"  # nothing written over
        await wait_for(pilot, lambda: app.screen.rows and app.screen.rows[0].ref != seen)
        assert app.screen.rows[0].bay == "B7"  # the other change is on screen
    other.ctx.engine.dispose()
