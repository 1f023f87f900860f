"""Technician time: clocking on and off a line (one key), who is on what, and
clocked against sold hours (desk.domain.clocking)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session

from desk.domain import clocking as ck
from desk.domain import staff
from desk.domain.entities import Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.domain.process import Stage
from desk.i18n import N_
from desk.services.context import Service, ServiceContext
from desk.services.workshop import WorkshopService
from desk.store import repo
from desk.store.models import ClockingRow, EstimateLineRow, UserRow, VisitRow


@dataclass(frozen=True)
class OnLine:
    """A technician on a line now."""

    visit_id: int
    line_id: int
    technician_id: int
    technician: str
    line: str


@dataclass(frozen=True)
class LineTime:
    """A line's clocked time so far and who is on it."""

    line_id: int
    clocked_seconds: int
    sold_milli: int
    on: tuple[str, ...]


class ClockingService(Service):
    """Needs the workshop: clocking on a line not yet started starts it first
    (the workshop's own rules: approved, part arrived)."""

    def __init__(self, ctx: ServiceContext, *, workshop: WorkshopService) -> None:
        super().__init__(ctx)
        self.workshop = workshop

    def clock(self, actor: User, visit: VisitRef, line_id: int, technician_id: int | None = None) -> Saved[bool]:
        """One key: the technician (``actor`` unless a manager or foreman names
        another) clocks on the line, or off it when on it. Returns whether they
        are on it now. A line not yet started is started first, in the same
        transaction: a refused start clocks nobody on."""
        tech_id = technician_id or actor.id
        staff.may_clock(actor, tech_id).check()

        def run(session: Session, row: VisitRow) -> bool:
            if row.stage != Stage.IN_REPAIR:
                raise InvalidInput("line", "The visit is not in repair")
            tech = session.get(UserRow, tech_id)
            if tech is None or not staff.is_technician(repo.to_user(tech)):
                raise InvalidInput("technician", "Not a technician")
            line = session.get(EstimateLineRow, line_id)
            if line is None or line.visit_id != row.id:
                raise InvalidInput("line", N_("No such line"))
            if not line.started:  # started first, in this same change (refused: neither)
                self.workshop.start_in(session, actor, row, line_id)
            mine = repo.open_clockings(session=session, technician_id=tech_id)
            move = ck.toggle([repo.to_clocking(c) for c in mine], tech_id, line_id, line_done=line.done_at is not None)
            now = self.now()
            for c in mine:
                if c.id in move.off:
                    c.off_at = now
                    session.add(c)
                    if c.visit_id != row.id:  # off a line of another car: that car changed too
                        other = session.get(VisitRow, c.visit_id)
                        self._touch(session, other)
                        self._audit(
                            session,
                            actor,
                            "clock.off",
                            "estimate_line",
                            c.line_id,
                            visit_id=c.visit_id,
                            after={"technician_id": tech_id},
                        )
            if move.on:
                session.add(
                    ClockingRow(visit_id=row.id, line_id=line_id, technician_id=tech_id, on_at=now, by_user=actor.id)
                )
            self._touch(session, row)
            self._audit(
                session,
                actor,
                "clock.on" if move.on else "clock.off",
                "estimate_line",
                line_id,
                visit_id=row.id,
                after={"technician_id": tech_id},
            )
            return move.on

        return self._change(visit, run)

    def who_may_clock(self) -> list[User]:
        """The technicians the shared terminal may clock as, with their PIN."""
        return self._read(lambda s: staff.who_may_clock(repo.users(session=s), repo.pin_user_ids(session=s)))

    def on_now(self, visit_ids: Iterable[int]) -> dict[int, list[OnLine]]:
        """Who is on which line of each visit now."""
        ids = list(visit_ids)

        def run(session: Session) -> dict[int, list[OnLine]]:
            names = repo.user_names(session=session)
            out: dict[int, list[OnLine]] = {}
            on = [c for c in repo.clockings_of(session=session, visit_ids=ids) if c.off_at is None]
            lines = {c.line_id: (session.get(EstimateLineRow, c.line_id) or EstimateLineRow()).description for c in on}
            for c in on:
                if c.off_at is None:
                    out.setdefault(c.visit_id, []).append(
                        OnLine(
                            c.visit_id,
                            c.line_id,
                            c.technician_id,
                            names.get(c.technician_id, ""),
                            lines.get(c.line_id, ""),
                        )
                    )
            return out

        return self._read(run)

    def line_times(self, visit_id: int) -> dict[int, LineTime]:
        """Each line's clocked time and who is on it (the workshop screen)."""
        now = self.now()

        def run(session: Session) -> dict[int, LineTime]:
            names = repo.user_names(session=session)
            cs = repo.clockings_of(session=session, visit_ids=[visit_id])
            out = {}
            for ln in repo.lines(session=session, visit_id=visit_id):
                mine = [c for c in cs if c.line_id == ln.id]
                out[ln.id] = LineTime(
                    ln.id,
                    ck.clocked(mine, now),
                    ln.qty_milli if ln.kind == "labour" else 0,
                    tuple(names.get(c.technician_id, "") for c in mine if c.off_at is None),
                )
            return out

        return self._read(run)

    def time_data(self, visit_ids: Iterable[int]) -> ck.TimeData:
        ids = list(visit_ids)
        return self._read(lambda s: repo.time_data(session=s, visit_ids=ids))
