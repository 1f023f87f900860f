"""What every use case shares: one :class:`ServiceContext` (the engine, the clock
and the shop's rules in force) and the :class:`Service` base class with the
transaction helpers.

Each public method of an area (a ``Service`` subclass) is one use case: it opens
one transaction, applies the domain's rules, writes the change and its audit
event together, and turns storage failures into typed errors the UI can show.
Every command that changes a visit takes the :class:`~desk.domain.entities.VisitRef`
the screen showed; a stale one is refused with ``StaleEdit``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from time import sleep
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from desk.domain import money, staff
from desk.domain.checklist import Templates, load_templates
from desk.domain.entities import Saved, User, VisitRef
from desk.domain.errors import InvalidInput, StaleEdit, StoreBusy, StoreDamaged, StoreUnavailable
from desk.domain.estimate import SignedEstimate
from desk.domain.process import Stage
from desk.domain.rules import Policy, VisitFacts, estimate_lines_of, signed_terms
from desk.domain.schedule import Schedule
from desk.domain.stale import OtherChange
from desk.i18n import N_
from desk.resources import fixture
from desk.store import audit, changes, faults, repo
from desk.store.db import read_session, write_session
from desk.store.models import CustomerRow, VisitRow

T = TypeVar("T")

#: What reading a stored value can raise when its bytes were damaged on disk (text
#: that is not UTF-8, a date that is not a date): shown as "damaged", never raw.
DAMAGED_VALUE = (UnicodeDecodeError, ValueError)


def system_clock() -> datetime:
    return datetime.now().replace(microsecond=0)


@dataclass(frozen=True)
class Pricing:
    taxes: money.TaxTable
    member_discount_pct: Decimal
    #: Above this discount (or a free line that is not warranty) a price is an
    #: override: a manager or foreman gives it.
    advisor_max_discount_pct: Decimal = Decimal(10)
    #: The catalogue price of an hour of labour: a labour line priced more than the
    #: advisor's limit below it is a price override (None: no labour catalogue).
    labour_rate_cents: int | None = None

    @classmethod
    def load(cls, path: Path | None = None) -> Pricing:
        with (path or fixture("pricing.toml")).open("rb") as fh:
            data = tomllib.load(fh)
        return cls(
            taxes=money.TaxTable.from_mapping(data["tax"]),
            member_discount_pct=Decimal(str(data.get("member_discount_pct", "0"))),
            advisor_max_discount_pct=Decimal(str(data.get("advisor_max_discount_pct", "10"))),
            labour_rate_cents=int(data.get("labour_rate_cents", 0)) or None,
        )


@dataclass(eq=False)
class ServiceContext:
    """The engine, the clock and the rules in force, shared by every area.

    ``policy``, ``pricing``, ``templates``, ``schedule`` and ``settings`` are the
    shop's effective set-up (desk.toml under the values stored in the database);
    the set-up area replaces them after every change. The ``base_*`` fields are
    what desk.toml and the shipped fixtures say, before the shop's values.
    """

    engine: Engine
    clock: Callable[[], datetime] = system_clock
    policy: Policy = field(default_factory=Policy)
    pricing: Pricing = field(default_factory=Pricing.load)
    templates: Templates = field(default_factory=load_templates)
    schedule: Schedule = field(default_factory=Schedule)
    #: The effective shop settings (``desk.config.Settings``), set by the set-up area.
    settings: Any = None
    base_settings: Any = None
    base_pricing: Pricing | None = None
    base_templates: Templates | None = None
    #: Why writes are refused (the integrity check found damage), or None.
    blocked: str | None = None
    #: (message id, params) pairs the app shows once at start-up.
    warnings: list[tuple[str, dict]] = field(default_factory=list)
    #: Where the changes come from, named in security events: "cli", or the app's
    #: "terminal HOST" / "browser HOST" (set by whoever opened the store).
    source: str = "terminal"

    def now(self) -> datetime:
        return self.clock()

    def check_integrity(self) -> None:
        """SQLite's ``quick_check`` of the whole file (seconds on a large shop).

        Damage raises StoreUnavailable and blocks every later write through this
        context, so nothing is written into a damaged file."""
        from desk.store import health

        path = health.sqlite_path(str(self.engine.url))
        if path is None or not path.exists():
            return
        try:
            health.quick_check(path)
        except StoreUnavailable as exc:
            if isinstance(exc, StoreDamaged) or "damaged" in exc.reason:
                from desk.store.faults import DAMAGED

                self.blocked = DAMAGED  # said again on every write refused: the plain sentence
            raise


@contextmanager
def _read_errors() -> Iterator[None]:
    """A failed read as a sentence the UI can show (``StoreUnavailable``)."""
    import sqlite3

    try:
        yield
    except DBAPIError as exc:
        raise faults.from_exception(exc) from exc
    except DAMAGED_VALUE as exc:
        raise StoreDamaged(
            N_("A record cannot be read: the database may be damaged; restore it from a backup")
        ) from exc
    except sqlite3.DatabaseError as exc:  # a raw cursor's error: not wrapped by SQLAlchemy
        raise faults.from_exception(exc) from exc


_locked = faults.is_locked


class Service:
    """One area of use cases over a :class:`ServiceContext`, with the
    transaction helpers every area uses."""

    #: How often a write (or a read) is retried when another terminal holds the
    #: lock past the busy timeout: with the rollback journal a reader waits for a
    #: commit too, and neither ever shows "locked" while the queue moves.
    LOCK_RETRIES = 3

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # the rules in force (the set-up area may replace them at any time)
    @property
    def policy(self) -> Policy:
        return self.ctx.policy

    @property
    def pricing(self) -> Pricing:
        return self.ctx.pricing

    @property
    def templates(self) -> Templates:
        return self.ctx.templates

    @property
    def schedule(self) -> Schedule:
        return self.ctx.schedule

    def now(self) -> datetime:
        return self.ctx.clock()

    # ------------------------------------------------------------------ transactions

    def _write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one write transaction; all or nothing."""
        if self.ctx.blocked:
            raise StoreDamaged(self.ctx.blocked)
        for attempt in range(self.LOCK_RETRIES + 1):
            try:
                with write_session(self.ctx.engine) as session:
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
                raise StoreDamaged(
                    N_("A record cannot be read: the database may be damaged; restore it from a backup")
                ) from exc
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
            with read_session(self.ctx.engine) as session:
                return fn(session)

        return self._retry_busy(run)

    def _read_connection(self, fn: Callable[[Any], T], *, one_statement: bool = False) -> T:
        """A read on a plain connection (no ORM session): for the per-keypress lookup.
        ``one_statement``: ``fn`` sends a single statement, its own snapshot: no
        transaction around it (on PostgreSQL two round trips fewer, BEGIN and ROLLBACK)."""

        def run() -> T:
            with self.ctx.engine.connect() as conn:
                if one_statement and conn.dialect.name == "postgresql":
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
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

    def _visit_row(self, session: Session, visit_id: int) -> VisitRow:
        """The visit, for a read (no version to check)."""
        visit = session.get(VisitRow, visit_id)
        if visit is None:
            raise InvalidInput("visit", "No such visit")
        return visit

    def _visit(self, session: Session, ref: VisitRef) -> VisitRow:
        """The visit a command changes, refused with ``StaleEdit`` (naming who
        changed what, when) unless it is still at the version ``ref`` saw."""
        visit = self._visit_row(session, ref.id)
        if visit.version != ref.version:
            raise stale_edit(
                f"visit {visit.number} changed on another terminal",
                None,
                since=audit.since(session, ref.id, ref.version),
                current=None if visit.stage in CLOSED_STAGES else VisitRef(visit.id, visit.version),
            )
        return visit

    def _change(self, ref: VisitRef, fn: Callable[[Session, VisitRow], T]) -> Saved[T]:
        """Run ``fn(session, visit)`` in one write transaction on the visit ``ref``
        names (refused when stale); returns its result with the visit's new version."""

        def run(session: Session) -> Saved[T]:
            visit = self._visit(session, ref)
            value = fn(session, visit)
            session.flush()
            return Saved(VisitRef(visit.id, visit.version), value)

        return self._write(run)

    def _touch(self, session: Session, visit) -> None:
        """Every change to a visit's parts bumps the visit's version, so a terminal
        holding an older copy gets a stale-edit error instead of overwriting."""
        from sqlalchemy.orm.attributes import flag_modified

        visit.updated_at = self.now()
        flag_modified(visit, "updated_at")  # an UPDATE even when the clock stood still
        session.add(visit)
        session.flush()

    def _set_fields(self, actor: User, ref: VisitRef, action: str, **values) -> Saved[None]:
        """Set plain fields of a visit, audited with their old values."""

        def run(session: Session, visit: VisitRow) -> None:
            before = {k: getattr(visit, k) for k in values}
            for k, v in values.items():
                setattr(visit, k, v)
            self._touch(session, visit)
            self._audit(session, actor, action, "visit", visit.id, visit_id=visit.id, before=before, after=values)

        return self._change(ref, run)

    def totals(self, lines, customer: CustomerRow | None, signed: SignedEstimate | None = None) -> money.Totals:
        """The totals of ``lines``: priced as signed while a signature covers the
        estimate (``signed``), else with today's tax rates and member discount."""
        taxes, member_pct = self.terms(customer, signed)
        return money.totals([money.priced(ln) for ln in lines], taxes, member_discount_pct=member_pct)

    def terms(
        self, customer: CustomerRow | None, signed: SignedEstimate | None = None
    ) -> tuple[money.TaxTable, Decimal]:
        """The tax table and member discount a visit is priced with now."""
        if signed is not None:
            return signed.terms(self.pricing.taxes)
        member = bool(customer and customer.member)
        return self.pricing.taxes, self.pricing.member_discount_pct if member else Decimal(0)

    def _signed(self, session: Session, visit, lines) -> SignedEstimate | None:
        """The signed estimate covering ``visit``'s estimate now (``lines``: all its lines)."""
        return signed_terms(
            repo.authorisations(session=session, visit_id=visit.id), visit.estimate_version, estimate_lines_of(lines)
        )

    def _facts(self, session: Session, visit, totals_fn: Callable[..., money.Totals] | None = None) -> VisitFacts:
        """``totals_fn``: what prices the facts' totals (:meth:`totals`, or one that
        keeps them for the caller: :meth:`_kept_totals`)."""
        return repo.visit_facts(
            session=session, visit=visit, now=self.now(), policy=self.policy, totals_fn=totals_fn or self.totals
        )

    def _kept_totals(self) -> Callable[..., money.Totals]:
        """:meth:`totals` that keeps each result for the same lines, customer and
        signature (the very objects): a visit's view prices its estimate and its
        bill once, not once for its facts and again for the screen."""
        kept: dict[tuple, tuple] = {}

        def totals(lines, customer=None, signed=None) -> money.Totals:
            lines = list(lines)
            key = (tuple(map(id, lines)), id(customer), id(signed))
            if key not in kept:
                kept[key] = (self.totals(lines, customer, signed), lines, customer, signed)  # held: ids stay theirs
            return kept[key][0]

        return totals

    def _rates(self, *lines) -> tuple[Decimal | None, ...]:
        """The tax rates of ``lines`` and of the shop's standard code, as the price
        rule reads them: none where prices include the tax (then the tax code does
        not change what the customer pays)."""
        taxes = self.pricing.taxes
        if taxes.prices_include_tax:
            return (None,) * (len(lines) + 1)
        return (*(taxes.rate(ln.tax_code) for ln in lines), taxes.rate(taxes.standard_code))

    def _check_price(self, actor: User, line, list_cents: int | None = None, list_qty: Decimal | None = None) -> None:
        """A price override (``staff.price_override``, every way to lower what the
        customer pays: a free or warranty line, a discount above the advisor's
        limit, a unit price, a quantity or hours that far below the catalogue's
        ``list_cents``/``list_qty``, a tax code below the standard one) needs a
        manager or foreman. ``line``: a draft or a line (it has a tax code)."""
        rate, standard = self._rates(line)
        staff.may_price(
            actor,
            line,
            limit_pct=self.pricing.advisor_max_discount_pct,
            list_cents=list_cents,
            list_qty=list_qty,
            tax_rate=rate,
            list_tax_rate=standard,
        ).check()

    def _check_price_change(self, actor: User, before, after) -> None:
        """A change of a line's price fields (``staff.may_change_price``)."""
        rate_before, rate_after, standard = self._rates(before, after)
        staff.may_change_price(
            actor,
            before,
            after,
            limit_pct=self.pricing.advisor_max_discount_pct,
            list_cents=after.list_cents,
            list_qty=after.list_qty,
            rate_before=rate_before,
            rate_after=rate_after,
            list_tax_rate=standard,
        ).check()


