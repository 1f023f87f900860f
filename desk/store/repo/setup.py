"""The shop's set-up: settings, checklist overrides, canned jobs, opening checks."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from desk.store.models import (
    AuditEventRow,
    CannedJobRow,
    ChecklistOverrideRow,
    OpeningCheckRow,
    ShopSettingRow,
    VisitRow,
)

__all__ = [
    "canned_job_rows",
    "hidden_items",
    "opening_days",
    "opening_ticks",
    "override_rows",
    "setting_changes",
    "setting_rows",
]


def setting_rows(*, session: Session) -> dict[str, ShopSettingRow]:
    return {r.key: r for r in session.exec(select(ShopSettingRow)).all()}


def setting_changes(*, session: Session, keys: set[str]) -> list[tuple[str, datetime, str | None, str]]:
    """Every audited change of the shop settings ``keys``, in time order:
    ``(key, at, before, after)`` in the settings' text form (the audit log is where
    a setting's history is kept, with who and when)."""
    rows = session.exec(
        select(AuditEventRow.at, AuditEventRow.before, AuditEventRow.after)
        .where(AuditEventRow.action == "setup.setting")
        .order_by(col(AuditEventRow.at), col(AuditEventRow.id))
    ).all()
    out = []
    for at, before, after in rows:
        old, new = json.loads(before or "{}") or {}, json.loads(after or "{}") or {}
        for key in keys & set(new):
            out.append((key, at, old.get(key), new[key]))
    return out


def hidden_items(*, session: Session) -> list[tuple[ChecklistOverrideRow, datetime | None, str]]:
    """The standard items the shop hides now: ``(its row, when, who)`` of the
    latest hiding, by item id."""
    rows = {r.item_id: r for r in session.exec(select(ChecklistOverrideRow)).all() if r.deleted and not r.own}
    hidden = sorted(rows)
    if not hidden:
        return []
    last: dict[str, tuple[datetime, str]] = {}
    for at, who, before in session.exec(
        select(AuditEventRow.at, AuditEventRow.user_name, AuditEventRow.before)
        .where(AuditEventRow.action == "setup.item_delete")
        .order_by(col(AuditEventRow.id))
    ).all():
        item = (json.loads(before or "{}") or {}).get("item")
        if item in hidden:
            last[item] = (at, who)
    return [(rows[i], *last.get(i, (None, ""))) for i in hidden]


def override_rows(*, session: Session) -> dict[str, ChecklistOverrideRow]:
    return {r.item_id: r for r in session.exec(select(ChecklistOverrideRow)).all()}


def canned_job_rows(*, session: Session) -> dict[str, CannedJobRow]:
    return {r.job_id: r for r in session.exec(select(CannedJobRow)).all()}


def opening_ticks(*, session: Session, day: date) -> dict[str, OpeningCheckRow]:
    return {r.item_id: r for r in session.exec(select(OpeningCheckRow).where(OpeningCheckRow.day == day)).all()}


def opening_days(*, session: Session, first: date, last: date) -> tuple[dict[date, int], set[date]]:
    """The daily opening checklist over the days ``first`` .. ``last``, in two
    aggregate queries: the count of facility items ticked per day, and the days
    the shop was open (a car arrived)."""
    day = col(OpeningCheckRow.day)
    ticked = session.exec(select(day, func.count()).where(day >= first, day <= last).group_by(day)).all()
    visit_day = col(VisitRow.day)
    arrived = session.exec(
        select(visit_day).where(visit_day >= first, visit_day <= last, col(VisitRow.arrived_at).is_not(None)).distinct()
    ).all()
    return {d: int(n) for d, n in ticked}, set(arrived)
