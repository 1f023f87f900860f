"""The KPI year against a hand-written SQL pass (issue 27, item 1).

The baseline computes the counts of the figures the database counts for the
dashboard (``desk.domain.kpi_plan``), by month and for the year, in plain SQL
over ``sqlite3`` — what a person would write by hand, one query per family of
figures. The dashboard's path is timed beside it: the figures it counts (plan,
queries, the trend per step) and the whole dashboard (those, then the figures
still computed in Python over the year's records)."""

from __future__ import annotations

import sqlite3
import statistics
import time
from datetime import datetime

#: A stored time plus N seconds, as the store compares it (the fraction kept).
_PLUS = "(strftime('%Y-%m-%d %H:%M:%S', {t}, '+{n} seconds') || substr({t}, 20))"


def plus(t: str, n: int) -> str:
    return _PLUS.format(t=t, n=n)


def _standing_waiver(items: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM mot_mark m WHERE m.visit_id = v.id AND m.kind = 'waived'"
        f"{items} AND NOT EXISTS (SELECT 1 FROM mot_mark l WHERE l.visit_id = m.visit_id"
        " AND l.item_id = m.item_id AND l.id > m.id))"
    )


def baseline_queries(stage_items: dict[str, tuple[str, ...]], later: dict[str, tuple[str, ...]]) -> list[str]:
    """The hand-written queries (parameters: start, end, now)."""
    month = "strftime('%Y-%m', {})"
    q = [
        # arrivals: greeting, appointment share, returning, comebacks
        f"SELECT {month.format('arrived_at')}, COUNT(*), SUM(NOT walk_in), SUM(comeback_of_id IS NULL),"
        f" SUM(reception_at IS NOT NULL), SUM(reception_at <= {plus('arrived_at', 60)}),"
        " SUM(EXISTS (SELECT 1 FROM visit e WHERE e.customer_id = v.customer_id AND e.id < v.id))"
        " FROM visit v WHERE arrived_at >= :s AND arrived_at < :e GROUP BY 1",
        # waivers standing on the arrivals
        f"SELECT {month.format('v.arrived_at')}, COUNT(*), COUNT(DISTINCT v.id) FROM visit v"
        " JOIN mot_mark m ON m.visit_id = v.id WHERE v.arrived_at >= :s AND v.arrived_at < :e"
        " AND m.kind = 'waived' AND NOT EXISTS (SELECT 1 FROM mot_mark l WHERE l.visit_id = m.visit_id"
        " AND l.item_id = m.item_id AND l.id > m.id) GROUP BY 1",
        # no-shows by appointment time
        f"SELECT {month.format('appointment_at')}, COUNT(*), SUM(stage = 'NO_SHOW') FROM visit"
        " WHERE appointment_at >= :s AND appointment_at < :e AND NOT walk_in"
        " AND (arrived_at IS NOT NULL OR stage = 'NO_SHOW') GROUP BY 1",
        # cars ready: on time, repair duration bands
        f"SELECT {month.format('ready_at')}, SUM(COALESCE(signed_promised_at, promised_at) IS NOT NULL),"
        " SUM(ready_at <= COALESCE(signed_promised_at, promised_at)), SUM(repair_started_at IS NOT NULL),"
        f" SUM(ready_at >= repair_started_at AND ready_at < {plus('repair_started_at', 7200)}),"
        f" SUM(ready_at >= {plus('repair_started_at', 7200)} AND ready_at < {plus('repair_started_at', 14400)}),"
        f" SUM(ready_at >= {plus('repair_started_at', 14400)} AND ready_at < {plus('repair_started_at', 28800)}),"
        f" SUM(ready_at >= {plus('repair_started_at', 28800)} AND ready_at < {plus('repair_started_at', 86400)}),"
        f" SUM(ready_at >= {plus('repair_started_at', 86400)})"
        " FROM visit WHERE ready_at >= :s AND ready_at < :e GROUP BY 1",
        # cars delivered: told by the receiving advisor, follow-up within 72 h, reach
        f"SELECT {month.format('delivered_at')}, SUM(notified_by IS NOT NULL), SUM(notified_by = advisor_id),"
        f" SUM(f IS NOT NULL OR {plus('delivered_at', 259200)} <= :now), SUM(f <= {plus('delivered_at', 259200)}),"
        " SUM(r), SUM(NOT r AND w), SUM(f IS NOT NULL AND NOT r AND NOT w) FROM ("
        " SELECT v.*, (SELECT MIN(at) FROM followup_call c WHERE c.visit_id = v.id AND c.at >= :s AND c.at < :e) f,"
        " EXISTS (SELECT 1 FROM followup_call c WHERE c.visit_id = v.id AND c.at >= :s AND c.at < :e"
        " AND c.outcome = 'reached') r,"
        " EXISTS (SELECT 1 FROM followup_call c WHERE c.visit_id = v.id AND c.at >= :s AND c.at < :e"
        " AND c.outcome = 'wrong_number') w"
        " FROM visit v WHERE delivered_at >= :s AND delivered_at < :e) GROUP BY 1",
        # survey answers: each factor, satisfied
        f"SELECT {month.format('c.at')}, a.factor, SUM(a.score), COUNT(*), SUM(a.score >= 4) FROM survey_answer a"
        " JOIN followup_call c ON c.id = a.call_id WHERE c.at >= :s AND c.at < :e GROUP BY 1, 2",
        # NPS
        f"SELECT {month.format('at')}, COUNT(*), SUM(CASE WHEN nps >= 9 THEN 1 WHEN nps <= 6 THEN -1 ELSE 0 END)"
        " FROM followup_call WHERE at >= :s AND at < :e AND nps IS NOT NULL GROUP BY 1",
        # complaints: opened, by severity, resolved within 24 h, repeat, open and overdue at the end
        f"SELECT {month.format('opened_at')}, COUNT(*), SUM(severity = 'major'),"
        f" SUM(closed_at IS NOT NULL OR {plus('opened_at', 86400)} <= :now),"
        f" SUM(closed_at IS NOT NULL AND closed_at <= {plus('opened_at', 86400)}),"
        " SUM(EXISTS (SELECT 1 FROM complaint o WHERE o.customer_id = k.customer_id"
        " AND (o.opened_at < k.opened_at OR (o.opened_at = k.opened_at AND o.id < k.id)))),"
        f" SUM(closed_at IS NULL OR closed_at > :now), SUM((closed_at IS NULL OR closed_at > :now)"
        f" AND {plus('opened_at', 86400)} <= :now)"
        " FROM complaint k WHERE opened_at >= :s AND opened_at < :e GROUP BY 1",
    ]
    # MOT kept without waiver, per stage
    for stage, items in stage_items.items():
        ids = ", ".join(f"'{i}'" for i in items) or "NULL"
        stages = ", ".join(f"'{s}'" for s in later.get(stage, ())) or "NULL"
        q.append(
            f"SELECT {month.format('arrived_at')}, COUNT(*), SUM(NOT {_standing_waiver(f' AND m.item_id IN ({ids})')})"
            f" FROM visit v WHERE arrived_at >= :s AND arrived_at < :e AND stage IN ({stages}) GROUP BY 1"
        )
    return q


