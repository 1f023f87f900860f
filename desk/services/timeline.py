"""The stage stopwatch: a visit's timeline against the shop's standards, the
visits whose running interval is over its standard (the boards colour them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from desk.domain import timeline as tl
from desk.services.context import Service
from desk.store import repo


@dataclass(frozen=True)
class Timeline:
    """One visit's milestones, intervals and the interval running now."""

    visit_id: int
    milestones: list[tuple[str, object]]
    intervals: list[tl.Interval]
    running: tl.Interval | None
    #: When the customer signed an estimate a later change voided (shown as void).
    void_signed: tuple = ()


class TimelineService(Service):
    def standards(self) -> dict[str, int]:
        """Each milestone's standard (seconds), from the shop's set-up."""
        p = self.policy
        return tl.standards(
            self.ctx.settings,
            greet_within_seconds=p.greet_within_seconds,
            followup_window_hours=p.followup_window_hours,
        )

    def clocks(self, visit_ids: Iterable[int]) -> dict[int, tl.VisitClock]:
        ids = list(visit_ids)
        return self._read(lambda s: repo.visit_clocks(session=s, visit_ids=ids))

    def timeline(self, visit_id: int) -> Timeline:
        clock = self.clocks([visit_id]).get(visit_id) or tl.VisitClock(visit_id)
        stds = self.standards()
        return Timeline(
            visit_id, clock.milestones(), tl.intervals(clock, stds), tl.running(clock, stds), clock.void_signed
        )

    def running(self, visit_ids: Iterable[int]) -> dict[int, tl.Interval]:
        """The interval running now of each of ``visit_ids`` that has a standard
        (a board works out "over" from it and the clock, without a read)."""
        stds = self.standards()
        out = {}
        for vid, clock in self.clocks(visit_ids).items():
            iv = tl.running(clock, stds)
            if iv is not None and iv.standard_seconds is not None:
                out[vid] = iv
        return out

    def over_standard(self, visit_ids: Iterable[int]) -> dict[int, tl.Interval]:
        """The visits among ``visit_ids`` whose running interval is over its
        standard now, with that interval."""
        stds, now = self.standards(), self.now()
        out = {}
        for vid, clock in self.clocks(visit_ids).items():
            iv = tl.over_standard(clock, stds, now)
            if iv is not None:
                out[vid] = iv
        return out
