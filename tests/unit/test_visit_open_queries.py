"""Opening a visit (issue 27, item 2): one read transaction and a fixed number of
queries, however many lines and earlier visits it has; the earlier visits' detail
only when asked. Counted at the driver: every statement the engine sends."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa


class Counter:
    """The statements and transactions the engine starts in this thread while it
    is on (not a background reader's of the same engine)."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.thread = threading.get_ident()
        self.statements: list[str] = []
        self.transactions = 0

    def _statement(self, conn, cursor, statement, params, context, many) -> None:
        if threading.get_ident() == self.thread and statement.strip().upper() not in (
            "BEGIN",
            "BEGIN DEFERRED",
            "COMMIT",
            "ROLLBACK",
        ):
            self.statements.append(statement)

    def _begin(self, conn) -> None:
        self.transactions += threading.get_ident() == self.thread

    def __enter__(self) -> Counter:
        sa.event.listen(self.engine, "before_cursor_execute", self._statement)
        sa.event.listen(self.engine, "begin", self._begin)
        return self

    def __exit__(self, *exc) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._statement)
        sa.event.remove(self.engine, "begin", self._begin)


def _visit(shop, clock, vehicle: int, *, lines: int, past: int) -> int:
    """A walk-in for ``vehicle`` after ``past`` earlier visits (each a few days
    apart, with a concern and a declined line), with ``lines`` estimate lines."""
    desk, sa_ = shop.desk, shop.sa
    for i in range(past + 1):
        ref = desk.booking.walk_in(
            sa_,
            customer_id=shop.customer,
            vehicle_id=vehicle,
            concerns=desk.booking.concerns([(f"Noise {i} from the front", ("noise",))]),
        )
        clock.advance(days=3)
    for i in range(lines):
        ref = desk.estimate.add_line(
            sa_,
            ref,
            desk.estimate.draft(
                kind="labour" if i % 2 else "part", description=f"Item {i}", qty=Decimal(1), unit_cents=1000 + i
            ),
        ).ref
    return ref.id


@pytest.fixture
def second_car(shop) -> int:
    return shop.desk.people.register_vehicle(
        shop.sa,
        shop.customer,
        shop.desk.people.vehicle_draft(
            vin="WVWZZZ3CZWE123456", plate="京B54321", make="Volkswagen", model="Golf", year=2020
        ),
    )


def test_a_busy_visit_opens_in_one_read_with_as_many_queries_as_a_bare_one(shop, clock, second_car):
    desk = shop.desk
    big = _visit(shop, clock, shop.vehicle, lines=30, past=10)
    small = _visit(shop, clock, second_car, lines=1, past=1)
    counts = {}
    for name, vid in (("big", big), ("small", small)):
        with Counter(desk.ctx.engine) as seen:
            view = desk.lifecycle.visit_view(vid, past=5)
        assert seen.transactions == 1, f"{name}: {seen.transactions} transactions"
        counts[name] = len(seen.statements)
        if name == "big":
            assert len(view.lines) == 30
            assert len(view.last_visits) == 5
            assert view.last_visits[0]["concerns"] == ["Noise 9 from the front"]
            assert len(view.checklist) > 0
    assert counts["big"] == counts["small"], counts
    # a small fixed number: each part of the visit once (its payments and its walk-in
    # arrival joined the view after this bound was first set at 20)
    assert counts["big"] <= 24, counts


def test_the_earlier_visits_detail_is_read_only_when_asked(shop, clock):
    desk = shop.desk
    vid = _visit(shop, clock, shop.vehicle, lines=2, past=3)
    with Counter(desk.ctx.engine) as bare:
        view = desk.lifecycle.visit_view(vid)
    with Counter(desk.ctx.engine) as asked:
        detailed = desk.lifecycle.visit_view(vid, past=5)
    assert view.last_visits == []
    assert [v["number"] for v in detailed.last_visits] == [
        v["number"] for v in desk.people.vehicle_visits(shop.vehicle, exclude=vid)
    ]
    assert len(detailed.last_visits) == 3
    assert not any("estimate_line.approval =" in s for s in bare.statements)
    assert len(asked.statements) > len(bare.statements)
