"""One terminal per SQLite file when the SQLite library has the WAL-reset bug.

SQLite before 3.51.3 (and before the back-ports 3.44.6 and 3.50.7) can damage a
WAL database written by several connections in a rare race. No bundled wheel on
PyPI carries a fixed library for the standard ``sqlite3`` module, so on such a
library the app refuses multi-terminal mode instead: the first terminal holds an
advisory lock on ``<db>.terminal-lock`` for as long as it runs, and a second
terminal on the same file is told to close the other one or move to PostgreSQL.
The lock is released by the operating system when the process ends, crash or not.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import IO

from desk.domain.errors import StoreUnavailable
from desk.i18n import N_
from desk.store import health


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".terminal-lock")


def claim(url: str) -> IO | None:
    """Hold this terminal's claim on the SQLite file at ``url`` when the library
    is affected; ``None`` when no claim is needed (a fixed library, PostgreSQL).
    Raises ``StoreUnavailable`` when another terminal holds it."""
    path = health.sqlite_path(url)
    if path is None or health.sqlite_version_ok():
        return None
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: msvcrt locking is not wired up
        return None
    handle = open(lock_path(path), "a+")  # noqa: SIM115 - held for the app's life
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise StoreUnavailable(
            N_("Another terminal has this database open, and this SQLite library ({version}) is not safe "
               "for several terminals on one file: close the other terminal, or move the shop to "
               "PostgreSQL (desk db copy --to URL)"), {"version": sqlite3.sqlite_version},
        ) from None
    return handle
