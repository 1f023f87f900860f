"""The translation layer, and a catalogue that covers every string in the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from desk import i18n
from desk.i18n import _, lang_text, set_locale

DESK = Path(i18n.__file__).resolve().parent
#: Calls whose literal argument is user-visible text: _("…"), N_("…") and the
#: reason of InvalidInput(field, "…").
KEYWORDS = {"_": None, "N_": None, "InvalidInput": (2,)}


_IN_FSTRING = re.compile(r"""\b_\((['"])(.+?)\1[,)]""")


def code_msgids() -> set[str]:
    found = extract_from_dir(str(DESK), method_map=[("**.py", "python")], keywords=KEYWORDS)
    ids = {msg for _f, _l, msg, _c, _x in found if isinstance(msg, str) and msg}
    # babel does not look inside f-strings: catch _('...') written there too
    for path in DESK.rglob("*.py"):
        ids.update(m.group(2) for m in _IN_FSTRING.finditer(path.read_text(encoding="utf-8")))
    return ids


def test_every_string_in_the_code_has_a_chinese_translation():
    zh = i18n.catalogue("zh_CN")
    missing = sorted(m for m in code_msgids() if not zh.get(m))
    assert not missing, "add to desk/locale/zh_CN.po:\n" + "\n".join(missing)


def test_translations_keep_their_placeholders():
    import string

    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    for msgid, text in i18n.catalogue("zh_CN").items():
        assert fields(msgid) == fields(text), msgid


def test_switching_language_and_parameters():
    set_locale("zh")
    assert _("Customer") == "客户"
    assert _("The {time} slot is full", time="09:30") == "09:30 时段已约满"
    assert lang_text("Greet", "接待") == "接待"
    set_locale("en")
    assert _("Customer") == "Customer"
    assert _("The {time} slot is full", time="09:30") == "The 09:30 slot is full"
    assert lang_text("Greet", "接待") == "Greet"


def test_missing_translation_falls_back_to_english():
    set_locale("zh_CN")
    assert _("A sentence nobody translated") == "A sentence nobody translated"


@pytest.mark.parametrize("code", ["en", "zh", "zh_CN", "zh-CN"])
def test_locale_codes(code):
    set_locale(code)
    assert i18n.get_locale() in ("en", "zh_CN")


def test_unknown_locale_is_refused():
    with pytest.raises(ValueError):
        set_locale("klingon")
