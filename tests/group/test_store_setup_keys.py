"""A store's manager, in the set-up screen by keys, meets head office's standard:
a canned job of the store's own is refused with the sentence, a setting of the
store's own still changes (issue 30). Two apps: head office's and the store's."""

from __future__ import annotations

import pytest

from desk.shell.app import make_app
from tests.conftest import Shop
from tests.functional.pilot import record_notifications, screen_name, wait_for
from tests.functional.test_setup import fill, open_setup, stored, table_text, to_row
from tests.group.conftest import eventually
from tests.group.test_standard_flows import canned_jobs, link, make_group

pytestmark = pytest.mark.xdist_group("dealer_group")


async def test_a_store_manager_cannot_add_a_canned_job_but_changes_the_stores_own_setting(group, clock):
    Shop(group.hq.desk)
    make_group(group, 1)
    store = group.store(1)
    shop = Shop(store.desk)
    eventually(lambda: link(store).active and link(store).syncing == 0, what="link up")

    hq_app = make_app(db_url=group.hq.url, clock=clock, user_name="周经理")
    async with hq_app.run_test(size=(120, 40)) as pilot:  # head office adds a job by keys
        await open_setup(pilot, hq_app, "3")
        await pilot.press("a")
        await wait_for(pilot, lambda: screen_name(hq_app) == "FormDialog")
        await fill(pilot, hq_app, "wipers", "Wiper blades", "更换雨刮片")
        await wait_for(pilot, lambda: "wipers" in table_text(hq_app))
    eventually(lambda: "wipers" in canned_jobs(store), what="head office's job at the store")

    app = make_app(db_url=store.url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        said = record_notifications(app)
        await open_setup(pilot, app, "3")
        await wait_for(pilot, lambda: "wipers" in table_text(app))
        await pilot.press("a")
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "mine", "A job of my own", "")
        await wait_for(pilot, lambda: any(s.startswith("Head office sets the canned jobs") for s in said))
        assert "mine" not in canned_jobs(store)
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "SetupScreen")
        await pilot.press("1")
        await wait_for(pilot, lambda: "Workshop bays" in table_text(app))
        await to_row(pilot, app, "Workshop bays")
        await pilot.press("e")
        await wait_for(pilot, lambda: screen_name(app) == "FormDialog")
        await fill(pilot, app, "7")
        await wait_for(pilot, lambda: screen_name(app) == "SetupScreen" and stored(shop, "bays").value == 7)


async def test_a_store_terminal_takes_head_offices_new_standard_while_it_is_open(group, clock):
    """Replication's writes are announced on the store's change feed: the open
    set-up screen shows head office's new labour rate without a restart."""
    hq_boss = Shop(group.hq.desk).mgr
    make_group(group, 1)
    store = group.store(1)
    Shop(store.desk)
    eventually(lambda: link(store).active and link(store).syncing == 0, what="link up")

    app = make_app(db_url=store.url, clock=clock, user_name="周经理")
    async with app.run_test(size=(120, 40)) as pilot:
        await open_setup(pilot, app)
        await wait_for(pilot, lambda: "Labour rate" in table_text(app))
        assert "345.00" not in table_text(app)
        group.hq.desk.setup.set_setting(hq_boss, "labour_rate_cents", "345", 0)
        await wait_for(pilot, lambda: "345.00" in table_text(app), tries=3000)
        assert app.desk.ctx.pricing.labour_rate_cents == 34500
