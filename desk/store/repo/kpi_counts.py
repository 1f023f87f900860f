"""The KPI figures' counts, computed by the database (``desk.domain.kpi_plan``
says what each figure counts; this module counts it): one aggregate query per
figure, grouped by the trend's step, the same SQL on SQLite and PostgreSQL.

A step is a ``CASE`` over the steps' ends (at most 31), grouped by position;
a time plus a standard ("arrived + 60 s") is :class:`plus_seconds`, exact on
both (SQLite keeps the stored microseconds as they are)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from desk.domain import kpi
from desk.domain.kpi_plan import Count, Tally
from desk.store.models import (
    ComplaintRow,
    CustomerRow,
    FollowUpCallRow,
    MotMarkRow,
    SurveyAnswerRow,
    UserRow,
    VehicleRow,
    VisitRow,
)

__all__ = ["kpi_count", "kpi_count_many", "kpi_count_visits", "kpi_visit_recs"]


def _table(row: Any) -> sa.Table:
    table: sa.Table = row.__table__
    return table


V = _table(VisitRow)
M = _table(MotMarkRow)
C = _table(FollowUpCallRow)
A = _table(SurveyAnswerRow)
K = _table(ComplaintRow)

Steps = list[tuple[datetime, datetime]]


class plus_seconds(FunctionElement):
    """``t`` plus a whole number of seconds, as a time comparable with stored ones."""

    type = sa.DateTime()
    inherit_cache = True
    name = "plus_seconds"


@compiles(plus_seconds)
def _plus_pg(element: Any, compiler: Any, **kw: Any) -> str:
    t, secs = list(element.clauses)
    return f"({compiler.process(t, **kw)} + make_interval(secs => {compiler.process(secs, **kw)}))"


@compiles(plus_seconds, "sqlite")
def _plus_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # stored as 'YYYY-MM-DD HH:MM:SS.ffffff': shift the whole seconds, keep the fraction
    t, secs = list(element.clauses)
    col = compiler.process(t, **kw)
    return f"(strftime('%Y-%m-%d %H:%M:%S', {col}, '+' || {compiler.process(secs, **kw)} || ' seconds') || substr({col}, 20))"


def _plus(t: Any, seconds: int) -> ColumnElement:
    return plus_seconds(t, sa.literal_column(str(int(seconds))))


def _n(cond: Any) -> ColumnElement:
    """How many rows meet ``cond``."""
    return sa.func.sum(sa.case((cond, 1), else_=0))


def _step(anchor: Any, steps: Steps) -> ColumnElement:
    """The trend step ``anchor`` falls in (rows outside every step are filtered out before)."""
    if len(steps) == 1:
        return sa.literal_column("0")
    whens = [(anchor < sa.bindparam(None, b, type_=sa.DateTime()), i) for i, (_a, b) in enumerate(steps[:-1])]
    return sa.case(*whens, else_=len(steps) - 1)


def _per_step(steps: Steps, values: list) -> Callable[[ColumnElement], ColumnElement]:
    """A value per step (``values[i]`` for step i), chosen by the anchor."""

    def pick(anchor: Any) -> ColumnElement:
        if len(steps) == 1:
            return sa.bindparam(None, values[0], type_=sa.DateTime())
        whens = [
            (anchor < sa.bindparam(None, b, type_=sa.DateTime()), sa.bindparam(None, values[i], type_=sa.DateTime()))
            for i, (_a, b) in enumerate(steps[:-1])
        ]
        return sa.case(*whens, else_=sa.bindparam(None, values[-1], type_=sa.DateTime()))

    return pick


def _visits_of(advisor_id: int | None, anchor: Any, count: Count, *where: Any) -> list:
    out = [anchor >= count.start, anchor < count.end, *where]
    if advisor_id is not None:
        out.append(V.c.advisor_id == advisor_id)
    return out


def _standing_waiver(items: tuple[str, ...] | None) -> ColumnElement:
    """A waiver of one of ``items`` (None: any) stands on the visit (no later mark of the item)."""
    later = sa.alias(M, "later")
    newer = (
        sa.select(sa.literal_column("1"))
        .select_from(later)
        .where(later.c.visit_id == M.c.visit_id, later.c.item_id == M.c.item_id, later.c.id > M.c.id)
        .exists()
    )
    cond = [M.c.visit_id == V.c.id, M.c.kind == "waived", ~newer]
    if items is not None:
        cond.append(M.c.item_id.in_(items) if items else sa.false())
    return sa.select(sa.literal_column("1")).select_from(M).where(*cond).exists()


def _first_call(start: datetime, end: datetime) -> ColumnElement:
    """The visit's first follow-up call in the report's range (None: none)."""
    return sa.select(sa.func.min(C.c.at)).where(C.c.visit_id == V.c.id, C.c.at >= start, C.c.at < end).scalar_subquery()


def _call_with(outcome: str | None, start: datetime, end: datetime) -> ColumnElement:
    cond = [C.c.visit_id == V.c.id, C.c.at >= start, C.c.at < end]
    if outcome is not None:
        cond.append(C.c.outcome == outcome)
    return sa.select(sa.literal_column("1")).select_from(C).where(*cond).exists()


# ---------------------------------------------------------------------------- the figures' queries
# Each returns (anchor, from, where, num, den[, group]) for one kind of count.

_Query = tuple


@dataclass(frozen=True)
class _VisitRate:
    """A share of visits: those with ``anchor`` in the range meeting ``base``, of
    them those meeting ``hit`` (``base`` a list, or a function of the count)."""

    anchor: Any
    base: Any
    hit: Callable[[Count], ColumnElement]

    def where(self, count: Count, advisor_id: int | None) -> list:
        b = self.base(count) if callable(self.base) else self.base
        return _visits_of(advisor_id, self.anchor, count, *b)

    def __call__(self, count: Count, advisor_id: int | None, steps: Steps) -> _Query:
        return self.anchor, V, self.where(count, advisor_id), _n(self.hit(count)), sa.func.count()


_visit_rate = _VisitRate


def _promise() -> ColumnElement:
    return sa.func.coalesce(V.c.signed_promised_at, V.c.promised_at)


def _duration_hit(count: Count) -> ColumnElement:
    lo, hi = count.args
    cond = V.c.ready_at >= (_plus(V.c.repair_started_at, lo) if lo else V.c.repair_started_at)
    return sa.and_(cond, V.c.ready_at < _plus(V.c.repair_started_at, hi)) if hi is not None else cond


def _followup_base(count: Count) -> list:
    hours, now, start, end = count.args
    return [sa.or_(_first_call(start, end).is_not(None), _plus(V.c.delivered_at, hours * 3600) <= now)]


def _followup_hit(count: Count) -> ColumnElement:
    hours, _now, start, end = count.args
    first = _first_call(start, end)
    return sa.and_(first.is_not(None), first <= _plus(V.c.delivered_at, hours * 3600))


def _reach_hit(count: Count) -> ColumnElement:
    outcome, start, end = count.args
    reached = _call_with("reached", start, end)
    wrong = _call_with("wrong_number", start, end)
    if outcome == "reached":
        return reached
    if outcome == "wrong_number":
        return sa.and_(~reached, wrong)
    return sa.and_(~reached, ~wrong)


def _waivers(count: Count, advisor_id: int | None, steps: Steps) -> _Query:
    later = sa.alias(M, "later")
    newer = (
        sa.select(sa.literal_column("1"))
        .select_from(later)
        .where(later.c.visit_id == M.c.visit_id, later.c.item_id == M.c.item_id, later.c.id > M.c.id)
        .exists()
    )
    where = _visits_of(advisor_id, V.c.arrived_at, count, M.c.kind == "waived", ~newer)
    return V.c.arrived_at, V.join(M, M.c.visit_id == V.c.id), where, sa.func.count(), sa.func.count(V.c.id.distinct())


def _answers(count: Count, advisor_id: int | None, where: list) -> tuple:
    frm = A.join(C, C.c.id == A.c.call_id).join(V, V.c.id == C.c.visit_id)
    return C.c.at, frm, _visits_of(advisor_id, C.c.at, count, *where)


def _csi(count: Count, advisor_id: int | None, steps: Steps) -> _Query:
    anchor, frm, where = _answers(count, advisor_id, [A.c.factor == count.args[0]])
    return anchor, frm, where, sa.func.sum(A.c.score), sa.func.count()


def _csi_factors(count: Count, advisor_id: int | None, steps: Steps) -> _Query:
    anchor, frm, where = _answers(count, advisor_id, [])
    return anchor, frm, where, sa.func.sum(A.c.score), sa.func.count(), A.c.factor


def _satisfied(count: Count, advisor_id: int | None, steps: Steps) -> _Query:
    anchor, frm, where = _answers(count, advisor_id, [])
    return anchor, frm, where, _n(A.c.score >= 4), sa.func.count()


def _nps(count: Count, advisor_id: int | None, steps: Steps) -> _Query:
    frm = C.join(V, V.c.id == C.c.visit_id)
    where = _visits_of(advisor_id, C.c.at, count, C.c.nps.is_not(None))
    net = sa.func.sum(sa.case((C.c.nps >= 9, 1), (C.c.nps <= 6, -1), else_=0))
    return C.c.at, frm, where, net, sa.func.count()


def _complaints_where(count: Count, advisor_id: int | None, *where: Any) -> tuple:
    frm = K if advisor_id is None else K.join(V, V.c.id == K.c.visit_id)
    return K.c.opened_at, frm, _visits_of(advisor_id, K.c.opened_at, count, *where)


def _complaint_kind(num: Callable[[Count, Steps], ColumnElement], base: Any = None) -> Callable:
    def build(count: Count, advisor_id: int | None, steps: Steps) -> _Query:
        anchor, frm, where = _complaints_where(count, advisor_id, *(base(count, steps) if base else ()))
        return anchor, frm, where, num(count, steps), sa.func.count()

    return build


def _open_at(count: Count, steps: Steps) -> ColumnElement:
    """Each step's moment of looking: its end, or now if sooner."""
    now = count.args[0]
    return _per_step(steps, [min(b, now) for _a, b in steps])(K.c.opened_at)


