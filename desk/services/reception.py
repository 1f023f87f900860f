"""Reception and walkaround: the customer's concerns, the greeting, the
walkaround readings, odometer corrections and findings (spec stages 2-3)."""

from __future__ import annotations

import json

from sqlmodel import Session

from desk.domain import staff
from desk.domain.drafts import ConcernDraft, FindingDraft
from desk.domain.entities import Concern, Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.domain.readings import OdometerCorrection, Readings
from desk.domain.walkaround import known_damage
from desk.services.context import Service
from desk.store import repo
from desk.store.models import ConcernRow, FindingRow, OdometerRow, VisitRow


def add_concerns(session: Session, visit_id: int, concerns: tuple[ConcernDraft, ...]) -> list[Concern]:
    """Insert the customer's concerns of a visit, as the domain parsed them, in
    the caller's transaction."""
    out = []
    for c in concerns:
        tagset = frozenset(c.tags)
        session.add(ConcernRow(visit_id=visit_id, text=c.text, tags=",".join(sorted(tagset))))
        out.append(Concern(text=c.text, tags=tagset))
    return out


class ReceptionService(Service):
    def start_reception(self, actor: User, visit: VisitRef) -> Saved[None]:
        """The advisor starts with the customer: the greeting time is measured (RCP-01)."""

        def run(session: Session, visit: VisitRow) -> None:
            if visit.reception_at is None:
                visit.reception_at = self.now()
                self._touch(session, visit)
                self._audit(
                    session,
                    actor,
                    "visit.reception",
                    "visit",
                    visit.id,
                    visit_id=visit.id,
                    after={"reception_at": visit.reception_at},
                )

        return self._change(visit, run)

    @staticmethod
    def concern(text: str, tags=()) -> ConcernDraft:
        """A concern from typed values (``ConcernDraft.of``: the field specs)."""
        return ConcernDraft.of(text, tags)

    def add_concern(self, actor: User, visit: VisitRef, concern: ConcernDraft) -> Saved[None]:
        def run(session: Session, visit: VisitRow) -> None:
            added = add_concerns(session, visit.id, (concern,))
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                "concern.add",
                "concern",
                None,
                visit_id=visit.id,
                after={"text": added[0].text, "tags": added[0].tags},
            )

        return self._change(visit, run)

    def confirm_concerns(self, actor: User, visit: VisitRef) -> Saved[None]:
        """The advisor repeated the requests back and the customer confirmed (RCP-04)."""

        def run(session: Session, visit: VisitRow) -> None:
            rows = repo.concerns(session=session, visit_id=visit.id)
            if not rows:
                raise InvalidInput("concern", "Record at least one customer concern")
            for row in rows:
                row.confirmed = True
                session.add(row)
            self._touch(session, visit)
            self._audit(
                session, actor, "concern.confirm", "visit", visit.id, visit_id=visit.id, after={"count": len(rows)}
            )

        return self._change(visit, run)

    @staticmethod
    def readings(**values) -> Readings:
        """Walkaround readings from typed values (``Readings.of``: the field specs)."""
        return Readings.of(**values)

    def record_walkaround(
        self,
        actor: User,
        visit: VisitRef,
        readings: Readings | None = None,
        *,
        damages: list[dict] | None = None,
        damage_confirmed: bool | None = None,
    ) -> Saved[None]:
        """Record the walkaround: ``readings`` as the domain parsed them (a form's
        specs, or :meth:`readings`). The odometer may not go below the vehicle's
        last reading as stored now (a correction is :meth:`correct_odometer`)."""
        readings = readings or Readings()
        for d in damages or []:
            if not known_damage(d):
                raise InvalidInput("damage", "Unknown panel or damage kind")

        def run(session: Session, visit: VisitRow) -> None:
            before = {
                "odometer_km": visit.odometer_km,
                "fuel_eighths": visit.fuel_eighths,
                "damages": visit.damages,
                "damage_confirmed": visit.damage_confirmed,
            }
            if readings.odometer_km is not None:
                km = readings.odometer_km
                readings.check_odometer(
                    repo.prior_odometer(session=session, vehicle_id=visit.vehicle_id, visit_id=visit.id)
                )
                own = repo.own_odometer(session=session, visit_id=visit.id) or OdometerRow(
                    vehicle_id=visit.vehicle_id, visit_id=visit.id, km=km, at=self.now()
                )
                own.km, own.at = km, self.now()
                session.add(own)
            for name, value in readings.given().items():
                setattr(visit, name, value)
            if damages is not None:
                visit.damages = json.dumps(damages, ensure_ascii=False)
            if damage_confirmed is not None:
                visit.damage_confirmed = damage_confirmed
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                "visit.walkaround",
                "visit",
                visit.id,
                visit_id=visit.id,
                before=before,
                after={
                    "odometer_km": visit.odometer_km,
                    "fuel_eighths": visit.fuel_eighths,
                    "damages": visit.damages,
                    "damage_confirmed": visit.damage_confirmed,
                },
            )

        return self._change(visit, run)

    @staticmethod
    def correction(**values) -> OdometerCorrection:
        """An odometer correction from typed values (``OdometerCorrection.of``)."""
        return OdometerCorrection.of(**values)

    def correct_odometer(self, actor: User, visit: VisitRef, correction: OdometerCorrection) -> Saved[None]:
        """Record a reading below the last one (a wrong earlier entry, a replaced
        cluster): ``staff.may_correct_odometer``, with the reason; both audited."""
        staff.may_correct_odometer(actor).check()
        km, reason = correction.km, correction.reason

        def run(session: Session, visit: VisitRow) -> None:
            previous = repo.last_odometer(session=session, vehicle_id=visit.vehicle_id)
            own = repo.own_odometer(session=session, visit_id=visit.id)
            if own is None:
                own = OdometerRow(vehicle_id=visit.vehicle_id, visit_id=visit.id, km=km, at=self.now())
            own.km, own.at, own.corrected, own.reason = km, self.now(), True, reason
            session.add(own)
            visit.odometer_km = km
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                "odometer.correct",
                "visit",
                visit.id,
                visit_id=visit.id,
                before={"km": previous},
                after={"km": km, "reason": reason},
            )

        return self._change(visit, run)

    @staticmethod
    def finding(text: str, grade, *, during_repair: bool = False) -> FindingDraft:
        """A finding from typed values (``FindingDraft.of``: the field specs)."""
        return FindingDraft.of(text, grade, during_repair=during_repair)

    def add_finding(self, actor: User, visit: VisitRef, finding: FindingDraft) -> Saved[int]:
        text, grade, during_repair = finding.text, finding.grade, finding.during_repair

        def run(session: Session, visit: VisitRow) -> int:
            row = FindingRow(
                visit_id=visit.id,
                text=text,
                grade=grade.value,
                during_repair=during_repair,
                at=self.now(),
                by_user=actor.id,
            )
            session.add(row)
            session.flush()
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                "finding.add",
                "finding",
                row.id,
                visit_id=visit.id,
                after={"text": text, "grade": grade},
            )
            return row.id

        return self._change(visit, run)
