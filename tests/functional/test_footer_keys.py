"""The footer at 80 and 120 columns: f1 first and the current screen's main keys,
none cut in half; the keys every screen has (areas, lookup, quit) are behind f1
and the palette, and still work."""

from __future__ import annotations

import pytest

from desk.i18n import set_locale
from desk.screens.visit import screen_for
from desk.shell.app import make_app
from desk.widgets.footer import DeskFooter
from tests import flow
from tests.functional.pilot import screen_name, wait_for

#: The main keys each screen's footer must show (key as displayed), besides f1.
MAIN_KEYS = {
    "AppointmentsScreen": ["b", "i", "a", "←→", "t"],
    "ProgressScreen": ["a", "f8", "f"],
    "FollowUpQueueScreen": ["r"],
    "ComplaintsScreen": ["c"],
    "DashboardScreen": ["[", "]", "d", "w"],
    "SetupScreen": ["1", "2", "3", "4", "5", "e"],
    "BOOKED": ["f8", "k", "s"],
    "RECEPTION": ["f8", "k", "f"],
    "WALKAROUND": ["f8", "o", "d", "c", "g"],
    "ESTIMATE": ["f8", "j", "p", "l", "t", "s"],
    "IN_REPAIR": ["f8", "s", "d", "r", "g"],
    "QC": ["f8", "k"],
    "READY": ["f8", "t", "f6"],
    "DELIVERED": ["f8", "1"],
}

AREA_KEYS = {
    "f2": "AppointmentsScreen",
    "f3": "ProgressScreen",
    "f4": "FollowUpQueueScreen",
    "f5": "ComplaintsScreen",
    "f7": "DashboardScreen",
    "f9": "SetupScreen",
}


def footer_line(app) -> str:
    """The footer's row as the terminal shows it."""
    strips = app.screen._compositor.render_strips()
    return strips[-1].text


def check_footer(app, name: str, width: int) -> None:
    footer = app.screen.query_one(DeskFooter)
    line = footer_line(app)
    assert len(line) <= width
    shown = [k.key_display for k in footer.query("FooterKey")]
    for key in ["f1", *MAIN_KEYS[name]]:
        assert key in shown, f"{name} at {width}: {key} missing from {line!r}"
    # every key shown is drawn whole on the row (nothing cut at the edge)
    for k in footer.query("FooterKey"):
        text = f"{k.key_display} {k.description}".rstrip()
        assert text in line, f"{name} at {width}: {text!r} cut in {line!r}"
    assert line.lstrip().startswith("f1")


@pytest.mark.parametrize(("lang", "size"), [("en", (80, 24)), ("zh", (80, 24)), ("en", (120, 40))])
async def test_every_main_screen_shows_f1_and_its_main_keys(shop, clock, db_url, size, lang):
    set_locale(lang)
    visits = {}
    for i, stage in enumerate(
        ["BOOKED", "RECEPTION", "WALKAROUND", "ESTIMATE", "IN_REPAIR", "QC", "READY", "DELIVERED"]
    ):
        vid = flow.book(shop, clock, minutes_ahead=30 + 30 * i)
        flow.to_stage(shop, clock, vid, stage)
        visits[stage] = vid
    app = make_app(db_url=db_url, clock=clock, user_name="周经理")
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        for key, name in [("f2", "AppointmentsScreen"), *AREA_KEYS.items()]:
            await pilot.press(key)  # the areas' keys still work, not shown
            await wait_for(pilot, lambda: screen_name(app) == name)
            await wait_for(pilot, lambda: True)
            check_footer(app, name, size[0])
        await pilot.press("f2")
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        for stage, vid in visits.items():
            app.push_screen(screen_for(stage, vid))
            await wait_for(pilot, lambda: getattr(app.screen, "view", None) is not None)
            await wait_for(pilot, lambda: True)
            check_footer(app, stage, size[0])
            await pilot.press("escape")
            await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")


async def test_the_keys_behind_f1_still_work_and_are_listed(shop, clock, db_url):
    from desk.screens.help import HelpScreen

    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        shown = [k.key_display for k in app.screen.query_one(DeskFooter).query("FooterKey")]
        assert not {"f2", "f3", "f9", "/", "^q"} & set(shown)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        ids = {row[2] for row in app.screen.rows}
        assert {"area.progress", "area.setup", "lookup", "quit", "appointments.week"} <= ids
        # at 80 columns every id is whole (a keymap needs it exactly) and the table fits the dialog
        help_table = app.screen.query_one("#help-keys")
        widths = [c.width for c in help_table.columns.values()]
        assert widths[2] >= max(len(i) for i in ids)
        assert sum(c.get_render_width(help_table) for c in help_table.columns.values()) <= help_table.size.width
        await pilot.press("escape")
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await pilot.press("slash")
        await wait_for(pilot, lambda: screen_name(app) == "LookupScreen")


async def test_the_chinese_interface_has_no_english_keys_or_palette_commands(shop, clock, db_url):
    set_locale("zh")
    vid = flow.book(shop, clock)
    app = make_app(db_url=db_url, clock=clock, user_name="王丽")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: screen_name(app) == "AppointmentsScreen")
        await wait_for(pilot, lambda: True)
        line = footer_line(app)
        assert "命令面板" in line and "palette" not in line
        titles = [c.title for c in app.get_system_commands(app.screen)]
        helps = [c.help for c in app.get_system_commands(app.screen)]
        assert {"主题", "退出", "按键", "截图"} <= set(titles), titles
        assert "关键指标" in titles  # the KPI area
        english = {"Theme", "Quit", "Keys", "Screenshot", "KPI", "Maximize", "Minimize", "Focus Next", "Focus Previous"}
        assert not english & set(titles)
        assert not any(h.startswith(("Quit the", "Change the", "Save an SVG", "Show help")) for h in helps)
        # the checklist's space key, by its Chinese name
        app.push_screen(screen_for("BOOKED", vid))
        await wait_for(pilot, lambda: getattr(app.screen, "view", None) is not None)
        app.screen.query_one("Checklist").focus()
        await wait_for(pilot, lambda: True)
        line = footer_line(app)
        assert "空格 勾选" in line and "space" not in line
