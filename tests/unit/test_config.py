"""Typed settings: defaults, desk.toml, environment, clear errors."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from desk.config import Settings, load_settings


def test_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("DESK_DATABASE_URL", raising=False)
    monkeypatch.delenv("DESK_LANG", raising=False)
    s = load_settings(tmp_path / "none.toml")
    assert s == Settings()
    assert s.comeback_window_days == 30 and s.amount_tolerance_pct == Decimal("5")


def test_file_then_env_then_overrides(tmp_path, monkeypatch):
    cfg = tmp_path / "desk.toml"
    cfg.write_text('shop_name = "Li Auto Service"\ncomeback_window_days = 45\nopening_time = "07:30"\n'
                   'amount_tolerance_pct = "2.5"\nunknown_key = 1\n', encoding="utf-8")
    monkeypatch.setenv("DESK_DATABASE_URL", "sqlite:////tmp/x.db")
    s = load_settings(cfg, slot_minutes=20)
    assert s.shop_name == "Li Auto Service" and s.comeback_window_days == 45
    assert s.opening_time == time(7, 30) and s.amount_tolerance_pct == Decimal("2.5")
    assert s.db_url == "sqlite:////tmp/x.db" and s.slot_minutes == 20


def test_bad_value_names_the_key(tmp_path):
    cfg = tmp_path / "desk.toml"
    cfg.write_text('comeback_window_days = "soon"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="comeback_window_days"):
        load_settings(cfg)
    cfg.write_text("this is = not toml [", encoding="utf-8")
    with pytest.raises(ValueError):
        load_settings(cfg)
