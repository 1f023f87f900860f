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


def over_text(iv: Interval | None, now: datetime, *, named: bool = True) -> Text:
    """ "⏱+0:03 Greeted": how far over its standard, and the milestone waited for
    (the figure first: a narrow column cuts the name, not the figure); ``named``
    False: the figure alone ("⏱+0:03"), where other flags need the room."""
    if iv is None:
        return Text()
    late = max(60, iv.seconds(now) - (iv.standard_seconds or 0))  # over by seconds: "+0:01", not "+0:00"
    name = f" {_(iv.label)}" if named else ""
    return Text(f"⏱+{kpi.hm(late)}{name} ", style="bold " + OVER_STYLE)


def span(secs: int) -> str:
    """ "12:30" under an hour (minutes and seconds), "20 h 02" from an hour on: the
    two never read alike."""
    if secs < 3600:
        return kpi.ms(secs)
    return f"{secs // 3600} h {secs % 3600 // 60:02d}"


def duration_text(iv: Interval, now: datetime) -> Text:
    """The interval's length against its standard: green within, red over."""
    secs = iv.seconds(now)
    text = span(secs)
    if iv.standard_seconds is None:
        return Text(text)
    return Text(text, style="bold red" if iv.over(now) else "green")


def standard_text(iv: Interval) -> str:
    s = iv.standard_seconds
    if s is None:
        return "-"
    return "≤ " + span(s)
