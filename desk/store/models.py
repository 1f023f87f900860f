"""SQLModel tables.

Quantities and percentages are stored as integers (thousandths, basis points) and
money as integer cents, so no value ever passes through a float — SQLite has no
exact decimal type. The store maps rows to the domain's dataclasses in ``repo``.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from pydantic import AwareDatetime, NaiveDatetime  # NaiveDatetime: shop wall-clock time, stored without a zone
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

from desk.domain import fields, search

# A naming convention makes Alembic's batch mode on SQLite able to name constraints.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UserRow(SQLModel, table=True):
    __tablename__ = "user"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, index=True)
    roles: str = Field(max_length=200)  # comma-separated desk.domain.entities.Role values
    pin_hash: str | None = Field(default=None, max_length=300)
    active: bool = True


class LoginThrottleRow(SQLModel, table=True):
    """Failed PIN attempts per user, kept in the database so a lock-out survives
    a restart of the terminal (or a switch to another one)."""

    __tablename__ = "login_throttle"
    user_id: int = Field(foreign_key="user.id", primary_key=True)
    failures: int = 0
    lockouts: int = 0
    locked_until: NaiveDatetime | None = None
    last_failure_at: NaiveDatetime | None = None


class CustomerRow(SQLModel, table=True):
    __tablename__ = "customer"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=fields.NAME.max_len, index=True)
    phone: str = Field(default="", max_length=fields.PHONE.max_len, index=True)
    email: str = Field(default="", max_length=fields.EMAIL.max_len)
    member: bool = False
    vip: bool = False
    special_note: str = Field(default="", max_length=fields.SPECIAL_NOTE.max_len)
    created_at: NaiveDatetime
    #: Search keys (desk.domain.search), kept up to date by a mapper event below.
    name_key: str = Field(default="", max_length=80)
    name_rev: str = Field(default="", max_length=80)
    phone_key: str = Field(default="", max_length=20)
    phone_rev: str = Field(default="", max_length=20)
    pinyin_key: str = Field(default="", max_length=search.PINYIN_LENGTH)
    initials_key: str = Field(default="", max_length=search.INITIALS_LENGTH)
    #: Optimistic lock: an edit form saved after another terminal's is refused.
    version: int = Field(default=1, sa_column_kwargs={"nullable": False})

    #: On PostgreSQL each key's index is in the "C" collation (migration 0016): the
    #: lookup's ranges in code-point order, as on SQLite.
    __table_args__ = tuple(sa.Index(f"ix_customer_{c}", c) for c in search.CUSTOMER_KEYS)

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class VehicleRow(SQLModel, table=True):
    __tablename__ = "vehicle"
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    vin: str = Field(default="", max_length=fields.VIN.max_len, index=True)
    plate: str = Field(default="", max_length=fields.PLATE.max_len, index=True)
    make: str = Field(default="", max_length=fields.MAKE.max_len)
    model: str = Field(default="", max_length=fields.MODEL.max_len)
    year: int | None = None
    purchase_date: date | None = None
    #: Search keys (desk.domain.search), kept up to date by a mapper event below.
    plate_key: str = Field(default="", max_length=12)
    plate_rev: str = Field(default="", max_length=12)
    vin_key: str = Field(default="", max_length=17)
    vin_rev: str = Field(default="", max_length=17)

    #: On PostgreSQL each key's index is in the "C" collation (migration 0016): the
    #: lookup's ranges in code-point order, as on SQLite.
    __table_args__ = tuple(sa.Index(f"ix_vehicle_{c}", c) for c in search.VEHICLE_KEYS)


@sa.event.listens_for(CustomerRow, "before_insert")
@sa.event.listens_for(CustomerRow, "before_update")
def _customer_keys(_mapper, _conn, row: CustomerRow) -> None:
    for key, value in search.customer_keys(row.name, row.phone).items():
        setattr(row, key, value)


@sa.event.listens_for(VehicleRow, "before_insert")
@sa.event.listens_for(VehicleRow, "before_update")
def _vehicle_keys(_mapper, _conn, row: VehicleRow) -> None:
    for key, value in search.vehicle_keys(row.plate, row.vin).items():
        setattr(row, key, value)


class OdometerRow(SQLModel, table=True):
    """Every odometer reading, so the last one is known and corrections are audited."""

    __tablename__ = "odometer_reading"
    id: int | None = Field(default=None, primary_key=True)
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    km: int
    at: NaiveDatetime
    corrected: bool = False
    reason: str = Field(default="", max_length=500)


class VisitRow(SQLModel, table=True):
    """The repair order, from appointment to follow-up. An appointment is a visit
    in stage BOOKED."""

    __tablename__ = "visit"
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    advisor_id: int | None = Field(default=None, foreign_key="user.id")
    technician_id: int | None = Field(default=None, foreign_key="user.id")
    bay: str = Field(default="", max_length=fields.BAY.max_len)
    stage: str = Field(max_length=20, index=True)
    walk_in: bool = False
    #: Day the visit belongs to on the boards (appointment day, or arrival day).
    day: date = Field(index=True)
    appointment_at: NaiveDatetime | None = None
    arrived_at: NaiveDatetime | None = None
    reception_at: NaiveDatetime | None = None
    promised_at: NaiveDatetime | None = None
    #: The promised time the estimate was signed with (EST-04): a later promise
    #: needs the customer's approval and never replaces it; on-time counts against it.
    signed_promised_at: NaiveDatetime | None = None
    signed_at: NaiveDatetime | None = None
    repair_started_at: NaiveDatetime | None = None
    ready_at: NaiveDatetime | None = None
    delivered_at: NaiveDatetime | None = None
    odometer_km: int | None = None
    fuel_eighths: int | None = None
    damage_confirmed: bool = False
    damages: str = Field(default="", max_length=2000)  # JSON list of {panel, kind, note}
    warning_lights: str = Field(default="", max_length=fields.WARNING_LIGHTS.max_len)
    tyres: str = Field(default="", max_length=fields.TYRES.max_len)
    valuables: str = Field(default="", max_length=fields.VALUABLES.max_len)
    comeback_of_id: int | None = Field(default=None, foreign_key="visit.id")
    #: The earlier visit the data proposed as this one's comeback original at
    #: booking (desk.domain.comebacks): ``comeback_of_id`` is set only when the
    #: advisor confirms it; ``comeback_decision`` "confirmed"/"rejected" ("" open),
    #: ``comeback_reason`` why it was rejected.
    comeback_proposed_id: int | None = None
    comeback_decision: str = Field(default="", max_length=10)
    comeback_reason: str = Field(default="", max_length=500)
    #: A comeback's cause (desk.domain.comebacks.Cause), recorded at its QC with
    #: the technician of the original visit it is put down to.
    comeback_cause: str = Field(default="", max_length=20)
    comeback_cause_note: str = Field(default="", max_length=fields.COMEBACK_NOTE.max_len)
    comeback_technician_id: int | None = Field(default=None, foreign_key="user.id")
    #: The customer's acknowledgement of the damage map: at the walkaround (in)
    #: and at delivery (out), who signed and when.
    damage_ack_in_by: str = Field(default="", max_length=80)
    damage_ack_in_at: NaiveDatetime | None = None
    damage_ack_out_by: str = Field(default="", max_length=80)
    damage_ack_out_at: NaiveDatetime | None = None
    #: Damage noted at delivery that the walkaround's map did not have (JSON, as damages).
    delivery_damages: str = Field(default="", max_length=2000)
    welcome_listed: bool = False
    washing: bool = False
    disposal: str | None = Field(default=None, max_length=20)
    amount_explanation: str = Field(default="", max_length=fields.EXPLANATION.max_len)
    #: The customer's re-approval of a final amount beyond the tolerance (DLV-02),
    #: recorded like a signature: who, how, the amount, when.
    final_approval_signer: str = Field(default="", max_length=80)
    final_approval_channel: str = Field(default="", max_length=12)
    final_approval_reference: str = Field(default="", max_length=40)
    final_approval_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    final_approval_at: NaiveDatetime | None = None
    followup_agreed_at: NaiveDatetime | None = None
    followup_channel: str = Field(default="", max_length=20)
    notified_by: int | None = Field(default=None, foreign_key="user.id")
    next_service_date: date | None = None
    next_service_km: int | None = None
    estimate_version: int = 1
    #: The invoice's number from the shop's gapless sequence (``desk.domain.payment``),
    #: taken with the first payment or at delivery; None before.
    invoice_no: int | None = Field(default=None, sa_type=sa.BigInteger, unique=True)
    close_reason: str = Field(default="", max_length=fields.OPTIONAL_REASON.max_len)
    created_at: NaiveDatetime
    updated_at: NaiveDatetime
    #: Optimistic lock: a stale write raises instead of overwriting.
    version: int = Field(default=1, sa_column_kwargs={"nullable": False})

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class ConcernRow(SQLModel, table=True):
    __tablename__ = "concern"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    text: str = Field(max_length=fields.CONCERN.max_len)
    tags: str = Field(default="", max_length=200)
    confirmed: bool = False


class FindingRow(SQLModel, table=True):
    __tablename__ = "finding"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    text: str = Field(max_length=fields.FINDING.max_len)
    grade: str = Field(max_length=10)
    during_repair: bool = False
    at: NaiveDatetime
    by_user: int | None = Field(default=None, foreign_key="user.id")


class EstimateLineRow(SQLModel, table=True):
    __tablename__ = "estimate_line"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    position: int = 0
    kind: str = Field(max_length=10)
    description: str = Field(max_length=fields.DESCRIPTION.max_len)
    qty_milli: int  # quantity × 1000 (hours or pieces)
    unit_cents: int = Field(sa_type=sa.BigInteger)
    discount_bp: int = 0  # discount in basis points (1/100 %)
    tax_code: str = Field(default="VAT13", max_length=20)
    warranty: bool = False
    free: bool = False
    availability: str = Field(default="unknown", max_length=12)
    eta: date | None = None
    approval: str = Field(default="approved", max_length=10)
    added_in_repair: bool = False
    started: bool = False
    done_by: int | None = Field(default=None, foreign_key="user.id")
    done_at: NaiveDatetime | None = None
    #: The catalogue price of the line (a canned job's price, the labour rate), if
    #: any: a unit price far below it is a price override (``staff.may_price``).
    list_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    #: The catalogue's quantity × 1000 (a canned job's pieces or hours), if any: a
    #: quantity far below it is a price override too.
    list_qty_milli: int | None = None
    #: The declined line of an earlier visit this line offers again (desk.domain.carryover).
    carried_from_id: int | None = Field(default=None, foreign_key="estimate_line.id")
    version: int = Field(default=1, sa_column_kwargs={"nullable": False})

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class AuthorisationRow(SQLModel, table=True):
    __tablename__ = "authorisation"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    channel: str = Field(max_length=12)
    signer: str = Field(max_length=fields.SIGNER.max_len)
    reference: str = Field(default="", max_length=fields.REFERENCE.max_len)
    amount_cents: int = Field(sa_type=sa.BigInteger)
    estimate_version: int
    lines_hash: str = Field(max_length=64)
    for_added_work: bool = False
    line_ids: str = Field(default="", max_length=500)  # added lines this approval covers
    at: NaiveDatetime
    by_user: int | None = Field(default=None, foreign_key="user.id")
    #: What was signed (``SignedEstimate.to_dict`` as JSON); NULL on older records.
    signed: str | None = Field(default=None, sa_type=sa.Text)


class PaymentRow(SQLModel, table=True):
    """A payment or refund of a visit at delivery (DLV-13). Never deleted: a
    payment recorded by mistake is voided, with who, when and why."""

    __tablename__ = "payment"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    kind: str = Field(max_length=10)
    method: str = Field(max_length=10)
    amount_cents: int = Field(sa_type=sa.BigInteger)
    received_cents: int | None = Field(default=None, sa_type=sa.BigInteger)
    change_cents: int = Field(default=0, sa_type=sa.BigInteger)
    reason: str = Field(default="", max_length=500)
    at: NaiveDatetime
    by_user: int | None = Field(default=None, foreign_key="user.id")
    voided_at: NaiveDatetime | None = None
    voided_by: int | None = Field(default=None, foreign_key="user.id")
    void_reason: str = Field(default="", max_length=500)


class CounterRow(SQLModel, table=True):
    """A gapless sequence of the shop (the invoice numbers): its last value, moved
    on in the transaction that uses the next one, so a rollback takes none."""

    __tablename__ = "shop_sequence"
    name: str = Field(primary_key=True, max_length=20)
    value: int = Field(default=0, sa_type=sa.BigInteger)


class MotMarkRow(SQLModel, table=True):
    """A tick, n.a. or waiver of an MOT item. Append-only: the latest mark wins."""

    __tablename__ = "mot_mark"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    item_id: str = Field(max_length=20)
    kind: str = Field(max_length=10)
    reason: str = Field(default="", max_length=fields.REASON.max_len)
    by_user: int = Field(foreign_key="user.id")
    at: NaiveDatetime


class ProgressUpdateRow(SQLModel, table=True):
    __tablename__ = "progress_update"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    text: str = Field(max_length=fields.PROGRESS_UPDATE.max_len)
    at: NaiveDatetime
    by_user: int | None = Field(default=None, foreign_key="user.id")


class ReminderRow(SQLModel, table=True):
    """Reminder (1 day / 1 hour before) and late-arrival call tasks (APPT-09/10)."""

    __tablename__ = "reminder"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    kind: str = Field(max_length=10)  # day | hour | late
    due_at: NaiveDatetime = Field(index=True)
    done_at: NaiveDatetime | None = None
    outcome: str = Field(default="", max_length=fields.REMINDER_OUTCOME.max_len)
    by_user: int | None = Field(default=None, foreign_key="user.id")


class WalkInArrivalRow(SQLModel, table=True):
    """A car without appointment is here (one key on the board), before anyone
    writes it up: the walk-in visit written up next takes this as its arrival,
    so the greeting is measured from it (RCP-01)."""

    __tablename__ = "walk_in_arrival"
    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(index=True)
    by_user: int = Field(foreign_key="user.id")
    #: The walk-in visit that took it (None: still waiting).
    visit_id: int | None = Field(default=None, foreign_key="visit.id")


class FollowUpCallRow(SQLModel, table=True):
    __tablename__ = "followup_call"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    at: NaiveDatetime
    outcome: str = Field(max_length=20)
    by_user: int | None = Field(default=None, foreign_key="user.id")
    survey_done: bool = False
    next_service_stated: bool = False
    nps: int | None = None
    comment: str = Field(default="", max_length=fields.COMMENT.max_len)
    #: Made after the follow-up window of departure (FUP-01), judged when the
    #: call was recorded by the window in force at departure: a later change of
    #: the window never makes it a call on time.
    late: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class SurveyAnswerRow(SQLModel, table=True):
    __tablename__ = "survey_answer"
    id: int | None = Field(default=None, primary_key=True)
    call_id: int = Field(foreign_key="followup_call.id", index=True)
    factor: str = Field(max_length=30)
    score: int


class ComplaintRow(SQLModel, table=True):
    __tablename__ = "complaint"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    opened_at: NaiveDatetime
    severity: str = Field(max_length=10)
    summary: str = Field(max_length=fields.SUMMARY.max_len)
    owner_id: int | None = Field(default=None, foreign_key="user.id")
    root_cause: str = Field(default="", max_length=fields.ROOT_CAUSE.max_len)
    remedy: str = Field(default="", max_length=fields.REMEDY.max_len)
    closing_report: str = Field(default="", max_length=fields.CLOSING_REPORT.max_len)
    escalated_at: NaiveDatetime | None = None
    closed_at: NaiveDatetime | None = None
    #: Optimistic lock: closing a complaint another terminal changed is refused.
    version: int = Field(default=1, sa_column_kwargs={"nullable": False})

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class AuditEventRow(SQLModel, table=True):
    """Append-only log of every change: who, when, what, before/after.

    Each event carries the hash of the previous one, so a changed or removed event
    breaks the chain at a place ``desk audit verify`` can name.
    """

    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: NaiveDatetime = Field(index=True)
    user_id: int | None = None
    user_name: str = Field(default="", max_length=80)
    action: str = Field(max_length=40)
    entity: str = Field(max_length=30)
    entity_id: int | None = None
    visit_id: int | None = Field(default=None, index=True)
    #: The visit's version when the change that wrote this event began (0 for a
    #: visit the change created): the events a form opened at version v has not
    #: seen are those at v or later. None: not about a visit, or written before 0014.
    visit_version: int | None = None
    before: str = Field(default="", sa_type=sa.Text)
    after: str = Field(default="", sa_type=sa.Text)
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(max_length=64)


class ShopMetaRow(SQLModel, table=True):
    """Facts about the database itself, not the shop's business: ``shop_id`` (a
    UUID made when the table was created) tells this database's backups from
    those of another file with the same name."""

    __tablename__ = "shop_meta"
    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)


class ShopSettingRow(SQLModel, table=True):
    """A shop-wide setting shared by every terminal (it beats desk.toml).

    ``value`` is the exact text form (``desk.domain.setup.to_text``); ``version``
    refuses a stale edit from another terminal.
    """

    __tablename__ = "shop_setting"
    key: str = Field(primary_key=True, max_length=40)
    value: str = Field(max_length=200)
    updated_at: NaiveDatetime
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    version: int = Field(default=1, sa_column_kwargs={"nullable": False})

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class ChecklistOverrideRow(SQLModel, table=True):
    """A shop's change to the MOT checklist templates: an own item, or a standard
    item made required (or, if only recommended, hidden)."""

    __tablename__ = "checklist_override"
    item_id: str = Field(primary_key=True, max_length=20)
    stage: str = Field(max_length=20)
    en: str = Field(default="", max_length=fields.ITEM_TEXT_EN.max_len)
    zh: str = Field(default="", max_length=fields.ITEM_TEXT_ZH.max_len)
    required: bool = False
    role: str = Field(default="advisor", max_length=20)
    own: bool = False
    deleted: bool = False
    version: int = Field(default=1, sa_column_kwargs={"nullable": False})

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class CannedJobRow(SQLModel, table=True):
    """A shop's canned job (new, or replacing the shipped one with the same id)."""

    __tablename__ = "canned_job"
    job_id: str = Field(primary_key=True, max_length=fields.JOB_CODE.max_len)
    en: str = Field(max_length=fields.JOB_NAME_EN.max_len)
    zh: str = Field(default="", max_length=fields.JOB_NAME_ZH.max_len)
    lines: str = Field(default="[]", sa_type=sa.Text)  # JSON list of line dicts (qty as text, cents)
    deleted: bool = False
    version: int = Field(default=1, sa_column_kwargs={"nullable": False})

    @declared_attr
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


