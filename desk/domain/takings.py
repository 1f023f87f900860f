"""What the shop took in a period (issue 29, beside the KPIs of desk.domain.kpi):
the revenue (payments less refunds, voids left out, by the time they were taken),
the orders paid, and the average order.

Pure domain code: no UI or database imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from desk.domain.money import round_half_up
from desk.domain.payment import Payment, paid


@dataclass(frozen=True)
class Takings:
    revenue_cents: int = 0
    #: Visits with a payment in the period.
    orders: int = 0

    @property
    def average_cents(self) -> int | None:
        """The revenue per order paid, rounded half up (None: no order)."""
        return round_half_up(Decimal(self.revenue_cents) / self.orders) if self.orders else None


def takings(payments: Iterable[tuple[int, Payment]]) -> Takings:
    """The takings of ``(visit_id, payment)`` pairs (the period's payments)."""
    pairs = list(payments)
    counted = [(vid, p) for vid, p in pairs if p.voided_at is None]
    return Takings(paid(p for _vid, p in counted), len({vid for vid, _p in counted}))
