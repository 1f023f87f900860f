"""The stage stopwatch on screen: a running interval over its standard on a
board, and a visit's timeline table (desk.domain.timeline)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from desk.domain import kpi
from desk.domain.timeline import Interval
from desk.i18n import _

#: A board row whose running interval is over its standard.
OVER_STYLE = "magenta"


def over(runs: dict[int, Interval], visit_id: int, now: datetime) -> Interval | None:
    iv = runs.get(visit_id)
    return iv if iv is not None and iv.over(now) else None


def over_text(iv: Interval | None, now: datetime) -> Text:
    """"⏱+0:03 Greeted": how far over its standard, and the milestone waited for
    (the figure first: a narrow column cuts the name, not the figure)."""
    if iv is None:
        return Text()
    late = iv.seconds(now) - (iv.standard_seconds or 0)
    return Text(f"⏱+{kpi.hm(late)} {_(iv.label)} ", style="bold " + OVER_STYLE)


def duration_text(iv: Interval, now: datetime) -> Text:
    """The interval's length against its standard: green within, red over."""
    secs = iv.seconds(now)
    text = kpi.ms(secs) if secs < 3600 else kpi.hm(secs)
    if iv.standard_seconds is None:
        return Text(text)
    return Text(text, style="bold red" if iv.over(now) else "green")


def standard_text(iv: Interval) -> str:
    s = iv.standard_seconds
    if s is None:
        return "-"
    return "≤ " + (kpi.ms(s) if s < 3600 else kpi.hm(s))
