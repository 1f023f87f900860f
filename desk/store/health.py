"""Checks before a database is used: every failure is a sentence that says what
happened and what to do (a StoreUnavailable), never a traceback.

* the file's folder is missing, or the file/folder is read-only;
* the file is on a network filesystem (SQLite's locking is not safe there);
* the file is empty (0 bytes, or SQLite without tables), not SQLite, another
  program's SQLite, or a newer desk's (:func:`inspect` says which): an empty file
  becomes a shop only when asked (``initialise``), the others never;
* ``PRAGMA quick_check`` finds damage (the app runs quick_check in the
  background after the first screen, ``deep=False``: it reads the whole file,
  seconds on a large shop);
* the schema is newer than this version of desk.

The SQLite library's WAL-reset bug (fixed in 3.51.3, back-ported to 3.44.6 and
3.50.7) is no fault here: on an affected library desk uses the rollback journal
(see :mod:`desk.store.db`), and says so only when switching a file has to wait.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from desk.domain.errors import StoreBusy, StoreDamaged, StoreNotAShop, StoreUnavailable
from desk.i18n import N_
from desk.store import faults
from desk.store.revisions import known_revisions

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


READ_ONLY_HINT = N_(
    "The database is read-only; nothing was saved. The commands that only read "
    "(report, export, audit verify) still work on it"
)


def check_sqlite(
    url: str,
    *,
    mounts: str = "/proc/mounts",
    deep: bool = True,
    readonly: bool = False,
    initialise: bool = False,
    known: set[str] | None = None,
) -> Health:
    """Run the checks for a SQLite URL; raise StoreUnavailable on a fatal one.

    ``deep=False`` checks only the file's header and schema instead of running
    ``quick_check`` (which the caller then runs later, see :func:`quick_check`).
    ``readonly``: the caller only reads, so a read-only file or folder is fine.
    ``initialise``: an empty file may be made into a new shop.
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
            N_(
                "The database is on a network drive ({kind}); SQLite is not safe there. "
                "Use PostgreSQL (DESK_DATABASE_URL) for several terminals"
            ),
            {"kind": kind},
        )
    if path.exists():
        if not readonly and (not os.access(path, os.W_OK) or not os.access(folder, os.W_OK)):
            raise StoreUnavailable(READ_ONLY_HINT)
        if not os.access(path, os.R_OK):
            raise StoreUnavailable(N_("{path} cannot be read: it belongs to another user"), {"path": str(path)})
        found = inspect(path, known=known)
        refuse(found, path, initialise=initialise)
        if deep and found.kind == "desk":
            quick_check(path)
    elif readonly:
        raise StoreUnavailable(N_("There is no database at {path}"), {"path": str(path)})
    elif not os.access(folder, os.W_OK):
        raise StoreUnavailable(READ_ONLY_HINT)
    return health


@dataclass(frozen=True)
class Found:
    """What a file turned out to be (:func:`inspect`)."""

    #: missing, empty (0 bytes), not-sqlite, damaged, sqlite-empty (no tables),
    #: foreign (another program's tables), desk (a known schema), newer
    kind: str
    revision: str | None = None
    tables: tuple[str, ...] = ()
    size: int = 0


#: Tables every desk schema since the first has.
DESK_TABLES = frozenset({"alembic_version", "audit_event", "visit", "user"})


def _ro_uri(path: Path) -> str:
    uri = f"file:{path}?mode=ro"
    if immutable_ok(path):
        uri += "&immutable=1"  # nothing can write there: no lock file or -shm is needed
    return uri