def _still_open(count: Count, steps: Steps) -> list:
    at = _open_at(count, steps)
    return [sa.or_(K.c.closed_at.is_(None), K.c.closed_at > at)]


def _overdue(count: Count, steps: Steps) -> ColumnElement:
    day = int(count.args[1].total_seconds())
    return _plus(K.c.opened_at, day) <= _open_at(count, steps)


def _24h_base(count: Count, steps: Steps) -> list:
    now, day = count.args
    return [sa.or_(K.c.closed_at.is_not(None), _plus(K.c.opened_at, int(day.total_seconds())) <= now)]


def _24h_hit(count: Count, steps: Steps) -> ColumnElement:
    day = int(count.args[1].total_seconds())
    return sa.and_(K.c.closed_at.is_not(None), K.c.closed_at <= _plus(K.c.opened_at, day))


def _repeat(count: Count, steps: Steps) -> ColumnElement:
    earlier = sa.alias(K, "earlier")
    return (
        sa.select(sa.literal_column("1"))
        .select_from(earlier)
        .where(
            earlier.c.customer_id == K.c.customer_id,
            sa.or_(
                earlier.c.opened_at < K.c.opened_at,
                sa.and_(earlier.c.opened_at == K.c.opened_at, earlier.c.id < K.c.id),
            ),
        )
        .exists()
    )


