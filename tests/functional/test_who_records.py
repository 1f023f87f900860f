"""Who may record what, by keys on two terminals (issue 25): the customer's
decision on added work is recorded by an advisor, never by the technician who
found the work (his terminal hands the key to an advisor: act as, her PIN); a
line is started or finished in a technician's name only with his PIN, as QC-03
is ticked, never by picking his name."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, OptionList

from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog, PickDialog
from tests import flow
from tests.functional.pilot import record_notifications, screen_name, wait_for
from tests.functional.test_clocking import open_workshop
from tests.functional.test_shopfloor import act_as
from tests.functional.test_signin import cheap_pin

pytestmark = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


async def fill(pilot, app, values: dict[str, str]) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
    for name, value in values.items():
        app.screen.query_one(f"#f-{name}", Input).value = value
    await pilot.press("ctrl+s")


async def decide(pilot, app) -> None:
    """y, "approves", the phone decision of 李伟."""
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
    await pilot.press("enter")
    await fill(pilot, app, {"channel": "2", "signer": "李伟", "reference": "+8613812345678"})


def on_workshop(app):
    return lambda: screen_name(app) == "WorkshopScreen" and app.screen.view is not None


async def test_the_technician_who_found_the_work_does_not_record_its_approval(shop, clock, db_url):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    d.lifecycle.assign(shop.mgr, d.lifecycle.ref(vid), shop.tech.id, "B1")
    workshop_pc = make_app(db_url=db_url, clock=clock, user_name="张强")
    desk_pc = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with workshop_pc.run_test(size=(120, 40)) as a, desk_pc.run_test(size=(120, 40)) as b:
        await open_workshop(a)
        await open_workshop(b)
        cheap_pin(d, shop.sa.id, "2468")
        # the technician finds worn discs: a line waiting for the customer
        await a.press("g")
        await fill(
            a,
            workshop_pc,
            {
                "finding": "Rear discs worn below limit",
                "grade": "r",
                "kind": "p",
                "description": "Rear brake disc pair",
                "qty": "1",
                "unit_cents": "680",
            },
        )
        await wait_for(a, lambda: d.lifecycle.visit_view(vid).hold == "approval")
        # he records "the customer approves" himself: refused, an advisor is asked for
        await wait_for(a, on_workshop(workshop_pc))
        await decide(a, workshop_pc)
        await wait_for(
            a,
            lambda: (
                screen_name(workshop_pc) == "ActAs"
                and workshop_pc.screen.query_one("#approval-users", OptionList).option_count
            ),
        )
        assert [u.name for u in workshop_pc.screen.users] == ["王丽"]  # advisors with a PIN, not him
        assert "Customer decision" in str(workshop_pc.screen.query_one("#approval-action").render())
        await a.press("escape")  # no advisor at hand: nothing recorded, the form keeps what was typed
        await wait_for(a, lambda: isinstance(workshop_pc.screen, FormDialog))
        assert workshop_pc.screen.query_one("#f-signer", Input).value == "李伟"
        assert d.lifecycle.visit_view(vid).hold == "approval"
        await a.press("escape")
        # the advisor at her own terminal records it in her name
        await wait_for(b, lambda: on_workshop(desk_pc)() and desk_pc.screen.view.hold == "approval")
        await decide(b, desk_pc)
        await wait_for(b, lambda: d.lifecycle.visit_view(vid).hold is None)
        await wait_for(a, lambda: on_workshop(workshop_pc)() and workshop_pc.screen.view.hold is None)
    approved = [e for e in d.lifecycle.history(vid) if e.action == "added_work.approved"]
    assert [e.user_name for e in approved] == ["王丽"]


async def test_the_technicians_own_terminal_hands_the_approval_to_an_advisors_pin(shop, clock, db_url):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    d.lifecycle.assign(shop.mgr, d.lifecycle.ref(vid), shop.tech.id, "B1")
    d.workshop.add_found_work(
        shop.tech,
        d.lifecycle.ref(vid),
        finding=d.reception.finding("Wipers torn", "y"),
        line=d.estimate.draft(kind="part", description="Wiper set", qty="1", unit_cents=16800),
    )
    workshop_pc = make_app(db_url=db_url, clock=clock, user_name="张强")
    async with workshop_pc.run_test(size=(120, 40)) as a:
        await open_workshop(a)
        cheap_pin(d, shop.sa.id, "2468")
        await decide(a, workshop_pc)
        await act_as(a, workshop_pc, "王丽", "2468")
        await wait_for(a, lambda: d.lifecycle.visit_view(vid).hold is None)
    approved = [e for e in d.lifecycle.history(vid) if e.action == "added_work.approved"]
    assert [e.user_name for e in approved] == ["王丽"]  # the advisor's word, on his terminal


async def test_a_line_done_in_a_technicians_name_asks_his_pin(shop, clock, db_url):
    d = shop.desk
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "IN_REPAIR")
    d.lifecycle.assign(shop.mgr, d.lifecycle.ref(vid), shop.tech.id, "B1")
    first = d.lifecycle.visit_view(vid).lines[0]
    desk_pc = make_app(db_url=db_url, clock=clock, user_name="王丽")
    workshop_pc = make_app(db_url=db_url, clock=clock, user_name="张强")
    async with desk_pc.run_test(size=(120, 40)) as b, workshop_pc.run_test(size=(120, 40)) as a:
        await open_workshop(b)
        await open_workshop(a)
        cheap_pin(d, shop.tech.id, "3333")
        notes = record_notifications(desk_pc)
        table = desk_pc.screen.query_one("#work-lines", DataTable)
        table.focus()
        table.move_cursor(row=table.get_row_index(str(first.id)))
        # "done 张强" by picking his name is gone: his PIN is asked
        await b.press("d")
        await wait_for(
            b,
            lambda: (
                screen_name(desk_pc) == "ActAs" and desk_pc.screen.query_one("#approval-users", OptionList).option_count
            ),
        )
        assert [u.name for u in desk_pc.screen.users] == ["张强"]
        await b.press("escape")
        await wait_for(b, on_workshop(desk_pc))
        assert not d.lifecycle.visit_view(vid).lines[0].is_done
        await b.press("d")
        await act_as(b, desk_pc, "张强", "3333")
        await wait_for(b, lambda: d.lifecycle.visit_view(vid).lines[0].done_by == shop.tech.id)
        # his own terminal sees it from the feed
        await wait_for(a, lambda: on_workshop(workshop_pc)() and workshop_pc.screen.view.lines[0].is_done)
        assert not [n for n in notes if "Not allowed" in n]
    done = [e for e in d.lifecycle.history(vid) if e.action == "line.done"]
    assert [e.user_name for e in done] == ["张强"]  # in his name, on the advisor's terminal
