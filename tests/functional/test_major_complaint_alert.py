"""A major complaint reaches the manager at once, on every terminal a manager is
signed in to; an advisor's terminal is not told."""

from __future__ import annotations

from desk.domain.entities import Role
from desk.domain.survey import CSI_FACTORS
from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import record_notifications, screen_name, wait_for


async def test_a_major_complaint_reaches_every_manager_terminal_at_once(shop, clock, db_url):
    d = shop.desk
    d.people.create_user(None, "孙经理", [Role.MANAGER])
    vid = flow.book(shop, clock)
    flow.to_stage(shop, clock, vid, "DELIVERED")
    a = make_app(db_url=db_url, clock=clock, user_name="周经理")
    b = make_app(db_url=db_url, clock=clock, user_name="孙经理")
    c = make_app(db_url=db_url, clock=clock, user_name="王丽")  # an advisor
    async with a.run_test(size=(120, 40)) as pa, b.run_test(size=(120, 40)) as pb, c.run_test(size=(120, 40)) as pc:
        told = {app: record_notifications(app) for app in (a, b, c)}
        for app, pilot in ((a, pa), (b, pb), (c, pc)):
            await wait_for(pilot, lambda app=app: screen_name(app) == "AppointmentsScreen")
        # the follow-up caller's terminal: a "very dissatisfied" answer opens a major complaint
        scores = {f: 5 for f in CSI_FACTORS} | {"quality": 1}
        d.followup.record_call(
            shop.csr,
            d.lifecycle.ref(vid),
            d.followup.call(outcome="reached", scores=scores, nps=2, comment="Noise is back", next_service_stated=True),
        )
        for app, pilot in ((a, pa), (b, pb)):
            await wait_for(pilot, lambda app=app: any("Major complaint: 李伟" in t for t in told[app]))
        await wait_for(pc, lambda: c.alerts.seen is None and c.live.seen > 0)
        # a later change is no news: each manager was told once
        d.reception.add_concern(shop.sa, d.lifecycle.ref(flow.book(shop, clock)), d.reception.concern("Wipers"))
        await wait_for(pa, lambda: a.alerts.seen is not None and a.live.seen > 1)
    for app in (a, b):
        assert sum("Major complaint" in t for t in told[app]) == 1
    assert not any("Major complaint" in t for t in told[c])
