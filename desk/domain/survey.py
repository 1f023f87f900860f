"""The follow-up survey (spec FUP-03..05): the five CSI factors, each scored 1..5,
the NPS question (0..10), and what counts as a dissatisfied answer (it opens a
complaint, a score of 1 a major one)."""

from __future__ import annotations

from desk.domain.entities import Severity
from desk.i18n import N_

#: The five CSI factors of the survey (seed 002), in the order they are asked.
CSI_FACTORS = ("initiation", "advisor", "facility", "pickup", "quality")
#: What the caller reads out for each factor.
FACTOR_LABELS = {
    "initiation": N_("Service initiation (easy appointment, quick hand-over)"),
    "advisor": N_("Service advisor (courteous, responsive, explained the work)"),
    "facility": N_("Service facility (easy to reach, clean, comfortable)"),
    "pickup": N_("Vehicle pick-up (timely, fair charges, helpful)"),
    "quality": N_("Service quality (time taken, fixed right, car clean)"),
}
SCORES = range(1, 6)
NPS_SCORES = range(0, 11)
#: A score at or below this is a dissatisfied answer and opens a complaint.
DISSATISFIED = 2


def is_dissatisfied(score: int) -> bool:
    return score <= DISSATISFIED


def dissatisfied_factors(scores: dict[str, int]) -> list[str]:
    """The factors scored dissatisfied, in the order given."""
    return [f for f, s in scores.items() if is_dissatisfied(s)]


def complaint_severity(scores: dict[str, int]) -> Severity | None:
    """The complaint a set of answers opens: none, ordinary, or major (a 1)."""
    if not dissatisfied_factors(scores):
        return None
    return Severity.MAJOR if min(scores.values()) == 1 else Severity.ORDINARY
