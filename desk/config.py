"""Typed settings: defaults, then desk.toml in the config dir, then environment."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    db_url: str | None = None
    shop_name: str = "Desk Motors"
    locale: str = "en"
    currency_symbol: str = "¥"
    comeback_window_days: int = 30
    amount_tolerance_pct: Decimal = Decimal("5")
    amount_tolerance_abs_cents: int = 5000
    followup_window_hours: int = 72
    followup_max_attempts: int = 3
    late_after_minutes: int = 15
    greet_within_seconds: int = 60
    opening_time: time = time(8, 0)
    closing_time: time = time(18, 0)
    slot_minutes: int = 30
    advisors_per_slot: int = 2
    bays: int = 6
    service_interval_months: int = 6
    service_interval_km: int = 5000
    tax_code_default: str = "VAT13"


def _coerce(name: str, kind, value):
    try:
        if kind in (int, "int"):
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind in (Decimal, "Decimal"):
            if isinstance(value, float):
                value = str(value)
            return Decimal(str(value))
        if kind in (time, "time"):
            if isinstance(value, time):
                return value
            hh, mm = str(value).split(":")
            return time(int(hh), int(mm))
        if value is None:
            return None
        return str(value)
    except (ValueError, InvalidOperation, TypeError):
        raise ValueError(f"{name}: bad value {value!r}") from None


def load_settings(path: Path | None = None, **overrides) -> Settings:
    from desk.locations import config_dir

    values: dict = {}
    path = path or (config_dir() / "desk.toml")
    if path.exists():
        with open(path, "rb") as fh:
            try:
                values.update(tomllib.load(fh))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path}: {exc}") from None
    if os.environ.get("DESK_DATABASE_URL"):
        values["db_url"] = os.environ["DESK_DATABASE_URL"]
    if os.environ.get("DESK_LANG"):
        values["locale"] = os.environ["DESK_LANG"]
    values.update(overrides)
    known = {f.name: f for f in fields(Settings)}
    clean = {k: _coerce(k, known[k].type, v) for k, v in values.items() if k in known}
    return dataclasses.replace(Settings(), **clean)
