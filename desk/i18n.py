"""The one translation layer (English source strings, zh_CN catalogue).

The msgid is the English text. The Chinese catalogue is a gettext ``.po`` file read
with babel at first use, so there is no compile step to forget.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
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


@lru_cache(maxsize=4)
def catalogue(locale: str) -> dict[str, str]:
    """msgid -> translation for ``locale`` (empty translations are left out)."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / f"{locale}.po"
    if not path.exists():
        return {}
    with open(path, "rb") as fh:
        cat = read_po(fh, locale=locale)
    return {m.id: m.string for m in cat if m.id and isinstance(m.id, str) and m.string}


def _(msgid: str, **params) -> str:
    """``msgid`` in the current language (English when untranslated), then
    ``str.format(**params)`` when parameters are given."""
    text = msgid if _current == "en" else catalogue(_current).get(msgid, msgid)
    return text.format(**params) if params else text


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
