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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

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

    head = ScriptDirectory.from_config(alembic_config(None)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migration in {MIGRATIONS}")
    return head


def alembic_config(engine: Engine | None) -> Config:
    """Alembic's configuration of desk's migrations (``engine``: the database
    ``migrations/env.py`` works on; None: only to read the scripts)."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def known_revisions() -> set[str]:
    return set(revision_graph())
