"""Use cases the screens call, by area, over one :class:`ServiceContext`.

``open_desk`` opens the store and returns a :class:`Desk`: a plain container
whose attributes are the areas (``desk.booking.book(...)``,
``desk.estimate.add_line(...)``) and the shared context (``desk.ctx``). Each use
case is one transaction; audit written with the change; domain guards applied;
errors raised as the typed exceptions of :mod:`desk.domain.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DBAPIError

from desk.domain.errors import StoreUnavailable
from desk.domain.rules import Policy
from desk.domain.schedule import Schedule
from desk.i18n import N_
from desk.services.booking import BookingService
from desk.services.carryover import CarryOverService
from desk.services.checklist import ChecklistService
from desk.services.clocking import ClockingService
from desk.services.comebacks import ComebackService
from desk.services.complaints import ComplaintService
from desk.services.context import Pricing, ServiceContext, system_clock
from desk.services.delivery import DeliveryService
from desk.services.estimate import EstimateService
from desk.services.followup import FollowupService
from desk.services.handback import HandbackService
from desk.services.integrity import IntegrityService
from desk.services.lifecycle import LifecycleService
from desk.services.people import PeopleService
from desk.services.reception import ReceptionService
from desk.services.reports import ReportService
from desk.services.security import SecurityService
from desk.services.settlement import SettlementService
from desk.services.setup import SetupService
from desk.services.timeline import TimelineService
from desk.services.transfer import TransferService
from desk.services.workshop import WorkshopService

__all__ = ["Desk", "Pricing", "ServiceContext", "build_desk", "open_desk", "system_clock"]


@dataclass(frozen=True, eq=False)
class Desk:
    """The service desk's areas over one context. No use case of its own."""

    ctx: ServiceContext
    people: PeopleService
    booking: BookingService
    reception: ReceptionService
    estimate: EstimateService
    checklist: ChecklistService
    lifecycle: LifecycleService
    workshop: WorkshopService
    delivery: DeliveryService
    followup: FollowupService
    complaints: ComplaintService
    reports: ReportService
    setup: SetupService
    security: SecurityService
    transfer: TransferService
    timeline: TimelineService
    integrity: IntegrityService
    clocking: ClockingService
    carryover: CarryOverService
    comebacks: ComebackService
    handback: HandbackService
    settlement: SettlementService


def build_desk(ctx: ServiceContext) -> Desk:
    """Every area over ``ctx``, each given the areas it calls."""
    people = PeopleService(ctx)
    reception = ReceptionService(ctx)
    checklist = ChecklistService(ctx)
    lifecycle = LifecycleService(ctx, checklist=checklist)
    estimate = EstimateService(ctx, lifecycle=lifecycle)
    complaints = ComplaintService(ctx)
    reports = ReportService(ctx)
    workshop = WorkshopService(ctx, reception=reception, estimate=estimate)
    return Desk(
        ctx=ctx,
        people=people,
        booking=BookingService(ctx),
        reception=reception,
        estimate=estimate,
        checklist=checklist,
        lifecycle=lifecycle,
        workshop=workshop,
        delivery=DeliveryService(ctx),
        followup=FollowupService(ctx, complaints=complaints),
        complaints=complaints,
        reports=reports,
        setup=SetupService(ctx, people=people),
        security=SecurityService(ctx),
        transfer=TransferService(ctx, reports=reports),
        timeline=TimelineService(ctx),
        integrity=IntegrityService(ctx),
        clocking=ClockingService(ctx, workshop=workshop),
        carryover=CarryOverService(ctx, estimate=estimate),
        comebacks=ComebackService(ctx),
        handback=HandbackService(ctx, complaints=complaints),
        settlement=SettlementService(ctx),
    )


def open_desk(
    url: str,
    *,
    clock: Callable[[], datetime] = system_clock,
    settings=None,
    migrate: bool = True,
    deep_check: bool = True,
    readonly: bool = False,
    initialise: bool = False,
    wait: float = 0.0,
    on_wait: Callable | None = None,
) -> Desk:
    """Open (and by default migrate) the database at ``url`` and return the services.

    ``deep_check=False`` leaves SQLite's ``quick_check`` (a read of the whole file)
    to the caller, which runs :meth:`ServiceContext.check_integrity` later; the app
    does it in the background once the first screen is up. ``readonly``: for the
    commands that only read (a read-only file or folder is fine; nothing is
    migrated). ``initialise``: an empty file (0 bytes, or SQLite without tables)
    may become a new shop; without it such a file is refused with a sentence.
    ``wait``/``on_wait``: how long to wait while another terminal keeps a WAL
    file from being switched to the rollback journal (see ``desk.store.db``).
    """
    from desk.config import Settings
    from desk.store import faults, health
    from desk.store.db import (
        current_revision,
        head_revision,
        known_revisions,
        make_engine,
        upgrade,
        use_rollback_journal,
    )

    settings = settings or Settings()
    known = known_revisions()
    report = health.check_sqlite(url, deep=deep_check, readonly=readonly, initialise=initialise, known=known)
    if report.path is not None and not readonly and report.path.exists():
        use_rollback_journal(report.path, wait=wait, on_wait=on_wait)
    engine = make_engine(url, readonly=readonly)
    try:
        current = current_revision(engine)
        health.check_schema(current, known)
        if readonly and current != head_revision():
            raise StoreUnavailable(
                N_(
                    "The database's schema ({rev}) is older than this desk's: open it once "
                    "with write access (desk db upgrade) before reading it here"
                ),
                {"rev": current or "-"},
            )
        if migrate and current != head_revision():
            if report.path is not None and report.path.exists() and report.path.stat().st_size and current is not None:
                from desk.store.backup import pre_migration_backup

                pre_migration_backup(url, current)  # a migration always takes a verified backup first
            upgrade(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise faults.from_exception(exc, path=report.path) from exc
    except BaseException:
        engine.dispose()
        raise
    policy = Policy(
        comeback_window_days=settings.comeback_window_days,
        tolerance_pct=settings.amount_tolerance_pct,
        tolerance_abs_cents=settings.amount_tolerance_abs_cents,
        followup_window_hours=settings.followup_window_hours,
        followup_max_attempts=settings.followup_max_attempts,
        greet_within_seconds=settings.greet_within_seconds,
        late_after_minutes=settings.late_after_minutes,
        reminder_day_hours=settings.reminder_day_hours,
        reminder_hour_minutes=settings.reminder_hour_minutes,
        service_interval_months=settings.service_interval_months,
        service_interval_km=settings.service_interval_km,
    )
    ctx = ServiceContext(
        engine,
        clock=clock,
        policy=policy,
        schedule=Schedule(
            slot_minutes=settings.slot_minutes,
            capacity=settings.advisors_per_slot,
            opening=settings.opening_time,
            closing=settings.closing_time,
        ),
        warnings=report.warnings,
    )
    desk = build_desk(ctx)
    try:
        desk.setup.configure(settings)  # the shop's stored set-up over desk.toml
    except BaseException:
        engine.dispose()
        raise
    return desk
