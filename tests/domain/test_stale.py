"""The other terminal's change in the shop's words (desk.domain.stale), in both
languages: never the audit code."""

from __future__ import annotations

from datetime import datetime

import pytest

from desk.domain import stale
from desk.domain.stale import OtherChange
from desk.i18n import set_locale
from desk.widgets.feedback import other_change

AT = datetime(2026, 11, 23, 17, 50)


@pytest.mark.parametrize(
    ("change", "en", "zh"),
    [
        (
            OtherChange("Tom Becker", AT, "visit.promised", {"promised_at": "2026-11-23T16:30:00"}),
            "Tom Becker set the promised time to 16:30 at 17:50",
            "Tom Becker 于 17:50 将承诺完工时间设为 16:30",
        ),
        (
            OtherChange("Tom Becker", AT, "visit.promised", {"promised_at": "2026-11-24T10:00:00"}),
            "Tom Becker set the promised time to 2026-11-24 10:00 at 17:50",
            "Tom Becker 于 17:50 将承诺完工时间设为 2026-11-24 10:00",
        ),
        (
            OtherChange(
                "周经理",
                AT,
                "line.update",
                {"description": "Brake disc", "eta": "2026-11-26", "availability": "back_order"},
            ),
            "周经理 set the arrival date of Brake disc to 2026-11-26 at 17:50",
            "周经理 于 17:50 将 Brake disc 的到货日期设为 2026-11-26",
        ),
        (
            OtherChange("周经理", AT, "visit.reschedule", {"at": "2026-11-24T11:00:00"}),
            "周经理 moved the appointment to 2026-11-24 11:00 at 17:50",
            "周经理 于 17:50 将预约改到 2026-11-24 11:00",
        ),
        (OtherChange("周经理", AT, "setup.setting", {"bays": "8"}), "周经理 set Workshop bays to 8 at 17:50", None),
        (
            OtherChange("周经理", AT, "concern.add", {"text": "Rattle"}),
            "周经理 added a concern at 17:50",
            "周经理 于 17:50 添加了一项客户诉求",
        ),
        (OtherChange("周经理", AT, "something.new"), "周经理 changed it at 17:50", "周经理 于 17:50 修改了此记录"),
        # the third breaking test: which item, which outcome, which role
        (
            OtherChange("Tom Becker", AT, "mot.done", {"item": "RCP-03", "reason": None}),
            "Tom Becker ticked a checklist item (RCP-03) at 17:50",
            None,
        ),
        (
            OtherChange("王丽", AT, "reminder.day_before", {"outcome": "coming in 10 min"}),
            '王丽 recorded the call\'s outcome "coming in 10 min" at 17:50',
            "王丽 于 17:50 记录了通话结果“coming in 10 min”",
        ),
        (
            OtherChange("王丽", AT, "user.roles", {"user": "刘军", "roles": "qc"}),
            "王丽 set the role of 刘军 to QC inspector at 17:50",
            "王丽 于 17:50 将 刘军 的角色设为 质检员",
        ),
    ],
)
def test_the_other_change_in_words(change, en, zh):
    set_locale("en")
    assert other_change(change) == en
    if zh is not None:
        set_locale("zh_CN")
        try:
            assert other_change(change) == zh
        finally:
            set_locale("en")


def test_every_audited_visit_action_has_words():
    """Every action a service audits on a visit reads as a sentence, not a code."""
    import re
    from pathlib import Path

    import desk.services

    source = "\n".join(p.read_text(encoding="utf-8") for p in Path(desk.services.__file__).parent.glob("*.py"))
    actions = set(
        re.findall(r'"((?:visit|line|concern|finding|odometer|estimate|complaint|comeback|damage)\.[a-z_]+)"', source)
    )
    assert actions and actions <= set(stale.DID), actions - set(stale.DID)


def test_a_changed_lines_sentence_names_what_changed_not_what_it_already_had():
    """A price change on a line that already had an arrival date was named 'set the
    arrival date' (breaking test of issue 24): the sentence names the field that moved."""
    from datetime import datetime

    from desk.domain.stale import OtherChange, sentence

    at = datetime(2026, 12, 7, 23, 44)
    before = {
        "description": "Front brake pad set",
        "unit_cents": 42000,
        "qty_milli": 1000,
        "eta": "2026-12-10",
        "availability": "back_order",
    }
    price = OtherChange("王丽", at, "line.update", after={**before, "unit_cents": 45000}, before=before)
    assert sentence(price) == (
        "{who} set the unit price of {line} to {value} at {at}",
        {"who": "王丽", "at": "23:44", "line": "Front brake pad set", "value": "450.00"},
    )
    qty = OtherChange("王丽", at, "line.update", after={**before, "qty_milli": 10000}, before=before)
    assert sentence(qty)[1]["value"] == "10"
    eta = OtherChange("王丽", at, "line.update", after={**before, "eta": "2026-12-12"}, before=before)
    assert sentence(eta)[0] == "{who} set the arrival date of {line} to {value} at {at}"