def inspect(path: Path, *, known: set[str] | None = None) -> Found:
    """Look at ``path`` without changing it: is it a desk database, and which schema?"""
    if known is None:
        known = known_revisions()
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return Found("missing")
    if size == 0:
        return Found("empty")
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(SQLITE_HEADER))
    except OSError:
        raise StoreUnavailable(N_("The database file cannot be opened")) from None
    if head != SQLITE_HEADER:
        return Found("not-sqlite", size=size)
    roll_back_crash(path)
    try:
        conn = sqlite3.connect(_ro_uri(path), uri=True, timeout=10)
        conn.text_factory = bytes
        try:
            tables = tuple(
                sorted(
                    r[0].decode("utf-8", "replace")
                    for r in conn.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                    )
                )
            )
            revision = None
            if "alembic_version" in tables:
                rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
                revision = rows[0][0].decode("utf-8", "replace") if rows else None
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if not says_damaged(exc):
            raise not_damage(exc, path) from None
        return Found("damaged", size=size)
    except UnicodeDecodeError:
        return Found("damaged", size=size)
    if not tables:
        return Found("sqlite-empty", size=size)
    if revision in known:
        return Found("desk", revision, tables, size)
    if DESK_TABLES <= set(tables) and revision:
        return Found("newer", revision, tables, size)
    return Found("foreign", revision, tables, size)


INIT_HINT = N_(
    "{path} is empty ({what}): it is not a shop yet and nothing was changed. "
    "To make a new shop in it, run desk again with --init"
)


def refuse(found: Found, path: Path, *, initialise: bool = False) -> None:
    """Raise the sentence for a file that is not (yet) a usable desk database."""
    if found.kind in ("empty", "sqlite-empty"):
        if initialise:
            return
        what = "0 bytes" if found.kind == "empty" else "a SQLite database without tables"
        raise StoreNotAShop(INIT_HINT, {"path": str(path), "what": what}, can_initialise=True)
    if found.kind == "not-sqlite":
        raise StoreNotAShop(
            N_(
                "{path} is not a SQLite database: it is damaged, or another kind of file. "
                "Restore a backup, or choose another file"
            ),
            {"path": str(path)},
        )
    if found.kind == "damaged":
        raise damaged(path)
    if found.kind == "foreign":
        raise StoreNotAShop(
            N_(
                "{path} is another program's SQLite database (tables: {tables}); "
                "desk leaves it alone: choose another file"
            ),
            {"path": str(path), "tables": ", ".join(found.tables[:5])},
        )
    if found.kind == "newer":
        check_schema(found.revision, set())


SQLITE_HEADER = b"SQLite format 3\x00"


