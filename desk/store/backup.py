"""Online, consistent SQLite backups that are checked before they count, and a
restore that never overwrites without being told to.

The copy is made with SQLite's backup API (readers and writers may carry on),
then ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` run on the copy.
"""

from __future__ import annotations

import shutil
import sqlite3
from datetime import datetime
from pathlib import Path

from desk.domain.errors import StoreUnavailable
from desk.i18n import N_
from desk.store.health import sqlite_path

RETENTION = 14


def verify(path: Path) -> None:
    """Raise StoreUnavailable unless ``path`` is an intact database."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        conn.text_factory = bytes  # a damaged file's messages need not be UTF-8
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchall()
            fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            conn.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        raise StoreUnavailable(N_("The backup {path} is not a usable database"), {"path": str(path)}) from None
    if integrity != [(b"ok",)] or fk:
        raise StoreUnavailable(N_("The backup {path} failed its integrity check"), {"path": str(path)})


def backup(url: str, dest: Path | None = None) -> Path:
    """Copy the live database to ``dest`` (default: the backup folder, timestamped)
    and verify the copy. Returns the path of the verified copy."""
    src = sqlite_path(url)
    if src is None:
        raise StoreUnavailable(N_("Backups here are for SQLite; back PostgreSQL up with pg_dump"))
    if not src.exists():
        raise StoreUnavailable(N_("There is no database at {path}"), {"path": str(src)})
    if dest is None:
        from desk.locations import backup_dir

        folder = backup_dir()
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / f"{src.stem}-{datetime.now():%Y%m%d-%H%M%S}.db"
    elif dest.is_dir():
        dest = dest / f"{src.stem}-{datetime.now():%Y%m%d-%H%M%S}.db"
    tmp = dest.with_suffix(dest.suffix + ".part")
    source = sqlite3.connect(src, timeout=30)
    target = sqlite3.connect(tmp)
    try:
        source.backup(target)
        # a backup is one self-contained file: no -wal/-shm beside it
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    verify(tmp)
    tmp.replace(dest)  # only a verified copy gets the real name
    return dest


def daily_backup(url: str, folder: Path, *, today: datetime | None = None, keep: int = RETENTION) -> Path | None:
    """Make today's backup if there is none yet, and keep the last ``keep``."""
    src = sqlite_path(url)
    if src is None or not src.exists():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    stamp = f"{(today or datetime.now()):%Y%m%d}"
    made = None
    if not list(folder.glob(f"{src.stem}-daily-{stamp}.db")):
        made = backup(url, folder / f"{src.stem}-daily-{stamp}.db")
    dailies = sorted(folder.glob(f"{src.stem}-daily-*.db"))
    for old in dailies[:-keep]:
        old.unlink()
    return made


def restore(src: Path, url: str, *, confirmed: bool) -> Path:
    """Put a verified backup in place of the database at ``url``. Refuses to
    overwrite an existing database unless ``confirmed``; the replaced file is
    itself kept beside it."""
    dest = sqlite_path(url)
    if dest is None:
        raise StoreUnavailable(N_("Restore here is for SQLite; restore PostgreSQL with pg_restore"))
    verify(src)
    if dest.exists() and not confirmed:
        raise StoreUnavailable(N_("{path} exists: confirm to overwrite it"), {"path": str(dest)})
    if dest.exists():
        keep = dest.with_name(f"{dest.stem}-before-restore-{datetime.now():%Y%m%d-%H%M%S}.db")
        shutil.copy2(dest, keep)
        for suffix in ("-wal", "-shm"):
            side = dest.with_name(dest.name + suffix)
            if side.exists():
                side.unlink()
    tmp = dest.with_suffix(dest.suffix + ".part")
    shutil.copy2(src, tmp)
    tmp.replace(dest)
    return dest


def backups_for(url: str, folder: Path) -> list[Path]:
    """The backups of the database at ``url`` in ``folder``, newest first (the
    files a damaged database can be restored from)."""
    src = sqlite_path(url)
    if src is None or not folder.is_dir():
        return []
    found = [p for p in folder.glob(f"{src.stem}-*.db") if p.is_file()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
