"""Shop set-up rules: the shared settings, the shop's changes to the MOT checklist
templates, the daily opening checklist and who may be made what.

Pure: values in, values or :class:`InvalidInput` out. The services store what
passes; the screens show the messages (English msgids, translated by the UI).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, time
from decimal import Decimal, InvalidOperation

from desk.domain import fields, money, validate
from desk.domain.checklist import MotItem, Templates
from desk.domain.entities import Role, User
from desk.domain.errors import InvalidInput
from desk.i18n import N_

# ----------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class SettingSpec:
    """One shop-wide setting: its key (as in desk.toml), label and kind."""

    key: str
    label: str
    #: text | phone | int | pct | money | time | locale | tax | printer
    kind: str
    minimum: int = 0
    maximum: int | None = None
    #: may be left empty (text and phone: the printouts then leave the line out)
    optional: bool = False


#: The settings shared by every terminal of a shop, in the order the screen shows them.
SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec("shop_name", N_("Shop name"), "text"),
    SettingSpec("shop_address", N_("Shop address"), "text", optional=True),
    SettingSpec("shop_phone", N_("Shop phone"), "phone", optional=True),
    SettingSpec("shop_tax_id", N_("Shop tax ID"), "text", optional=True),
    #: the printer F6 prints on through the system's print service (``lp -d``); empty: files only
    SettingSpec("shop_printer", N_("Printer (lp name)"), "printer", optional=True),
    SettingSpec("opening_time", N_("Opening time"), "time"),
    SettingSpec("closing_time", N_("Closing time"), "time"),
    SettingSpec("slot_minutes", N_("Slot length (minutes)"), "int", 5, 240),
    SettingSpec("advisors_per_slot", N_("Appointments per slot"), "int", 1, 50),
    SettingSpec("bays", N_("Workshop bays"), "int", 1, 200),
    SettingSpec("tax_code_default", N_("Default tax code"), "tax"),
    SettingSpec("member_discount_pct", N_("Member discount (%)"), "pct"),
    #: the catalogue price of an hour of labour (0: none): below it by more than the
    #: advisor's discount limit is a price override
    SettingSpec("labour_rate_cents", N_("Labour rate (per hour)"), "money"),
    SettingSpec("comeback_window_days", N_("Comeback window (days)"), "int", 0, 365),
    SettingSpec("amount_tolerance_pct", N_("Amount tolerance (%)"), "pct"),
    SettingSpec("amount_tolerance_abs_cents", N_("Amount tolerance (amount)"), "money"),
    SettingSpec("followup_window_hours", N_("Follow-up window (hours)"), "int", 1, 720),
    SettingSpec("followup_max_attempts", N_("Follow-up call attempts"), "int", 1, 20),
    SettingSpec("late_after_minutes", N_("Late after (minutes)"), "int", 0, 240),
    SettingSpec("greet_within_seconds", N_("Greet within (seconds)"), "int", 1, 3600),
    # the reminders before an appointment (APPT-09): the first one's hours, the second one's minutes
    SettingSpec("reminder_day_hours", N_("First reminder (hours before)"), "int", 1, 336),
    SettingSpec("reminder_hour_minutes", N_("Second reminder (min before)"), "int", 5, 1440),
    #: the lounge TV is read from a sofa: large by default (``?fontsize=`` still wins)
    SettingSpec("lobby_font_size", N_("Lobby font size (pixels)"), "int", 12, 96),
    SettingSpec("locale", N_("Language"), "locale"),
    # the stage stopwatch's standards (desk.domain.timeline)
    SettingSpec("std_writeup_minutes", N_("Standard: greeting to write-up (minutes)"), "int", 1, 600),
    SettingSpec("std_estimate_minutes", N_("Standard: write-up to estimate (minutes)"), "int", 1, 600),
    SettingSpec("std_sign_minutes", N_("Standard: estimate to signature (minutes)"), "int", 1, 600),
    SettingSpec("std_start_minutes", N_("Standard: signature to repair start (minutes)"), "int", 1, 600),
    SettingSpec("std_qc_minutes", N_("Standard: work done to QC passed (minutes)"), "int", 1, 600),
    SettingSpec("std_wash_minutes", N_("Standard: QC to washed (minutes)"), "int", 1, 600),
    SettingSpec("std_ready_minutes", N_("Standard: washed to ready (minutes)"), "int", 1, 600),
    SettingSpec("std_notify_minutes", N_("Standard: ready to customer told (minutes)"), "int", 1, 600),
    # honest checklists (desk.domain.integrity)
    SettingSpec(
        "integrity_walkaround_seconds", N_("Rushed walkaround: finished within (seconds) of its start"), "int", 1, 600
    ),
    SettingSpec("integrity_qc_seconds", N_("Rushed QC: passed within (seconds) of the last line"), "int", 1, 3600),
)
SPECS = {s.key: s for s in SETTINGS}


#: A print queue's name as ``lp -d`` takes it (CUPS: no space, "/" or "#"); never an option.
PRINTER_NAME = re.compile(r"[A-Za-z0-9_.@:][A-Za-z0-9_.@:-]{0,79}")

#: Settings keys of the tax rates: "tax.VAT13" is the rate of code VAT13, in %.
TAX_PREFIX = "tax."


def spec(key: str) -> SettingSpec:
    if key.startswith(TAX_PREFIX) and len(key) > len(TAX_PREFIX):
        return SettingSpec(key, N_("Tax rate {code} (%)"), "pct")
    if key not in SPECS:
        raise InvalidInput("key", N_("No such setting: {key}"), {"key": key})
    return SPECS[key]


def parse_setting(key: str, text: str, *, tax_codes: frozenset[str] | set[str] = frozenset()):
    """The typed value of ``key`` from what a manager typed; InvalidInput("value", …)
    with a clear message when it is not acceptable."""
    s = spec(key)
    raw = fields.SETTING_VALUE.parse(text)
    if not raw and s.optional:
        return ""
    if s.kind == "text":
        if not raw:
            raise InvalidInput("value", N_("Must not be empty"))
        return raw
    if s.kind == "printer":
        if not PRINTER_NAME.fullmatch(raw):
            raise InvalidInput("value", N_("A printer's name: letters, digits and - _ . @ : (not first -), no spaces"))
        return raw
    if s.kind == "phone":
        try:
            return validate.phone(raw)
        except InvalidInput as exc:
            raise InvalidInput("value", exc.reason, exc.params) from None
    if s.kind == "time":
        if not raw:
            raise InvalidInput("value", N_("Not a time: {value}"), {"value": raw})
        try:
            return validate.time_of_day(raw)
        except InvalidInput as exc:
            raise InvalidInput("value", exc.reason, exc.params) from None
    if s.kind == "int":
        if raw.startswith("-") and raw[1:].isdigit():
            raise InvalidInput("value", N_("Cannot be negative"))
        if not raw.isascii() or not raw.isdigit():
            raise InvalidInput("value", N_("Enter a whole number"))
        value = int(raw)
        if value < s.minimum:
            raise InvalidInput("value", N_("Must be at least {minimum}"), {"minimum": s.minimum})
        if s.maximum is not None and value > s.maximum:
            raise InvalidInput("value", N_("Must be at most {maximum}"), {"maximum": s.maximum})
        return value
    if s.kind == "pct":
        text_ = raw.rstrip("%").strip()
        try:
            value = Decimal(text_)
        except InvalidOperation:
            raise InvalidInput("value", N_("Enter a percentage from 0 to 100")) from None
        if not value.is_finite():
            raise InvalidInput("value", N_("Enter a percentage from 0 to 100"))
        if value < 0:
            raise InvalidInput("value", N_("Cannot be negative"))
        if value > 100 or value.as_tuple().exponent < -2:
            raise InvalidInput("value", N_("Enter a percentage from 0 to 100"))
        if key.startswith(TAX_PREFIX) and value >= 100:
            raise InvalidInput("value", N_("A tax rate is below 100%"))
        return value.normalize() if value == value.to_integral() else value
    if s.kind == "money":
        try:
            return money.parse_money(raw)
        except InvalidInput as exc:
            reason = N_("Cannot be negative") if exc.reason == "Amount cannot be negative" else exc.reason
            raise InvalidInput("value", reason, exc.params) from None
    if s.kind == "locale":
        from desk.i18n import normalise_locale

        try:
            return normalise_locale(raw)
        except ValueError:
            raise InvalidInput("value", N_("Language is en or zh")) from None
    if s.kind == "tax":
        code = raw.upper()
        if code not in tax_codes:
            raise InvalidInput(
                "value",
                N_("Unknown tax code {code}; use one of {codes}"),
                {"code": raw, "codes": ", ".join(sorted(tax_codes))},
            )
        return code
    raise AssertionError(s.kind)  # pragma: no cover - SETTINGS lists every kind


def to_text(key: str, value) -> str:
    """How a setting is stored (and shown): exact, never a float."""
    s = spec(key)
    if s.kind == "time":
        return value.strftime("%H:%M")
    if s.kind == "pct":
        return format(Decimal(value), "f")
    return str(value)


def from_text(key: str, text: str):
    """The typed value of a stored setting (stored text was validated on the way in)."""
    s = spec(key)
    if s.kind == "time":
        return time.fromisoformat(text)
    if s.kind in ("int", "money"):
        return int(text)
    if s.kind == "pct":
        return Decimal(text)
    return text


#: Settings that are prices (the services' pricing), not fields of ``Settings``.
PRICING_KEYS = frozenset({"member_discount_pct", "labour_rate_cents"})


def settings_over(base, stored: dict[str, str]):
    """The shop's effective settings: the stored values (key -> text) over
    ``base`` (desk.toml's ``Settings``). The member discount and the labour rate
    are pricing (:data:`PRICING_KEYS`), not settings of ``Settings``."""
    values = {s.key: getattr(base, s.key, None) for s in SETTINGS}
    for key, text in stored.items():
        if key in values:
            values[key] = from_text(key, text)
    return replace(base, **{s.key: values[s.key] for s in SETTINGS if s.key not in PRICING_KEYS})


def show(key: str, value, currency_symbol: str = "") -> str:
    """A setting's value as the screen shows it."""
    s = spec(key)
    if s.kind == "money":
        return money.format_money(int(value), currency_symbol)
    if s.kind == "locale":
        return "中文" if value == "zh_CN" else "English"
    if s.kind == "phone":
        return validate.show_phone(value)
    return to_text(key, value)


def as_typed(key: str, value) -> str:
    """A setting's value as the change form offers it (``parse_setting`` reads it
    back as the same value): an amount with its decimals, a phone as people write it."""
    kind = spec(key).kind
    if kind == "money":
        return money.format_money(int(value))
    if kind == "phone":
        return validate.show_phone(value)
    return to_text(key, value)


def tax_label(label: str, pct: Decimal) -> str:
    """An invoice label with its rate brought up to date: "VAT 13%" -> "VAT 9%"."""
    shown = format(pct.normalize(), "f") if pct == pct.to_integral() else format(pct, "f")
    new, n = re.subn(r"\d+(\.\d+)?\s*%", f"{shown}%", label)
    return new if n else f"{label} {shown}%"


def check_settings(values: dict) -> None:
    """Rules between settings, on the values they would have after a change."""
    opening, closing = values["opening_time"], values["closing_time"]
    if closing <= opening:
        raise InvalidInput(
            "value",
            N_("Closing time {closing} must be after opening time {opening}"),
            {"closing": closing.strftime("%H:%M"), "opening": opening.strftime("%H:%M")},
        )
    first, second = values.get("reminder_day_hours"), values.get("reminder_hour_minutes")
    if first is not None and second is not None and first * 60 <= second:
        raise InvalidInput(
            "value",
            N_("The first reminder ({first} h before) must come before the second ({second} min before)"),
            {"first": first, "second": second},
        )
    span = (closing.hour * 60 + closing.minute) - (opening.hour * 60 + opening.minute)
    slot = values["slot_minutes"]
    if span % slot:
        raise InvalidInput(
            "value",
            N_("Slots of {slot} minutes do not divide the opening hours ({span} minutes)"),
            {"slot": slot, "span": span},
        )


def in_force(key: str, current: str, changes: Iterable[tuple[str, datetime, str | None, str]], at: datetime) -> str:
    """The text of setting ``key`` in force at ``at``: its last audited change
    ``(key, when, before, after)`` at or before ``at``, else the value its first
    later change replaced, else ``current`` (never changed)."""
    mine = sorted((c for c in changes if c[0] == key), key=lambda c: c[1])
    done = [c for c in mine if c[1] <= at]
    if done:
        return done[-1][3]
    return mine[0][2] if mine and mine[0][2] is not None else current


def change(values: dict, key: str, text: str, *, tax_codes=frozenset()):
    """The new value of ``key`` when the settings are ``values``: parsed, then
    checked together with the others. Returns the typed value."""
    value = parse_setting(key, text, tax_codes=tax_codes)
    check_settings({**values, key: value})
    return value


# ----------------------------------------------------------------------------- checklist


@dataclass(frozen=True)
class ItemOverride:
    """A shop's change to the checklist templates: one of its own items, or a
    standard item made required (or hidden, if the standard only recommends it)."""

    item_id: str
    stage: str
    en: str
    zh: str
    required: bool
    role: str = Role.ADVISOR.value
    own: bool = False
    deleted: bool = False


OWN_PREFIX = "OWN-"
_OWN_ID = re.compile(r"OWN-(\d+)")


def spec_required(base: Templates, item_id: str) -> bool:
    """Required by the MOT standard (the shipped templates): protected."""
    try:
        return base.get(item_id).required
    except KeyError:
        return False


def apply_overrides(base: Templates, overrides: list[ItemOverride]) -> Templates:
    """The shop's effective templates: the standard with the shop's changes."""
    by_id = {o.item_id: o for o in overrides}
    items: list[MotItem] = []
    for stage in base.stages:
        for item in base.for_stage(stage):
            o = by_id.get(item.id)
            if o is None:
                items.append(item)
            elif not o.deleted or item.required:  # a required item can never disappear
                items.append(replace(item, required=o.required or item.required))
        for o in overrides:
            if o.own and not o.deleted and o.stage == stage:
                items.append(
                    MotItem(id=o.item_id, stage=stage, en=o.en, zh=o.zh or o.en, required=o.required, role=Role(o.role))
                )
    return Templates(tuple(items))


def check_required_change(base: Templates, item_id: str, required: bool) -> None:
    if not required and spec_required(base, item_id):
        raise InvalidInput(
            "required", N_("{item} is required by the MOT standard and cannot be made optional"), {"item": item_id}
        )


def check_delete(base: Templates, item_id: str) -> None:
    if spec_required(base, item_id):
        raise InvalidInput(
            "item", N_("{item} is required by the MOT standard and cannot be deleted"), {"item": item_id}
        )


def next_own_id(overrides: list[ItemOverride]) -> str:
    numbers = [int(m.group(1)) for o in overrides if (m := _OWN_ID.fullmatch(o.item_id))]
    return f"{OWN_PREFIX}{max(numbers, default=0) + 1:02d}"


#: Who ticks a shop's own item, by its stage: the technician in repair, QC at QC.
_OWN_ITEM_ROLE = {"IN_REPAIR": Role.TECHNICIAN, "QC": Role.QC}


def own_item_role(stage: str) -> Role:
    """The role that ticks a new item of the shop's own in ``stage`` (else the advisor)."""
    return _OWN_ITEM_ROLE.get(str(stage), Role.ADVISOR)


def own_item(
    base: Templates,
    overrides: list[ItemOverride],
    *,
    stage: str,
    en: str,
    zh: str = "",
    required: bool = False,
    role: str = Role.ADVISOR.value,
) -> ItemOverride:
    """A new item of the shop's own, validated."""
    if stage not in base.stages:
        raise InvalidInput("stage", N_("No such stage: {stage}"), {"stage": stage})
    en = fields.ITEM_TEXT_EN.parse(en)
    zh = fields.ITEM_TEXT_ZH.parse(zh)
    try:
        role = Role(role).value
    except ValueError:
        raise InvalidInput("role", N_("No such role: {role}"), {"role": role}) from None
    return ItemOverride(next_own_id(overrides), stage, en, zh or en, bool(required), role, own=True)


# ----------------------------------------------------------------------------- canned jobs

_JOB_CODE = re.compile(r"[a-z0-9_]{1,30}")


def job_code(text: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A canned job's code: lower-case letters, digits and _, not already used."""
    code = fields.JOB_CODE.parse(text).lower()
    if not _JOB_CODE.fullmatch(code):
        raise InvalidInput("job", N_("A job code is lower-case letters, digits and _"))
    if code in taken:
        raise InvalidInput("job", N_("The job code {job} is taken"), {"job": code})
    return code


# ----------------------------------------------------------------------------- opening checklist

#: The facility standards of the reception (spec, step 2): ticked once a day.
OPENING_ITEMS: tuple[tuple[str, str], ...] = (
    ("FAC-01", N_("Staff in clean uniforms with name badges")),
    ("FAC-02", N_("Reception area tidy and clean")),
    ("FAC-03", N_("Customer parking spaces free and marked")),
    ("FAC-04", N_("Signage lit and visible from the road")),
    ("FAC-05", N_("Fresh air in the lounge; drinks ready")),
    ("FAC-06", N_("Price list and certificates on the wall")),
)
OPENING_IDS = frozenset(i for i, _ in OPENING_ITEMS)


def opening_missing(ticked: set[str] | frozenset[str]) -> list[str]:
    """The facility items not yet ticked today, in checklist order."""
    return [i for i, _ in OPENING_ITEMS if i not in ticked]


def check_opening_tick(item_id: str, ticked: set[str] | frozenset[str]) -> None:
    if item_id not in OPENING_IDS:
        raise InvalidInput("item", N_("No such opening item: {item}"), {"item": item_id})
    if item_id in ticked:
        raise InvalidInput("item", N_("{item} is already ticked today"), {"item": item_id})


# ----------------------------------------------------------------------------- users


def check_user_change(
    users: list[User], actor: User, target_id: int, *, roles: frozenset[Role] | None = None, active: bool | None = None
) -> None:
    """A shop keeps at least one active manager; nobody deactivates themselves."""
    target = next((u for u in users if u.id == target_id), None)
    if target is None:
        raise InvalidInput("user", N_("No such user"))
    if active is False and target.id == actor.id:
        raise InvalidInput("user", N_("You cannot deactivate yourself"))
    loses_manager = (
        target.active
        and Role.MANAGER in target.roles
        and (active is False or (roles is not None and Role.MANAGER not in roles))
    )
    if loses_manager:
        others = [u for u in users if u.id != target.id and u.active and Role.MANAGER in u.roles]
        if not others:
            raise InvalidInput("user", N_("The shop needs at least one active manager"))
