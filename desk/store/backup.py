"""Online, consistent SQLite backups that are checked before they count, and a
restore that loses nothing.

Backups
    made with SQLite's backup API (readers and writers carry on), then
    ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` run on the copy.
    They are written under a temporary name and renamed into place only when
    verified; the temporary file is removed on any failure (a full disk, a
    read-only folder), so no ``.part`` is ever left behind. Each is named by the
    database it belongs to, ``<stem>-<id>-<kind>-<stamp>.db``, where ``<id>`` is
    the start of the database's ``shop_id`` (``shop_meta``; a file from before
    that table has a hash of its path instead), so two ``demo.db`` files never
    take each other's backups. Daily backups keep :data:`RETENTION`, the ones
    taken before a migration :data:`PRE_MIGRATION_KEEP`. ``index.json`` in the
    backup folder remembers which file each id came from, so a file too damaged
    to say its id still finds its backups.

Restore
    accepts only a desk database of a known schema (and says what it found
    instead); refuses while any other terminal or process has the database open
    (:mod:`desk.store.presence` names them); keeps the file it replaces whole,
    its WAL or hot journal included, by copying it through SQLite, under a name
    that never overwrites an earlier one; puts the backup in place through
    SQLite too (another program still holding the file sees either the old or
    the new database, never a mix); then runs the integrity and audit checks and
    returns what they found.

The audit log's head
    Every backup has ``<backup>.head`` beside it: the id and hash of the newest
    audit event it holds, so a restored backup is checked against its own head
    (a backup whose newest events were removed later is found). After a restore
    the database's anchor outside it (:mod:`desk.store.anchor`) is reset to the
    restored head, and the restore is audited in the restored database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from desk.domain.errors import StoreBusy, StoreDamaged, StoreNotAShop, StoreUnavailable
from desk.i18n import N_, _
from desk.store import faults, health, presence
from desk.store.health import sqlite_path

RETENTION = 14
PRE_MIGRATION_KEEP = 5
INDEX = "index.json"


# ----------------------------------------------------------------------------- identity


def identity(path: Path) -> str:
    """Eight characters naming the database at ``path``: the start of its
    ``shop_id``, or (a file from before ``shop_meta``, or one that cannot be
    read) ``p`` and a hash of its full path."""
    try:
        conn = sqlite3.connect(health._ro_uri(path), uri=True, timeout=10)
        try:
            row = conn.execute("SELECT value FROM shop_meta WHERE key = 'shop_id'").fetchone()
        finally:
            conn.close()
    except (sqlite3.Error, UnicodeDecodeError):
        row = None
    if row and row[0]:
        return str(row[0]).replace("-", "")[:8].lower()
    return path_identity(path)


def path_identity(path: Path) -> str:
    return "p" + hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:7]


def _index(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _remember(folder: Path, ident: str, src: Path) -> None:
    """Note in the folder's index which database ``ident`` belongs to."""
    known = _index(folder)
    where = str(src.resolve())
    if known.get(ident) == where:
        return
    known[ident] = where
    tmp = folder / f".{INDEX}.{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        tmp.write_text(json.dumps(known, ensure_ascii=False, indent=0), encoding="utf-8")
        os.replace(tmp, folder / INDEX)
    except OSError:
        pass  # the index only helps a damaged file find its backups
    finally:
        tmp.unlink(missing_ok=True)


def identities(path: Path, folder: Path) -> set[str]:
    """Every id the backups of ``path`` in ``folder`` may carry."""
    found = {identity(path), path_identity(path)}
    where = str(path.resolve())
    found |= {ident for ident, src in _index(folder).items() if src == where}
    return found


# ----------------------------------------------------------------------------- checks


def verify(path: Path) -> None:
    """Raise StoreUnavailable unless ``path`` is an intact database."""
    try:
        conn = sqlite3.connect(health._ro_uri(path), uri=True)
        conn.text_factory = bytes  # a damaged file's messages need not be UTF-8
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchall()
            fk = conn.execute("PRAGMA foreign_key_check").fetchall()
        finally:
            conn.close()
    except (sqlite3.DatabaseError, UnicodeDecodeError):
        raise StoreDamaged(N_("The backup {path} is not a usable database"), {"path": str(path)}) from None
    if integrity != [(b"ok",)] or fk:
        raise StoreDamaged(N_("The backup {path} failed its integrity check"), {"path": str(path)})


