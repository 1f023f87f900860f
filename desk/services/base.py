"""What every use case shares: the transaction, the audit event, the guards.

Each public method of :class:`~desk.services.Desk` is one use case: it opens one
write transaction, applies the domain's rules, writes the change and its audit
event together, and turns storage failures into typed errors the UI can show.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from pathlib import Path
from time import sleep  # not `import time`: datetime.time is imported below
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from desk.domain import money, staff
from desk.domain.checklist import Templates, load_templates
from desk.domain.entities import Role, User
from desk.domain.errors import InvalidInput, NotAllowed, StaleEdit, StoreBusy, StoreDamaged, StoreUnavailable
from desk.domain.rules import Policy, VisitFacts
from desk.i18n import N_
from desk.store import audit, changes, faults, repo
from desk.store.db import read_session, write_session
from desk.store.models import CustomerRow, UserRow, VisitRow

T = TypeVar("T")

#: What reading a stored value can raise when its bytes were damaged on disk (text
#: that is not UTF-8, a date that is not a date): shown as "damaged", never raw.
DAMAGED_VALUE = (UnicodeDecodeError, ValueError)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def system_clock() -> datetime:
    return datetime.now().replace(microsecond=0)


@dataclass(frozen=True)
class Pricing:
    taxes: money.TaxTable
    member_discount_pct: Decimal
    #: Above this discount (or a free line that is not warranty) a price is an
    #: override: a manager or foreman gives it.
    advisor_max_discount_pct: Decimal = Decimal(10)

    @classmethod
    def load(cls, path: Path | None = None) -> Pricing:
        with open(path or FIXTURES / "pricing.toml", "rb") as fh:
            data = tomllib.load(fh)
        return cls(
            taxes=money.TaxTable.from_mapping(data["tax"]),
            member_discount_pct=Decimal(str(data.get("member_discount_pct", "0"))),
            advisor_max_discount_pct=Decimal(str(data.get("advisor_max_discount_pct", "10"))),
        )


@contextmanager
def _read_errors() -> Iterator[None]:
    """A failed read as a sentence the UI can show (``StoreUnavailable``)."""
    import sqlite3

    try:
        yield
    except DBAPIError as exc:
        raise faults.from_exception(exc) from exc
    except DAMAGED_VALUE as exc:
        raise StoreDamaged(N_("A record cannot be read: the database may be damaged; "
                              "restore it from a backup")) from exc
    except sqlite3.DatabaseError as exc:  # a raw cursor's error: not wrapped by SQLAlchemy
        raise faults.from_exception(exc) from exc


_locked = faults.is_locked


class Base:
    """Engine, clock, policy and the transaction helpers."""

    #: How often a write (or a read) is retried when another terminal holds the
    #: lock past the busy timeout: with the rollback journal a reader waits for a
    #: commit too, and neither ever shows "locked" while the queue moves.
    LOCK_RETRIES = 3

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], datetime] = system_clock,
        policy: Policy | None = None,
        templates: Templates | None = None,
        pricing: Pricing | None = None,
        slot_capacity: int = 2,
        slot_minutes: int = 30,
        opening: time = time(8, 0),
        closing: time = time(18, 0),
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.policy = policy or Policy()
        self.templates = templates or load_templates()
        self.pricing = pricing or Pricing.load()
        self.slot_capacity = slot_capacity
        self.slot_minutes = slot_minutes
        self.opening = opening
        self.closing = closing
        #: (message id, params) pairs the app shows once at start-up.
        self.warnings: list[tuple[str, dict]] = []
        #: Why writes are refused (the integrity check found damage), or None.
        self.blocked: str | None = None

    # ------------------------------------------------------------------ transactions

    def now(self) -> datetime:
        return self.clock()

    def _write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one write transaction; all or nothing."""
        if self.blocked:
            raise StoreDamaged(self.blocked)
        for attempt in range(self.LOCK_RETRIES + 1):
            try:
                with write_session(self.engine) as session:
                    return fn(session)
            except StaleDataError as exc:
                raise StaleEdit(str(exc)) from exc
            except OperationalError as exc:
                if _locked(exc) and attempt < self.LOCK_RETRIES:
                    sleep(0.05 * (attempt + 1))
                    continue
                raise faults.from_exception(exc) from exc
            except StoreBusy:
                if attempt < self.LOCK_RETRIES:  # a connection could not join yet (a restore)
                    sleep(0.05 * (attempt + 1))
                    continue
                raise
            except DBAPIError as exc:
                raise faults.from_exception(exc) from exc
            except DAMAGED_VALUE as exc:
                raise StoreDamaged(N_("A record cannot be read: the database may be damaged; "
                                      "restore it from a backup")) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_busy(self, run: Callable[[], T]) -> T:
        for attempt in range(self.LOCK_RETRIES + 1):
            try:
                with _read_errors():
                    return run()
            except StoreBusy:
                if attempt == self.LOCK_RETRIES:
                    raise
                sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")  # pragma: no cover

    def _read(self, fn: Callable[[Session], T]) -> T:
        def run() -> T:
            with read_session(self.engine) as session:
                return fn(session)

        return self._retry_busy(run)

    def _read_connection(self, fn: Callable[[Any], T]) -> T:
        """A read on a plain connection (no ORM session): for the per-keypress lookup."""
        def run() -> T:
            with self.engine.connect() as conn:
                return fn(conn)

        return self._retry_busy(run)

    def _audit(
        self,
        session: Session,
        actor: User,
        action: str,
        entity: str,
        entity_id: int | None,
        *,
        visit_id: int | None = None,
        before: Any = None,
        after: Any = None,
    ) -> None:
        audit.record(
            session,
            at=self.now(),
            user_id=actor.id,
            user_name=actor.name,
            action=action,
            entity=entity,
            entity_id=entity_id,
            visit_id=visit_id,
            before=before,
            after=after,
        )
        changes.notify(session, visit_id)  # other terminals' ChangeFeed (LISTEN on PostgreSQL)

    # ------------------------------------------------------------------ helpers

    def _visit(self, session: Session, visit_id: int, version: int | None = None) -> VisitRow:
        visit = session.get(VisitRow, visit_id)
        if visit is None:
            raise InvalidInput("visit", "No such visit")
        if version is not None and visit.version != version:
            last = audit.latest(session, visit_id)
            raise StaleEdit(
                f"visit {visit.number} changed on another terminal",
                by=last.user_name if last else "",
                at=last.at if last else None,
                what=last.action if last else "",
            )
        return visit

    def _touch(self, session: Session, visit: VisitRow) -> None:
        """Every change to a visit's parts bumps the visit's version, so a terminal
        holding an older copy gets a stale-edit error instead of overwriting."""
        from sqlalchemy.orm.attributes import flag_modified

        visit.updated_at = self.now()
        flag_modified(visit, "updated_at")  # an UPDATE even when the clock stood still
        session.add(visit)
        session.flush()

    def totals(self, lines, customer: CustomerRow | None) -> money.Totals:
        member = bool(customer and customer.member)
        return money.totals(
            [money.priced(ln) for ln in lines],
            self.pricing.taxes,
            member_discount_pct=self.pricing.member_discount_pct if member else Decimal(0),
        )

    def _facts(self, session: Session, visit: VisitRow) -> VisitFacts:
        return repo.visit_facts(
            session=session, visit=visit, now=self.now(), policy=self.policy, totals_fn=self.totals
        )

    def _check_price(self, actor: User, *, discount: Decimal, free: bool, warranty: bool) -> None:
        """A price override (desk.domain.staff.price_override) needs a manager or foreman."""
        staff.may_price(actor, staff.PriceFacts(discount, free, warranty),
                        limit_pct=self.pricing.advisor_max_discount_pct).check()

    @staticmethod
    def _require(actor: User, *roles: Role, action: str) -> None:
        if not (actor.has(*roles) or actor.may_waive):
            raise NotAllowed(action, ", ".join(r.value for r in roles))

    def check_integrity(self) -> None:
        """SQLite's ``quick_check`` of the whole file (seconds on a large shop).

        Damage raises StoreUnavailable and blocks every later write of this
        Desk, so nothing is written into a damaged file."""
        from desk.store import health

        path = health.sqlite_path(str(self.engine.url))
        if path is None or not path.exists():
            return
        try:
            health.quick_check(path)
        except StoreUnavailable as exc:
            if "damaged" in exc.reason:
                self.blocked = exc.reason
            raise

    def user(self, user_id: int) -> User:
        def run(session: Session) -> User:
            row = session.get(UserRow, user_id)
            if row is None:
                raise InvalidInput("user", "No such user")
            return repo.to_user(row)

        return self._read(run)

    def users(self) -> list[User]:
        return self._read(lambda s: repo.users(session=s))


def _describe(exc: BaseException) -> str:
    """A one-line, user-facing description of a storage error (the store's one
    translation, :func:`desk.store.faults.from_exception`)."""
    return str(faults.from_exception(exc))