#: A visit in these stages takes no form's change any more: a stale form on it is
#: refused without the offer to save on top (issue 24).
CLOSED_STAGES = frozenset({Stage.CANCELLED, Stage.NO_SHOW})


def stale_edit(message: str, last, *, current=None, since=()) -> StaleEdit:
    """The refusal of a stale edit, naming the other change (``last``, the audit
    event that moved the row on): who, when, what, and what it wrote (to say in
    words, ``desk.domain.stale``); ``since``: every event the form has not seen,
    oldest first (``last`` among them), all named; ``current``: the record's
    version now."""
    events = list(since) or ([] if last is None else [last])
    if last is None and events:
        last = events[-1]
    changes = tuple(
        OtherChange(by=e.user_name, at=e.at, action=e.action, after=_loaded(e.after), before=_loaded(e.before))
        for e in events
    )
    return StaleEdit(
        message,
        by=last.user_name if last else "",
        at=last.at if last else None,
        what=last.action if last else "",
        change=changes[-1] if changes else None,
        changes=changes,
        current=current,
    )


def _loaded(text: str | None) -> dict:
    """An audit event's before/after as a dict (empty when it wrote none)."""
    import json

    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def describe(exc: BaseException) -> str:
    """A one-line, user-facing description of a storage error (the store's one
    translation, :func:`desk.store.faults.from_exception`)."""
    return str(faults.from_exception(exc))