def _returning() -> ColumnElement:
    earlier = sa.alias(V, "earlier")
    return (
        sa.select(sa.literal_column("1"))
        .select_from(earlier)
        .where(earlier.c.customer_id == V.c.customer_id, earlier.c.id < V.c.id)
        .exists()
    )


QUERIES: dict[str, Any] = {
    "greeting": _visit_rate(
        V.c.arrived_at,
        [V.c.reception_at.is_not(None)],
        lambda c: V.c.reception_at <= _plus(V.c.arrived_at, c.args[0]),
    ),
    "appointment_share": _visit_rate(V.c.arrived_at, [], lambda c: ~V.c.walk_in),
    "returning": _visit_rate(V.c.arrived_at, [], lambda c: _returning()),
    "no_show": _visit_rate(
        V.c.appointment_at,
        [~V.c.walk_in, sa.or_(V.c.arrived_at.is_not(None), V.c.stage == "NO_SHOW")],
        lambda c: V.c.stage == "NO_SHOW",
    ),
    "mot_stage": _visit_rate(
        V.c.arrived_at, lambda c: [V.c.stage.in_(c.args[0])], lambda c: ~_standing_waiver(c.args[1])
    ),
    "waivers": _waivers,
    "frft": _visit_rate(V.c.arrived_at, [], lambda c: V.c.comeback_of_id.is_(None)),
    "comeback": _visit_rate(V.c.arrived_at, [], lambda c: V.c.comeback_of_id.is_not(None)),
    "on_time": _visit_rate(V.c.ready_at, [_promise().is_not(None)], lambda c: V.c.ready_at <= _promise()),
    "same_advisor": _visit_rate(
        V.c.delivered_at, [V.c.notified_by.is_not(None)], lambda c: V.c.notified_by == V.c.advisor_id
    ),
    "followup": _visit_rate(V.c.delivered_at, _followup_base, _followup_hit),
    "followup_reach": _visit_rate(V.c.delivered_at, lambda c: [_call_with(None, c.args[1], c.args[2])], _reach_hit),
    "duration": _visit_rate(V.c.ready_at, [V.c.repair_started_at.is_not(None)], _duration_hit),
    "csi": _csi,
    "csi_factors": _csi_factors,
    "satisfied": _satisfied,
    "nps": _nps,
    "complaints": _complaint_kind(lambda c, s: sa.func.count()),
    "complaints_severity": _complaint_kind(lambda c, s: _n(K.c.severity == c.args[0])),
    "complaints_open": _complaint_kind(lambda c, s: _n(_overdue(c, s)), _still_open),
    "complaints_overdue": _complaint_kind(
        lambda c, s: sa.func.count(), lambda c, s: [*_still_open(c, s), _overdue(c, s)]
    ),
    "complaints_24h": _complaint_kind(lambda c, s: _n(_24h_hit(c, s)), _24h_base),
    "complaints_repeat": _complaint_kind(lambda c, s: sa.func.count(), lambda c, s: [_repeat(c, s)]),
}


