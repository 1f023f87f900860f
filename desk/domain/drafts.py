"""Parsed drafts of what the service lane records, each checked once.

A draft is built from a form's text (``Draft.parse(form, …)``) or from typed values
(``Draft.of(…)``), both through the specs of :mod:`desk.domain.fields`; a service
takes the draft and stores it without checking again. The plain constructor trusts
its arguments (for values already parsed). Each draft's ``FORM`` lists its form's
specs in order, so the form's inline messages come from the same rules.

Estimate lines and the customer's authorisation are :mod:`desk.domain.estimate`'s;
walkaround readings are :mod:`desk.domain.readings`'s. Pure domain code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from desk.domain import fields
from desk.domain.entities import CallOutcome, Channel, Grade, LineKind, Severity, Symptom
from desk.domain.errors import InvalidInput
from desk.domain.setup import job_code

# ----------------------------------------------------------------------------- people and cars


@dataclass(frozen=True)
class CustomerDraft:
    name: str
    phone: str
    email: str = ""
    special_note: str = ""
    member: bool = False
    vip: bool = False

    FORM = (fields.NAME, fields.PHONE, fields.EMAIL, fields.SPECIAL_NOTE)

    @classmethod
    def parse(cls, form: Mapping[str, str], *, member: bool = False, vip: bool = False) -> CustomerDraft:
        return cls(**fields.parse_form(cls.FORM, form), member=member, vip=vip)

    @classmethod
    def of(
        cls, *, name: str, phone: str, email: str = "", special_note: str = "", member: bool = False, vip: bool = False
    ) -> CustomerDraft:
        return cls(
            name=fields.NAME.check(name),
            phone=fields.PHONE.check(phone),
            email=fields.EMAIL.check(email),
            special_note=fields.SPECIAL_NOTE.check(special_note),
            member=bool(member),
            vip=bool(vip),
        )


@dataclass(frozen=True)
class VehicleDraft:
    plate: str
    vin: str = ""
    make: str = ""
    model: str = ""
    year: int | None = None
    purchase_date: dt.date | None = None
    odometer_km: int | None = None

    FORM = (fields.PLATE, fields.VIN, fields.MAKE, fields.MODEL, fields.YEAR, fields.PURCHASE_DATE, fields.ODOMETER)

    @classmethod
    def parse(cls, form: Mapping[str, str], *, today: dt.date) -> VehicleDraft:
        return cls(**fields.parse_form(cls.FORM, form, today=today))

    @classmethod
    def of(
        cls,
        *,
        plate: str,
        vin: str = "",
        make: str = "",
        model: str = "",
        year: int | str | None = None,
        purchase_date: dt.date | None = None,
        odometer_km=None,
        today: dt.date,
    ) -> VehicleDraft:
        return cls(
            plate=fields.PLATE.check(plate),
            vin=fields.VIN.check(vin),
            make=fields.MAKE.check(make),
            model=fields.MODEL.check(model),
            year=fields.YEAR.check(year, today=today),
            purchase_date=fields.PURCHASE_DATE.check(purchase_date, today=today),
            odometer_km=fields.ODOMETER.check(odometer_km),
        )


# ----------------------------------------------------------------------------- booking and reception


@dataclass(frozen=True)
class ConcernDraft:
    """The customer's request in their words, with its symptom tags (WLK-09)."""

    text: str
    tags: tuple[Symptom, ...] = ()

    FORM = (fields.CONCERN, fields.TAGS)

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> ConcernDraft:
        return cls.from_form(fields.parse_form(cls.FORM, form))

    @classmethod
    def from_form(cls, values: Mapping) -> ConcernDraft:
        """From a form's values, each already read by its spec of :attr:`FORM`."""
        return cls(values["concern"], tuple(values["tags"]))

    @classmethod
    def of(cls, text: str, tags: Iterable[Symptom | str] = ()) -> ConcernDraft:
        return cls(fields.CONCERN.check(text), fields.TAGS.check(tuple(tags)))

    @classmethod
    def many(cls, concerns: Iterable) -> tuple[ConcernDraft, ...]:
        """Concerns as services take them today: a text, or (text, tags), or a draft."""
        out = []
        for c in concerns:
            if isinstance(c, ConcernDraft):
                out.append(c)
            elif isinstance(c, str):
                out.append(cls.of(c))
            else:
                text, tags = c
                out.append(cls.of(text, tags))
        return tuple(out)


