"""How the CSV import screen looks, in English and Chinese: a checked file whose
third row has a bad phone number (preview with the per-row check, the error list,
Import greyed in the footer). Update the baselines on purpose with
``pytest --snapshot-update``."""

from __future__ import annotations

import pytest

from desk.i18n import set_locale
from desk.shell.app import make_app
from tests import flow
from tests.functional.pilot import screen_name, wait_for
from tests.unit.test_import import csv_rows

LANGS = ["en", "zh"]


@pytest.mark.parametrize("lang", LANGS)
def test_import_screen_with_a_bad_row(snap_compare, shop, clock, db_url, lang, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the path typed is relative: the same on every machine
    (tmp_path / "dms.csv").write_bytes(csv_rows(12, bad={2: {"phone": "555"}}).encode("utf-8-sig"))
    flow.book(shop, clock)  # a visit today: the board shows no "no visits" notice behind the screen
    set_locale(lang)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")

    async def run_before(pilot) -> None:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen" and app.screen.rows)
        await pilot.press("slash")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: screen_name(app) == "ImportScreen")
        await pilot.press(*"dms.csv", "enter")
        await wait_for(pilot, lambda: app.screen.checked is not None)
        await wait_for(pilot, lambda: True)

    assert snap_compare(app, terminal_size=(120, 36), run_before=run_before)
