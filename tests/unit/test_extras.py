"""A part of desk that comes as an extra, missing: a sentence naming the extra,
never an ImportError traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from desk.__main__ import main
from desk.extras import ExtraMissing, require
from desk.i18n import set_locale


@pytest.fixture
def without(monkeypatch):
    """Pretend the modules named are not installed."""
    import importlib.util

    gone: set[str] = set()
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in gone else real(name, *a))
    return gone


def test_require_names_the_extra_in_both_languages(without):
    require("textual_serve", "serve")  # installed: nothing happens
    without.add("textual_serve")
    with pytest.raises(ExtraMissing) as caught:
        require("textual_serve", "serve")
    assert str(caught.value) == "This needs the serve part of desk: pip install 'mot-service-desk[serve]'"
    set_locale("zh")
    assert str(caught.value) == "此功能需要 desk 的 serve 组件:pip install 'mot-service-desk[serve]'"


def test_serve_lobby_without_the_serve_extra_is_a_sentence(without, tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "config"))
    from tests.reliability.test_crash_and_corruption import seed

    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    seed(f"sqlite:///{tmp_path / 'shop.db'}")  # a shop that is there: only the extra is missing
    without.add("textual_serve")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "shop.db"), "serve-lobby", "--port", "1"])
    assert result.exit_code == 1
    assert "pip install 'mot-service-desk[serve]'" in result.output
    assert "Traceback" not in result.output


def test_a_postgresql_url_without_psycopg_is_a_sentence(without):
    from desk.store.db import make_engine

    without.add("psycopg")
    with pytest.raises(ExtraMissing, match=r"desk\[postgres\]"):
        make_engine("postgresql://desk@127.0.0.1/desk")