@dataclass(frozen=True)
class BookingDraft:
    """An appointment: when, and the customer's request. Whether the slot is in
    the past or full is the schedule's business (``desk.domain.schedule``)."""

    at: dt.datetime
    concerns: tuple[ConcernDraft, ...]

    FORM = (fields.WHEN, *ConcernDraft.FORM)

    @classmethod
    def parse(cls, form: Mapping[str, str], *, now: dt.datetime) -> BookingDraft:
        return cls.from_form(fields.parse_form(cls.FORM, form, now=now))

    @classmethod
    def from_form(cls, values: Mapping) -> BookingDraft:
        """From a form's values, each already read by its spec of :attr:`FORM`."""
        return cls(values["when"], (ConcernDraft.from_form(values),))

    @classmethod
    def of(cls, *, at: dt.datetime, concerns: Iterable, now: dt.datetime) -> BookingDraft:
        drafts = ConcernDraft.many(concerns)
        if not drafts:
            raise InvalidInput("concern", "Record at least one customer concern")
        return cls(fields.WHEN.check(at, now=now), drafts)


@dataclass(frozen=True)
class FindingDraft:
    """Something found at the walkaround or in repair, graded green/yellow/red."""

    text: str
    grade: Grade
    during_repair: bool = False

    FORM = (fields.FINDING, fields.GRADE)

    @classmethod
    def parse(cls, form: Mapping[str, str], *, during_repair: bool = False) -> FindingDraft:
        return cls.from_form(fields.parse_form(cls.FORM, form), during_repair=during_repair)

    @classmethod
    def from_form(cls, values: Mapping, *, during_repair: bool = False) -> FindingDraft:
        """From a form's values, each already read by its spec of :attr:`FORM`."""
        return cls(values["finding"], values["grade"], during_repair)

    @classmethod
    def of(cls, text: str, grade: Grade | str, *, during_repair: bool = False) -> FindingDraft:
        return cls(fields.FINDING.check(text), fields.GRADE.check(grade), bool(during_repair))


@dataclass(frozen=True)
class DecisionDraft:
    """The customer's decision on work added during repair (REP-03/04): how it
    was given, by whom, and the paper or phone reference."""

    channel: Channel
    signer: str
    reference: str = ""

    FORM = (fields.CHANNEL, fields.SIGNER, fields.REFERENCE)

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> DecisionDraft:
        return cls(**fields.parse_form(cls.FORM, form))

    @classmethod
    def of(cls, *, channel: Channel | str, signer: str, reference: str = "") -> DecisionDraft:
        return cls(fields.CHANNEL.check(channel), fields.SIGNER.check(signer), fields.REFERENCE.check(reference))


# ----------------------------------------------------------------------------- delivery and follow-up


@dataclass(frozen=True)
class FollowUpAgreement:
    """DLV-09: when and how the follow-up call happens, within the window."""

    at: dt.datetime
    channel: str

    FORM = (fields.FOLLOWUP_AT, fields.FOLLOWUP_CHANNEL)

    @classmethod
    def parse(cls, form: Mapping[str, str], *, now: dt.datetime, window_hours: int) -> FollowUpAgreement:
        v = fields.parse_form(cls.FORM, form, now=now)
        return cls.of(at=v["at"], channel=v["channel"], now=now, window_hours=window_hours)

    @classmethod
    def of(cls, *, at: dt.datetime, channel: str, now: dt.datetime, window_hours: int) -> FollowUpAgreement:
        at = fields.FOLLOWUP_AT.check(at, now=now)
        if not now <= at <= now + dt.timedelta(hours=window_hours):
            raise InvalidInput("at", "Agree a time within {hours} hours", {"hours": window_hours})
        return cls(at, fields.FOLLOWUP_CHANNEL.check(channel))


