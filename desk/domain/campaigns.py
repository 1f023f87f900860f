"""Service campaigns that match a vehicle (RCP-05): data in desk/fixtures/campaigns.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from desk.domain.entities import Vehicle
from desk.i18n import lang_text
from desk.resources import fixture


@dataclass(frozen=True)
class Campaign:
    id: str
    en: str
    zh: str
    start: date
    until: date
    makes: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None

    @property
    def text(self) -> str:
        return lang_text(self.en, self.zh)

    def matches(self, vehicle: Vehicle, today: date) -> bool:
        if not self.start <= today <= self.until:
            return False
        if self.makes and vehicle.make.lower() not in {m.lower() for m in self.makes}:
            return False
        if self.models and vehicle.model.lower() not in {m.lower() for m in self.models}:
            return False
        if self.year_from is not None and (vehicle.year is None or vehicle.year < self.year_from):
            return False
        if self.year_to is not None and (vehicle.year is None or vehicle.year > self.year_to):
            return False
        return True


def load_campaigns(path: Path | None = None) -> list[Campaign]:
    with (path or fixture("campaigns.toml")).open("rb") as fh:
        data = tomllib.load(fh)
    return [
        Campaign(
            id=c["id"],
            en=c["en"],
            zh=c["zh"],
            start=c["from"],
            until=c["until"],
            makes=tuple(c.get("makes", ())),
            models=tuple(c.get("models", ())),
            year_from=c.get("year_from"),
            year_to=c.get("year_to"),
        )
        for c in data.get("campaign", [])
    ]


def matching(campaigns: list[Campaign], vehicle: Vehicle, today: date) -> list[Campaign]:
    return [c for c in campaigns if c.matches(vehicle, today)]
