"""The schema's revisions, read from the migration files' text.

Start-up only needs to know whether the database is at the head; importing
Alembic (or SQLAlchemy) for that costs a tenth of a second or more, so the files
are read as text (a test checks this agrees with Alembic). Light on purpose: the
first board is read before SQLAlchemy is imported (:mod:`desk.store.reads`).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(['\"]([^'\"]+)['\"]|None)", re.M)


@functools.lru_cache(maxsize=1)
def revision_graph() -> dict[str, str | None]:
    """revision -> down_revision."""
    graph: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        rev = _REVISION.search(text)
        if rev is None:
            continue
        down = _DOWN_REVISION.search(text)
        graph[rev.group(1)] = down.group(2) if down and down.group(2) else None
    return graph


def head_revision() -> str:
    graph = revision_graph()
    heads = set(graph) - {down for down in graph.values() if down}
    if len(heads) == 1:
        return heads.pop()
    from alembic.script import ScriptDirectory  # branches: let Alembic decide

    from desk.store.db import alembic_config

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]


def known_revisions() -> set[str]:
    return set(revision_graph())
