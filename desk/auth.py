"""PINs for shared terminals: hashing, checking and the throttle policy.

A PIN is 4–8 digits. It is stored only as
``scryptk$key_id$n$r$p$salt_b64$mac_b64``: ``mac = HMAC-SHA256(shop key,
scrypt(PIN, salt))`` (``hashlib.scrypt``, a random 16-byte salt, at least the
OWASP minimum n=2**17, r=8, p=1). The parameters travel with the hash and can be
raised later without invalidating existing PINs; the shop key
(:mod:`desk.store.pinkey`) is kept in the data folder, never in the database, so
a copied database alone cannot be used to test a guess. Hashes of before the key
(``scrypt$n$r$p$salt_b64$hash_b64``) still verify, and :func:`wrap` keys them
without the PIN (done at the user's next sign-in). Neither a PIN nor its hash is
ever put in a log, an audit event or an exception message.

Standard library only: no database, no UI.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from desk.domain.errors import InvalidInput
from desk.i18n import N_

if TYPE_CHECKING:
    from desk.store.pinkey import PinKey


#: OWASP Password Storage Cheat Sheet minimum for scrypt.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
MIN_N, MIN_R, MIN_P = 2**17, 8, 1
SALT_BYTES = 16
KEY_BYTES = 32
PIN_MIN, PIN_MAX = 4, 8

#: Failed attempts before a user is locked out, the first lock-out, and its cap.
#: Failures and lock-outs older than FAILURE_WINDOW_SECONDS stop counting (the
#: README's security section explains why the cap is short).
MAX_FAILURES = 5
LOCK_SECONDS = 60
LOCK_MAX_SECONDS = 300
FAILURE_WINDOW_SECONDS = 15 * 60
#: Minutes without a key press before the terminal locks itself (desk.toml
#: ``idle_lock_minutes`` overrides it; 0 turns the auto-lock off).
IDLE_LOCK_MINUTES = 10


def _maxmem(n: int, r: int, p: int) -> int:
    # scrypt needs 128 * n * r * p bytes (plus a little); OpenSSL's default cap is 32 MiB
    return 128 * n * r * p + 16 * 1024 * 1024


def check_format(pin: str) -> str:
    """The PIN itself, or InvalidInput("pin", …) when it is not 4–8 digits."""
    pin = (pin or "").strip()
    if not (PIN_MIN <= len(pin) <= PIN_MAX) or not pin.isascii() or not pin.isdigit():
        raise InvalidInput("pin", N_("A PIN is 4 to 8 digits"))
    return pin


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _mac(key: PinKey, raw: bytes) -> bytes:
    return hmac.new(key.secret, b"desk-pin\0" + raw, hashlib.sha256).digest()


def hash_pin(pin: str, *, key: PinKey | None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    """The stored form of ``pin``, keyed with the shop's ``key``. ``key=None``
    makes a hash of before the key (the tests' fixtures of old databases)."""
    pin = check_format(pin)
    salt = os.urandom(SALT_BYTES)
    raw = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=_maxmem(n, r, p), dklen=KEY_BYTES)
    if key is None:
        return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(raw)}"
    return f"{KEYED}${key.id}${n}${r}${p}${_b64(salt)}${_b64(_mac(key, raw))}"


#: The scheme of a keyed hash.
KEYED = "scryptk"


@dataclass(frozen=True)
class PinParams:
    n: int
    r: int
    p: int
    salt: bytes
    key: bytes
    #: the shop key the hash was made with; None: a hash of before the key
    key_id: str | None = None

    @property
    def meets_minimum(self) -> bool:
        return self.n >= MIN_N and self.r >= MIN_R and self.p >= MIN_P and len(self.salt) >= 16


def parse(stored: str) -> PinParams:
    """The parameters of a stored hash; ValueError when it is not one of ours."""
    parts = stored.split("$")
    if parts[0] == KEYED and len(parts) == 7:
        _scheme, key_id, n, r, p, salt, mac = parts
        return PinParams(int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(mac), key_id)
    if parts[0] == "scrypt" and len(parts) == 6:
        _scheme, n, r, p, salt, raw = parts
        return PinParams(int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(raw))
    raise ValueError("not an scrypt hash")


def key_id(stored: str | None) -> str | None:
    """The id of the shop key ``stored`` needs (None: none, or not a hash)."""
    try:
        return parse(stored).key_id if stored else None
    except (ValueError, TypeError):
        return None


def verify_hash(pin: str, stored: str | None, key: PinKey | None = None) -> bool:
    """True when ``pin`` matches ``stored``; False for anything else (never
    raises), a keyed hash checked without its key included."""
    if not stored or not pin:
        return False
    try:
        params = parse(stored)
        if params.key_id is not None and (key is None or key.id != params.key_id):
            return False
        raw = hashlib.scrypt(
            pin.strip().encode(),
            salt=params.salt,
            n=params.n,
            r=params.r,
            p=params.p,
            maxmem=_maxmem(params.n, params.r, params.p),
            dklen=KEY_BYTES if params.key_id else len(params.key),
        )
    except (ValueError, TypeError, MemoryError):
        return False
    return hmac.compare_digest(_mac(key, raw) if params.key_id else raw, params.key)


def wrap(stored: str, key: PinKey) -> str:
    """A hash of before the key, keyed with ``key`` (no PIN needed: the mac is
    taken of the scrypt output it holds); ValueError when it is not one."""
    params = parse(stored)
    if params.key_id is not None:
        raise ValueError("already keyed")
    return f"{KEYED}${key.id}${params.n}${params.r}${params.p}${_b64(params.salt)}${_b64(_mac(key, params.key))}"


def needs_rehash(stored: str) -> bool:
    try:
        return not parse(stored).meets_minimum
    except ValueError:
        return True


def lock_seconds(lockouts: int) -> int:
    """How long the ``lockouts``-th lock-out in a row lasts: 60 s, doubling, capped."""
    return min(LOCK_SECONDS * 2 ** max(lockouts - 1, 0), LOCK_MAX_SECONDS)


def forgotten(last_failure_at: datetime | None, now: datetime) -> bool:
    """True when the last failure is older than the window: the count starts afresh."""
    return last_failure_at is None or (now - last_failure_at).total_seconds() >= FAILURE_WINDOW_SECONDS


def locked_for(locked_until: datetime | None, now: datetime) -> int:
    """Whole seconds left of a lock-out (0 when not locked)."""
    if locked_until is None or locked_until <= now:
        return 0
    left = locked_until - now
    return int(left.total_seconds()) + (1 if left % timedelta(seconds=1) else 0)