_NOT_A_BACKUP = {
    "missing": N_("There is no file at {path}"),
    "empty": N_("{path} is empty (0 bytes): it is not a backup"),
    "not-sqlite": N_("{path} is not a SQLite file: it is not a desk backup"),
    "damaged": N_("{path} is damaged: it is not a usable backup"),
    "sqlite-empty": N_("{path} is a SQLite database without tables: it is not a desk backup"),
    "foreign": N_("{path} is another program's SQLite database (tables: {tables}): it is not a desk backup"),
    "newer": N_("{path} comes from a newer version of desk (schema {rev}): update desk before restoring it"),
}


def check_backup(path: Path) -> health.Found:
    """A file a restore may use: a desk database of a known schema, intact."""
    found = health.inspect(path)
    if found.kind != "desk":
        raise StoreNotAShop(
            _NOT_A_BACKUP[found.kind],
            {"path": str(path), "tables": ", ".join(found.tables[:5]), "rev": found.revision or ""},
        )
    verify(path)
    return found


def _source(url: str) -> Path:
    """The SQLite file at ``url``, which must be a desk database to back up."""
    src = sqlite_path(url)
    if src is None:
        raise StoreUnavailable(N_("Backups here are for SQLite; back PostgreSQL up with pg_dump"))
    if not src.parent.is_dir():
        raise StoreUnavailable(faults.NO_FOLDER, {"path": str(src.parent)})
    found = health.inspect(src)
    if found.kind == "missing":
        raise StoreUnavailable(N_("There is no database at {path}"), {"path": str(src)})
    if found.kind == "damaged":
        raise StoreDamaged(
            N_("{path} is damaged: it cannot be backed up; restore it from a backup"), {"path": str(src)}
        )
    if found.kind not in ("desk", "newer"):
        raise StoreNotAShop(
            N_("{path} is not a desk database ({what}): nothing was backed up"),
            {"path": str(src), "what": _what(found)},
        )
    return src


def _what(found: health.Found) -> str:
    return {
        "empty": "0 bytes",
        "not-sqlite": "not a SQLite file",
        "sqlite-empty": "SQLite without tables",
        "foreign": "another program's SQLite database",
    }.get(found.kind, found.kind)


def _writable_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise StoreUnavailable(N_("The backup folder does not exist: {path}"), {"path": str(folder)})
    if not os.access(folder, os.W_OK):
        raise StoreUnavailable(N_("The backup folder {path} is read-only: choose another one"), {"path": str(folder)})


# ----------------------------------------------------------------------------- copying


def _open_source(path: Path) -> sqlite3.Connection:
    """A connection that sees the database's committed state: read-write where
    the folder allows it (so a hot journal left by a crash is rolled back first),
    read-only otherwise (a backup from a read-only folder)."""
    if os.access(path.parent, os.W_OK) and os.access(path, os.W_OK):
        return sqlite3.connect(path, timeout=30, isolation_level=None)
    return sqlite3.connect(health._ro_uri(path), uri=True, timeout=30, isolation_level=None)


def _tmp_beside(final: Path) -> Path:
    return final.with_name(f".{final.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part")


def _copy_to(source: sqlite3.Connection, tmp: Path) -> None:
    target = sqlite3.connect(tmp)
    try:
        source.backup(target)
        # a backup is one self-contained file: no -wal/-shm beside it
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())


def _place(tmp: Path, final: Path, *, unique: bool) -> Path:
    """Give the verified ``tmp`` its real name. ``unique``: never over an existing
    file; ``-2``, ``-3`` … are added instead (a hard link fails if the name is
    taken, atomically, where a rename would overwrite)."""
    if not unique:
        os.replace(tmp, final)
        return final
    n = 1
    while True:
        name = final if n == 1 else final.with_name(f"{final.stem}-{n}{final.suffix}")
        try:
            os.link(tmp, name)
        except FileExistsError:
            n += 1
            continue
        except OSError:  # no hard links here (some filesystems): check, then rename
            if name.exists():
                n += 1
                continue
            os.replace(tmp, name)
            return name
        tmp.unlink()
        return name


