"""A dealer group's sites and what belongs to head office's standard (desk.domain.group)."""

from __future__ import annotations

import pytest

from desk.domain import group
from desk.domain.errors import InvalidInput


def test_a_site_is_parsed_from_what_was_typed():
    site = group.parse_site(
        code=" s01 ", name="Store 1", address="1 Jianguo Road", tax_number="91110", zone="Asia/Shanghai"
    )
    assert (site.code, site.zone, site.role) == ("S01", "Asia/Shanghai", "store")


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"code": "", "zone": "UTC"}, "code", "A site code is required"),
        ({"code": "1ST", "zone": "UTC"}, "code", "starting with a letter"),
        ({"code": "S-1", "zone": "UTC"}, "code", "letters and digits"),
        ({"code": "ABCDEFGHIJK", "zone": "UTC"}, "code", "1 to 10"),
        ({"code": "S1", "zone": ""}, "zone", "A time zone is required"),
        ({"code": "S1", "zone": "CST"}, "zone", "not a time zone name"),
        ({"code": "S1", "zone": "+08:00"}, "zone", "not a time zone name"),
        ({"code": "S1", "zone": "../etc/passwd"}, "zone", "not a time zone name"),
    ],
)
def test_a_bad_site_field_is_named_with_a_sentence(fields, field, words):
    with pytest.raises(InvalidInput) as refused:
        group.parse_site(name="Store", **fields)
    assert refused.value.field == field
    assert words in refused.value.reason.format(**refused.value.params)


def test_a_site_needs_a_name():
    with pytest.raises(InvalidInput) as refused:
        group.parse_site(code="S1", name="  ", zone="UTC")
    assert refused.value.field == "name"


def test_the_standard_settings_are_time_standards_and_pricing_not_the_stores_own():
    for key in ("std_qc_minutes", "integrity_qc_seconds", "tax.VAT13", "labour_rate_cents", "tax_code_default"):
        assert group.is_standard_setting(key), key
    for key in ("shop_name", "shop_address", "opening_time", "bays", "locale", "lobby_font_size"):
        assert not group.is_standard_setting(key), key


def test_a_link_name_is_unique_per_store_database_and_fits_postgresql():
    a = group.link_name("ABCDEFGHIJ", "0f1e2d3c-aaaa-bbbb-cccc-000000000000")
    b = group.link_name("ABCDEFGHIJ", "99999999-aaaa-bbbb-cccc-000000000000")
    assert a != b and len(a) <= 63 and a == a.lower()


def test_a_sites_texts_are_cleaned_of_escapes_and_controls():
    site = group.parse_site(
        code="S1", name="Store\x1b[31m 1\x07", address="1 Road\x00", tax_number="9\u202e1", zone="UTC"
    )
    for text in (site.name, site.address, site.tax_number):
        assert not any(ord(c) < 32 or c in "\x1b\x7f\u202e" for c in text), text
