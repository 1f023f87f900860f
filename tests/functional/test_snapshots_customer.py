"""How the new-customer form's choice looks when the phone and plate typed are on
file (issue 24, item 9), in English and Chinese, on a small and a large terminal.
Update the baselines on purpose with ``pytest --snapshot-update``."""

from __future__ import annotations

import pytest

from desk.i18n import set_locale
from desk.shell.app import make_app
from desk.widgets.dialogs import FormDialog, PickDialog
from tests import flow
from tests.functional.pilot import screen_name, wait_for


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_file_choice(snap_compare, shop, clock, db_url, lang, size):
    flow.book(shop, clock)
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        await pilot.press("b")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, FormDialog))
        await pilot.press(*"Li Wei", "tab", *"13812345678", "tab", *"京A12345", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, PickDialog))
        await wait_for(pilot, lambda: True)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
