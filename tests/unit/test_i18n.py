"""The translation layer, and a catalogue that covers every string in the code."""

from __future__ import annotations

import ast
import os
import re
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from desk import i18n
from desk.i18n import N_, _, _n, lang_text, set_locale
from desk.i18n import read_po as desk_read_po

DESK = Path(i18n.__file__).resolve().parent
PO = DESK / "locale" / "zh_CN.po"
#: Calls whose literal argument is user-visible text: _("…"), N_("…") and the
#: reason of InvalidInput(field, "…").
KEYWORDS = {"_": None, "N_": None, "_n": (1, 2), "InvalidInput": (2,)}


def _literal_calls(path: Path) -> set[str]:
    """String literals passed to ``_``/``N_`` anywhere in ``path``'s syntax tree.

    babel's extractor does not look inside f-strings (``f"{_('Net')}: …"``); the
    syntax tree does, and unlike a text search it ignores examples in docstrings.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("_", "N_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return found


def _extracted():
    return list(extract_from_dir(str(DESK), method_map=[("**.py", "python")], keywords=KEYWORDS))


def code_msgids() -> set[str]:
    ids = {msg for _f, _l, msg, _c, _x in _extracted() if isinstance(msg, str) and msg}
    for path in DESK.rglob("*.py"):
        ids |= _literal_calls(path)
    return {m for m in ids if m}


def test_every_string_in_the_code_has_a_chinese_translation():
    zh = i18n.catalogue("zh_CN")
    missing = sorted(m for m in code_msgids() if not zh.get(m))
    assert not missing, f"{len(missing)} strings need a translation in desk/locale/zh_CN.po:\n" + "\n".join(
        f'msgid "{m}"' for m in missing
    )


def test_every_plural_in_the_code_has_its_chinese_forms():
    plurals = {msg for _f, _l, msg, _c, _x in _extracted() if isinstance(msg, tuple)}
    known = i18n._po("zh_CN").plurals
    missing = sorted(p for p in plurals if tuple(p) not in known)
    assert not missing, "plural strings need msgid_plural/msgstr[0] in desk/locale/zh_CN.po:\n" + "\n".join(
        f'msgid "{s}" / msgid_plural "{p}"' for s, p in missing
    )


def test_the_runtime_reader_reads_what_babel_reads():
    with open(PO, "rb") as fh:
        cat = read_po(fh, locale="zh_CN")
    babel = {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string}
    ours = desk_read_po(PO.read_text(encoding="utf-8"))
    assert ours.messages == babel
    assert ours.headers["Plural-Forms"] == cat.plural_forms
    assert len(ours.messages) > 100


SAMPLE_PO = r"""# a comment
msgid ""
msgstr ""
"Language: zh_CN\n"
"Plural-Forms: nplurals=1; plural=0;\n"

#, python-brace-format
msgid "{n} row with errors"
msgid_plural "{n} rows with errors"
msgstr[0] "{n} 行有错误"

msgid "Two "
"lines"
msgstr "两"
"行"

msgid "Quote \"and\" tab\t"
msgstr "引号\"和\"制表\t"
msgid "Untranslated"
msgstr ""

msgctxt "menu"
msgid "File"
msgstr "文件(菜单)"

#, fuzzy
msgid "Fuzzy"
msgstr "模糊"

