"""Shop set-up rules without a database or UI: settings validation, the checklist
templates' protected items, the opening checklist, managers."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest

from desk.domain import setup as rules
from desk.domain.checklist import load_templates
from desk.domain.entities import Role, User
from desk.domain.errors import InvalidInput

TAX = frozenset({"VAT13", "VAT6", "NONE"})


def defaults() -> dict:
    return {
        "opening_time": time(8, 0),
        "closing_time": time(18, 0),
        "slot_minutes": 30,
    }


def reason(exc) -> str:
    return exc.value.reason


# ------------------------------------------------------------------ settings


@pytest.mark.parametrize(
    "key, text, value",
    [
        ("slot_minutes", "20", 20),
        ("opening_time", "7:30", time(7, 30)),
        ("closing_time", "6pm", time(18, 0)),
        ("amount_tolerance_pct", "2.5%", Decimal("2.5")),
        ("amount_tolerance_abs_cents", "¥80.50", 8050),
        ("locale", "zh", "zh_CN"),
        ("tax_code_default", "vat6", "VAT6"),
        ("shop_name", "  大众 4S 店 ", "大众 4S 店"),
        ("comeback_window_days", "0", 0),
        ("shop_address", " 北京市朝阳区建国路 88 号 ", "北京市朝阳区建国路 88 号"),
        ("shop_address", "  ", ""),  # the printouts then leave the line out
        ("shop_phone", "010-6552 9988", "+861065529988"),
        ("shop_phone", "", ""),
        ("shop_tax_id", "91110105MA01ABCD2X", "91110105MA01ABCD2X"),
        ("lobby_font_size", "40", 40),
    ],
)
def test_good_values_are_parsed_exactly(key, text, value):
    got = rules.parse_setting(key, text, tax_codes=TAX)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    "key, text, message",
    [
        ("amount_tolerance_pct", "-1", "Cannot be negative"),
        ("amount_tolerance_abs_cents", "-5", "Cannot be negative"),
        ("comeback_window_days", "-3", "Cannot be negative"),
        ("slot_minutes", "3", "Must be at least {minimum}"),
        ("bays", "9999", "Must be at most {maximum}"),
        ("bays", "two", "Enter a whole number"),
        ("bays", "2.5", "Enter a whole number"),
        ("amount_tolerance_pct", "101", "Enter a percentage from 0 to 100"),
        ("amount_tolerance_pct", "NaN", "Enter a percentage from 0 to 100"),
        ("opening_time", "25:00", "Not a time: {value}"),
        ("locale", "fr", "Language is en or zh"),
        ("tax_code_default", "VAT99", "Unknown tax code {code}; use one of {codes}"),
        ("shop_name", "   ", "Must not be empty"),
        ("shop_phone", "12345", "Not a valid phone number"),
        ("lobby_font_size", "8", "Must be at least {minimum}"),
        ("lobby_font_size", "200", "Must be at most {maximum}"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(key, text, message):
    with pytest.raises(InvalidInput) as exc:
        rules.parse_setting(key, text, tax_codes=TAX)
    assert reason(exc) == message


def test_closing_before_opening_is_refused():
    with pytest.raises(InvalidInput) as exc:
        rules.change(defaults(), "closing_time", "07:00")
    assert reason(exc) == "Closing time {closing} must be after opening time {opening}"
    assert exc.value.params == {"closing": "07:00", "opening": "08:00"}


def test_slots_must_divide_the_day():
    with pytest.raises(InvalidInput) as exc:
        rules.change(defaults(), "slot_minutes", "45")  # 600 minutes
    assert exc.value.params == {"slot": 45, "span": 600}
    assert rules.change(defaults(), "slot_minutes", "40") == 40
    # a new closing time is checked against the slot length too
    with pytest.raises(InvalidInput):
        rules.change(defaults(), "closing_time", "18:10")


def test_the_first_reminder_comes_before_the_second():
    values = defaults() | {"reminder_day_hours": 24, "reminder_hour_minutes": 60}
    with pytest.raises(InvalidInput) as exc:
        rules.change(values, "reminder_hour_minutes", "1440")  # as early as the first
    assert exc.value.params == {"first": 24, "second": 1440}
    assert rules.change(values, "reminder_hour_minutes", "1439") == 1439
    with pytest.raises(InvalidInput):
        rules.change(values, "reminder_day_hours", "0")  # at least 1
    assert rules.change(values, "reminder_day_hours", "2") == 2


def test_stored_text_round_trips():
    for key, text in [
        ("amount_tolerance_pct", "2.5"),
        ("opening_time", "07:30"),
        ("bays", "8"),
        ("amount_tolerance_abs_cents", "8050"),
        ("locale", "zh_CN"),
    ]:
        assert rules.to_text(key, rules.from_text(key, text)) == text


def test_the_shop_phone_is_shown_and_offered_as_people_write_it():
    stored = rules.parse_setting("shop_phone", "+86 10 6552 9988")
    assert rules.show("shop_phone", stored) == rules.as_typed("shop_phone", stored) == "010 6552 9988"
    assert rules.parse_setting("shop_phone", rules.as_typed("shop_phone", stored)) == stored
    assert rules.as_typed("amount_tolerance_abs_cents", 8050) == "80.50"


def test_unknown_setting():
    with pytest.raises(InvalidInput):
        rules.parse_setting("colour", "red")


# ------------------------------------------------------------------ checklist templates

BASE = load_templates()
REQUIRED = next(i for i in BASE.items if i.required and not i.when)
RECOMMENDED = next(i for i in BASE.items if not i.required)


def test_spec_required_items_cannot_be_made_optional_or_deleted():
    with pytest.raises(InvalidInput) as exc:
        rules.check_required_change(BASE, REQUIRED.id, False)
    assert reason(exc) == "{item} is required by the MOT standard and cannot be made optional"
    with pytest.raises(InvalidInput) as exc:
        rules.check_delete(BASE, REQUIRED.id)
    assert reason(exc) == "{item} is required by the MOT standard and cannot be deleted"
    rules.check_required_change(BASE, RECOMMENDED.id, True)
    rules.check_required_change(BASE, RECOMMENDED.id, False)
    rules.check_delete(BASE, RECOMMENDED.id)


def test_a_recommended_item_made_required_blocks():
    out = rules.apply_overrides(BASE, [rules.ItemOverride(RECOMMENDED.id, RECOMMENDED.stage, "", "", True)])
    assert out.get(RECOMMENDED.id).required
    assert len(out.items) == len(BASE.items)


def test_an_override_never_weakens_a_required_item():
    # even a row written behind the rules' back cannot make a standard item optional or hide it
    tampered = [rules.ItemOverride(REQUIRED.id, REQUIRED.stage, "", "", False, deleted=True)]
    out = rules.apply_overrides(BASE, tampered)
    assert out.get(REQUIRED.id).required


def test_own_items_get_numbered_ids_and_join_their_stage():
    first = rules.own_item(BASE, [], stage="WALKAROUND", en="Photograph the dashboard", zh="拍摄仪表盘", required=True)
    second = rules.own_item(BASE, [first], stage="READY", en="Give a key fob cover")
    assert (first.item_id, second.item_id) == ("OWN-01", "OWN-02")
    assert second.zh == "Give a key fob cover"  # no Chinese text: the English shows
    out = rules.apply_overrides(BASE, [first, second])
    walk = out.for_stage("WALKAROUND")
    assert walk[-1].id == "OWN-01" and walk[-1].required
    assert out.stages == BASE.stages
    hidden = rules.apply_overrides(
        BASE, [first, rules.ItemOverride(second.item_id, "READY", second.en, second.zh, False, own=True, deleted=True)]
    )
    with pytest.raises(KeyError):
        hidden.get("OWN-02")


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"stage": "NOWHERE", "en": "x"}, "stage"),
        ({"stage": "QC", "en": "  "}, "en"),
        ({"stage": "QC", "en": "x", "role": "boss"}, "role"),
    ],
)
def test_own_item_validation(kw, field):
    with pytest.raises(InvalidInput) as exc:
        rules.own_item(BASE, [], **kw)
    assert exc.value.field == field


# ------------------------------------------------------------------ opening checklist


def test_opening_checklist_once_a_day():
    assert rules.opening_missing(set()) == [i for i, _ in rules.OPENING_ITEMS]
    rules.check_opening_tick("FAC-01", set())
    with pytest.raises(InvalidInput) as exc:
        rules.check_opening_tick("FAC-01", {"FAC-01"})
    assert reason(exc) == "{item} is already ticked today"
    with pytest.raises(InvalidInput):
        rules.check_opening_tick("FAC-99", set())
    assert rules.opening_missing(rules.OPENING_IDS) == []


# ------------------------------------------------------------------ users

MGR = User(1, "周经理", frozenset({Role.MANAGER}))
SA = User(2, "王丽", frozenset({Role.ADVISOR}))


def test_the_last_manager_stays():
    with pytest.raises(InvalidInput) as exc:
        rules.check_user_change([MGR, SA], SA, MGR.id, roles=frozenset({Role.ADVISOR}))
    assert reason(exc) == "The shop needs at least one active manager"
    with pytest.raises(InvalidInput) as exc:
        rules.check_user_change([MGR, SA], MGR, MGR.id, active=False)
    assert reason(exc) == "You cannot deactivate yourself"
    other = User(3, "李经理", frozenset({Role.MANAGER}))
    rules.check_user_change([MGR, SA, other], MGR, other.id, active=False)
    rules.check_user_change([MGR, SA], MGR, SA.id, active=False)


def test_tax_labels_follow_the_rate():
    assert rules.tax_label("VAT 13%", Decimal("9")) == "VAT 9%"
    assert rules.tax_label("增值税13%", Decimal("6.5")) == "增值税6.5%"
    assert rules.tax_label("Sales tax", Decimal("5")) == "Sales tax 5%"