def _run(connection: Connection, query: _Query, steps: Steps, into: Tally) -> None:
    anchor, frm, where, num, den, *group = query
    cols = [_step(anchor, steps).label("step"), (group[0] if group else sa.literal("")).label("grp")]
    stmt = sa.select(*cols, num, den).select_from(frm).where(*where)
    stmt = stmt.group_by(sa.literal_column("1"), sa.literal_column("2"))
    for row in connection.execute(stmt):
        step, grp, n, d = int(row[0]), str(row[1]), int(row[2] or 0), int(row[3] or 0)
        a, b = into.get((step, grp), (0, 0))
        into[(step, grp)] = (a + n, b + d)


def kpi_count(*, connection: Connection, count: Count, advisor_id: int | None, steps: Steps) -> Tally:
    """``count`` over its range for one advisor (None: the shop), by trend step
    (``steps``: contiguous ``[a, b)`` covering the range; one step for the whole)."""
    out: Tally = {}
    if count.kind == "complaints_per_100":  # complaints of the step per 100 arrivals of it
        opened: Tally = {}
        _run(connection, QUERIES["complaints"](count, advisor_id, steps), steps, opened)
        arrived: Tally = {}
        _run(connection, QUERIES["appointment_share"](count, advisor_id, steps), steps, arrived)
        for i in range(len(steps)):
            n = opened.get((i, ""), (0, 0))[0]
            d = arrived.get((i, ""), (0, 0))[1]
            if n or d:
                out[(i, "")] = (n, d)
        return out
    _run(connection, QUERIES[count.kind](count, advisor_id, steps), steps, out)
    return out


def kpi_count_many(*, connection: Connection, counts: list[Count], advisor_id: int | None, steps: Steps) -> list[Tally]:
    """:func:`kpi_count` of each of ``counts``; the shares of visits with the same
    anchor and range in one query (a pair of sums each), the others one each."""
    out: list[Tally | None] = [None] * len(counts)
    batches: dict[tuple, list[int]] = {}
    answers: dict[tuple, list[int]] = {}
    for i, c in enumerate(counts):
        q = QUERIES.get(c.kind)
        if c.kind in ("csi", "csi_factors", "satisfied"):
            answers.setdefault((c.start, c.end), []).append(i)
        elif isinstance(q, _VisitRate):
            batches.setdefault((q.anchor.key, c.start, c.end), []).append(i)
        else:
            out[i] = kpi_count(connection=connection, count=c, advisor_id=advisor_id, steps=steps)
    for (_anchor, start, end), members in batches.items():
        rates = [(counts[i], QUERIES[counts[i].kind]) for i in members]
        anchor = rates[0][1].anchor
        sums = []
        for c, q in rates:
            base = q.base(c) if callable(q.base) else q.base
            in_base = sa.and_(sa.true(), *base)
            sums += [_n(sa.and_(in_base, q.hit(c))), _n(in_base)]
        stmt = (
            sa.select(_step(anchor, steps).label("step"), *sums)
            .where(*_visits_of(advisor_id, anchor, rates[0][0]))
            .group_by(sa.literal_column("1"))
        )
        tallies: list[Tally] = [{} for _ in members]
        for step, *values in connection.execute(stmt):
            for k in range(len(members)):
                n, d = int(values[2 * k] or 0), int(values[2 * k + 1] or 0)
                if n or d:
                    tallies[k][(int(step), "")] = (n, d)
        for k, i in enumerate(members):
            out[i] = tallies[k]
    for members in answers.values():
        for i, tally in zip(members, _answer_tallies(connection, [counts[i] for i in members], advisor_id, steps)):
            out[i] = tally
    return [t if t is not None else {} for t in out]


