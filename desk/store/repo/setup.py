"""The shop's set-up: settings, checklist overrides, canned jobs, opening checks."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from desk.store.models import (
    CannedJobRow,
    ChecklistOverrideRow,
    OpeningCheckRow,
    ShopSettingRow,
)


__all__ = [
    "canned_job_rows",
    "opening_ticks",
    "override_rows",
    "setting_rows",
]


def setting_rows(*, session: Session) -> dict[str, ShopSettingRow]:
    return {r.key: r for r in session.exec(select(ShopSettingRow)).all()}


def override_rows(*, session: Session) -> dict[str, ChecklistOverrideRow]:
    return {r.item_id: r for r in session.exec(select(ChecklistOverrideRow)).all()}


def canned_job_rows(*, session: Session) -> dict[str, CannedJobRow]:
    return {r.job_id: r for r in session.exec(select(CannedJobRow)).all()}


def opening_ticks(*, session: Session, day: date) -> dict[str, OpeningCheckRow]:
    return {r.item_id: r for r in session.exec(select(OpeningCheckRow).where(OpeningCheckRow.day == day)).all()}
