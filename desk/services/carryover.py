"""Declined work comes back: the declined lines of a vehicle's earlier visits,
offered again at booking and at the estimate at today's prices, and added with
one key (the rule is desk.domain.carryover's)."""

from __future__ import annotations

from sqlmodel import Session

from desk.domain import carryover
from desk.domain.carryover import Offer
from desk.domain.entities import Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.services.context import Service, ServiceContext
from desk.services.estimate import EstimateService
from desk.store import repo
from desk.store.models import VisitRow


class CarryOverService(Service):
    def __init__(self, ctx: ServiceContext, *, estimate: EstimateService) -> None:
        super().__init__(ctx)
        self.estimate = estimate

    def _prices(self) -> dict:
        return carryover.catalogue(ln for job in self.estimate.canned_jobs() for ln in job.lines)

    def _offers(self, session: Session, vehicle_id: int, visit: VisitRow | None, prices: dict) -> list[Offer]:
        earlier = repo.declined_earlier(
            session=session, vehicle_id=vehicle_id, exclude=visit.id if visit is not None else None
        )
        still = carryover.open_offers(
            earlier,
            repo.carried_ids(session=session, vehicle_id=vehicle_id),
            before=visit.day if visit is not None else None,
        )
        rate = self.pricing.labour_rate_cents
        return [carryover.reprice(e, prices, rate) for e in still]

    def for_visit(self, visit_id: int) -> list[Offer]:
        """What the customer declined on the car's earlier visits and has not had
        done since, at today's prices (the estimate and a booked visit show it)."""
        prices = self._prices()

        def run(session: Session) -> list[Offer]:
            visit = self._visit_row(session, visit_id)
            return self._offers(session, visit.vehicle_id, visit, prices)

        return self._read(run)

    def for_vehicle(self, vehicle_id: int) -> list[Offer]:
        """The same for a car about to be booked."""
        prices = self._prices()
        return self._read(lambda s: self._offers(s, vehicle_id, None, prices))

    def add(self, actor: User, visit: VisitRef, line_ids: list[int]) -> Saved[list[int]]:
        """Add the chosen earlier lines to the visit's estimate, priced as
        offered now (a line another terminal added meanwhile is refused)."""
        if not line_ids:
            raise InvalidInput("line", "Choose a line to add")
        prices = self._prices()

        def run(session: Session, row: VisitRow) -> list[int]:
            offers = {o.line_id: o for o in self._offers(session, row.vehicle_id, row, prices)}
            missing = [i for i in line_ids if i not in offers]
            if missing:
                raise InvalidInput("line", "That declined line was added already")
            added = []
            for lid in line_ids:
                offer = offers[lid]
                draft = self.estimate.draft(**offer.draft_values())
                self._check_price(actor, draft, offer.list_cents)
                added.append(self.estimate._insert_line(session, actor, row, draft, offer.list_cents, carried_from=lid))
            return added

        return self._change(visit, run)
