"""The MOT checklist of a visit: marking items and evaluating them."""

from __future__ import annotations

from sqlmodel import Session

from desk.domain import checklist as ck
from desk.domain import fields, staff
from desk.domain.checklist import MarkKind
from desk.domain.entities import Saved, User, VisitRef
from desk.services.context import Service
from desk.store import repo
from desk.store.models import MotMarkRow, VisitRow


class ChecklistService(Service):
    def mark_item(
        self,
        actor: User,
        visit: VisitRef,
        item_id: str,
        kind: MarkKind | str,
        reason: str = "",
    ) -> Saved[ck.ItemStatus]:
        """Tick an MOT item, mark it not applicable, or waive it (with a reason);
        ``MarkKind.UNDONE`` withdraws the item's mark (a mistaken tick), with a reason.

        Returns the item's new status, evaluated in the same transaction: a mark
        changes only its own item, so a screen updates that one row in place
        instead of reading the whole visit again. ``reason``: as ``fields.REASON``
        parsed it (the reason dialog); whether one is needed is ``check_mark``'s."""
        kind = MarkKind(kind)
        return self._change(visit, lambda session, row: self.mark_in(session, actor, row, item_id, kind, reason))

    def mark_in(
        self, session: Session, actor: User, visit: VisitRow, item_id: str, kind: MarkKind | str, reason: str = ""
    ) -> ck.ItemStatus:
        """:meth:`mark_item` inside a write transaction already open on ``visit``
        (a stage move that ticks the items the user confirmed, in the same
        transaction: ``LifecycleService.advance``)."""
        kind = MarkKind(kind)
        reason = fields.OPTIONAL_REASON.check(reason)  # whoever calls: checked here, once
        item = self.templates.get(item_id)
        techs, other_inspector = self._who_worked(session, visit, item)
        current = {m.item_id: m for m in repo.marks(session=session, visit_id=visit.id)}.get(item_id)
        ck.check_mark(
            item,
            kind,
            actor,
            reason,
            technician_ids=techs,
            shop_has_other_inspector=other_inspector,
            current=current,
        )
        row = MotMarkRow(
            visit_id=visit.id,
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
            visit_id=visit.id,
            after={"item": item_id, "reason": reason},
        )
        # the visit's facts matter only to an item with a condition or a data check
        facts = self._facts(session, visit) if (item.when or item.check) else None
        return ck.evaluate_item(item, facts, {item_id: repo.to_mark(row)})

    @staticmethod
    def _who_worked(session: Session, visit: VisitRow, item) -> tuple[frozenset[int], bool]:
        """The visit's technicians, and whether the shop has someone besides them
        who may tick ``item`` (inspector != technician: ``staff``'s rule)."""
        techs = staff.visit_technicians(
            visit.technician_id, (ln.done_by for ln in repo.lines(session=session, visit_id=visit.id))
        )
        return techs, staff.shop_has_other_inspector(item, repo.users(session=session), techs)

    def who_may_mark(self, visit_id: int, item_id: str, kind: MarkKind | str) -> list[User]:
        """The users who could put ``kind`` on ``item_id`` of this visit with their
        PIN on this terminal (act as, for one mark): :func:`staff.who_may_mark`."""
        item = self.templates.get(item_id)

        def run(session: Session) -> list[User]:
            visit = session.get(VisitRow, visit_id)
            if visit is None:
                return []
            techs, other_inspector = self._who_worked(session, visit, item)
            return staff.who_may_mark(
                item,
                str(MarkKind(kind)),
                repo.users(session=session),
                repo.pin_user_ids(session=session),
                technician_ids=techs,
                shop_has_other_inspector=other_inspector,
            )

        return self._read(run)

    def checklist(self, visit_id: int, stage: str | None = None) -> list[ck.ItemStatus]:
        def run(session: Session):
            visit = self._visit_row(session, visit_id)
            facts = self._facts(session, visit)
            marks = repo.marks(session=session, visit_id=visit_id)
            return ck.evaluate(self.templates, stage or visit.stage, facts, marks)

        return self._read(run)
