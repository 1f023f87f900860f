"""The one rule of the promise (EST-04, REP-04) over every order of the events
that touch it: the promise set (P), the part's ETA given (E), the signature (S)
and a later promise asked for after it (C). Each event is what the services do
with the domain's functions: set_promised and the signature check the time
against the parts (``check_promised``), a later promise after the signature
needs the customer's approval (``check_promise_change``), and EST-04's check
(``promised_time_set``) holds only for a promise no part's ETA comes after."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field, replace
from decimal import Decimal

import pytest

from desk.domain import estimate, rules
from desk.domain.entities import Approval, Availability, Channel, EstimateLine, LineKind
from desk.domain.errors import InvalidInput

NOW = dt.datetime(2026, 11, 23, 9, 0)
PROMISE = NOW.replace(hour=17)  # today 17:00
ETA = NOW.date() + dt.timedelta(days=2)  # the part arrives in two days
LATER = dt.datetime.combine(ETA + dt.timedelta(days=1), dt.time(10, 0))  # after the part
CONSENT = estimate.Signature.of(channel=Channel.PHONE, signer="李伟", reference="13812345678")


def part(eta: dt.date | None) -> EstimateLine:
    return EstimateLine(
        kind=LineKind.PART,
        description="Rear brake disc pair",
        qty=Decimal(1),
        unit_cents=68000,
        availability=Availability.BACK_ORDER,
        eta=eta,
    )


@dataclass
class Visit:
    lines: list = field(default_factory=lambda: [part(None)])
    promised: dt.datetime | None = None
    signed_promise: dt.datetime | None = None
    signed: bool = False
    refused: list = field(default_factory=list)

    def set_promise(self, at: dt.datetime, approval=None) -> None:
        estimate.check_promised(at, self.lines)
        if self.promised != at:
            estimate.check_promise_change(self.signed_promise, self.promised, at, approval)
        self.promised = at

    def run(self, event: str, consent: bool) -> None:
        try:
            if event == "P":
                self.set_promise(PROMISE)
            elif event == "E":
                self.lines = [replace(ln, eta=ETA) for ln in self.lines]
            elif event == "S":
                if self.promised is not None:
                    self.set_promise(self.promised, approval=CONSENT)  # the signature is the consent
                self.signed, self.signed_promise = True, self.promised
            elif event == "C":
                self.set_promise(LATER, approval=CONSENT if consent else None)
        except InvalidInput as exc:
            self.refused.append((event, exc.field))

    def est04(self) -> bool:
        return rules.CHECKS["promised_time_set"].fn(
            rules.VisitFacts(now=NOW, lines=self.lines, promised_at=self.promised)
        )


ORDERS = ["".join(p) for p in itertools.permutations("PESC")]


@pytest.mark.parametrize("consent", [True, False], ids=["approved", "no-approval"])
@pytest.mark.parametrize("order", ORDERS)
def test_the_promise_rule_holds_in_every_order_of_events(order, consent):
    v = Visit()
    for i, event in enumerate(order):
        before = (v.promised, v.signed_promise)
        v.run(event, consent)
        done = order[: i + 1]
        # never a promise on a day before the part's known ETA, kept or signed
        eta_known = "E" in done
        if v.signed and eta_known and order.index("S") > order.index("E") and v.signed_promise is not None:
            assert v.signed_promise.date() >= ETA
        # EST-04 is ticked only while the promise is not before the part's ETA
        assert v.est04() == (v.promised is not None and not (eta_known and v.promised.date() < ETA))
        # after a signature with a promise, a later one is never kept without consent
        if event == "C" and before[1] is not None and not consent:
            assert v.promised == before[0] and ("C", "approval") in v.refused
    refused = dict(v.refused)
    # the promise set after the ETA is refused (the part arrives later)
    assert ("P" in refused) == (order.index("E") < order.index("P"))
    # the signature is refused when it carries a promise that the ETA now comes
    # after (not when a later promise replaced it before the signature)
    before_s = order[: order.index("S")]
    set_before_s = [e for e in before_s if e == "C" or (e == "P" and order.index("E") > order.index("P"))]
    stale = bool(set_before_s) and set_before_s[-1] == "P" and "E" in before_s
    assert ("S" in refused) == stale
    if "S" in refused:
        assert not v.signed
    # a later promise after a signed promise needs the customer's approval
    signed_with_promise = v.signed_promise is not None and order.index("S") < order.index("C")
    assert ("C" in refused) == (signed_with_promise and not consent)


def test_the_conflict_names_the_last_part_to_arrive_and_ignores_declined_or_undated_parts():
    a, b = part(ETA), replace(part(ETA + dt.timedelta(days=1)), description="Caliper")
    assert estimate.promise_conflict(PROMISE, [a, b]) is b
    assert estimate.promise_conflict(PROMISE, [replace(b, approval=Approval.DECLINED), part(None)]) is None
    assert estimate.promise_conflict(dt.datetime.combine(ETA, dt.time(17)), [a]) is None  # fitted that evening
    assert estimate.promise_conflict(None, [a]) is None
    with pytest.raises(InvalidInput) as refused:
        estimate.check_promised(PROMISE, [a, b])
    assert refused.value.params["part"] == "Caliper"


def test_an_earlier_or_the_same_promise_after_the_signature_needs_no_approval():
    assert not estimate.promise_needs_approval(PROMISE, PROMISE, PROMISE - dt.timedelta(hours=1))
    assert not estimate.promise_needs_approval(PROMISE, PROMISE, PROMISE)
    assert estimate.promise_needs_approval(PROMISE, PROMISE, PROMISE + dt.timedelta(minutes=1))
    assert not estimate.promise_needs_approval(None, None, LATER)  # before the signature
