"""Honest checklists: the flags of a visit (desk.domain.integrity) with the
managers' reviews, and a manager accepting a flag with a note."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlmodel import Session

from desk.domain import fields, staff
from desk.domain import integrity as ig
from desk.domain.entities import Saved, User, VisitRef
from desk.domain.errors import InvalidInput
from desk.i18n import N_
from desk.services.context import Service
from desk.store import repo
from desk.store.models import IntegrityReviewRow, VisitRow


@dataclass(frozen=True)
class VisitFlags:
    ref: VisitRef
    flags: list[ig.Flag]
    reviews: dict[str, ig.Review]
    #: Who each flag counts against, by id.
    names: dict[int, str]

    def open(self) -> list[ig.Flag]:
        return [f for f in self.flags if f.key not in self.reviews]


class IntegrityService(Service):
    def thresholds(self) -> ig.Thresholds:
        """The thresholds in force now (the shop's settings)."""
        s = self.ctx.settings
        base = ig.Thresholds()
        return ig.Thresholds(
            walkaround_seconds=getattr(s, "integrity_walkaround_seconds", base.walkaround_seconds),
            qc_seconds=getattr(s, "integrity_qc_seconds", base.qc_seconds),
        )

    def _judge(self, session: Session) -> Callable[[ig.CheckFacts], list[ig.Flag]]:
        """The flags of a visit by the thresholds in force when it arrived (each
        threshold a standard with a history, ``ig.in_force``)."""
        now = self.thresholds()
        changes = repo.setting_changes(session=session, keys=set(ig.SETTING_KEYS))
        return lambda f: ig.flags(f, ig.in_force(now, changes, f.arrived_at))

    def _walkaround_items(self) -> list[str]:
        return [i.id for i in self.templates.items if i.stage == "WALKAROUND"]

    def facts(self, session: Session, visit_ids: Iterable[int]) -> dict[int, ig.CheckFacts]:
        return repo.check_facts(session=session, visit_ids=visit_ids, walkaround_items=self._walkaround_items())

    def found(
        self, visit_ids: Iterable[int]
    ) -> tuple[dict[int, ig.CheckFacts], dict[int, list[ig.Flag]], list[ig.Review]]:
        """The facts, flags and reviews of ``visit_ids`` (one read)."""
        ids = list(visit_ids)

        def run(session: Session):
            facts, judge = self.facts(session, ids), self._judge(session)
            return (
                facts,
                {vid: judge(f) for vid, f in facts.items()},
                repo.integrity_reviews(session=session, visit_ids=ids),
            )

        return self._read(run)

    def visit_flags(self, visit_id: int) -> VisitFlags:
        def run(session: Session) -> VisitFlags:
            visit = self._visit_row(session, visit_id)
            facts = self.facts(session, [visit_id])[visit_id]
            reviews = {r.key: r for r in repo.integrity_reviews(session=session, visit_ids=[visit_id])}
            return VisitFlags(
                VisitRef(visit.id, visit.version),
                self._judge(session)(facts),
                reviews,
                repo.user_names(session=session),
            )

        return self._read(run)

    def accept(self, actor: User, visit: VisitRef, key: str, note: str) -> Saved[None]:
        """A manager accepts a flag with a note (audited); it no longer counts."""
        staff.may_accept_flag(actor).check()
        note = fields.REASON.parse(note)

        def run(session: Session, visit: VisitRow) -> None:
            found = {f.key: f for f in self._judge(session)(self.facts(session, [visit.id])[visit.id])}
            if key not in found:
                raise InvalidInput("flag", N_("No such flag on this visit"))
            if any(r.key == key for r in repo.integrity_reviews(session=session, visit_ids=[visit.id])):
                raise InvalidInput("flag", N_("This flag is already accepted"))
            session.add(IntegrityReviewRow(visit_id=visit.id, flag_key=key, note=note, by_user=actor.id, at=self.now()))
            self._touch(session, visit)
            self._audit(
                session,
                actor,
                "integrity.accept",
                "visit",
                visit.id,
                visit_id=visit.id,
                after={"flag": key, "rule": found[key].rule, "note": note},
            )

        return self._change(visit, run)
