"""The other terminal's change, in the shop's words.

A form keeps the version of the record it was opened on; saving it after the
record moved on is refused (``StaleEdit``), and the refusal names the change that
moved it on: "Tom Becker set the promised time to 16:30 at 17:50", never the audit
code ("visit.promised"). This module turns the audit event of that change (its
action and what it wrote) into a message id and its parameters; the UI
translates them (``desk.widgets.feedback``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from desk.domain.entities import ROLE_LABELS, Role
from desk.domain.errors import InvalidInput
from desk.i18n import N_

#: Parameters of :func:`sentence` that are message ids themselves (translated first).
TRANSLATED = ("did", "setting", "field", "role")

#: A customer's edited fields, as a refusal names them.
CUSTOMER_FIELDS = {"name": N_("name"), "phone": N_("phone"), "email": N_("e-mail"), "special_note": N_("note")}


@dataclass(frozen=True)
class OtherChange:
    """Who changed the record, when, how (the audit action) and what it wrote."""

    by: str
    at: datetime | None
    action: str
    after: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)


#: "{who} {did} at {at}": what a change did, as a verb phrase, by audit action.
DID: dict[str, str] = {
    "visit.book": N_("booked the visit"),
    "visit.walk_in": N_("took the car in as a walk-in"),
    "visit.arrive": N_("took the car in"),
    "visit.reception": N_("started the reception"),
    "visit.advance": N_("moved the visit to its next stage"),
    "visit.cancel": N_("cancelled the visit"),
    "visit.no_show": N_("marked the visit a no-show"),
    "visit.rework": N_("sent the car back to the workshop"),
    "visit.assign": N_("assigned the technician"),
    "visit.walkaround": N_("saved the walkaround readings"),
    "visit.washing": N_("changed the washing"),
    "visit.notified": N_("told the customer the car is ready"),
    "visit.disposal": N_("set what happens to the old parts"),
    "visit.progress_update": N_("gave the customer a progress update"),
    "visit.amount_explained": N_("explained the amount to the customer"),
    "visit.followup_agreed": N_("agreed the follow-up call"),
    "visit.reschedule": N_("moved the appointment"),
    "visit.promised": N_("changed the promised time"),
    "visit.final_approved": N_("recorded the customer's approval of the final amount"),
    "concern.add": N_("added a concern"),
    "concern.confirm": N_("confirmed the concerns"),
    "finding.add": N_("added a finding"),
    "damage.add": N_("recorded damage"),
    "damage.confirm": N_("had the damage confirmed"),
    "damage.delivery": N_("recorded damage at delivery"),
    "odometer.correct": N_("corrected the odometer"),
    "line.add": N_("added an estimate line"),
    "line.update": N_("changed an estimate line"),
    "line.remove": N_("removed an estimate line"),
    "line.start": N_("started a line"),
    "line.done": N_("finished a line"),
    "line.part_arrived": N_("booked a part in"),
    "estimate.authorise": N_("had the estimate signed"),
    "mot.done": N_("ticked a checklist item"),
    "mot.na": N_("marked a checklist item not applicable"),
    "mot.waived": N_("waived a checklist item"),
    "mot.undone": N_("un-ticked a checklist item"),
    "call.reached": N_("recorded the follow-up call"),
    "call.no_answer": N_("recorded a follow-up call with no answer"),
    "call.wrong_number": N_("recorded a wrong number"),
    "complaint.open": N_("opened a complaint"),
    "complaint.close": N_("closed the complaint"),
    "comeback.cause": N_("recorded the comeback's cause"),
    "integrity.accept": N_("accepted the flag"),
    "setup.setting": N_("changed the shop set-up"),
    "customer.update": N_("changed the customer's details"),
    "user.roles": N_("changed the user's role"),
    "payment.take": N_("took a payment"),
    "payment.void": N_("voided a payment"),
    "payment.refund": N_("refunded the customer"),
}


def _when(value: Any, at: datetime | None) -> str:
    """A stored time as the shop reads it: "16:30" on the day of the change,
    else "2026-11-27 16:30"; a date as a date."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        return f"{value:%H:%M}" if at is not None and value.date() == at.date() else f"{value:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _eta(value: Any) -> str:
    return str(value)[:10] if value else ""


def sentence(change: OtherChange) -> tuple[str, dict[str, str]]:
    """The other change as (message id, parameters): "{who} set the promised time
    to {value} at {at}". A change with a value the form also edits names that
    value (theirs); any other names what it did."""
    at = f"{change.at:%H:%M}" if change.at is not None else "-"
    params = {"who": change.by or "-", "at": at}
    after = change.after or {}
    if change.action == "visit.promised" and after.get("promised_at"):
        return N_("{who} set the promised time to {value} at {at}"), {
            **params,
            "value": _when(after["promised_at"], change.at),
        }
    if change.action == "visit.reschedule" and after.get("at"):
        return N_("{who} moved the appointment to {value} at {at}"), {**params, "value": _when(after["at"], change.at)}
    if change.action == "line.update" and "description" in after:
        line = str(after.get("description", ""))
        before = change.before or {}
        moved = {k for k in after if k in before and after[k] != before[k]} if before else set(after)
        if "eta" in moved and after.get("eta"):
            return N_("{who} set the arrival date of {line} to {value} at {at}"), {
                **params,
                "line": line,
                "value": _eta(after["eta"]),
            }
        if "availability" in moved and after.get("availability") == "back_order":
            return N_("{who} put {line} on back order, arrival date not known yet, at {at}"), {**params, "line": line}
        if "unit_cents" in moved:
            return N_("{who} set the unit price of {line} to {value} at {at}"), {
                **params,
                "line": line,
                "value": f"{int(after['unit_cents']) / 100:.2f}",
            }
        if "qty_milli" in moved:
            return N_("{who} set the quantity of {line} to {value} at {at}"), {
                **params,
                "line": line,
                "value": f"{(Decimal(int(after['qty_milli'])) / 1000).normalize():f}",
            }
        return N_("{who} changed the line {line} at {at}"), {**params, "line": line}
    if change.action == "customer.update" and after:
        named = [(CUSTOMER_FIELDS[k], str(v)) for k, v in after.items() if k in CUSTOMER_FIELDS]
        if len(named) == 1:
            return N_("{who} set the customer's {field} to {value} at {at}"), {
                **params,
                "field": named[0][0],
                "value": named[0][1],
            }
    if change.action == "setup.setting" and after:
        # here, not at the top: the set-up's specifications (templates, fields)
        # are not on the way to the first frame (desk.shell.app imports this module)
        from desk.domain import setup

        key, value = next(iter(after.items()))
        try:
            setting = setup.spec(key).label
        except InvalidInput:  # a setting this version does not know: its key
            setting = key
        return N_("{who} set {setting} to {value} at {at}"), {
            **params,
            "setting": setting,
            "code": key.removeprefix(setup.TAX_PREFIX),
            "value": str(value),
        }
    if change.action.startswith("reminder.") and after.get("outcome"):
        return N_('{who} recorded the call\'s outcome "{value}" at {at}'), {**params, "value": str(after["outcome"])}
    if change.action == "user.roles" and after.get("user"):
        roles = [Role(r) for r in str(after.get("roles", "")).split(",") if r in {x.value for x in Role}]
        if len(roles) == 1:  # the picker sets one role
            return N_("{who} set the role of {user} to {role} at {at}"), {
                **params,
                "user": str(after["user"]),
                "role": ROLE_LABELS[roles[0]],
            }
    did = DID.get(change.action)
    if did is None:
        return N_("{who} changed it at {at}"), params
    if change.action.startswith("mot.") and after.get("item"):
        return N_("{who} {did} ({item}) at {at}"), {**params, "did": did, "item": str(after["item"])}
    return N_("{who} {did} at {at}"), {**params, "did": did}
