import pytest
from textual.widgets import Input
from tests import flow
from desk.shell.app import make_app
from desk.screens.visit import VisitScreen, screen_for
from desk.widgets.dialogs import FormDialog
from tests.functional.pilot import wait_for, screen_name, record_notifications
from tests.functional.test_two_terminals import in_app, visit_screen, settle
pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

async def test_dbg(shop, clock, db_url):
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "RECEPTION")
    b = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with b.run_test(size=(120, 40)) as pb:
        notes = record_notifications(b)
        await wait_for(pb, lambda: screen_name(b) == "AppointmentsScreen")
        await in_app(pb, b, lambda: b.push_screen(screen_for("RECEPTION", vid)))
        await wait_for(pb, lambda: isinstance(b.screen, VisitScreen) and b.screen.view is not None)
        await pb.press("k"); await wait_for(pb, lambda: isinstance(b.screen, FormDialog))
        await pb.press(*"wipers")
        v0 = visit_screen(b).ref
        d = shop.desk
        d.reception.add_concern(shop.sa, d.lifecycle.ref(vid), "Door seal", [])
        for i in range(40):
            await pb.pause(0.1)
            if visit_screen(b).ref != v0: break
        print("after", i, visit_screen(b).ref, v0, b.screen, b.live.seen)
        await pb.press("ctrl+s"); await settle(pb)
        print(b.screen, notes, [c.text for c in d.lifecycle.visit_view(vid).concerns])
