"""A copied database on a computer without the shop's PIN key (issue 24, item 8),
by keys: the sign-in screen names the missing key and how to bring it, never a
traceback and never "Wrong PIN"; with the key imported the same PIN signs in."""

from __future__ import annotations

import shutil

from textual.widgets import Input, OptionList

from desk.shell.app import make_app
from desk.store import pinkey
from tests.functional.pilot import screen_name, wait_for
from tests.functional.test_signin import cheap_pin, error_text, type_pin


async def test_a_copied_database_without_its_pin_key_says_so_at_sign_in(shop, clock, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "shop-computer"))
    cheap_pin(shop.desk, shop.sa.id, "2468")
    key = pinkey.current()
    shop.desk.ctx.engine.dispose()
    copied = tmp_path / "copied.db"
    shutil.copyfile(db_url.removeprefix("sqlite:///"), copied)
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "other-computer"))
    app = make_app(db_url=f"sqlite:///{copied}", clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: bool(app.screen.query(OptionList)))
        await pilot.press("enter")  # 王丽, first in the list, has a PIN
        await wait_for(pilot, lambda: app.screen.query_one("#signin-pin", Input).has_focus)
        await type_pin(pilot, "2468")
        await wait_for(pilot, lambda: key.id in error_text(app, "#signin-error"))
        said = error_text(app, "#signin-error")
        assert "desk pin-key import" in said and "Wrong PIN" not in said and "Traceback" not in said
        assert app.user is None and screen_name(app) == "SignInScreen"
        pinkey.add(key)  # desk pin-key import, done beside the running terminal
        await type_pin(pilot, "2468")
        await wait_for(pilot, lambda: app.user is not None)
        assert app.user.name == "王丽"