def _translate(exc: BaseException, where: Path) -> StoreUnavailable:
    if isinstance(exc, StoreUnavailable):
        return exc
    if isinstance(exc, sqlite3.Error):
        text = str(exc).lower()
        if "full" in text:
            return StoreUnavailable(N_("The disk is full: {path} could not be written"), {"path": str(where)})
        if "unable to open" in text or "readonly" in text:
            return StoreUnavailable(N_("{path} is read-only or not yours: it cannot be written"), {"path": str(where)})
    return faults.from_exception(exc, path=where)


def copy_database(src: Path, final: Path, *, unique: bool = True) -> Path:
    """Copy the database at ``src`` (its committed state, WAL included) to
    ``final`` through a temporary file, verify the copy, and name it. On any
    failure nothing is left behind."""
    tmp = _tmp_beside(final)
    try:
        try:
            source = _open_source(src)
        except sqlite3.Error as exc:
            raise _translate(exc, src) from None
        try:
            _copy_to(source, tmp)
        finally:
            source.close()
        verify(tmp)
        return _place(tmp, final, unique=unique)
    except StoreUnavailable:
        raise
    except (OSError, sqlite3.Error) as exc:
        raise _translate(exc, final.parent) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        for side in ("-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                tmp.with_name(tmp.name + side).unlink(missing_ok=True)


# ----------------------------------------------------------------------------- the audit head

HEAD_SUFFIX = ".head"


def head_path(backup_file: Path) -> Path:
    return backup_file.with_name(backup_file.name + HEAD_SUFFIX)


def _record_head(made: Path) -> None:
    """Write ``<made>.head``: the newest audit event of the verified copy."""
    try:
        conn = sqlite3.connect(health._ro_uri(made), uri=True)
        try:
            row = conn.execute("SELECT id, hash FROM audit_event ORDER BY id DESC LIMIT 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return
    data = {
        "id": int(row[0]) if row else 0,
        "hash": str(row[1]) if row else "",
        "at": datetime.now().replace(microsecond=0).isoformat(sep=" "),
        "file": made.name,
    }
    final = head_path(made)
    tmp = _tmp_beside(final)
    try:
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, final)
    except OSError:
        pass  # the copy is verified; without its head a restore checks the chain alone
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def recorded_head(backup_file: Path) -> dict | None:
    """What ``<backup>.head`` says (None: no head was recorded with it)."""
    try:
        data = json.loads(head_path(backup_file).read_text(encoding="utf-8"))
        return {"id": int(data["id"]), "hash": str(data["hash"]), "at": str(data.get("at", ""))}
    except (OSError, ValueError, KeyError, TypeError):
        return None


# ----------------------------------------------------------------------------- backups


def _made_folder(folder: Path | None) -> Path:
    """``folder`` (default: the backup folder), made if it is not there yet."""
    if folder is None:
        from desk.locations import backup_dir

        folder = backup_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise faults.from_exception(exc, path=folder) from None
    return folder


def _stamp(now: datetime | None = None) -> str:
    return f"{(now or datetime.now()):%Y%m%d-%H%M%S}"


def backup(url: str, dest: Path | None = None, *, kind: str = "") -> Path:
    """Copy the live database to ``dest`` (default: the backup folder; a folder:
    a name made there) and verify the copy. Returns the path of the verified
    copy; never overwrites an existing file."""
    src = _source(url)
    ident = identity(src)
    label = f"{kind}-" if kind else ""
    if dest is None:
        folder = _made_folder(None)
        dest = folder / f"{src.stem}-{ident}-{label}{_stamp()}.db"
    elif dest.is_dir():
        folder = dest
        dest = dest / f"{src.stem}-{ident}-{label}{_stamp()}.db"
    else:
        folder = dest.parent
        if dest.exists():
            raise StoreUnavailable(N_("{path} exists: choose another name for the backup"), {"path": str(dest)})
    _writable_folder(folder)
    made = copy_database(src, dest)
    _record_head(made)
    _remember(folder, ident, src)
    return made


def pre_migration_backup(
    url: str, revision: str | None, folder: Path | None = None, *, keep: int = PRE_MIGRATION_KEEP
) -> Path:
    """The verified backup taken before a migration from ``revision``; the last
    ``keep`` of them (of this database) are kept."""
    folder = _made_folder(folder)
    made = backup(url, folder, kind=f"before-{revision or 'none'}")
    src = sqlite_path(url)
    if src is not None:  # always: backup() made one of a SQLite file
        _rotate(folder, identity(src), "before-", keep)
    return made


def _rotate(folder: Path, ident: str, kind: str, keep: int) -> None:
    made = sorted(p for p in folder.glob(f"*-{ident}-{kind}*.db") if not p.name.startswith("."))
    for old in made[:-keep] if keep else made:
        with contextlib.suppress(OSError):
            old.unlink(missing_ok=True)  # another terminal may have rotated it already
        with contextlib.suppress(OSError):
            head_path(old).unlink(missing_ok=True)


def daily_backup(url: str, folder: Path, *, today: datetime | None = None, keep: int = RETENTION) -> Path | None:
    """Make today's backup if there is none yet, and keep the last ``keep``."""
    src = sqlite_path(url)
    if src is None or not src.exists():
        return None
    _made_folder(folder)
    ident = identity(src)
    stamp = f"{(today or datetime.now()):%Y%m%d}"
    made = None
    if not list(folder.glob(f"*-{ident}-daily-{stamp}.db")):
        _writable_folder(folder)
        _source(url)
        made = copy_database(src, folder / f"{src.stem}-{ident}-daily-{stamp}.db", unique=False)
        _record_head(made)
        _remember(folder, ident, src)
    _rotate(folder, ident, "daily-", keep)
    return made


def backups_for(url: str, folder: Path) -> list[Path]:
    """The backups of the database at ``url`` in ``folder``, newest first (the
    files a damaged database can be restored from)."""
    src = sqlite_path(url)
    if src is None or not folder.is_dir():
        return []
    found: set[Path] = set()
    for ident in identities(src, folder):
        found |= {p for p in folder.glob(f"*-{ident}-*.db") if p.is_file() and not p.name.startswith(".")}

    def mtime(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except OSError:
            return 0.0

    return sorted(found, key=mtime, reverse=True)


# ----------------------------------------------------------------------------- restore


@dataclass
class RestoreReport:
    """What a restore did and what the checks found on the restored file."""

    path: Path
    source: Path
    #: the replaced file, kept whole (None: there was nothing to replace)
    kept: Path | None = None
    integrity_ok: bool = True
    audit_events: int = 0
    audit_problems: list = field(default_factory=list)
    #: the newest audit event the backup recorded beside it (None: none recorded)
    backup_head: dict | None = None
    #: the anchor outside the database was reset to the restored head
    anchored: bool = False

    @property
    def ok(self) -> bool:
        return self.integrity_ok and not self.audit_problems


def _kept_name(dest: Path) -> Path:
    return dest.with_name(f"{dest.stem}-before-restore-{_stamp()}{dest.suffix}")


def keep_whole(dest: Path) -> Path:
    """Copy the database being replaced, with what its WAL or journal holds,
    to a name of its own beside it. Through SQLite when it can be read; a file
    too damaged for that is copied as it is, its -wal/-journal beside the copy,
    so opening the copy sees exactly what opening the original would have."""
    final = _kept_name(dest)
    try:
        return copy_database(dest, final)
    except StoreUnavailable as exc:
        if not isinstance(exc, StoreDamaged) and health.inspect(dest).kind != "damaged":
            raise
    tmp = _tmp_beside(final)
    try:
        shutil.copyfile(dest, tmp)
        name = _place(tmp, final, unique=True)
        for side in ("-wal", "-journal"):
            extra = dest.with_name(dest.name + side)
            if extra.exists():
                shutil.copyfile(extra, name.with_name(name.name + side))
        return name
    except OSError as exc:
        raise faults.from_exception(exc, path=dest.parent) from None
    finally:
        tmp.unlink(missing_ok=True)


def _put(src: Path, dest: Path) -> None:
    """Write the backup into ``dest`` through SQLite's backup API (journaled: a
    crash half-way leaves the old database); a destination too damaged for
    SQLite to write is replaced as a file (it was kept whole before)."""
    from desk.store.db import journal_mode

    source = sqlite3.connect(health._ro_uri(src), uri=True)
    try:
        try:
            target = sqlite3.connect(dest, timeout=10, isolation_level=None)
            try:
                source.backup(target)
                target.execute(f"PRAGMA journal_mode={journal_mode()}")
            finally:
                target.close()
            return
        except sqlite3.OperationalError as exc:
            if faults.is_locked(exc):
                raise StoreBusy(presence.HELD_UNKNOWN) from None
            if "full" in str(exc).lower() or "readonly" in str(exc).lower():
                raise _translate(exc, dest) from None
        except sqlite3.DatabaseError:
            pass  # damaged: replaced below
        tmp = _tmp_beside(dest)
        try:
            _copy_to(source, tmp)
            os.replace(tmp, dest)
        finally:
            tmp.unlink(missing_ok=True)
        for side in ("-wal", "-shm", "-journal"):  # the damaged file's, kept with it
            dest.with_name(dest.name + side).unlink(missing_ok=True)
    finally:
        source.close()


def check_restored(path: Path, source: Path, kept: Path | None, audit: tuple[list, int] | None = None) -> RestoreReport:
    """The integrity check and the audit chain of the restored database (``audit``:
    the chain as the backup's own check found it, the same file copied whole)."""
    report = RestoreReport(path=path, source=source, kept=kept, backup_head=recorded_head(source))
    try:
        verify(path)
    except StoreUnavailable:
        report.integrity_ok = False
        return report
    report.audit_problems, report.audit_events = audit or audit_of(path, source)
    return report


def audit_of(path: Path, source: Path) -> tuple[list, int]:
    """The audit chain of the database at ``path`` (a backup, or the file restored
    from ``source``), checked against the head ``source``'s backup recorded
    beside it: the problems and the count of events."""
    import sqlalchemy as sa
    from sqlmodel import Session

    from desk.store import audit
    from desk.store.db import make_engine

    head_seen = recorded_head(source)
    engine = make_engine(f"sqlite:///{path}", readonly=True)
    try:
        with Session(engine) as session:
            problems = audit.verify(session)
            if head_seen:
                from desk.store.anchor import Head

                head = Head(head_seen["id"], head_seen["hash"])
                problems += audit.against_head(session, head, path=str(head_path(source)), at=head_seen["at"])
            events = session.execute(sa.text("SELECT count(*) FROM audit_event")).scalar_one()
    except sa.exc.DBAPIError as exc:
        raise faults.from_exception(exc, path=path) from None
    finally:
        engine.dispose()
    return problems, events


#: How long a restore waits for a lock held by a program that is not desk.
PROBE_SECONDS = 2.0

OPEN_ELSEWHERE = N_("The database is open in another program: {holders}. Close it first; nothing was restored")
LOCKED_ELSEWHERE = N_(
    "The database is locked by another program (it did not let go within {seconds} seconds). "
    "Close it first; nothing was restored"
)
OTHER_SHOP = N_(
    "{src} is a backup of another shop: {theirs}. The database here belongs to {ours}. Nothing was "
    "restored; to put the other shop's data here all the same, restore with --other-shop"
)
AUDIT_CHANGED = N_(
    "{src}'s audit log does not hold: {problem}. Nothing was restored: restoring it would make its "
    "changed log the anchored one. To restore it all the same, knowing its log was changed, restore "
    "with --despite-audit (the restore is audited with what was found)"
)
NOT_A_DESK_TARGET = N_(
    "{path} is not a desk database ({what}): a restore replaces only a shop's database, and "
    "nothing was changed. Choose the shop's file"
)


def _probe_free(dest: Path) -> None:
    """Refuse, within seconds, while any other process has the file open or
    locked: one that does not announce itself (not desk) is found in ``/proc``,
    and a lock is probed with a short timeout (never the restore's hang)."""
    others = presence.openers(dest)
    if others:
        raise StoreBusy(
            OPEN_ELSEWHERE,
            {"holders": "; ".join(o.describe() for o in others)},
            holders=tuple(o.describe() for o in others),
        )
    if not dest.exists():
        return
    try:
        conn = sqlite3.connect(dest, timeout=PROBE_SECONDS, isolation_level=None)
        try:
            conn.execute("BEGIN EXCLUSIVE")  # rolls a hot journal back first, as any write would
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if faults.is_locked(exc):
            raise StoreBusy(LOCKED_ELSEWHERE, {"seconds": f"{PROBE_SECONDS:g}"}) from None
        # a damaged file: what it is is decided next


def shop_of(path: Path) -> tuple[str, str] | None:
    """(shop id, shop name) of a desk database; None when it cannot say."""
    try:
        conn = sqlite3.connect(health._ro_uri(path), uri=True, timeout=PROBE_SECONDS)
        try:
            row = conn.execute("SELECT value FROM shop_meta WHERE key = 'shop_id'").fetchone()
            try:
                name = conn.execute("SELECT value FROM shop_setting WHERE key = 'shop_name'").fetchone()
            except sqlite3.Error:
                name = None
        finally:
            conn.close()
    except (sqlite3.Error, UnicodeDecodeError):
        return None
    if not row or not row[0]:
        return None
    return str(row[0]), str(name[0]) if name and name[0] else ""


def _shop_words(shop: tuple[str, str]) -> str:
    shop_id, name = shop
    return f"{name} (shop id {shop_id[:8]})" if name else f"shop id {shop_id[:8]}"


def _tables(path: Path) -> set[str]:
    """The table names a damaged file still shows (its first page), if any."""
    try:
        conn = sqlite3.connect(health._ro_uri(path), uri=True, timeout=PROBE_SECONDS)
        try:
            return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            conn.close()
    except (sqlite3.Error, UnicodeDecodeError):
        return set()


#: What a damaged file's schema still says when it is desk's (its first pages).
DESK_SCHEMA_MARKS = (b"CREATE TABLE audit_event", b"CREATE TABLE alembic_version")


def _shows_desk_schema(path: Path, limit: int = 1 << 20) -> bool:
    """The schema text of a file SQLite cannot read any more still names desk's tables."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(limit)
    except OSError:
        return False
    return all(mark in head for mark in DESK_SCHEMA_MARKS)


def _known_to_desk(dest: Path, folders: list[Path]) -> bool:
    """desk has backed this path up, or anchored its audit log: it was a shop's
    database (now too damaged to say so itself)."""
    where = str(dest.resolve())
    if any(where in _index(f).values() for f in folders):
        return True
    from desk.store import anchor

    d = anchor.folder()
    if d.is_dir():
        for p in d.glob("*.json"):
            try:
                if json.loads(p.read_text(encoding="utf-8")).get("db") == where:
                    return True
            except (OSError, ValueError, AttributeError):
                continue
    return False


def _check_target(dest: Path, src: Path) -> tuple[str, str] | None:
    """The file a restore replaces must be a desk database (or nothing yet: 0
    bytes, SQLite without tables). A damaged one counts while it still shows
    desk's tables or desk knows the path. Returns its shop, when it says."""
    found = health.inspect(dest)
    if found.kind in ("missing", "empty", "sqlite-empty"):
        return None
    if found.kind in ("desk", "newer"):
        return shop_of(dest)
    if found.kind == "damaged" and (health.DESK_TABLES <= _tables(dest) or _shows_desk_schema(dest)):
        return shop_of(dest)
    if found.kind in ("damaged", "not-sqlite"):
        from desk.locations import backup_dir

        if _known_to_desk(dest, [src.parent, backup_dir()]):
            return None
    what = {"damaged": "a damaged SQLite file desk has never known"}.get(found.kind, _what(found))
    if found.kind == "foreign":
        what += f": {', '.join(found.tables[:5])}"
    raise StoreNotAShop(NOT_A_DESK_TARGET, {"path": str(dest), "what": what})


def restore(
    src: Path, url: str, *, confirmed: bool, other_shop: bool = False, despite_audit: bool = False
) -> RestoreReport:
    """Put a verified desk backup in place of the database at ``url``.

    Refuses: a file that is not a desk backup of a known schema (saying what it
    is), overwriting an existing database unless ``confirmed``, any time another
    terminal or process has the database open or locked (naming them, within
    seconds), a file to replace that is not a desk database, and another shop's
    backup unless ``other_shop`` (naming both shops), and a backup whose audit log
    does not hold (its chain, or the head recorded beside it) unless
    ``despite_audit`` (then the restore's audit event names what was found: the
    anchor never takes a changed log unsaid). The replaced file is kept
    whole beside it; the report says where, and what the integrity and audit
    checks found on the restored file."""
    dest = sqlite_path(url)
    if dest is None:
        raise StoreUnavailable(N_("Restore here is for SQLite; restore PostgreSQL with pg_restore"))
    if not dest.parent.is_dir():
        raise StoreUnavailable(faults.NO_FOLDER, {"path": str(dest.parent)})
    src = Path(src)
    if src.exists() and dest.exists() and src.resolve() == dest.resolve():
        raise StoreUnavailable(N_("{path} is the database itself: choose a backup"), {"path": str(src)})
    check_backup(src)
    exists = dest.exists() or any(dest.with_name(dest.name + s).exists() for s in ("-wal", "-journal"))
    if exists and not confirmed:
        raise StoreUnavailable(N_("{path} exists: confirm to overwrite it"), {"path": str(dest)})
    if not os.access(dest.parent, os.W_OK):
        raise StoreUnavailable(N_("The folder {path} is read-only: nothing was restored"), {"path": str(dest.parent)})
    with presence.alone(dest):
        _probe_free(dest)
        ours = _check_target(dest, src) if dest.exists() else None
        theirs = shop_of(src)
        if ours and theirs and ours[0] != theirs[0] and not other_shop:
            raise StoreUnavailable(
                OTHER_SHOP, {"src": src.name, "theirs": _shop_words(theirs), "ours": _shop_words(ours)}
            )
        found, events = audit_of(src, src)
        # desk's own recovery of a damaged file: its log lost what the damage took,
        # said in the report and in the restore's audit event, never refused
        if found and not despite_audit and not _recovered_by_desk(src):
            first = found[0]
            more = f" (+{len(found) - 1})" if len(found) > 1 else ""
            problem = _("event {id}: {problem}", id=first.event_id, problem=first.text())
            raise StoreUnavailable(AUDIT_CHANGED, {"src": src.name, "problem": problem + more})
        kept = keep_whole(dest) if exists and dest.exists() and dest.stat().st_size else None
        try:
            _put(src, dest)
        except (OSError, sqlite3.Error) as exc:
            raise _translate(exc, dest) from None
    report = check_restored(dest, src, kept, (found, events))
    if report.integrity_ok:
        report.anchored = _re_anchor(dest, src, kept, [f"event {p.event_id}: {p.problem}" for p in found])
    return report


def _recovered_by_desk(path: Path) -> bool:
    """``desk db recover`` made this file (it says so in its shop_meta)."""
    try:
        conn = sqlite3.connect(health._ro_uri(path), uri=True, timeout=PROBE_SECONDS)
        try:
            row = conn.execute("SELECT value FROM shop_meta WHERE key = 'recovered_from'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0])


def _re_anchor(dest: Path, src: Path, kept: Path | None, despite: list[str] | None = None) -> bool:
    """The restored database's anchor is its own head now; the restore is audited."""
    import getpass

    import sqlalchemy as sa

    from desk.store import audit
    from desk.store.db import make_engine

    engine = make_engine(f"sqlite:///{dest}")
    try:
        audit.reset_anchor(
            engine,
            user_name=f"desk restore ({getpass.getuser()})"[:80],
            at=datetime.now().replace(microsecond=0),
            action="store.restore",
            after={
                "source": str(src),
                "kept": str(kept) if kept else "",
                **({"despite_audit": despite} if despite else {}),
            },
        )
        return True
    except (sa.exc.DBAPIError, OSError, StoreUnavailable):
        return False  # the restore stands; verify will say the anchor is missing
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- recovery

NOT_RECOVERED = N_("{path} is too damaged to recover anything from: {detail}")

#: Rows read per query while salvaging a table.
SALVAGE_BATCH = 500


@dataclass
class Recovered:
    """What :func:`recover` made: the new file, whether it is a whole desk
    database again, the rows it holds per table and the rows it could not read."""

    path: Path
    desk: bool
    rows: dict[str, int]
    unreadable: int = 0


def _salvage_table(source: sqlite3.Connection, target: sqlite3.Connection, table: str) -> tuple[int, int]:
    """Copy every row of ``table`` SQLite can still read, in rowid order. A read
    that fails (it met a damaged page) is stepped over: ever larger steps find a
    rowid past the damage, then halving finds the first one that reads again, so
    only the damaged page's rows are lost. Returns (rows copied, failed reads)."""
    cols = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')]
    names = ", ".join(f'"{c}"' for c in cols)
    insert = f'INSERT OR IGNORE INTO "{table}" (rowid, {names}) VALUES ({", ".join("?" * (len(cols) + 1))})'
    select = f'SELECT rowid, {names} FROM "{table}" WHERE rowid > ? ORDER BY rowid LIMIT ?'
    failed = 0

    def read(after: int, limit: int = 1) -> list[Any] | None:
        nonlocal failed
        try:
            return source.execute(select, (after, limit)).fetchall()
        except sqlite3.DatabaseError:
            failed += 1
            return None

    last, copied, edge = -(1 << 62), 0, 1 << 62
    while True:
        rows = read(last, SALVAGE_BATCH)
        if rows is None:
            while one := read(last):  # row by row up to the damaged page
                target.executemany(insert, one)
                copied += 1
                last = one[0][0]
            if one is not None:  # the end of the table: the batch failed on its last page
                return copied, failed
            lo, step = last, 1
            while True:  # past the damage
                hi = min(lo + step, edge)
                if read(hi) is not None:
                    break
                if hi >= edge:
                    return copied, failed
                lo, step = hi, step * 2
            while hi - lo > 1:  # the first rowid that reads again
                mid = (lo + hi) // 2
                if read(mid) is None:
                    lo = mid
                else:
                    hi = mid
            last = hi
            continue
        if not rows:
            return copied, failed
        target.executemany(insert, rows)
        copied += len(rows)
        last = rows[-1][0]


def recover(path: Path) -> Recovered:
    """Salvage a damaged database into a new file beside it,
    ``<stem>-recovered-<time>.db``, leaving the damaged file as it is: desk's
    schema as the file still states it, and every row SQLite can still read
    (table by table, stepping over damaged pages), then its indexes and
    triggers. The new file must pass SQLite's integrity check; the result says
    whether desk's tables all came back and how many reads failed."""
    if not path.exists():
        raise StoreUnavailable(N_("There is no database at {path}"), {"path": str(path)})
    final = path.with_name(f"{path.stem}-recovered-{_stamp()}{path.suffix or '.db'}")
    tmp = _tmp_beside(final)
    rows: dict[str, int] = {}
    unreadable = 0
    try:
        source = sqlite3.connect(health._ro_uri(path), uri=True)
        try:
            schema = source.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
            ).fetchall()
        except sqlite3.DatabaseError as exc:
            source.close()
            raise StoreDamaged(NOT_RECOVERED, {"path": str(path), "detail": str(exc)[:200]}) from None
        target = sqlite3.connect(tmp, isolation_level=None)
        try:
            target.execute("BEGIN")
            for kind, name, sql in schema:
                if kind == "table":
                    target.execute(sql)
            for kind, name, _sql in schema:
                if kind == "table":
                    rows[name], failed = _salvage_table(source, target, name)
                    unreadable += failed
            for kind, _name, sql in schema:
                if kind in ("index", "trigger", "view"):
                    target.execute(sql)
            if "shop_meta" in rows:  # a restore knows its log lost what the damage took
                target.execute(
                    "INSERT OR REPLACE INTO shop_meta (key, value) VALUES ('recovered_from', ?)", (str(path)[:200],)
                )
            target.execute("COMMIT")
        finally:
            target.close()
            source.close()
        verify(tmp)
        made = _place(tmp, final, unique=True)
    except (OSError, sqlite3.Error) as exc:
        raise _translate(exc, final.parent) from None
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return Recovered(made, health.inspect(made).kind == "desk", rows, unreadable)
