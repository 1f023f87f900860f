"""Two terminals on one database, doing things in any order: a visit is never
moved into the workshop or delivered without the customer's authorisation of its
exact estimate, and a stale terminal never writes over the other."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from desk.domain.errors import DeskError
from desk.domain.rules import estimate_lines, lines_hash, valid_authorisation
from desk.services import open_desk
from desk.store import repo
from desk.store.db import read_session
from desk.store.models import VisitRow
from tests import flow
from tests.conftest import FrozenClock, Shop

PAST_ESTIMATE = {"IN_REPAIR", "QC", "READY", "DELIVERED", "FOLLOWED_UP"}
#: Stages seen past the estimate (the invariant must not hold vacuously).
REACHED: list[str] = []


class TwoTerminals(RuleBasedStateMachine):
    @initialize()
    def open_shop(self):
        self.dir = tempfile.TemporaryDirectory()
        url = f"sqlite:///{Path(self.dir.name) / 'desk.db'}"
        self.clock = FrozenClock(datetime(2026, 11, 23, 9, 0))
        self.a = open_desk(url, clock=self.clock)
        self.b = open_desk(url, clock=self.clock)  # the other terminal
        self.shop = Shop(self.a)
        self.visit = flow.book(self.shop, self.clock)
        flow.to_stage(self.shop, self.clock, self.visit, "ESTIMATE")
        self.a.estimate.add_canned_job(self.shop.sa, self.a.lifecycle.ref(self.visit), "oil")
        self.a.lifecycle.set_promised(
            self.shop.sa, self.a.lifecycle.ref(self.visit), self.clock.now + timedelta(hours=4)
        )
        flow.tick_open(self.a, self.shop.sa, self.visit)

    def terminal(self, which: bool):
        return self.a if which else self.b

    def attempt(self, fn):
        try:
            fn()
        except DeskError:
            pass  # refusals are part of the game; only the invariants matter

    @rule(which=st.booleans(), cents=st.integers(min_value=100, max_value=50_000))
    def add_line(self, which, cents):
        d = self.terminal(which)
        self.attempt(
            lambda: d.estimate.add_line(
                self.shop.sa,
                d.lifecycle.ref(self.visit),
                d.estimate.draft(kind="labour", description="extra", qty=Decimal(1), unit_cents=cents),
            )
        )

    @rule(which=st.booleans(), delta=st.integers(min_value=1, max_value=1000))
    def change_price(self, which, delta):
        d = self.terminal(which)
        lines = d.lifecycle.visit_view(self.visit).lines
        if lines:
            ln = lines[0]
            self.attempt(
                lambda: d.estimate.update_line(
                    self.shop.sa, d.lifecycle.ref(self.visit), ln.id, d.estimate.patch(unit_cents=ln.unit_cents + delta)
                )
            )

    @rule(which=st.booleans(), short=st.booleans())
    def authorise(self, which, short):
        d = self.terminal(which)
        total = d.estimate.estimate_total(self.visit)
        self.attempt(
            lambda: d.estimate.authorise(
                self.shop.sa,
                d.lifecycle.ref(self.visit),
                d.estimate.signature(
                    channel="in_person", signer="李伟", reference="P1", amount_cents=total - (1 if short else 0)
                ),
            )
        )

    @rule(which=st.booleans())
    def sign_and_move(self, which):
        """What an advisor does: the customer signs the current total, then move."""
        d = self.terminal(which)
        self.authorise(which, short=False)
        self.attempt(lambda: d.lifecycle.advance(self.shop.mgr, d.lifecycle.ref(self.visit)))

    @rule(which=st.booleans())
    def advance(self, which):
        d = self.terminal(which)
        actor = self.shop.mgr  # may tick anything: only the authorisation guards here
        self.attempt(lambda: flow.tick_open(d, actor, self.visit))
        self.attempt(lambda: d.lifecycle.advance(actor, d.lifecycle.ref(self.visit)))

    @rule(which=st.booleans())
    def stale_edit(self, which):
        d, other = self.terminal(which), self.terminal(not which)
        seen = d.lifecycle.visit_view(self.visit).ref
        self.attempt(
            lambda: other.reception.add_concern(
                self.shop.sa, other.lifecycle.ref(self.visit), other.reception.concern("meanwhile")
            )
        )
        before = [c.text for c in d.lifecycle.visit_view(self.visit).concerns]
        self.attempt(lambda: d.reception.add_concern(self.shop.sa, seen, d.reception.concern("stale")))
        after = [c.text for c in d.lifecycle.visit_view(self.visit).concerns]
        assert "stale" not in after[len(before) :], "a stale terminal wrote over the other"

    @invariant()
    def past_estimate_only_with_exact_authorisation(self):
        if not hasattr(self, "a"):
            return
        with read_session(self.a.ctx.engine) as s:
            visit = s.get(VisitRow, self.visit)
            facts = repo.visit_facts(
                session=s, visit=visit, now=self.clock.now, policy=self.a.ctx.policy, totals_fn=self.a.estimate.totals
            )
        if visit.stage in PAST_ESTIMATE:
            REACHED.append(visit.stage)
            auth = valid_authorisation(facts)
            assert auth is not None, "in the workshop without an authorisation of this estimate"
            assert auth.lines_hash == lines_hash(estimate_lines(facts))

    def teardown(self):
        if hasattr(self, "a"):
            self.a.ctx.engine.dispose()
            self.b.ctx.engine.dispose()
            self.dir.cleanup()


@pytest.mark.slow
def test_two_terminals():
    REACHED.clear()
    run_state_machine_as_test(
        TwoTerminals,
        settings=settings(
            max_examples=15,
            stateful_step_count=10,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert REACHED, "no run moved a visit into the workshop: the invariant was never exercised"
