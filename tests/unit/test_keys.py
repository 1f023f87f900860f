"""The keymap of desk.toml: every binding has an id, bad entries are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from desk.config import load_settings
from desk.keys import check_keymap, valid_key
from desk.shell.commands import BINDING_MODULES, binding_ids

DESK = Path(__file__).resolve().parents[2] / "desk"


def test_every_binding_in_the_code_has_an_id():
    """Every ``Binding(...)`` call, on one line or spread over several, names its id."""
    import ast

    missing = []
    for path in DESK.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "Binding"
                and not any(k.arg == "id" for k in node.keywords)
            ):
                missing.append(f"{path.relative_to(DESK)}:{node.lineno}")
    assert not missing, "\n".join(missing)


def test_binding_ids_come_from_every_module():
    ids = binding_ids()
    assert {
        "area.setup",
        "help",
        "appointments.book",
        "setup.tick",
        "checklist.tick",
        "form_dialog.save",
        "score_list.score_3",
    } <= ids
    screens = {p.stem for p in (DESK / "screens").glob("*.py")} - {"__init__", "base", "listing"}
    assert screens <= {m.rsplit(".", 1)[1] for m in BINDING_MODULES}  # a new screen must be listed


@pytest.mark.parametrize("key", ["n", "f10", "ctrl+t", "shift+f3", "escape", "comma", "ctrl+shift+up", "/"])
def test_valid_keys(key):
    assert valid_key(key)


@pytest.mark.parametrize("key", ["", "ctrl+", "hyperdrive", "ctrl+nonsense", "boss+k", "f99", " "])
def test_invalid_keys(key):
    assert not valid_key(key)


def test_check_keymap_keeps_the_good_and_names_the_bad():
    known = {"appointments.book", "area.setup"}
    keymap, problems = check_keymap(
        {"appointments.book": "n", "area.setup": "f10, ctrl+t", "nope": "x", "appointments.book2": 3}, known
    )
    assert keymap == {"appointments.book": "n", "area.setup": "f10,ctrl+t"}
    assert [p[1]["id"] for p in problems] == ["nope", "appointments.book2"]
    keymap, problems = check_keymap({"area.setup": 5}, known)
    assert keymap == {} and "needs a key" in problems[0][0]
    keymap, problems = check_keymap({"area.setup": "f10,bogus"}, known)
    assert keymap == {} and problems[0][1]["bad"] == "bogus"
    assert check_keymap(["not", "a", "table"], known) == (
        {},
        [("desk.toml [keys] must be a table of binding id = key", {})],
    )


def test_desk_toml_keys_table_is_read_without_failing(tmp_path, monkeypatch):
    monkeypatch.delenv("DESK_LANG", raising=False)
    cfg = tmp_path / "desk.toml"
    cfg.write_text('shop_name = "X"\n[keys]\n"area.setup" = "f10"\n"bad.id" = 7\n', encoding="utf-8")
    s = load_settings(cfg)
    assert s.keys == {"area.setup": "f10", "bad.id": 7}  # checked by the app at start-up
    assert s.shop_name == "X"


def test_screen_keys_do_not_shadow_the_checklist_keys():
    """A focused checklist takes n, w, x and space first: a screen binding on the
    same key would never fire while the checklist has focus."""
    from desk.screens import booking, delivery, estimate, followup, reception, walkaround, workshop
    from desk.widgets.checklist import Checklist

    taken = {k for b in Checklist.BINDINGS for k in b.key.split(",")}
    screens = [
        booking.AppointmentScreen,
        reception.ReceptionScreen,
        walkaround.WalkaroundScreen,
        estimate.EstimateScreen,
        workshop.WorkshopScreen,
        delivery.QCScreen,
        delivery.DeliveryScreen,
        followup.CallScreen,
    ]
    for screen in screens:
        for b in screen.BINDINGS:
            assert not set(b.key.split(",")) & taken, (screen.__name__, b.key)
