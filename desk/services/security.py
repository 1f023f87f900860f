"""Use cases of sign-in on shared terminals: setting and checking PINs, with a
throttle kept in the database (so it survives restarts and terminal switches).

Every PIN hash is keyed with the shop's PIN key, kept in the data folder and never
in the database (:mod:`desk.store.pinkey`): a database without its key is named
as such at sign-in; a hash of before the key is keyed at its user's next sign-in.
A manager whose PIN is lost gets a new one on the shop's own computer
(:meth:`SecurityService.recover_manager`: it needs the key file), audited.

Never a PIN or a hash in an audit event, a log line or an exception message.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlmodel import Session, col, select

from desk import auth
from desk.domain import staff
from desk.domain.entities import User
from desk.domain.errors import InvalidInput, NotAllowed
from desk.i18n import N_
from desk.services.context import Service
from desk.store import pinkey, repo
from desk.store.models import LoginThrottleRow, UserRow

MISSING_KEY = N_(
    "This shop's PINs were set with its PIN key {key}, which is not on this computer (in {folder}): "
    "bring it from the shop's computer (desk pin-key export, then desk pin-key import here), or "
    "give a manager a new PIN there (desk recover-manager)"
)


class SecurityService(Service):
    """PINs: set, clear, verify (throttled)."""

    def set_pin(self, actor: User, user_id: int, pin: str) -> None:
        """Set ``user_id``'s PIN: the user themselves, or a manager for anyone.
        ``actor`` is who is signed in (or approved) on this terminal; the CLI,
        where nobody is, goes through :meth:`set_pin_authorised`."""
        staff.may_set_pin(actor, user_id).check()
        self._store_pin(actor, user_id, pin)

    def set_pin_authorised(
        self, user_id: int, pin: str, *, by_id: int | None = None, by_pin: str | None = None
    ) -> User:
        """``desk set-pin``: a user who has a PIN gets a new one only with that PIN
        (``by_id`` = the user) or a manager's (``by_id`` = the manager), checked
        and throttled like a sign-in. A user without a PIN yet gets a first one
        without (the shop's computer sets the first PINs). Returns who set it."""
        target = self._read(lambda s: s.get(UserRow, user_id))
        if target is None or not target.active:
            raise InvalidInput("user", N_("No such user"))
        auth.check_format(pin)  # a typo in the new PIN costs no try of the old one
        if by_id is None:
            if target.pin_hash is not None:
                raise NotAllowed(N_("replace a PIN"), N_("the current PIN or a manager's"))
            actor = repo.to_user(target)
        else:
            actor = self.verify_pin(by_id, by_pin or "")
        staff.may_set_pin(actor, user_id).check()
        self._store_pin(actor, user_id, pin)
        return actor

    def set_pins(self, actor: User, pins: Mapping[int, str]) -> None:
        """Several PINs at once (the demo's staff), each as :meth:`set_pin` would set
        it, stored in the given order. The hashes are made two at a time: scrypt
        lets go of the interpreter while it works, so a second core halves the
        wait; two, not more, as each takes 128 MiB while it runs."""
        for user_id in pins:
            staff.may_set_pin(actor, user_id).check()
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="pin") as pool:
            key = self._key()
            hashes = list(pool.map(lambda pin: auth.hash_pin(pin, key=key), pins.values()))
        for user_id, stored in zip(pins, hashes):
            self._store_hash(actor, user_id, stored)

    def _store_pin(self, actor: User, user_id: int, pin: str) -> None:
        # slow on purpose: outside the transaction
        self._store_hash(actor, user_id, auth.hash_pin(pin, key=self._key()))

    @staticmethod
    def _key() -> pinkey.PinKey:
        """This computer's PIN key, made the first time a PIN is set here."""
        try:
            return pinkey.current(create=True)
        except OSError as exc:
            raise InvalidInput(
                "pin",
                N_("The PIN key cannot be kept in {folder} ({error}): no PIN was set"),
                {"folder": str(pinkey.folder()), "error": exc.strerror or str(exc)},
            ) from None

    @staticmethod
    def _key_of(stored: str) -> pinkey.PinKey | None:
        """The key ``stored`` was made with (None: a hash of before the key);
        InvalidInput naming the key when this computer does not hold it."""
        key_id = auth.key_id(stored)
        if key_id is None:
            return None
        key = pinkey.find(key_id)
        if key is None:
            raise InvalidInput("pin", MISSING_KEY, {"key": key_id, "folder": str(pinkey.folder())})
        return key

    def _store_hash(
        self, actor: User, user_id: int, stored: str, *, action: str = "user.pin_set", noted: dict | None = None
    ) -> None:
        """Store a PIN hash, the throttle reset, audited as ``action`` with ``noted``
        (by default who set it)."""

        def run(session: Session) -> None:
            row = session.get(UserRow, user_id)
            if row is None:
                raise InvalidInput("user", N_("No such user"))
            had = row.pin_hash is not None
            row.pin_hash = stored
            session.add(row)
            self._reset_throttle(session, user_id)
            self._audit(
                session,
                actor,
                action,
                "user",
                user_id,
                after={
                    "user": row.name,
                    "replaced": had,
                    "source": self.ctx.source,
                    **(noted if noted is not None else {"by": actor.name}),
                },
            )

        self._write(run)

    def clear_lockout(self, actor: User, user_id: int) -> None:
        """A manager lets a locked-out user try again at once (audited)."""
        staff.may_clear_lockout(actor).check()

        def run(session: Session) -> None:
            row = session.get(UserRow, user_id)
            if row is None:
                raise InvalidInput("user", N_("No such user"))
            self._reset_throttle(session, user_id)
            self._audit(
                session,
                actor,
                "user.lockout_clear",
                "user",
                user_id,
                after={"user": row.name, "by": actor.name, "source": self.ctx.source},
            )

        self._write(run)

    def clear_lockout_authorised(self, user_id: int, *, by_id: int, by_pin: str) -> User:
        """``desk clear-lockout``: a manager's PIN clears another user's lock-out."""
        actor = self.verify_pin(by_id, by_pin)
        self.clear_lockout(actor, user_id)
        return actor

    def switch_user(self, before: User | None, after: User) -> None:
        """``after`` signed in on this terminal in place of ``before`` (audited as
        ``after``, whose PIN was just checked)."""

        def run(session: Session) -> None:
            self._audit(
                session,
                after,
                "user.switch",
                "user",
                after.id,
                before={"user": before.name} if before is not None else None,
                after={"user": after.name, "source": self.ctx.source},
            )

        self._write(run)

    def clear_pin(self, actor: User, user_id: int) -> None:
        """A manager removes a forgotten PIN (the user then sets a new one)."""
        staff.may_clear_pin(actor).check()

        def run(session: Session) -> None:
            row = session.get(UserRow, user_id)
            if row is None:
                raise InvalidInput("user", N_("No such user"))
            row.pin_hash = None
            session.add(row)
            self._reset_throttle(session, user_id)
            self._audit(session, actor, "user.pin_clear", "user", user_id, after={"user": row.name})

        self._write(run)

    def pin_users(self) -> set[int]:
        """Ids of the users who have a PIN (the sign-in screen asks them for it)."""
        return self._read(lambda s: repo.pin_user_ids(session=s))

    def locked_users(self) -> dict[int, int]:
        """Users locked out now: id -> seconds left (the set-up screen shows them)."""

        def run(session: Session) -> dict[int, int]:
            now = self.now()
            rows = session.exec(select(LoginThrottleRow)).all()
            return {r.user_id: w for r in rows if (w := auth.locked_for(r.locked_until, now))}

        return self._read(run)

    def locked_for(self, user_id: int) -> int:
        """Seconds until ``user_id`` may try a PIN again (0: now)."""

        def run(session: Session) -> int:
            row = session.get(LoginThrottleRow, user_id)
            return auth.locked_for(row.locked_until if row else None, self.now())

        return self._read(run)

    def verify_pin(self, user_id: int, pin: str) -> User:
        """The user when ``pin`` is theirs; otherwise InvalidInput("pin", …).

        After :data:`desk.auth.MAX_FAILURES` wrong PINs the user is locked for
        60 s, doubling with each further lock-out up to a short cap; while locked,
        no PIN is even checked. Failures and lock-outs are forgotten once the last
        failure is :data:`desk.auth.FAILURE_WINDOW_SECONDS` old.
        """

        def load(session: Session) -> tuple[UserRow, int]:
            row = session.get(UserRow, user_id)
            if row is None or not row.active:
                raise InvalidInput("user", N_("No such user"))
            throttle = session.get(LoginThrottleRow, user_id)
            return row, auth.locked_for(throttle.locked_until if throttle else None, self.now())

        row, wait = self._read(load)
        if wait:
            raise InvalidInput("pin", N_("Too many wrong PINs: try again in {seconds} s"), {"seconds": wait})
        if row.pin_hash is None:
            raise InvalidInput("pin", N_("{user} has no PIN yet"), {"user": row.name})
        key = self._key_of(row.pin_hash)
        ok = auth.verify_hash(pin, row.pin_hash, key)  # slow on purpose: outside the transaction
        keyed = None
        if ok and key is None:  # a hash of before the key: keyed now (no PIN is kept)
            with contextlib.suppress(InvalidInput):
                keyed = auth.wrap(row.pin_hash, self._key())

        def record(session: Session) -> tuple[bool, int]:
            now = self.now()
            throttle = session.get(LoginThrottleRow, user_id) or LoginThrottleRow(user_id=user_id)
            wait = auth.locked_for(throttle.locked_until, now)
            if wait:  # another terminal locked this user meanwhile
                return False, wait
            if ok:
                if throttle.failures or throttle.lockouts or throttle.locked_until:
                    self._reset_throttle(session, user_id)
                current = session.get(UserRow, user_id)
                if keyed is not None and current is not None and current.pin_hash == row.pin_hash:
                    current.pin_hash = keyed
                    session.add(current)
                    self._audit(
                        session,
                        repo.to_user(current),
                        "user.pin_keyed",
                        "user",
                        user_id,
                        after={"user": current.name, "key": auth.key_id(keyed), "source": self.ctx.source},
                    )
                return True, 0
            if auth.forgotten(throttle.last_failure_at, now):  # old failures stop counting
                throttle.failures = 0
                throttle.lockouts = 0
            throttle.failures += 1
            throttle.last_failure_at = now
            if throttle.failures >= auth.MAX_FAILURES:
                throttle.lockouts += 1
                throttle.failures = 0
                seconds = auth.lock_seconds(throttle.lockouts)
                throttle.locked_until = now + timedelta(seconds=seconds)
                session.add(throttle)
                self._audit(
                    session,
                    repo.to_user(row),
                    "user.lockout",
                    "user",
                    user_id,
                    after={"user": row.name, "seconds": seconds, "source": self.ctx.source},
                )
                return False, seconds
            session.add(throttle)
            return False, 0

        accepted, wait = self._write(record)
        if wait:
            raise InvalidInput("pin", N_("Too many wrong PINs: try again in {seconds} s"), {"seconds": wait})
        if not accepted:
            raise InvalidInput("pin", N_("Wrong PIN"))
        return repo.to_user(row)

    def recover_manager(self, user_id: int, pin: str) -> User:
        """``desk recover-manager``: a manager whose PIN is forgotten or locked
        gets ``pin`` without the old one, on the computer that holds the shop's
        PIN key (whoever may read that file may do this; a copied database
        elsewhere may not). Audited as a recovery, naming the key and the
        computer's user."""
        target = self._read(lambda s: s.get(UserRow, user_id))
        if target is None or not target.active:
            raise InvalidInput("user", N_("No such user"))
        staff.may_recover_pin(repo.to_user(target)).check()
        auth.check_format(pin)
        keyed = self._read(lambda s: {auth.key_id(h) for h in repo.pin_hashes(session=s)} - {None})
        held = {k.id for k in pinkey.all_keys()}
        if keyed and not keyed & held:
            raise InvalidInput("pin", MISSING_KEY, {"key": ", ".join(sorted(keyed)), "folder": str(pinkey.folder())})
        key = self._key()
        stored = auth.hash_pin(pin, key=key)  # slow on purpose: outside the transaction
        actor = repo.to_user(target)
        self._store_hash(
            actor, user_id, stored, action="user.pin_recover", noted={"key": key.id, "os_user": _os_user()}
        )
        return actor

    def key_old_pins(self) -> int:
        """Key every hash of before the PIN key at once (``desk pin-key upgrade``):
        no PIN is needed, as the key is laid over the scrypt output the hash
        holds. Each is audited (``user.pin_keyed``, in that user's name). Returns
        how many were keyed."""
        key = self._key()

        def run(session: Session) -> int:
            done = 0
            for row in session.exec(select(UserRow).where(col(UserRow.pin_hash).is_not(None))).all():
                if auth.key_id(row.pin_hash) is not None:
                    continue
                try:
                    row.pin_hash = auth.wrap(row.pin_hash, key)
                except ValueError:
                    continue  # not a hash of ours: it never signs anyone in; left as it is
                session.add(row)
                self._audit(
                    session,
                    repo.to_user(row),
                    "user.pin_keyed",
                    "user",
                    row.id,
                    after={"user": row.name, "key": key.id, "source": self.ctx.source},
                )
                done += 1
            return done

        return self._write(run)

    def approve_as_manager(self, user_id: int, pin: str) -> User:
        """A manager's PIN authorises one action on someone else's terminal."""
        user = self.verify_pin(user_id, pin)  # no PIN: refused here ("has no PIN yet")
        staff.may_approve(user).check()
        return user

    def act_as(self, user_id: int, pin: str) -> User:
        """Someone else's PIN on this terminal, for one action in their name (the
        service that runs it checks what their roles allow)."""
        return self.verify_pin(user_id, pin)

    @staticmethod
    def _reset_throttle(session: Session, user_id: int) -> None:
        throttle = session.get(LoginThrottleRow, user_id)
        if throttle is not None:
            throttle.failures = 0
            throttle.lockouts = 0
            throttle.locked_until = None
            throttle.last_failure_at = None
            session.add(throttle)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "?"
