"""Typed settings: defaults, then desk.toml in the config dir, then environment,
then keyword overrides. A bad value raises ``ValueError`` naming its key."""

from __future__ import annotations

import dataclasses
import math
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
    #: The printouts' header (left out while empty); the phone is stored as E.164.
    shop_address: str = ""
    shop_phone: str = ""
    shop_tax_id: str = ""
    #: The printer F6 sends printouts to with ``lp -d`` ("": they are only written to files).
    shop_printer: str = ""
    locale: str = "en"
    currency_symbol: str = "¥"
    comeback_window_days: int = 30
    amount_tolerance_pct: Decimal = Decimal("5")
    amount_tolerance_abs_cents: int = 5000
    followup_window_hours: int = 72
    followup_max_attempts: int = 3
    late_after_minutes: int = 15
    greet_within_seconds: int = 60
    #: The reminders before an appointment (APPT-09): hours before, minutes before.
    reminder_day_hours: int = 24
    reminder_hour_minutes: int = 60
    opening_time: time = time(8, 0)
    closing_time: time = time(18, 0)
    slot_minutes: int = 30
    advisors_per_slot: int = 2
    bays: int = 6
    service_interval_months: int = 6
    service_interval_km: int = 5000
    tax_code_default: str = "VAT13"
    #: Minutes without a key before the terminal locks itself (0: never).
    idle_lock_minutes: int = 10
    #: ``desk serve-lobby``: the lounge TV's board (read-only, masked), loopback by default.
    lobby_host: str = "127.0.0.1"
    lobby_port: int = 8040
    #: The lobby page's font size in pixels: readable from a sofa across the room.
    #: On a 55-inch 1080p TV (0.63 mm a pixel) 56 px makes capitals of about 2.5 cm,
    #: the inch per ten feet signage asks for at 3 m; 1920 px still hold the
    #: lobby's 54 columns.
    lobby_font_size: int = 56
    #: The stage stopwatch's standards, minutes (desk.domain.timeline).
    std_writeup_minutes: int = 20
    std_estimate_minutes: int = 15
    std_sign_minutes: int = 15
    std_start_minutes: int = 15
    std_qc_minutes: int = 30
    std_wash_minutes: int = 30
    std_ready_minutes: int = 15
    std_notify_minutes: int = 10
    #: Honest checklists (desk.domain.integrity): a walkaround ticked faster than
    #: this is rushed; a QC passed this soon after the last line is rushed.
    integrity_walkaround_seconds: int = 120
    integrity_qc_seconds: int = 60
    #: ``desk serve``: the whole app for tablets; off until an address is configured.
    serve_host: str | None = None
    serve_port: int = 8041
    #: The ``[keys]`` table: binding id -> key(s), checked by the app at start-up
    #: (``desk.keys.check_keymap``); a bad entry is reported, never fatal.
    keys: dict | None = dataclasses.field(default=None, hash=False, compare=False)


#: Environment variables read by ``load_settings`` (they beat desk.toml).
ENV = {"DESK_DATABASE_URL": "db_url", "DESK_LANG": "locale"}

#: Smallest allowed value of each whole-number setting.
_MINIMUM = {
    "comeback_window_days": 0,
    "amount_tolerance_abs_cents": 0,
    "followup_window_hours": 1,
    "followup_max_attempts": 1,
    "late_after_minutes": 0,
    "slot_minutes": 1,
    "advisors_per_slot": 1,
    "bays": 1,
    "service_interval_months": 1,
    "service_interval_km": 1,
    "idle_lock_minutes": 0,
    "lobby_port": 1,
    "serve_port": 1,
}
#: Largest allowed value of a whole-number setting.
_MAXIMUM = {"lobby_port": 65535, "serve_port": 65535}
_NON_EMPTY = {"shop_name", "tax_code_default", "lobby_host"}


