"""Use cases of sign-in on shared terminals: setting and checking PINs, with a
throttle kept in the database (so it survives restarts and terminal switches).

Never a PIN or a hash in an audit event, a log line or an exception message.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from desk import auth
from desk.domain.entities import Role, User
from desk.domain.errors import InvalidInput, NotAllowed
from desk.i18n import N_
from desk.services.context import Service
from desk.store import repo
from desk.store.models import LoginThrottleRow, UserRow


class SecurityService(Service):
    """PINs: set, clear, verify (throttled)."""

    def set_pin(self, actor: User, user_id: int, pin: str) -> None:
        """Set ``user_id``'s PIN: the user themselves, or a manager for anyone."""
        if actor is None or (actor.id != user_id and not actor.has(Role.MANAGER)):
            raise NotAllowed(N_("set a PIN"), Role.MANAGER.value)
        stored = auth.hash_pin(pin)  # slow on purpose: outside the transaction

        def run(session: Session) -> None:
            row = session.get(UserRow, user_id)
            if row is None:
                raise InvalidInput("user", N_("No such user"))
            had = row.pin_hash is not None
            row.pin_hash = stored
            session.add(row)
            self._reset_throttle(session, user_id)
            self._audit(session, actor, "user.pin_set", "user", user_id,
                        after={"user": row.name, "replaced": had})

        self._write(run)

    def clear_pin(self, actor: User, user_id: int) -> None:
        """A manager removes a forgotten PIN (the user then sets a new one)."""
        if not actor.has(Role.MANAGER):
            raise NotAllowed(N_("clear a PIN"), Role.MANAGER.value)

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

    def locked_for(self, user_id: int) -> int:
        """Seconds until ``user_id`` may try a PIN again (0: now)."""

        def run(session: Session) -> int:
            row = session.get(LoginThrottleRow, user_id)
            return auth.locked_for(row.locked_until if row else None, self.now())

        return self._read(run)

    def verify_pin(self, user_id: int, pin: str) -> User:
        """The user when ``pin`` is theirs; otherwise InvalidInput("pin", …).

        After :data:`desk.auth.MAX_FAILURES` wrong PINs in a row the user is locked
        for 60 s, doubling with each further lock-out; while locked, no PIN is
        even checked.
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
        ok = auth.verify_hash(pin, row.pin_hash)  # slow on purpose: outside the transaction

        def record(session: Session) -> tuple[bool, int]:
            now = self.now()
            throttle = session.get(LoginThrottleRow, user_id) or LoginThrottleRow(user_id=user_id)
            wait = auth.locked_for(throttle.locked_until, now)
            if wait:  # another terminal locked this user meanwhile
                return False, wait
            if ok:
                if throttle.failures or throttle.lockouts or throttle.locked_until:
                    self._reset_throttle(session, user_id)
                return True, 0
            throttle.failures += 1
            throttle.last_failure_at = now
            if throttle.failures >= auth.MAX_FAILURES:
                throttle.lockouts += 1
                throttle.failures = 0
                seconds = auth.lock_seconds(throttle.lockouts)
                throttle.locked_until = now + timedelta(seconds=seconds)
                session.add(throttle)
                self._audit(session, repo.to_user(row), "user.lockout", "user", user_id,
                            after={"user": row.name, "seconds": seconds})
                return False, seconds
            session.add(throttle)
            return False, 0

        accepted, wait = self._write(record)
        if wait:
            raise InvalidInput("pin", N_("Too many wrong PINs: try again in {seconds} s"), {"seconds": wait})
        if not accepted:
            raise InvalidInput("pin", N_("Wrong PIN"))
        return repo.to_user(row)

    def approve_as_manager(self, user_id: int, pin: str) -> User:
        """A manager's PIN authorises one action on someone else's terminal."""
        user = self.verify_pin(user_id, pin)
        if not user.may_waive:
            raise NotAllowed(N_("approve"), Role.MANAGER.value)
        return user

    @staticmethod
    def _reset_throttle(session: Session, user_id: int) -> None:
        throttle = session.get(LoginThrottleRow, user_id)
        if throttle is not None:
            throttle.failures = 0
            throttle.lockouts = 0
            throttle.locked_until = None
            session.add(throttle)