def run_baseline(path, queries: list[str], start: datetime, end: datetime, now: datetime) -> int:
    """Every query once on a fresh connection; the rows read."""
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    params = {"s": start.strftime(fmt), "e": end.strftime(fmt), "now": now.strftime(fmt)}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sum(len(conn.execute(sql, params).fetchall()) for sql in queries)
    finally:
        conn.close()


def kpi_vs_baseline(shop, repeat: int = 3) -> dict[str, float]:
    """Median seconds: the hand-written baseline, the figures the dashboard has
    the database count (with their trend), and the whole dashboard's year."""
    from desk.domain import kpi
    from desk.services import open_desk
    from desk.services.reports import day_range

    desk = open_desk(shop.url, clock=shop.clock(), migrate=False, deep_check=False)
    start, end = day_range(*kpi.period(kpi.YEAR, shop.now.date()))
    figures = desk.reports.kpi_figures(start, end)
    stage_items = {
        f.count.args and f.key.removeprefix("mot."): f.count.args[1] for f in figures if f.count.kind == "mot_stage"
    }
    later = {f.key.removeprefix("mot."): f.count.args[0] for f in figures if f.count.kind == "mot_stage"}
    queries = baseline_queries(stage_items, later)
    runs: dict[str, list[float]] = {"baseline": [], "counted": [], "dashboard": []}
    for r in range(repeat + 1):  # the first round warms the OS cache
        t0 = time.perf_counter()
        run_baseline(shop.path, queries, start, end, shop.now)
        t1 = time.perf_counter()
        figs = desk.reports.kpi_figures(start, end)
        rows = desk.reports.kpi_counted(figs, start, end)
        t2 = time.perf_counter()
        if r:
            runs["baseline"].append(t1 - t0)
            runs["counted"].append(t2 - t1)
    t0 = time.perf_counter()
    desk.reports.kpi_rest(start, end, None, rows)  # once: the Python part reads the year's records
    runs["dashboard"].append(statistics.median(runs["counted"]) + time.perf_counter() - t0)
    desk.ctx.engine.dispose()
    return {k: statistics.median(v) for k, v in runs.items()}
