"""A refused stage move names the open items as the advisor knows them: their
text, not only their ids ("still open WLK-03" said nothing at the counter)."""

from __future__ import annotations

from desk.domain.checklist import ItemState, ItemStatus, MotItem
from desk.domain.entities import Role
from desk.domain.errors import GuardFailed
from desk.i18n import set_locale
from desk.widgets.feedback import describe_error


def _open(n: int) -> list[ItemStatus]:
    return [
        ItemStatus(
            MotItem(f"WLK-0{i}", "WALKAROUND", f"Check item {i}", f"检查第{i}项", True, Role.ADVISOR), ItemState.OPEN
        )
        for i in range(1, n + 1)
    ]


def test_the_refusal_names_each_open_item_by_its_text():
    text = describe_error(GuardFailed("WALKAROUND", _open(2)))
    assert "WLK-01 Check item 1" in text and "WLK-02 Check item 2" in text


def test_a_long_list_names_the_first_three_and_counts_the_rest():
    text = describe_error(GuardFailed("WALKAROUND", _open(5)))
    assert "WLK-03 Check item 3" in text and "WLK-04" not in text
    assert text.endswith("and 2 more")


def test_in_chinese_the_items_are_named_in_chinese():
    set_locale("zh_CN")
    try:
        text = describe_error(GuardFailed("WALKAROUND", _open(4)))
    finally:
        set_locale("en")
    assert "WLK-01 检查第1项" in text and text.endswith("及另外 1 项")


def test_a_refusal_names_the_role_in_words_not_its_id():
    """ "tick needs qc" read as a code (third breaking test of issue 25)."""
    from desk.domain import staff

    exc = staff.refuse("tick", Role.QC.value).refusal
    assert describe_error(exc) == "Not allowed: tick needs a QC inspector"
    set_locale("zh_CN")
    try:
        assert describe_error(exc) == "无权限:勾选 需要 质检员"
    finally:
        set_locale("en")
