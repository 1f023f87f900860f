"""The history in the shop's words (issue 29): an audited change is read as what
happened and its details, never the stored JSON."""

from __future__ import annotations

import json

from desk.domain import history
from desk.i18n import set_locale


def said(action, after, **kw):
    return history.describe(action, json.dumps(after), **kw)


def test_a_booking_reads_as_words_with_its_time_and_concerns():
    entry = said(
        "visit.book",
        {
            "at": "2026-12-07T10:20:00",
            "comeback_proposed": None,
            "concerns": ["Oil service", "Wipers"],
            "number": "RO1",
        },
    )
    assert entry.what == "Booked"
    assert entry.detail == "RO RO1; time 12-07 10:20; concerns Oil service, Wipers"
    assert "{" not in entry.detail and "comeback_proposed" not in entry.detail


def test_items_users_stages_and_money_are_named():
    assert said("mot.done", {"item": "QC-03", "reason": ""}, item_text=lambda i: "Final inspection").detail == (
        "item QC-03 Final inspection"
    )
    assert (
        said("visit.assign", {"bay": "B4", "technician_id": 3}, names={3: "张强"}).detail == "technician 张强; bay B4"
    )
    assert said("visit.advance", {"stage": "WALKAROUND"}).detail == "stage Walkaround"
    paid = said(
        "payment.take",
        {"amount_cents": 67800, "balance_cents": 0, "change_cents": 0, "invoice_no": 1, "method": "card"},
        symbol="¥",
    )
    assert paid.what == "Payment taken"
    assert paid.detail == "amount ¥678.00; method card; change ¥0.00; balance due ¥0.00; invoice 1"


def test_the_store_s_own_keys_are_not_shown_and_an_unknown_action_keeps_its_id():
    entry = said("customer.create", {"name": "陈杰", "name_key": "陈杰", "phone_rev": "123", "id": 1})
    assert entry.what == "customer.create" and entry.detail == ""
    assert history.describe("visit.book", "not json").detail == "not json"
    assert history.describe("line.start", "").detail == ""


def test_in_chinese():
    set_locale("zh")
    entry = said("visit.walkaround", {"damage_confirmed": True, "fuel_eighths": 4, "odometer_km": 34243})
    assert entry.what == "环车检查已记录"
    assert entry.detail == "里程(公里) 34243; 油量(八分之几) 4; 损伤清单已确认 是"


def test_every_action_and_detail_has_words_in_both_languages():
    from desk.i18n import catalogue

    zh = catalogue("zh_CN")
    missing = [m for m in [*history.ACTIONS.values(), *history.FIELDS.values()] if m not in zh]
    assert missing == []
