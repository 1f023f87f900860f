"""The one translation layer (English source strings, zh_CN catalogue).

The msgid is the English text. The Chinese catalogue is a gettext ``.po`` file read
at first use (by :func:`read_po`, a few dozen lines: Babel is not needed to run
desk), so there is no compile step to forget. Plural forms follow the catalogue's
``Plural-Forms`` header (Chinese has one form, English two): see :func:`_n`.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: English, the language of the msgids: ``(n != 1)``.
ENGLISH_PLURAL = "(n != 1)"
_ALIASES = {"en": "en", "en_us": "en", "zh": "zh_CN", "zh_cn": "zh_CN", "zh-cn": "zh_CN", "zh_hans": "zh_CN"}

_current = "en"


def normalise_locale(code: str) -> str:
    """``"en"`` or ``"zh_CN"`` for any accepted spelling; ``ValueError`` otherwise."""
    key = str(code).strip().lower().replace("-", "_")
    if key not in _ALIASES:
        raise ValueError(f"unsupported language {code!r} (use en or zh)")
    return _ALIASES[key]


def set_locale(code: str) -> None:
    """Switch the interface language: "en", "zh", "zh_CN" or "zh-CN"."""
    global _current
    _current = normalise_locale(code)


def get_locale() -> str:
    """The current locale: "en" or "zh_CN"."""
    return _current


@dataclass
class PoFile:
    """What a ``.po`` file says: translations, plural translations, the header."""

    #: msgid -> msgstr (entries with an empty msgstr are left out)
    messages: dict[str, str] = field(default_factory=dict)
    #: (msgid, msgid_plural) -> (msgstr[0], msgstr[1], …) (all of them filled in)
    plurals: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    #: the header entry's fields (``Plural-Forms``, ``Language``, …)
    headers: dict[str, str] = field(default_factory=dict)


def _unquote(token: str) -> str:
    """A .po string literal (``"…"`` with C escapes) as text."""
    return ast.literal_eval(token) if "\\" in token else token[1:-1]


def read_po(text: str) -> PoFile:
    """Parse a gettext catalogue: ``msgctxt``/``msgid``/``msgid_plural``/``msgstr``/
    ``msgstr[N]`` with continuation lines; comments, obsolete (``#~``) entries and
    entries with a context are skipped, as the app has no context calls."""
    po = PoFile()
    entries: list[dict[str, str]] = []
    entry: dict[str, str] = {}
    key = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line and entry:
                entries.append(entry)
                entry, key = {}, None
            continue
        if line.startswith('"'):
            if key is not None:
                entry[key] += _unquote(line)
            continue
        keyword, _sep, rest = line.partition(" ")
        has_msgstr = any(k.startswith("msgstr") for k in entry)
        if keyword in entry or (keyword in ("msgid", "msgctxt") and has_msgstr):
            entries.append(entry)  # the next entry, without a blank line before it
            entry = {}
        key = keyword
        entry[key] = _unquote(rest.strip())
    if entry:
        entries.append(entry)
    for e in entries:
        msgid = e.get("msgid")
        if msgid is None or "msgctxt" in e:
            continue
        if msgid == "":
            for field_line in e.get("msgstr", "").splitlines():
                name, _sep, value = field_line.partition(":")
                if _sep:
                    po.headers[name.strip()] = value.strip()
        elif "msgid_plural" in e:
            forms = tuple(e[k] for k in sorted((k for k in e if k.startswith("msgstr[")), key=lambda k: int(k[7:-1])))
            if forms and all(forms):
                po.plurals[(msgid, e["msgid_plural"])] = forms
        elif e.get("msgstr"):
            po.messages[msgid] = e["msgstr"]
    return po


def plural_rule(header: str) -> Callable[[int], int]:
    """The form index for ``n`` from a ``Plural-Forms`` header
    (``nplurals=1; plural=0;``): gettext's own C-expression evaluator."""
    import gettext

    expression = (
        next((part.split("=", 1)[1] for part in header.split(";") if part.strip().startswith("plural=")), "")
        or ENGLISH_PLURAL
    )
    return gettext.c2py(expression.strip())


@lru_cache(maxsize=4)
def _po(locale: str) -> PoFile:
    path = LOCALE_DIR / f"{locale}.po"
    if not path.exists():
        return PoFile()
    return read_po(path.read_text(encoding="utf-8"))


def catalogue(locale: str) -> dict[str, str]:
    """msgid -> translation for ``locale`` (empty translations are left out)."""
    return _po(locale).messages


catalogue.cache_clear = _po.cache_clear  # type: ignore[attr-defined]


@lru_cache(maxsize=4)
def _rule(locale: str) -> Callable[[int], int]:
    return plural_rule(_po(locale).headers.get("Plural-Forms", ""))


def _(msgid: str, **params) -> str:
    """``msgid`` in the current language (English when untranslated), then
    ``str.format(**params)`` when parameters are given."""
    text = msgid if _current == "en" else catalogue(_current).get(msgid, msgid)
    return text.format(**params) if params else text


def _n(singular: str, plural: str, n: int, **params) -> str:
    """The form of ``singular``/``plural`` for the count ``n`` in the current
    language (English's rule when untranslated), formatted with ``n`` and
    ``params``: ``_n("{n} row", "{n} rows", 3)``."""
    forms = None if _current == "en" else _po(_current).plurals.get((singular, plural))
    if forms is None:
        text = plural if n != 1 else singular
    else:
        text = forms[min(_rule(_current)(n), len(forms) - 1)]
    return text.format(n=n, **params)


def N_(msgid: str) -> str:
    """Mark ``msgid`` for extraction; translate later with ``_``."""
    return msgid


def lang_text(en: str, zh: str) -> str:
    """Pick one of two texts carried by data (checklist templates, canned jobs)."""
    return zh if _current == "zh_CN" and zh else en


try:
    set_locale(os.environ.get("DESK_LANG", "en") or "en")
except ValueError:  # an unknown DESK_LANG falls back to English
    _current = "en"