def _answer_tallies(connection: Connection, counts: list[Count], advisor_id: int | None, steps: Steps) -> list[Tally]:
    """The survey answers' figures of one range from one query by step and factor:
    each factor's sum and count (``csi``, ``csi_factors``) and the answers of 4 or 5
    (``satisfied``)."""
    anchor, frm, where = _answers(counts[0], advisor_id, [])
    stmt = (
        sa.select(_step(anchor, steps), A.c.factor, sa.func.sum(A.c.score), sa.func.count(), _n(A.c.score >= 4))
        .select_from(frm)
        .where(*where)
        .group_by(sa.literal_column("1"), sa.literal_column("2"))
    )
    rows = [(int(step), f, int(total or 0), int(n), int(ok or 0)) for step, f, total, n, ok in connection.execute(stmt)]
    out: list[Tally] = []
    for c in counts:
        tally: Tally = {}
        for step, f, total, n, ok in rows:
            if c.kind == "csi_factors":
                tally[(step, f)] = (total, n)
            elif c.kind == "csi" and f == c.args[0]:
                tally[(step, "")] = (total, n)
            elif c.kind == "satisfied":
                a, b = tally.get((step, ""), (0, 0))
                tally[(step, "")] = (a + ok, b + n)
        out.append(tally)
    return out


def kpi_count_visits(
    *, connection: Connection, count: Count, advisor_id: int | None, offset: int, limit: int
) -> list[tuple[int, bool]] | None:
    """A page of the visits behind a figure counted over visits, in (anchor, id)
    order: ``(visit_id, met)``; None for a figure counted over something else
    (answers, complaints, marks)."""
    query = QUERIES.get(count.kind)
    if not isinstance(query, _VisitRate):
        return None
    met = sa.case((query.hit(count), True), else_=False)
    stmt = (
        sa.select(V.c.id, met)
        .where(*query.where(count, advisor_id))
        .order_by(query.anchor, V.c.id)
        .offset(offset)
        .limit(limit)
    )
    return [(int(i), bool(m)) for i, m in connection.execute(stmt)]


def kpi_visit_recs(*, connection: Connection, ids: list[int]) -> dict[int, kpi.VisitRec]:
    """The drill-down's columns of the visits ``ids`` (one page)."""
    if not ids:
        return {}
    cu, ve, us = _table(CustomerRow), _table(VehicleRow), _table(UserRow)
    te = sa.alias(us)
    stmt = (
        sa.select(V.c.id, V.c.number, V.c.day, V.c.stage, cu.c.name, ve.c.plate, us.c.name, te.c.name)
        .select_from(
            V.join(cu, cu.c.id == V.c.customer_id)
            .join(ve, ve.c.id == V.c.vehicle_id)
            .outerjoin(us, us.c.id == V.c.advisor_id)
            .outerjoin(te, te.c.id == V.c.technician_id)
        )
        .where(V.c.id.in_(ids))
    )
    return {
        i: kpi.VisitRec(
            id=i,
            number=number,
            day=day if isinstance(day, date) or day is None else date.fromisoformat(str(day)),
            stage=stage,
            customer=customer,
            plate=plate,
            advisor=advisor or "",
            technician=tech or "",
        )
        for i, number, day, stage, customer, plate, advisor, tech in connection.execute(stmt)
    }