class OpeningCheckRow(SQLModel, table=True):
    """One facility standard ticked at the reception's opening, once a day."""

    __tablename__ = "opening_check"
    __table_args__ = (sa.UniqueConstraint("day", "item_id", name="uq_opening_check_day_item"),)
    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)
    item_id: str = Field(max_length=20)
    by_user: int = Field(foreign_key="user.id")
    at: NaiveDatetime


class IntegrityReviewRow(SQLModel, table=True):
    """A manager's acceptance, with a note, of a checklist flagged as rushed or
    blank (desk.domain.integrity); the flag itself is worked out, never stored."""

    __tablename__ = "integrity_review"
    __table_args__ = (sa.UniqueConstraint("visit_id", "flag_key", name="uq_integrity_review_visit_flag"),)
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    flag_key: str = Field(max_length=40)
    note: str = Field(max_length=500)
    by_user: int = Field(foreign_key="user.id")
    at: NaiveDatetime


class ClockingRow(SQLModel, table=True):
    """A technician on a line, from clocking on to clocking off (open: still on)."""

    __tablename__ = "clocking"
    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    line_id: int = Field(foreign_key="estimate_line.id", index=True)
    technician_id: int = Field(foreign_key="user.id", index=True)
    on_at: NaiveDatetime = Field(index=True)
    off_at: NaiveDatetime | None = None
    by_user: int | None = Field(default=None, foreign_key="user.id")


class SiteRow(SQLModel, table=True):
    """A site of a dealer group (desk.domain.group): head office and each store.

    Head office writes this table and publishes it to every store; a standalone
    shop has none. ``link`` is a store's subscription to the standard (and its
    slot at head office); ``joined_at`` is a UTC instant."""

    __tablename__ = "site"
    code: str = Field(primary_key=True, max_length=10)
    name: str = Field(max_length=120)
    address: str = Field(default="", max_length=200)
    tax_number: str = Field(default="", max_length=40)
    zone: str = Field(max_length=64)
    role: str = Field(default="store", max_length=10)
    link: str = Field(default="", max_length=63)
    joined_at: AwareDatetime = Field(sa_type=sa.DateTime(timezone=True))
