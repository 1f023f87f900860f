"""The service desk's nouns, as plain dataclasses.

These are the shapes the rules reason about. The store maps its tables onto them;
nothing here knows how they are saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Generic, TypeVar

from desk.i18n import N_

if TYPE_CHECKING:
    from desk.domain.estimate import SignedEstimate


class Role(StrEnum):
    ADVISOR = "advisor"
    TECHNICIAN = "technician"
    QC = "qc"
    CSR = "csr"
    FOREMAN = "foreman"
    MANAGER = "manager"


ROLE_LABELS: dict[Role, str] = {
    Role.ADVISOR: N_("advisor"),
    Role.TECHNICIAN: N_("technician"),
    # words, not the roles' ids: "Not allowed: tick needs QC inspector"
    Role.QC: N_("QC inspector"),
    Role.CSR: N_("CSR"),
    Role.FOREMAN: N_("foreman"),
    Role.MANAGER: N_("manager"),
}

T = TypeVar("T")


@dataclass(frozen=True)
class VisitRef:
    """A visit as a screen saw it: its id and the version it showed. Every command
    that changes a visit takes one and is refused (``StaleEdit``) when the visit
    has moved on since."""

    id: int
    version: int


@dataclass(frozen=True)
class ComplaintRef:
    """A complaint as a screen saw it (a complaint's own changes are versioned)."""

    id: int
    version: int


@dataclass(frozen=True)
class CustomerRef:
    """A customer as an edit form saw it (the customer's changes are versioned)."""

    id: int
    version: int


@dataclass(frozen=True)
class Saved(Generic[T]):
    """What a command that changed a visit returns: the visit's new version
    (``ref``, to pass to the next command) and the command's own result."""

    ref: VisitRef
    value: T


#: Roles that may waive a required MOT item, overbook a slot or override a price.
WAIVE_ROLES = frozenset({Role.MANAGER, Role.FOREMAN})


class Symptom(StrEnum):
    NOISE = "noise"
    VIBRATION = "vibration"
    BRAKE = "brake"
    ACCELERATION = "acceleration"
    PULLING = "pulling"
    LEAK = "leak"
    WARNING_LIGHT = "warning_light"
    SERVICE = "service"
    OTHER = "other"


SYMPTOM_LABELS: dict[Symptom, str] = {
    Symptom.NOISE: N_("noise"),
    Symptom.VIBRATION: N_("vibration"),
    Symptom.BRAKE: N_("brake"),
    Symptom.ACCELERATION: N_("acceleration"),
    Symptom.PULLING: N_("pulling"),
    Symptom.LEAK: N_("leak"),
    Symptom.WARNING_LIGHT: N_("warning light"),
    Symptom.SERVICE: N_("service"),
    Symptom.OTHER: N_("other"),
}

#: A concern with one of these tags needs a road test with the customer (WLK-09, QC-04).
ROAD_TEST_SYMPTOMS = frozenset({Symptom.NOISE, Symptom.VIBRATION, Symptom.BRAKE, Symptom.ACCELERATION, Symptom.PULLING})


class Grade(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class LineKind(StrEnum):
    LABOUR = "labour"
    PART = "part"
    FEE = "fee"


class Availability(StrEnum):
    UNKNOWN = "unknown"
    IN_STOCK = "in_stock"
    BACK_ORDER = "back_order"
    ARRIVED = "arrived"


class Approval(StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    DECLINED = "declined"


class Channel(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"


class CallOutcome(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"


class Severity(StrEnum):
    ORDINARY = "ordinary"
    MAJOR = "major"


class Disposal(StrEnum):
    TAKE_AWAY = "take_away"
    SHOP_DISPOSES = "shop_disposes"


@dataclass
class User:
    id: int
    name: str
    roles: frozenset[Role]
    active: bool = True

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def may_waive(self) -> bool:
        return self.has(*WAIVE_ROLES)


@dataclass
class Customer:
    id: int
    name: str
    phone: str = ""
    member: bool = False
    vip: bool = False
    special_note: str = ""


@dataclass
class Vehicle:
    id: int
    customer_id: int
    vin: str = ""
    plate: str = ""
    make: str = ""
    model: str = ""
    year: int | None = None
    purchase_date: date | None = None
    last_odometer_km: int | None = None


@dataclass
class Concern:
    text: str
    tags: frozenset[Symptom] = frozenset()
    confirmed: bool = False
    id: int | None = None


@dataclass
class Finding:
    text: str
    grade: Grade
    during_repair: bool = False
    id: int | None = None


@dataclass
class EstimateLine:
    kind: LineKind
    description: str
    qty: Decimal
    unit_cents: int
    discount_pct: Decimal = Decimal(0)
    tax_code: str = "VAT13"
    warranty: bool = False
    free: bool = False
    availability: Availability = Availability.UNKNOWN
    eta: date | None = None
    approval: Approval = Approval.APPROVED
    #: Added after the customer signed the estimate (found during repair, REP-03).
    added_in_repair: bool = False
    started: bool = False
    done_by: int | None = None
    done_at: datetime | None = None
    id: int | None = None
    #: The catalogue price (a canned job's, the labour rate) when the line has one.
    list_cents: int | None = None
    #: The catalogue's quantity (a canned job's pieces or hours) when the line has one.
    list_qty: Decimal | None = None
    #: The declined line of an earlier visit this line was added from (desk.domain.carryover).
    carried_from_id: int | None = None

    @property
    def chargeable(self) -> bool:
        return not (self.warranty or self.free)

    @property
    def is_done(self) -> bool:
        return self.done_by is not None


@dataclass
class Authorisation:
    channel: Channel
    signer: str
    reference: str
    amount_cents: int
    estimate_version: int
    lines_hash: str
    at: datetime
    by_user: int | None = None
    #: Authorises added lines found during repair rather than the whole estimate.
    for_added_work: bool = False
    id: int | None = None
    #: What was signed, frozen (``estimate.sign``); None on a record from before
    #: signed estimates were kept, whose amount is then compared with today's total.
    signed: SignedEstimate | None = None


@dataclass
class FollowUpCall:
    at: datetime
    outcome: CallOutcome
    by_user: int | None = None
    survey_done: bool = False
    next_service_stated: bool = False
    id: int | None = None
    #: Recorded as made after the window (FUP-01); None: not judged yet (the
    #: rules then judge it by the window in force now).
    late: bool | None = None


@dataclass
class SurveyAnswer:
    factor: str
    score: int  # 1 (very dissatisfied) … 5 (very satisfied)


@dataclass
class Complaint:
    opened_at: datetime
    severity: Severity
    summary: str
    owner_id: int | None = None
    root_cause: str = ""
    remedy: str = ""
    closing_report: str = ""
    closed_at: datetime | None = None
    escalated_at: datetime | None = None
    id: int | None = None


@dataclass
class PastVisit:
    """A previous visit of the same vehicle, as the comeback rule needs it."""

    id: int
    delivered_at: datetime | None
    arrived_at: datetime | None
    concerns: list[Concern] = field(default_factory=list)
    technician_id: int | None = None
