"""What a screen that strangers can see (the lobby board on the lounge TV) may
show of a customer: enough for owners to spot their car, never enough to
identify someone. The one place these masks live.

* A name keeps only its first letter, whatever its script: 李伟 -> 李*,
  김민수 -> 김**, Tom Becker -> T. B., Tom -> T.; a name with a digit in it (a
  phone number typed as a name) shows nothing but stars.
* A plate keeps its first two and last two characters and never shows in full
  (京A12345 -> 京A***45); a short one keeps less.

Pure domain code: no UI or database imports.
"""

from __future__ import annotations

import unicodedata

#: What a name that must not show at all looks like (its length hidden too).
HIDDEN = "***"


def _letters(word: str) -> list[str]:
    """``word`` as what a reader sees as letters: a base character with the
    combining marks after it (e + U+0301 is one letter, é)."""
    out: list[str] = []
    for ch in word:
        if out and (unicodedata.combining(ch) or ch in "\u200d\ufe0f"):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def _wide_script(letter: str) -> bool:
    """A letter of a script whose names are written without spaces (Chinese,
    Japanese kana, Korean): one letter is a syllable, the family name first."""
    return unicodedata.east_asian_width(letter[0]) in "WF"


def mask_name(name: str) -> str:
    """A customer's name as the lobby shows it (see the module)."""
    name = unicodedata.normalize("NFC", str(name or "")).strip()
    if not name:
        return ""
    if any(ch.isdigit() for ch in name) or not any(ch.isalpha() for ch in name):
        return HIDDEN
    words = [w for w in name.split() if any(ch.isalpha() for ch in w)]
    first = _letters(words[0])
    if _wide_script(first[0]):
        # 李伟 -> 李*, 欧阳娜娜 -> 欧***: the family name's first letter, a star a letter
        letters = _letters("".join(words))
        return letters[0] + "*" * max(1, len(letters) - 1)
    # Latin, Cyrillic, Greek…: initials (the first and the last word)
    initials = [_letters(words[0])[0]] + ([_letters(words[-1])[0]] if len(words) > 1 else [])
    return " ".join(f"{i.upper()}." for i in initials)


def mask_plate(plate: str) -> str:
    """京A12345 -> 京A***45: enough for owners to spot their car, not to identify
    it. Never the whole plate: a short one keeps at most half of it."""
    plate = str(plate or "").strip()
    n = len(plate)
    if n <= 1:
        return "*" * n
    if n <= 4:
        return plate[:1] + "*" * (n - 1)
    if n <= 6:
        return plate[:1] + "*" * (n - 3) + plate[-2:]
    return plate[:2] + "*" * (n - 4) + plate[-2:]