#~ msgid "Gone"
#~ msgstr "已删除"
"""


def test_the_reader_handles_continuations_escapes_plurals_and_skips_what_babel_skips(tmp_path):
    ours = desk_read_po(SAMPLE_PO)
    po = tmp_path / "sample.po"
    po.write_text(SAMPLE_PO, encoding="utf-8")
    with open(po, "rb") as fh:
        cat = read_po(fh, locale="zh_CN")
    babel = {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string and not m.context}
    assert ours.messages == babel == {"Two lines": "两行", 'Quote "and" tab\t': '引号"和"制表\t', "Fuzzy": "模糊"}
    assert ours.plurals == {("{n} row with errors", "{n} rows with errors"): ("{n} 行有错误",)}
    assert ours.headers == {"Language": "zh_CN", "Plural-Forms": "nplurals=1; plural=0;"}


def test_plural_forms_english_two_chinese_one(monkeypatch, tmp_path):
    (tmp_path / "zh_CN.po").write_text(SAMPLE_PO, encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n._po.cache_clear()
    i18n._rule.cache_clear()
    try:
        one, many = "{n} row with errors", "{n} rows with errors"
        set_locale("en")
        assert [_n(one, many, n) for n in (0, 1, 2)] == [
            "0 rows with errors",
            "1 row with errors",
            "2 rows with errors",
        ]
        set_locale("zh")
        assert [_n(one, many, n) for n in (0, 1, 2)] == ["0 行有错误", "1 行有错误", "2 行有错误"]
        # untranslated: the English rule, in English
        assert _n("{n} car", "{n} cars", 1) == "1 car" and _n("{n} car", "{n} cars", 4) == "4 cars"
        assert _n("{n} car of {who}", "{n} cars of {who}", 2, who="王丽") == "2 cars of 王丽"
    finally:
        i18n._po.cache_clear()
        i18n._rule.cache_clear()


def test_plural_rules_from_the_header():
    assert [i18n.plural_rule("nplurals=1; plural=0;")(n) for n in (0, 1, 5)] == [0, 0, 0]
    assert [i18n.plural_rule("nplurals=2; plural=(n != 1);")(n) for n in (0, 1, 5)] == [1, 0, 1]
    assert [i18n.plural_rule("")(n) for n in (1, 2)] == [0, 1]  # no header: English
    polish = "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"
    assert [i18n.plural_rule(polish)(n) for n in (1, 3, 5, 22, 112)] == [0, 1, 2, 1, 2]


def test_running_desk_needs_no_babel():
    code = (
        "import sys; sys.modules['babel'] = None\n"
        "from desk.i18n import _, set_locale; set_locale('zh'); print(_('Customer'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "客户"


def test_the_scan_sees_the_code_strings():
    ids = code_msgids()
    # plain calls, N_ constants, InvalidInput reasons and _() inside f-strings
    assert {"Quit", "Appointments", "Customer", "Net"} <= ids
    assert len(ids) > 100


def test_the_scan_finds_calls_in_fstrings_but_not_in_docstrings(tmp_path):
    src = tmp_path / "sample.py"
    src.write_text(
        '"""Example: _("Only in a docstring")."""\n'
        "x = f\"{_('In an f-string')}: {1}\"\n"
        'Y = N_("A constant")\n'
        "z = _(variable)\n",
        encoding="utf-8",
    )
    assert _literal_calls(src) == {"In an f-string", "A constant"}


def test_the_catalogue_parses_with_a_proper_header():
    with open(PO, "rb") as fh:
        cat = read_po(fh)  # the locale comes from the header
    assert (cat.locale.language, cat.locale.territory) == ("zh", "CN")
    header = dict(cat.mime_headers)
    assert "charset=utf-8" in header["Content-Type"].lower()
    assert header["Language"] == "zh_CN"
    assert len(cat) > 100


def test_the_catalogue_has_no_duplicate_msgids():
    # babel keeps one of two entries with the same msgid silently; a second
    # (corrected) translation appended by someone else would never be shown.
    text = PO.read_text(encoding="utf-8")
    ids = Counter(re.findall(r'^msgid "(.+)"$', text, flags=re.M))
    dup = sorted(m for m, n in ids.items() if n > 1)
    assert not dup, "duplicate msgids in zh_CN.po:\n" + "\n".join(dup)


def test_translations_keep_their_placeholders():
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}
    bad = [m for m, text in i18n.catalogue("zh_CN").items() if fields(m) != fields(text)]
    assert not bad, "placeholders differ:\n" + "\n".join(bad)


def test_base_vocabulary():
    set_locale("zh")
    assert _("desk — service desk") == "desk — 服务前台"
    assert _("Appointments") == "预约看板"
    assert _("Walkaround") == "环车检查"
    assert _("In repair") == "维修中"
    assert _("No-show") == "未到店"
    assert _("COMEBACK") == "返修"
    assert _("Signed in: {user}", user="王伟") == "当前用户:王伟"


def test_switching_language_and_parameters():
    set_locale("zh")
    assert i18n.get_locale() == "zh_CN"
    assert _("Customer") == "客户"
    assert _("The {time} slot is full", time="09:30") == "09:30 时段已约满"
    assert lang_text("Greet", "接待") == "接待"
    set_locale("en")
    assert i18n.get_locale() == "en"
    assert _("Customer") == "Customer"
    assert _("The {time} slot is full", time="09:30") == "The 09:30 slot is full"
    assert lang_text("Greet", "接待") == "Greet"


def test_without_params_braces_are_left_alone():
    assert _("Database error: {detail}") == "Database error: {detail}"


def test_n_marks_without_translating():
    set_locale("zh")
    assert N_("Customer") == "Customer"
    assert _(N_("Customer")) == "客户"


def test_missing_translation_falls_back_to_english():
    set_locale("zh_CN")
    assert _("A sentence nobody translated") == "A sentence nobody translated"
    assert _("Nobody translated {n}", n=3) == "Nobody translated 3"


def test_lang_text_falls_back_to_english_when_chinese_is_empty():
    set_locale("zh")
    assert lang_text("Greet", "") == "Greet"


@pytest.mark.parametrize(
    ("code", "expected"),
    [("en", "en"), ("zh", "zh_CN"), ("zh_CN", "zh_CN"), ("zh-CN", "zh_CN"), ("ZH-cn", "zh_CN")],
)
def test_locale_codes(code, expected):
    set_locale(code)
    assert i18n.get_locale() == expected


def test_unknown_locale_is_refused():
    with pytest.raises(ValueError):
        set_locale("klingon")
    assert i18n.get_locale() == "en"


@pytest.mark.parametrize(("env", "expected"), [("zh", "zh_CN"), ("", "en"), ("klingon", "en"), (None, "en")])
def test_default_locale_comes_from_desk_lang(env, expected):
    environ = {k: v for k, v in os.environ.items() if k != "DESK_LANG"}
    if env is not None:
        environ["DESK_LANG"] = env
    out = subprocess.run(
        [sys.executable, "-c", "from desk.i18n import get_locale; print(get_locale())"],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == expected


def test_the_catalogue_is_read_once_and_only_for_chinese(monkeypatch):
    calls = []
    real = i18n.read_po
    monkeypatch.setattr(i18n, "read_po", lambda *a, **k: calls.append(1) or real(*a, **k))
    i18n.catalogue.cache_clear()
    try:
        set_locale("en")
        _("Customer")
        assert calls == []
        set_locale("zh")
        assert _("Customer") == "客户"
        assert _("Vehicle") == "车辆"
        assert calls == [1]
    finally:
        i18n.catalogue.cache_clear()
