"""What the lobby board may show of a customer (desk.domain.privacy): a name's
first letter whatever its script, never a phone number, never a full plate."""

from __future__ import annotations

import pytest

from desk.domain.privacy import HIDDEN, mask_name, mask_plate


@pytest.mark.parametrize(
    "name, shown",
    [
        ("李伟", "李*"),  # Chinese
        ("欧阳娜娜", "欧***"),
        ("김민수", "김**"),  # Korean
        ("Tom Becker", "T. B."),  # Latin
        ("Tom", "T."),  # one word
        ("maria de la cruz", "M. C."),
        ("Émile Zola", "É. Z."),
        ("E\u0301mile", "É."),  # a combining accent stays with its letter
        ("Иван Петров", "И. П."),
        ("13812345678", HIDDEN),  # a phone number typed as a name
        ("+86 138 1234 5678", HIDDEN),
        ("Tom 138", HIDDEN),
        ("—", HIDDEN),
        ("", ""),
    ],
)
def test_every_name_is_masked_whatever_its_script(name, shown):
    assert mask_name(name) == shown


@pytest.mark.parametrize("name", ["李伟", "김민수", "Tom Becker", "Tom", "13812345678", "Ann-Marie O'Neil"])
def test_no_masked_name_shows_the_name_or_a_digit(name):
    shown = mask_name(name)
    assert shown != name and not any(ch.isdigit() for ch in shown)
    assert not any(word in shown for word in name.split() if len(word) > 1)


@pytest.mark.parametrize(
    "plate, shown",
    [
        ("京A12345", "京A***45"),
        ("京AD12345", "京A****45"),
        ("AB123", "A**23"),
        ("AB12", "A***"),
        ("A", "*"),
        ("", ""),
    ],
)
def test_a_plate_never_shows_in_full(plate, shown):
    assert mask_plate(plate) == shown
    assert not plate or mask_plate(plate) != plate