@dataclass(frozen=True)
class FollowUpCallDraft:
    """One follow-up call (FUP-04/05): its outcome; when reached, a score 1..5 for
    every CSI factor; NPS 0..10 if given; the comment; the next service stated."""

    outcome: CallOutcome
    scores: tuple[tuple[str, int], ...] = ()
    nps: int | None = None
    comment: str = ""
    next_service_stated: bool = False

    @classmethod
    def of(
        cls,
        *,
        outcome: CallOutcome | str,
        factors: Collection[str],
        scores: Mapping[str, int] | None = None,
        nps: int | str | None = None,
        comment: str = "",
        next_service_stated: bool = False,
    ) -> FollowUpCallDraft:
        """``factors``: the survey's CSI factors (every one is scored when reached)."""
        outcome = fields.OUTCOME.check(outcome)
        scores = dict(scores or {})
        for factor, score in scores.items():
            if factor not in factors or isinstance(score, str):
                raise InvalidInput(fields.SCORE.name, fields.SCORE.message)
            fields.SCORE.check(score)
        if outcome == CallOutcome.REACHED and set(scores) != set(factors):
            raise InvalidInput(fields.SCORE.name, "Score all five factors")
        ordered = tuple((f, scores[f]) for f in factors if f in scores)
        return cls(outcome, ordered, fields.NPS.check(nps), fields.COMMENT.check(comment), bool(next_service_stated))

    @property
    def score_map(self) -> dict[str, int]:
        return dict(self.scores)


# ----------------------------------------------------------------------------- complaints


@dataclass(frozen=True)
class ComplaintDraft:
    severity: Severity
    summary: str

    FORM = (fields.SEVERITY, fields.SUMMARY)

    @classmethod
    def of(cls, *, severity: Severity | str, summary: str) -> ComplaintDraft:
        return cls(fields.SEVERITY.check(severity), fields.SUMMARY.check(summary))


@dataclass(frozen=True)
class ComplaintClosing:
    """Closing the loop: root cause, remedy and a closing report, all required.
    Who may close a major complaint is ``staff.may_close_complaint``."""

    root_cause: str
    remedy: str
    closing_report: str
    owner_id: int | None = field(default=None)

    FORM = (fields.ROOT_CAUSE, fields.REMEDY, fields.CLOSING_REPORT)

    @classmethod
    def parse(cls, form: Mapping[str, str], *, owner_id: int | None = None) -> ComplaintClosing:
        return cls(**fields.parse_form(cls.FORM, form), owner_id=owner_id)

    @classmethod
    def of(cls, *, root_cause: str, remedy: str, closing_report: str, owner_id: int | None = None) -> ComplaintClosing:
        return cls(
            fields.ROOT_CAUSE.check(root_cause),
            fields.REMEDY.check(remedy),
            fields.CLOSING_REPORT.check(closing_report),
            owner_id,
        )


# ----------------------------------------------------------------------------- shop set-up


@dataclass(frozen=True)
class CannedJobDraft:
    """A canned job of the shop's own: its code and its name in both languages
    (no Chinese name: the English one)."""

    job_id: str
    en: str
    zh: str = ""

    FORM = (fields.JOB_CODE, fields.JOB_NAME_EN, fields.JOB_NAME_ZH)

    @classmethod
    def of(cls, *, job_id: str, en: str, zh: str = "", taken: Collection[str] = frozenset()) -> CannedJobDraft:
        """``taken``: the codes in use that a form knows of (the service asks the store)."""
        en = fields.JOB_NAME_EN.check(en)
        return cls(job_code(job_id, frozenset(taken)), en, fields.JOB_NAME_ZH.check(zh) or en)


@dataclass(frozen=True)
class CannedLineDraft:
    """A line of a canned job: labour hours or parts at a unit price."""

    kind: LineKind
    description: str
    qty: Decimal
    unit_cents: int

    FORM = (fields.DESCRIPTION, fields.QTY, fields.UNIT_PRICE)

    @classmethod
    def of(cls, *, kind: LineKind | str, description: str, qty, unit_price) -> CannedLineDraft:
        """``unit_price``: typed ("12.50") or int cents."""
        cents = (
            fields.UNIT_PRICE.parse(unit_price) if isinstance(unit_price, str) else fields.UNIT_PRICE.check(unit_price)
        )
        return cls(fields.KIND.check(kind), fields.DESCRIPTION.check(description), fields.QTY.check(qty), cents)

    def to_dict(self) -> dict:
        """As a canned job stores its lines."""
        return {
            "kind": self.kind.value,
            "description": self.description,
            "qty": format(self.qty, "f"),
            "unit_cents": self.unit_cents,
        }
