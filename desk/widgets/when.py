"""A time as a board shows it: the time alone on the day it is read, with its
date on any other day, so tomorrow's 10:00 never reads as today's."""

from __future__ import annotations

from datetime import datetime


def at_text(at: datetime | None, now: datetime, *, none: str = "-") -> str:
    """ "15:30" today, "12-08 10:00" on another day; ``none`` for no time."""
    if at is None:
        return none
    return f"{at:%H:%M}" if at.date() == now.date() else f"{at:%m-%d %H:%M}"
