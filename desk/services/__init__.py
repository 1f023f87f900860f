"""Use cases the screens call. One transaction each; audit written with the change;
domain guards applied; errors raised as the typed exceptions of
:mod:`desk.domain.errors`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from desk.services.base import Pricing, system_clock
from desk.services.checkin import CheckinMixin
from desk.services.kpi import KpiMixin
from desk.services.process import ProcessMixin
from desk.services.queries import QueriesMixin
from desk.services.security import SecurityMixin
from desk.services.setup import SetupMixin
from desk.services.shopfloor import CSI_FACTORS, ShopFloorMixin
from desk.services.transfer import TransferMixin

__all__ = ["CSI_FACTORS", "Desk", "Pricing", "open_desk", "system_clock"]


class Desk(SetupMixin, CheckinMixin, ShopFloorMixin, ProcessMixin, QueriesMixin, SecurityMixin, KpiMixin,
           TransferMixin):
    """The service desk's use cases over one database."""


def open_desk(
    url: str,
    *,
    clock: Callable[[], datetime] = system_clock,
    settings=None,
    migrate: bool = True,
    deep_check: bool = True,
) -> Desk:
    """Open (and by default migrate) the database at ``url`` and return the services.

    ``deep_check=False`` leaves SQLite's ``quick_check`` (a read of the whole file)
    to the caller, which runs :meth:`Desk.check_integrity` later; the app does it
    in the background once the first screen is up.
    """
    from desk.config import Settings
    from desk.domain.rules import Policy
    from desk.store.db import head_revision, make_engine, upgrade

    from sqlalchemy.exc import DBAPIError

    from desk.domain.errors import StoreUnavailable
    from desk.services.base import _describe
    from desk.store import health
    from desk.store.db import current_revision, known_revisions

    settings = settings or Settings()
    report = health.check_sqlite(url, deep=deep_check)
    engine = make_engine(url)
    try:
        current = current_revision(engine)
        health.check_schema(current, known_revisions())
        if migrate and current != head_revision():
            if report.path is not None and report.path.exists() and report.path.stat().st_size and \
                    current is not None:
                from desk.store.backup import backup

                backup(url)  # a migration always takes a verified backup first
            upgrade(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise StoreUnavailable(_describe(exc)) from exc
    policy = Policy(
        comeback_window_days=settings.comeback_window_days,
        tolerance_pct=settings.amount_tolerance_pct,
        tolerance_abs_cents=settings.amount_tolerance_abs_cents,
        followup_window_hours=settings.followup_window_hours,
        followup_max_attempts=settings.followup_max_attempts,
        greet_within_seconds=settings.greet_within_seconds,
        late_after_minutes=settings.late_after_minutes,
        service_interval_months=settings.service_interval_months,
        service_interval_km=settings.service_interval_km,
    )
    desk = Desk(
        engine,
        clock=clock,
        policy=policy,
        slot_capacity=settings.advisors_per_slot,
        slot_minutes=settings.slot_minutes,
        opening=settings.opening_time,
        closing=settings.closing_time,
    )
    desk.warnings = report.warnings
    desk.configure(settings)  # the shop's stored set-up over desk.toml
    return desk
