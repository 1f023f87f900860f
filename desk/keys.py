"""User-remappable keys: the ``[keys]`` table of desk.toml maps binding ids to keys.

    [keys]
    "appointments.book" = "n"          # book with n instead of b
    "area.setup" = "f10,ctrl+t"         # two keys for the same binding

Every ``Binding`` in the app has an id (``<screen>.<action>``); the help screen
(f1) shows them. A bad entry (an unknown id, something that is not a key) is left
out and named in a start-up message; the app never fails to start over it. The
ids the app defines are collected by the shell (``desk.shell.commands.binding_ids``).
"""

from __future__ import annotations

import re

from desk.i18n import N_

_MODIFIERS = {"ctrl", "shift", "alt", "super", "meta", "hyper"}
_NAMED = re.compile(r"[a-z][a-z0-9_]*")


def _key_names() -> frozenset[str]:
    from textual.keys import KEY_NAME_REPLACEMENTS, Keys

    names = {k.value.rsplit("+", 1)[-1] for k in Keys}
    names |= set(KEY_NAME_REPLACEMENTS.values())
    names |= {
        "space",
        "comma",
        "full_stop",
        "slash",
        "backslash",
        "minus",
        "plus",
        "equals_sign",
        "semicolon",
        "colon",
        "apostrophe",
        "quotation_mark",
        "number_sign",
        "dollar_sign",
        "percent_sign",
        "ampersand",
        "asterisk",
        "left_parenthesis",
        "right_parenthesis",
        "left_square_bracket",
        "right_square_bracket",
        "left_curly_bracket",
        "right_curly_bracket",
        "less_than_sign",
        "greater_than_sign",
        "question_mark",
        "exclamation_mark",
        "grave_accent",
        "circumflex_accent",
        "vertical_line",
        "tilde",
        "underscore",
        "at",
    }
    names |= {f"f{n}" for n in range(1, 25)}
    return frozenset(names)


def valid_key(text: str) -> bool:
    """``"n"``, ``"f10"``, ``"ctrl+t"``, ``"shift+f3"``: one key with modifiers."""
    parts = text.strip().split("+")
    *mods, key = parts
    if any(m not in _MODIFIERS for m in mods) or not key:
        return False
    if len(key) == 1:
        return key.isprintable() and not key.isspace()
    return bool(_NAMED.fullmatch(key)) and key in _key_names()


def check_keymap(raw, known: set[str]) -> tuple[dict[str, str], list[tuple[str, dict]]]:
    """The usable part of a ``[keys]`` table and the problems with the rest, as
    (message id, params) pairs the app shows at start-up."""
    problems: list[tuple[str, dict]] = []
    if raw is None:
        return {}, problems
    if not isinstance(raw, dict):
        return {}, [(N_("desk.toml [keys] must be a table of binding id = key"), {})]
    keymap: dict[str, str] = {}
    for ident, keys in raw.items():
        if ident not in known:
            problems.append((N_("desk.toml [keys]: no binding has the id {id} (f1 shows the ids)"), {"id": ident}))
            continue
        if not isinstance(keys, str) or not keys.strip():
            problems.append((N_('desk.toml [keys]: {id} needs a key such as "f10" or "ctrl+t"'), {"id": ident}))
            continue
        bad = [k for k in keys.split(",") if not valid_key(k)]
        if bad:
            problems.append(
                (
                    N_("desk.toml [keys]: {id} = {keys}: {bad} is not a key"),
                    {"id": ident, "keys": keys, "bad": bad[0].strip() or "''"},
                )
            )
            continue
        keymap[ident] = ",".join(k.strip() for k in keys.split(","))
    return keymap, problems
