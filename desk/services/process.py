"""Use cases that move a visit along its life cycle and mark MOT items."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from desk.domain import checklist as ck
from desk.domain import process as proc
from desk.domain.checklist import MarkKind
from desk.domain.entities import Role, User
from desk.domain.errors import InvalidInput
from desk.domain.process import Action, Stage
from desk.domain.rules import next_service
from desk.domain.validate import text as clean_text
from desk.services.base import Base
from desk.store import repo
from desk.store.models import MotMarkRow, UserRow, VisitRow


class ProcessMixin(Base):
    def mark_item(
        self,
        actor: User,
        visit_id: int,
        item_id: str,
        kind: MarkKind | str,
        reason: str = "",
        *,
        version: int | None = None,
    ) -> ck.ItemStatus:
        """Tick an MOT item, mark it not applicable, or waive it (with a reason).

        Returns the item's new status, evaluated in the same transaction: a mark
        changes only its own item, so a screen updates that one row in place
        instead of reading the whole visit again."""
        kind = MarkKind(kind)
        reason = clean_text(reason, field="reason", max_len=500)

        def run(session: Session) -> ck.ItemStatus:
            visit = self._visit(session, visit_id, version)
            item = self.templates.get(item_id)
            techs = {
                ln.done_by for ln in repo.lines(session=session, visit_id=visit_id) if ln.done_by
            }
            if visit.technician_id:
                techs.add(visit.technician_id)
            inspectors = [
                u
                for u in repo.users(session=session)
                if u.active and u.has(Role.QC, Role.MANAGER, Role.FOREMAN) and u.id not in techs
            ]
            ck.check_mark(
                item,
                kind,
                actor,
                reason,
                technician_ids=techs,
                shop_has_other_inspector=bool(inspectors),
            )
            row = MotMarkRow(
                visit_id=visit_id,
                item_id=item_id,
                kind=kind.value,
                reason=reason,
                by_user=actor.id,
                at=self.now(),
            )
            session.add(row)
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                f"mot.{kind.value}",
                "mot_item",
                None,
                visit_id=visit_id,
                after={"item": item_id, "reason": reason},
            )
            # the visit's facts matter only to an item with a condition or a data check
            facts = self._facts(session, visit) if (item.when or item.check) else None
            return ck.evaluate_item(item, facts, {item_id: repo.to_mark(row)})

        return self._write(run)

    def checklist(self, visit_id: int, stage: str | None = None) -> list[ck.ItemStatus]:
        def run(session: Session):
            visit = self._visit(session, visit_id)
            facts = self._facts(session, visit)
            marks = repo.marks(session=session, visit_id=visit_id)
            return ck.evaluate(self.templates, stage or visit.stage, facts, marks)

        return self._read(run)

    def advance(self, actor: User, visit_id: int, *, version: int | None = None) -> Stage:
        """Move the visit to the next stage; refused with the open required items."""
        return self._transition(actor, visit_id, Action.ADVANCE, version=version)

    def arrive(self, actor: User, visit_id: int, *, version: int | None = None) -> Stage:
        return self._transition(actor, visit_id, Action.ARRIVE, version=version)

    def cancel(self, actor: User, visit_id: int, reason: str, *, version: int | None = None) -> Stage:
        return self._transition(actor, visit_id, Action.CANCEL, reason=reason, version=version)

    def no_show(self, actor: User, visit_id: int, *, version: int | None = None) -> Stage:
        return self._transition(actor, visit_id, Action.NO_SHOW, version=version)

    def rework(self, actor: User, visit_id: int, reason: str, *, version: int | None = None) -> Stage:
        """QC sends the car back to the workshop (the reason is audited)."""
        return self._transition(actor, visit_id, Action.REWORK, reason=reason, version=version)

    def _transition(
        self,
        actor: User,
        visit_id: int,
        action: Action,
        *,
        reason: str = "",
        version: int | None = None,
    ) -> Stage:
        reason = clean_text(reason, field="reason", max_len=500)
        if action in proc.NEEDS_REASON and not reason:
            raise InvalidInput("reason", "A reason is required")

        def run(session: Session) -> Stage:
            visit = self._visit(session, visit_id, version)
            frm = Stage(visit.stage)
            to, guarded = proc.target(frm, action)
            if guarded:
                facts = self._facts(session, visit)
                ck.guard(
                    self.templates, frm, facts, repo.marks(session=session, visit_id=visit_id)
                )
            now = self.now()
            before = {"stage": frm.value}
            visit.stage = to.value
            if action == Action.ARRIVE:
                visit.arrived_at = now
                visit.day = now.date()
            elif to == Stage.IN_REPAIR and frm == Stage.ESTIMATE:
                visit.signed_at = visit.signed_at or now
            elif to == Stage.READY:
                visit.ready_at = now
            elif to == Stage.DELIVERED:
                visit.delivered_at = now
                if visit.next_service_date is None:
                    due, km = next_service(now.date(), visit.odometer_km, self.policy)
                    visit.next_service_date, visit.next_service_km = due, km
            if reason:
                visit.close_reason = reason
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                f"visit.{action.value}",
                "visit",
                visit.id,
                visit_id=visit.id,
                before=before,
                after={"stage": to.value, "reason": reason} if reason else {"stage": to.value},
            )
            return to

        return self._write(run)

    # ------------------------------------------------------------ small visit fields

    def _set_fields(self, actor: User, visit_id: int, action: str, version: int | None, **values):
        def run(session: Session) -> None:
            visit = self._visit(session, visit_id, version)
            before = {k: getattr(visit, k) for k in values}
            for k, v in values.items():
                setattr(visit, k, v)
            self._touch(session, visit)
            self._audit(
                session, actor, action, "visit", visit.id, visit_id=visit.id, before=before, after=values
            )

        self._write(run)

    def start_reception(self, actor: User, visit_id: int) -> None:
        """The advisor starts with the customer: the greeting time is measured (RCP-01)."""

        def run(session: Session) -> None:
            visit = self._visit(session, visit_id)
            if visit.reception_at is None:
                visit.reception_at = self.now()
                self._touch(session, visit)
                self._audit(
                    session, actor, "visit.reception", "visit", visit.id, visit_id=visit.id,
                    after={"reception_at": visit.reception_at},
                )

        self._write(run)

    def set_promised(self, actor: User, visit_id: int, at, *, version: int | None = None) -> None:
        if at < self.now():
            raise InvalidInput("promised", "The promised time is in the past")
        self._set_fields(actor, visit_id, "visit.promised", version, promised_at=at)

    def assign(
        self, actor: User, visit_id: int, technician_id: int, bay: str = "", *, version: int | None = None
    ) -> None:
        """Assign (or reassign) the technician and bay (REP-01)."""

        def check(session: Session) -> None:
            row = session.get(UserRow, technician_id)
            if row is None or Role.TECHNICIAN not in repo.to_user(row).roles:
                raise InvalidInput("technician", "Not a technician")

        self._read(check)
        bay = clean_text(bay, field="bay", max_len=20)
        self._set_fields(
            actor, visit_id, "visit.assign", version, technician_id=technician_id, bay=bay
        )

    def set_washing(self, actor: User, visit_id: int, washing: bool = True) -> None:
        self._set_fields(actor, visit_id, "visit.washing", None, washing=washing)

    def notify_ready(self, actor: User, visit_id: int) -> None:
        """The advisor tells the customer the car is ready (DLV-03 compares who)."""
        self._set_fields(actor, visit_id, "visit.notified", None, notified_by=actor.id)

    def next_service_due(self, visit_id: int) -> tuple[date, int | None]:
        def run(session: Session):
            visit: VisitRow = self._visit(session, visit_id)
            if visit.next_service_date:
                return visit.next_service_date, visit.next_service_km
            return next_service(
                (visit.delivered_at or self.now()).date(), visit.odometer_km, self.policy
            )

        return self._read(run)
