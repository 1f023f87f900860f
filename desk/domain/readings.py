"""The walkaround's readings (WLK-06), parsed once: odometer, fuel, warning
lights, tyres, valuables; and a manager's odometer correction.

Panels and damage kinds are ``desk.domain.walkaround``'s. Pure domain code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from desk.domain import fields


@dataclass(frozen=True)
class Readings:
    """What the advisor recorded; ``None`` is "not given" (left as it was), an
    empty text clears it."""

    odometer_km: int | None = None
    fuel_eighths: int | None = None
    warning_lights: str | None = None
    tyres: str | None = None
    valuables: str | None = None

    FORM = (fields.ODOMETER, fields.FUEL, fields.WARNING_LIGHTS, fields.TYRES, fields.VALUABLES)

    @classmethod
    def parse(cls, form: Mapping[str, str], *, last_km: int | None = None) -> Readings:
        """From the readings form (every field present, empty ones as typed);
        ``last_km`` is the reading shown, so a lower one is refused at once."""
        v = fields.parse_form(cls.FORM, form, last_km=last_km)
        return cls(**v)

    @classmethod
    def of(
        cls,
        *,
        odometer_km=None,
        fuel_eighths=None,
        warning_lights: str | None = None,
        tyres: str | None = None,
        valuables: str | None = None,
        last_km: int | None = None,
    ) -> Readings:
        """From typed values; a value left None is not changed."""
        texts = {}
        for spec, value in (
            (fields.WARNING_LIGHTS, warning_lights),
            (fields.TYRES, tyres),
            (fields.VALUABLES, valuables),
        ):
            texts[spec.name] = None if value is None else spec.check(value)
        return cls(
            odometer_km=fields.ODOMETER.check(odometer_km, last_km=last_km),
            fuel_eighths=fields.FUEL.check(fuel_eighths),
            **texts,
        )

    def check_odometer(self, last_km: int | None) -> None:
        """The reading against the vehicle's last one as the service reads it (another
        terminal may have recorded one since the form was filled)."""
        fields.ODOMETER.check(self.odometer_km, last_km=last_km)

    def given(self) -> dict:
        """The fields given (not None), as the visit stores them."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class OdometerCorrection:
    """A reading below the last one (a wrong earlier entry, a replaced cluster):
    who may record it is ``staff.may_correct_odometer``; it needs a reason."""

    km: int
    reason: str

    FORM = (fields.Odometer("km", label="odometer", required=True), fields.REASON)

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> OdometerCorrection:
        return cls(**fields.parse_form(cls.FORM, form))

    @classmethod
    def of(cls, *, km, reason: str) -> OdometerCorrection:
        return cls(cls.FORM[0].check(km), fields.REASON.check(reason))
