"""Typed settings: defaults, desk.toml, environment, clear errors; where files live."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import time
from decimal import Decimal

import pytest

from desk import locations
from desk.config import Settings, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for var in ("DESK_DATABASE_URL", "DESK_LANG", "DESK_DATA_DIR", "DESK_CONFIG_DIR"):
        monkeypatch.delenv(var, raising=False)
    # never read the real user's desk.toml
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "no-config"))


def write(tmp_path, text: str):
    cfg = tmp_path / "desk.toml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def test_defaults(tmp_path):
    s = load_settings(tmp_path / "none.toml")
    assert s == Settings()
    assert s.db_url is None and s.shop_name == "Desk Motors" and s.locale == "en"
    assert s.currency_symbol == "¥" and s.tax_code_default == "VAT13"
    assert s.comeback_window_days == 30 and s.amount_tolerance_pct == Decimal("5")
    assert s.amount_tolerance_abs_cents == 5000
    assert (s.followup_window_hours, s.followup_max_attempts) == (72, 3)
    assert (s.late_after_minutes, s.greet_within_seconds) == (15, 60)
    assert (s.opening_time, s.closing_time) == (time(8, 0), time(18, 0))
    assert (s.slot_minutes, s.advisors_per_slot, s.bays) == (30, 2, 6)
    assert (s.service_interval_months, s.service_interval_km) == (6, 5000)
    assert (s.shop_address, s.shop_phone, s.shop_tax_id) == ("", "", "")
    assert 48 <= s.lobby_font_size <= 64  # a TV read from 3 m, without ?fontsize=


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().bays = 9  # type: ignore[misc]


def test_file_then_env_then_overrides(tmp_path, monkeypatch):
    cfg = write(
        tmp_path,
        'shop_name = "Li Auto Service"\ncomeback_window_days = 45\nopening_time = "07:30"\n'
        'amount_tolerance_pct = "2.5"\nunknown_key = 1\nslot_minutes = 15\n'
        'db_url = "sqlite:////tmp/from-file.db"\n[some_table]\nx = 1\n',
    )
    monkeypatch.setenv("DESK_DATABASE_URL", "sqlite:////tmp/x.db")
    s = load_settings(cfg, slot_minutes=20)
    assert s.shop_name == "Li Auto Service" and s.comeback_window_days == 45
    assert s.opening_time == time(7, 30) and s.amount_tolerance_pct == Decimal("2.5")
    assert s.db_url == "sqlite:////tmp/x.db"  # environment beats the file
    assert s.slot_minutes == 20  # overrides beat everything
    assert not hasattr(s, "unknown_key")


def test_the_default_file_is_desk_toml_in_the_config_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path))
    write(tmp_path, "bays = 9\n")
    assert load_settings().bays == 9


def test_toml_native_types(tmp_path):
    cfg = write(
        tmp_path,
        "opening_time = 07:15:00\nclosing_time = 19:00:00\namount_tolerance_pct = 2.5\nfollowup_window_hours = 48.0\n",
    )
    s = load_settings(cfg)
    assert (s.opening_time, s.closing_time) == (time(7, 15), time(19, 0))
    assert s.amount_tolerance_pct == Decimal("2.5") and s.followup_window_hours == 48


def test_language_from_file_and_environment_is_normalised(tmp_path, monkeypatch):
    assert load_settings(write(tmp_path, 'locale = "zh-CN"\n')).locale == "zh_CN"
    monkeypatch.setenv("DESK_LANG", "en")
    assert load_settings(tmp_path / "desk.toml").locale == "en"
    monkeypatch.setenv("DESK_LANG", "zh")
    assert load_settings(tmp_path / "none.toml").locale == "zh_CN"


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ('comeback_window_days = "soon"', "comeback_window_days"),
        ("comeback_window_days = -1", "comeback_window_days"),
        ("bays = 0", "bays"),
        ("bays = true", "bays"),
        ("slot_minutes = 12.5", "slot_minutes"),
        ('amount_tolerance_pct = "five"', "amount_tolerance_pct"),
        ("amount_tolerance_pct = -1", "amount_tolerance_pct"),
        ('opening_time = "8 o\'clock"', "opening_time"),
        ('closing_time = "25:00"', "closing_time"),
        ('closing_time = "07:00"', "closing_time"),  # before opening
        ('locale = "klingon"', "locale"),
        ("shop_name = 5", "shop_name"),
        ('shop_name = ""', "shop_name"),
        ("db_url = 3", "db_url"),
        ('shop_phone = "12345"', "shop_phone"),
        ("lobby_font_size = 4", "lobby_font_size"),  # the set-up screen's range, not a copy of it
        ("lobby_font_size = 500", "lobby_font_size"),
    ],
)
def test_bad_value_names_the_key(tmp_path, line, key):
    with pytest.raises(ValueError, match=key):
        load_settings(write(tmp_path, line + "\n"))


def test_the_shop_header_from_desk_toml(tmp_path):
    s = load_settings(
        write(
            tmp_path,
            'shop_address = "No. 8 Jianguo Road"\nshop_phone = "010-6552 9988"\n'
            'shop_tax_id = "91110105MA01ABCD2X"\nlobby_font_size = 40\n',
        )
    )
    assert s.shop_address == "No. 8 Jianguo Road" and s.shop_tax_id == "91110105MA01ABCD2X"
    assert s.shop_phone == "+861065529988"  # stored as the set-up screen stores it
    assert s.lobby_font_size == 40


def test_bad_environment_and_override_values_name_the_key(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="bays"):
        load_settings(tmp_path / "none.toml", bays="many")
    monkeypatch.setenv("DESK_LANG", "klingon")
    with pytest.raises(ValueError, match="locale"):
        load_settings(tmp_path / "none.toml")


def test_a_broken_file_is_a_value_error_naming_the_file(tmp_path):
    cfg = write(tmp_path, "this is = not toml [")
    with pytest.raises(ValueError, match="desk.toml"):
        load_settings(cfg)


# --- locations -----------------------------------------------------------------


def test_locations_follow_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DESK_CONFIG_DIR", str(tmp_path / "cfg"))
    assert locations.data_dir() == tmp_path / "data"
    assert locations.config_dir() == tmp_path / "cfg"
    assert locations.default_db_path() == tmp_path / "data" / "desk.db"
    assert locations.backup_dir().parent == tmp_path / "data"
    assert not (tmp_path / "data").exists()  # nothing is created by asking
    locations.ensure_dirs()
    assert (tmp_path / "data").is_dir() and (tmp_path / "cfg").is_dir() and locations.backup_dir().is_dir()
    locations.ensure_dirs()  # twice is fine


def test_locations_default_to_platformdirs(monkeypatch):
    from platformdirs import user_config_path, user_data_path

    monkeypatch.delenv("DESK_CONFIG_DIR", raising=False)
    assert locations.data_dir() == user_data_path("desk", appauthor=False)
    assert locations.config_dir() == user_config_path("desk", appauthor=False)


def test_importing_creates_no_directories(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "DESK_DATA_DIR": str(tmp_path / "d"),
        "DESK_CONFIG_DIR": str(tmp_path / "c"),
    }
    subprocess.run(
        [sys.executable, "-c", "import desk.locations, desk.config; desk.config.load_settings()"], env=env, check=True
    )
    assert not (tmp_path / "d").exists() and not (tmp_path / "c").exists()
    assert not (tmp_path / "home").exists()


def test_idle_lock_minutes_from_the_file(tmp_path):
    from desk.config import load_settings

    path = tmp_path / "desk.toml"
    path.write_text("idle_lock_minutes = 0\n", encoding="utf-8")
    assert load_settings(path).idle_lock_minutes == 0  # never lock
    assert load_settings(tmp_path / "none.toml").idle_lock_minutes == 10
    path.write_text("idle_lock_minutes = -1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="idle_lock_minutes"):
        load_settings(path)
