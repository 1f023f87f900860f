"""The one translation of raw storage failures into sentences.

SQLite's messages ("database is locked", "attempt to write a readonly
database", "database or disk is full", "file is not a database") and the
operating system's (``[Errno 2]``, ``[Errno 13]``, ``[Errno 28]``) never reach a
user: :func:`from_exception` turns each into a typed
:class:`~desk.domain.errors.StoreUnavailable` whose reason is a message id the UI
translates (``desk.widgets.feedback.describe_error``). The services' error
translation (``desk.services.base._describe``) and every store module use it.
"""

from __future__ import annotations

import errno
import sqlite3

from desk.domain.errors import StandardRefused, StoreBusy, StoreDamaged, StoreUnavailable
from desk.domain.group import REFUSAL_TAG, REFUSALS
from desk.i18n import N_

BUSY = N_("The database is busy on another terminal; try again")
READ_ONLY = N_("The database is read-only; nothing was saved")
DISK_FULL = N_("The disk is full; nothing was saved")
DAMAGED = N_("The database file is damaged; restore it from a backup")
CANNOT_OPEN = N_("The database file cannot be opened")
NO_FOLDER = N_("The folder of the database does not exist: {path}")
#: a read-only open of a file whose last save was cut off (a hot journal): no damage
CRASH_LEFT = N_(
    "{path} was left in the middle of a save by a program that stopped (a crash or a power cut): "
    "it is not damaged, and nothing acknowledged is lost. It cannot be opened read-only until "
    "that save is undone: open it once with desk where the file and its folder can be written"
)

#: errno -> (message id, error class) for an OSError met while using a file
_OS_ERRORS = {
    errno.ENOSPC: (N_("The disk is full: {path} could not be written"), StoreUnavailable),
    errno.EDQUOT: (N_("The disk is full: {path} could not be written"), StoreUnavailable),
    errno.EACCES: (N_("{path} is read-only or not yours: it cannot be written"), StoreUnavailable),
    errno.EPERM: (N_("{path} is read-only or not yours: it cannot be written"), StoreUnavailable),
    errno.EROFS: (N_("{path} is on a read-only disk: it cannot be written"), StoreUnavailable),
    errno.ENOENT: (N_("{path} does not exist"), StoreUnavailable),
    errno.ENOTDIR: (N_("{path} does not exist"), StoreUnavailable),
    errno.EIO: (N_("The disk could not read or write {path}; check the disk"), StoreUnavailable),
}


def is_locked(exc: BaseException) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    return "locked" in text or "busy" in text


def from_exception(exc: BaseException, *, path: object = None) -> StoreUnavailable:
    """A typed store error with a sentence for ``exc`` (a SQLAlchemy error, a
    ``sqlite3`` error, an ``OSError``, or already a StoreUnavailable)."""
    if isinstance(exc, StoreUnavailable):
        return exc
    orig = getattr(exc, "orig", None) or exc
    if isinstance(orig, OSError) and not isinstance(orig, sqlite3.Error):
        where = path if path is not None else (orig.filename or "")
        reason, cls = _OS_ERRORS.get(
            orig.errno or 0, (N_("{path}: the operating system refused ({detail})"), StoreUnavailable)
        )
        return cls(reason, {"path": str(where), "detail": orig.strerror or orig.__class__.__name__})
    text = str(orig) or orig.__class__.__name__
    low = text.lower()
    if REFUSAL_TAG + ":" in text:  # a store's write to head office's standard (desk.store.group)
        table = (text.split(REFUSAL_TAG + ":", 1)[1].split() or [""])[0]
        return StandardRefused(REFUSALS.get(table, REFUSALS["shop_setting"]))
    if "locked" in low or "busy" in low:
        return StoreBusy(BUSY)
    if getattr(orig, "sqlite_errorname", "") == "SQLITE_READONLY_ROLLBACK":
        return StoreUnavailable(CRASH_LEFT, {"path": str(path) if path is not None else "The database"})
    if "readonly" in low or "read-only" in low:
        return StoreUnavailable(READ_ONLY)
    if "disk" in low and ("full" in low or "i/o" in low):
        return StoreUnavailable(DISK_FULL)
    if "malformed" in low or "not a database" in low or "corrupt" in low:
        return StoreDamaged(DAMAGED)
    if "unable to open" in low:
        return StoreUnavailable(CANNOT_OPEN)
    if isinstance(orig, UnicodeDecodeError):  # SQLite's own message quoted damaged bytes
        return StoreDamaged(DAMAGED)
    return StoreUnavailable(text.splitlines()[0][:200])  # shown as "Database error: …"
