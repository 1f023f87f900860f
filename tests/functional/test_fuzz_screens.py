"""Hostile text typed anywhere reaches the screens literally: Rich markup, terminal
escapes, RTL overrides, 10k characters, CJK. Hypothesis draws the texts; each is
stored through the services (as the keys would) and the visit screen that shows it
is opened; whatever the store kept must be on the screen character for character."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.widgets import Static

from desk.domain.errors import InvalidInput
from desk.screens.visit import screen_for
from desk.shell.app import make_app
from tests.functional.pilot import record_notifications, wait_for
from tests.reliability.test_store_failures import TEXT

#: counted across examples; the figure the closing note reports
SHOWN = {"examples": 0, "texts": 0, "refused": 0}
PLATES = (f"京B{n:05d}" for n in itertools.count(1))


def _plain(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
# a leading letter keeps most names and concerns from being refused as empty
@given(texts=st.lists(st.tuples(TEXT.map("客".__add__), TEXT.map("c".__add__)), min_size=4, max_size=4))
async def test_fuzzed_names_and_concerns_show_literally_on_the_visit_screen(shop, clock, db_url, texts):
    d = shop.desk
    stored: list[tuple[int, str, str]] = []
    for name, concern in texts:
        try:
            cid = d.people.register_customer(shop.sa, d.people.customer_draft(name=name, phone="13812345678"))
            vehicle = d.people.register_vehicle(shop.sa, cid, d.people.vehicle_draft(plate=next(PLATES)))
            vid = d.booking.walk_in(
                shop.sa, customer_id=cid, vehicle_id=vehicle, concerns=d.booking.concerns([concern])
            ).id
        except InvalidInput:
            SHOWN["refused"] += 1  # a clear message instead; nothing is kept half-written
            continue
        view = d.lifecycle.visit_view(vid)
        stored.append((vid, view.customer.name, view.concerns[-1].text))
    app = make_app(db_url=db_url, clock=clock, user_name=shop.mgr.name)
    async with app.run_test(size=(200, 50)) as pilot:
        notes = record_notifications(app)
        await wait_for(pilot, lambda: app.user is not None)
        for vid, name, concern in stored:
            screen = screen_for("RECEPTION", vid)
            await app.push_screen(screen)
            await wait_for(pilot, lambda: getattr(screen, "view", None) is not None)
            assert name in _plain(app, "#visit-heading")
            assert concern in _plain(app, "#concerns")
            app.pop_screen()
            SHOWN["texts"] += 2
        assert app.is_running  # no markup "link" acted, nothing crashed
        assert not [n for n in notes if "error" in n.lower()]
    SHOWN["examples"] += 1
    print(f"\n[fuzz-screens] {SHOWN}")