def quick_check(path: Path) -> None:
    """Open read-only and run ``PRAGMA quick_check``; damage is a clear error.

    A crash's hot journal is rolled back first (:func:`roll_back_crash`); only
    SQLite's verdict (the check's rows, or a "malformed"/"not a database" error)
    calls the file damaged."""
    roll_back_crash(path)
    try:
        conn = sqlite3.connect(_ro_uri(path), uri=True, timeout=10)
        conn.text_factory = bytes  # a damaged file's messages need not be UTF-8
        try:
            rows = conn.execute("PRAGMA quick_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if not says_damaged(exc):
            raise not_damage(exc, path) from None
        raise damaged(path) from None
    except UnicodeDecodeError:  # SQLite's own message quoted damaged bytes
        raise damaged(path) from None
    if rows != [(b"ok",)]:
        raise damaged(path)


# ----------------------------------------------------------------------------- a crash is not damage

#: What a process killed mid-commit leaves beside the file (rollback journal, WAL).
CRASH_SIDES = ("-journal", "-wal")


def _left_beside(path: Path) -> bool:
    for side in CRASH_SIDES:
        try:
            if path.with_name(path.name + side).stat().st_size > 0:
                return True
        except OSError:
            continue
    return False


def immutable_ok(path: Path) -> bool:
    """A read-only open may say ``immutable`` (no lock file or -shm needed): in
    a folder nobody can write, unless a crash left a journal beside the file
    (``immutable`` would read the half-written pages as if committed; without
    it SQLite refuses, and :data:`faults.CRASH_LEFT` says why)."""
    return not os.access(path.parent, os.W_OK) and not _left_beside(path)


def roll_back_crash(path: Path) -> bool:
    """Undo what a process killed mid-commit left: a hot rollback journal (or a
    WAL to recover) is rolled back by SQLite on the first read of a connection
    that may write, so one is opened read-write for one read. Every command
    meets the file through here before it opens it read-only (a read-only
    connection cannot roll a hot journal back and SQLite would refuse it).

    Nothing to do (no journal or WAL beside the file), a file or folder nobody
    may write here (the read-only open then says so, :data:`faults.CRASH_LEFT`), or
    another process still committing (its lock: the busy timeout waits) are all
    fine. True when a read-write read ran."""
    if not _left_beside(path):
        return False
    if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
        return False
    try:
        conn = sqlite3.connect(path, timeout=10, isolation_level=None)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if faults.is_locked(exc):
            raise StoreBusy(faults.BUSY) from None
        return False  # the caller's own open says what the file is
    return True


def says_damaged(exc: BaseException) -> bool:
    """SQLite's own verdict that the file is damaged ("malformed", "not a
    database"); anything else (a crash's journal on a read-only open, a lock, a
    refused open) is not damage."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return True
    if name:
        return False
    low = str(exc).lower()
    return "malformed" in low or "not a database" in low


def not_damage(exc: BaseException, path: Path) -> StoreUnavailable:
    """The sentence for an open that failed without the file being damaged."""
    if faults.is_locked(exc):
        return StoreBusy(faults.BUSY)
    if getattr(exc, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK":
        return StoreUnavailable(faults.CRASH_LEFT, {"path": str(path)})
    return faults.from_exception(exc, path=path)


DAMAGED_WITH_BACKUP = N_(
    "SQLite's integrity check finds {path} damaged. First try the recovery, which keeps every row "
    "SQLite can still read: {recover}. If that fails, the newest backup is {backup} (made {made}): restoring "
    "it loses the saves of the last {hours} hours"
)
DAMAGED_NO_BACKUP = N_(
    "SQLite's integrity check finds {path} damaged. Try the recovery, which keeps every row SQLite can "
    "still read: {recover}. There is no backup of it in {folder}"
)


def recovery_command(path: Path) -> str:
    """The salvage into a new file beside it (:func:`desk.store.backup.recover`)."""
    return f'desk --db "{path}" db recover'


def damaged(path: Path | None, folder: Path | None = None) -> StoreDamaged:
    """The sentence for a file SQLite finds damaged: its recovery first, then
    which backup a restore would use and how many hours of saves that loses
    (from the backup's time to the file's last write)."""
    if path is None:
        return StoreDamaged(faults.DAMAGED)
    try:
        from desk.store.backup import backups_for

        if folder is None:
            from desk.locations import backup_dir

            folder = backup_dir()
        found = backups_for(f"sqlite:///{path}", folder)
    except Exception:  # noqa: BLE001 - the advice never hides the verdict
        found = []
    params = {"path": str(path), "recover": recovery_command(path), "folder": str(folder)}
    if not found:
        return StoreDamaged(DAMAGED_NO_BACKUP, params)
    newest = found[0]
    try:
        made = newest.stat().st_mtime
        written = max(path.stat().st_mtime, made)
    except OSError:
        made = written = 0.0
    from datetime import datetime

    params.update(
        backup=newest.name,
        made=datetime.fromtimestamp(made).strftime("%Y-%m-%d %H:%M"),
        hours=f"{(written - made) / 3600:.1f}",
    )
    return StoreDamaged(DAMAGED_WITH_BACKUP, params)


def check_schema(current: str | None, known: set[str]) -> None:
    """A database migrated by a newer desk has a revision this one does not know."""
    if current is not None and current not in known:
        raise StoreUnavailable(
            N_("The database was created by a newer version of desk (schema {rev}); update desk"), {"rev": current}
        )
