"""The shop's PIN key: a secret kept in the data folder beside the audit anchors,
never in the database or a backup.

A PIN hash is ``HMAC-SHA256(key, scrypt(PIN, salt))`` (:mod:`desk.auth`), so a
copied database file alone gives an offline guesser nothing to test a guess
against: without the key, the stored value is a random 32-byte string. The key
lives in ``<data folder>/anchors/pin-keys/<id>.key`` (one line, the secret in hex;
the file readable by its owner only), where ``<id>`` is the first 16 hex digits
of the secret's SHA-256: each stored hash names the key it was made with, so a
missing key is named, never taken for a wrong PIN. ``current`` names the key new
hashes are made with (made at the first PIN set on this computer).

Moving a shop to another computer: ``desk pin-key export FILE`` on the old one,
``desk pin-key import FILE`` on the new one (keys are only ever added, never
replaced: a computer may hold the keys of several shops).

Standard library only (and :mod:`desk.locations`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

#: The first word of a key file's line (and of each line of an export).
MAGIC = "desk-pin-key-v1"
SECRET_BYTES = 32


@dataclass(frozen=True)
class PinKey:
    """A secret and its id (the first 16 hex digits of its SHA-256)."""

    id: str
    secret: bytes = b""

    def __repr__(self) -> str:  # never the secret in a log or a traceback
        return f"PinKey({self.id})"

    @classmethod
    def of(cls, secret: bytes) -> PinKey:
        return cls(hashlib.sha256(secret).hexdigest()[:16], secret)

    def line(self) -> str:
        return f"{MAGIC} {self.secret.hex()}\n"


class PinKeyError(ValueError):
    """A key file that is not one (its text is never part of the message)."""


def folder() -> Path:
    from desk.locations import data_dir

    return data_dir() / "anchors" / "pin-keys"


def _parse_line(line: str) -> PinKey:
    parts = line.split()
    if len(parts) != 2 or parts[0] != MAGIC:
        raise PinKeyError("not a desk PIN key")
    try:
        secret = bytes.fromhex(parts[1])
    except ValueError:
        raise PinKeyError("not a desk PIN key") from None
    if len(secret) != SECRET_BYTES:
        raise PinKeyError("not a desk PIN key")
    return PinKey.of(secret)


def find(key_id: str) -> PinKey | None:
    """The key named ``key_id`` when this computer holds it (and it is intact)."""
    if not key_id.isalnum():
        return None
    try:
        key = _parse_line((folder() / f"{key_id}.key").read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, PinKeyError):
        return None
    return key if key.id == key_id else None


def _write_new(path: Path, text: str) -> bool:
    """Write ``text`` to a new file readable by its owner only; False when it exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    return True


def current(*, create: bool = False) -> PinKey | None:
    """The key new PIN hashes are made with; with ``create`` a new one is made
    the first time (two processes racing agree on the first one written)."""
    pointer = folder() / "current"
    try:
        found = find(pointer.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError):
        found = None
    if found is not None or not create:
        return found
    add(PinKey.of(secrets.token_bytes(SECRET_BYTES)))
    return current()


def add(key: PinKey) -> bool:
    """Keep ``key`` here (never replacing another); it becomes the current key
    when there is none. True when it was not here before."""
    added = _write_new(folder() / f"{key.id}.key", key.line())
    pointer = folder() / "current"
    try:
        points_at = find(pointer.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError):
        points_at = None
    if points_at is None:
        # a key named by no hash yet: two processes racing may both point at theirs,
        # and every hash made with either still finds its key by its id
        tmp = pointer.with_name(f"current.{os.getpid()}.tmp")
        tmp.write_text(key.id + "\n", encoding="ascii")
        os.replace(tmp, pointer)
    return added


def all_keys() -> list[PinKey]:
    try:
        names = sorted(p.stem for p in folder().glob("*.key"))
    except OSError:
        return []
    return [k for k in (find(n) for n in names) if k is not None]


def export_text(keys: list[PinKey]) -> str:
    return "".join(k.line() for k in keys)


def read_export(text: str) -> list[PinKey]:
    """The keys of an export file; PinKeyError when a line is not a key."""
    keys = [_parse_line(line) for line in text.splitlines() if line.strip()]
    if not keys:
        raise PinKeyError("no desk PIN key")
    return keys


def write_export(path: Path, keys: list[PinKey]) -> None:
    """The keys into a new file readable by its owner only (FileExistsError when
    ``path`` exists: an export never replaces a file)."""
    if not _write_new(path, export_text(keys)):
        raise FileExistsError(str(path))