def _int(value) -> int:
    if isinstance(value, bool):
        raise ValueError("expected a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("expected a whole number")
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ValueError("expected a whole number")


def _decimal(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise ValueError("expected a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("expected a finite number")
    try:
        out = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("expected a number") from None
    if not out.is_finite() or out < 0:
        raise ValueError("expected a number >= 0")
    return out


def _time(value) -> time:
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError('expected a time such as "08:00"')
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise ValueError('expected a time such as "08:00"') from None


def _str(value) -> str:
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value


def _limits(name: str) -> tuple[int, int | None]:
    """A whole-number setting's range: this file's own, else the shop setting's
    (``desk.domain.setup``: one range for desk.toml and the set-up screen)."""
    if name in _MINIMUM or name in _MAXIMUM:
        return _MINIMUM.get(name, 0), _MAXIMUM.get(name)
    from desk.domain.setup import SPECS

    spec = SPECS.get(name)
    return (spec.minimum, spec.maximum) if spec is not None else (0, None)


def _phone(value) -> str:
    """A phone number in desk.toml, stored as the set-up screen stores it (E.164)."""
    text = _str(value).strip()
    if not text:
        return ""
    from desk.domain.errors import InvalidInput
    from desk.domain.validate import phone

    try:
        return phone(text)
    except InvalidInput as exc:
        raise ValueError(exc.reason.lower()) from None


def _coerce(name: str, kind, value):
    """``value`` as the type of setting ``name`` (annotation ``kind``)."""
    kind = getattr(kind, "__name__", kind)  # annotations are strings here
    if name == "locale":
        from desk.i18n import normalise_locale

        return normalise_locale(_str(value))
    if name == "shop_phone":
        return _phone(value)
    if kind == "int":
        out = _int(value)
        low, high = _limits(name)
        if out < low:
            raise ValueError(f"must be at least {low}")
        if high is not None and out > high:
            raise ValueError(f"must be at most {high}")
        return out
    if kind == "Decimal":
        return _decimal(value)
    if kind == "time":
        return _time(value)
    if kind == "str | None":
        if value is None:
            return None
        out = _str(value).strip()
        return out or None
    out = _str(value)
    if name in _NON_EMPTY and not out.strip():
        raise ValueError("must not be empty")
    return out


def load_settings(path: Path | str | None = None, **overrides) -> Settings:
    """Defaults, then ``path`` (default ``config_dir()/desk.toml``, optional), then
    the environment (``DESK_DATABASE_URL``, ``DESK_LANG``), then ``overrides``.

    Unknown keys are skipped; a bad value raises ``ValueError`` naming its key.
    """
    from desk.locations import config_dir

    path = Path(path) if path is not None else config_dir() / "desk.toml"
    sources: list[tuple[str, dict]] = []
    if path.is_file():
        with open(path, "rb") as fh:
            try:
                sources.append((str(path), tomllib.load(fh)))
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path}: {exc}") from None
    env = {key: os.environ[var] for var, key in ENV.items() if os.environ.get(var)}
    sources.append(("environment", env))
    sources.append(("overrides", overrides))

    known = {f.name: f.type for f in fields(Settings)}
    clean: dict = {}
    for origin, values in sources:
        for key, value in values.items():
            if key not in known:
                continue
            if key == "keys":  # checked against the app's bindings when it starts
                clean[key] = value
                continue
            try:
                clean[key] = _coerce(key, known[key], value)
            except (ValueError, InvalidOperation, TypeError) as exc:
                why = str(exc) if isinstance(exc, ValueError) and str(exc) else "bad value"
                raise ValueError(f"{key}: {why} (got {value!r}, from {origin})") from None
    settings = dataclasses.replace(Settings(), **clean)
    if settings.opening_time >= settings.closing_time:
        raise ValueError(
            f"closing_time: {settings.closing_time:%H:%M} must be after opening_time {settings.opening_time:%H:%M}"
        )
    return settings
