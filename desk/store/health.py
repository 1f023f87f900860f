"""Checks before a database is used: every failure is a sentence that says what
happened and what to do (a StoreUnavailable), never a traceback.

* the file's folder is missing, or the file/folder is read-only;
* the file is on a network filesystem (SQLite's locking is not safe there);
* the file is not a database, or ``PRAGMA quick_check`` finds damage (the app
  runs quick_check in the background after the first screen, ``deep=False``:
  it reads the whole file, seconds on a large shop);
* the schema is newer than this version of desk;
* the SQLite library has the WAL-reset bug (fixed in 3.51.3, back-ported to
  3.44.6 and 3.50.7): one terminal is fine, several on one file are not.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from desk.domain.errors import StoreUnavailable
from desk.i18n import N_

NETWORK_FS = frozenset({"nfs", "nfs4", "cifs", "smbfs", "smb3", "sshfs", "fuse.sshfs", "9p", "afs", "ncpfs"})
#: SQLite versions with the WAL-reset race fixed.
WAL_RESET_FIXED = ((3, 51, 3), (3, 50, 7), (3, 44, 6))


@dataclass
class Health:
    path: Path | None
    #: (message id, params) pairs to show once at start-up
    warnings: list[tuple[str, dict]] = field(default_factory=list)


def sqlite_version_ok(version: tuple[int, int, int] = sqlite3.sqlite_version_info) -> bool:
    """True when this SQLite library has the WAL-reset fix (or its back-port)."""
    if version >= (3, 51, 3):
        return True
    return any(version[:2] == fixed[:2] and version >= fixed for fixed in WAL_RESET_FIXED)


def filesystem_type(path: Path, mounts: str = "/proc/mounts") -> str | None:
    """The filesystem type of the mount that holds ``path`` (Linux), or None."""
    try:
        lines = Path(mounts).read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, kind = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
            best, kind = mount, parts[2]
    return kind


def sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    raw = url.split("///", 1)[1] if "///" in url else ""
    if not raw or raw == ":memory:":
        return None
    return Path(raw.split("?", 1)[0])


def check_sqlite(url: str, *, mounts: str = "/proc/mounts", deep: bool = True) -> Health:
    """Run the checks for a SQLite URL; raise StoreUnavailable on a fatal one.

    ``deep=False`` checks only the file's header instead of running
    ``quick_check`` (which the caller then runs later, see :func:`quick_check`).
    """
    path = sqlite_path(url)
    health = Health(path)
    if path is None:
        return health
    folder = path.parent
    if not folder.is_dir():
        raise StoreUnavailable(N_("The folder of the database does not exist: {path}"), {"path": str(folder)})
    kind = filesystem_type(folder, mounts)
    if kind in NETWORK_FS:
        raise StoreUnavailable(
            N_("The database is on a network drive ({kind}); SQLite is not safe there. "
               "Use PostgreSQL (DESK_DATABASE_URL) for several terminals"), {"kind": kind},
        )
    if path.exists():
        if not os.access(path, os.W_OK) or not os.access(folder, os.W_OK):
            raise StoreUnavailable(N_("The database is read-only; nothing was saved"))
        if deep:
            quick_check(path)
        else:
            header_check(path)
    elif not os.access(folder, os.W_OK):
        raise StoreUnavailable(N_("The database is read-only; nothing was saved"))
    if not sqlite_version_ok():
        health.warnings.append((
            N_("This SQLite library ({version}) has a bug that can damage a database shared by several "
               "terminals: this terminal keeps the file to itself; for several terminals use PostgreSQL"),
            {"version": sqlite3.sqlite_version},
        ))
    return health


SQLITE_HEADER = b"SQLite format 3\x00"


def header_check(path: Path) -> None:
    """The cheap part of the check: a non-empty file must start as a SQLite database."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError:
        raise StoreUnavailable(N_("The database file cannot be opened")) from None
    if head and head != SQLITE_HEADER:
        raise StoreUnavailable(N_("The database file is damaged; restore it from a backup"))


def quick_check(path: Path) -> None:
    """Open read-only and run ``PRAGMA quick_check``; damage is a clear error."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        conn.text_factory = bytes  # a damaged file's messages need not be UTF-8
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        text = str(exc).lower()
        if "locked" in text or "busy" in text:
            raise StoreUnavailable(N_("The database is busy on another terminal; try again")) from None
        raise StoreUnavailable(N_("The database file is damaged; restore it from a backup")) from None
    except UnicodeDecodeError:  # SQLite's own message quoted damaged bytes
        raise StoreUnavailable(N_("The database file is damaged; restore it from a backup")) from None
    if rows != [(b"ok",)]:
        raise StoreUnavailable(N_("The database file is damaged; restore it from a backup"))


def check_schema(current: str | None, known: set[str]) -> None:
    """A database migrated by a newer desk has a revision this one does not know."""
    if current is not None and current not in known:
        raise StoreUnavailable(
            N_("The database was created by a newer version of desk (schema {rev}); update desk"), {"rev": current}
        )
