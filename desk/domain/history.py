"""A visit's audited changes in the shop's words: what happened ("Booked", "MOT
item ticked", "Payment taken") and its details as "label: value" phrases
("time 12-08 14:00; concerns Squeaking noise when braking"), never the stored
JSON. The audit keeps the JSON (``desk audit verify`` reads it); this is how the
history screen reads it to a person.

An action not named here shows its id; a detail not named here is not shown
(the keys the store keeps for searching, hashes, row ids).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from desk.domain.money import format_money
from desk.domain.process import STAGE_LABELS, Stage
from desk.i18n import N_, _

#: What each audited action did, as the history says it.
ACTIONS: dict[str, str] = {
    "visit.book": N_("Booked"),
    "visit.walk_in": N_("Walk-in written up"),
    "walk_in.arrived": N_("Walk-in car here"),
    "visit.arrive": N_("Arrived"),
    "visit.no_show": N_("No show"),
    "visit.reception": N_("Reception started"),
    "visit.advance": N_("Moved to the next stage"),
    "visit.walkaround": N_("Walkaround recorded"),
    "visit.assign": N_("Technician assigned"),
    "visit.promised": N_("Promised time set"),
    "visit.reschedule": N_("Rescheduled"),
    "visit.progress_update": N_("Progress update given"),
    "visit.notified": N_("Customer told the car is ready"),
    "visit.amount_explained": N_("Final amount explained"),
    "visit.final_approved": N_("Final amount approved"),
    "visit.followup_agreed": N_("Follow-up call agreed"),
    "visit.disposal": N_("Old parts: customer's choice"),
    "visit.washing": N_("Car washed"),
    "visit.import": N_("Imported"),
    "concern.add": N_("Concern added"),
    "concern.confirm": N_("Concerns confirmed"),
    "finding.add": N_("Finding recorded"),
    "mot.done": N_("MOT item ticked"),
    "mot.na": N_("MOT item not applicable"),
    "mot.waived": N_("MOT item waived"),
    "mot.undone": N_("MOT item un-ticked"),
    "line.add": N_("Line added"),
    "line.update": N_("Line changed"),
    "line.remove": N_("Line removed"),
    "line.start": N_("Work started on a line"),
    "line.done": N_("Line done"),
    "line.part_arrived": N_("Part arrived"),
    "estimate.authorise": N_("Customer signed the estimate"),
    "added_work.approved": N_("Added work approved"),
    "added_work.declined": N_("Added work declined"),
    "clock.on": N_("Technician clocked on"),
    "clock.off": N_("Technician clocked off"),
    "payment.take": N_("Payment taken"),
    "payment.void": N_("Payment voided"),
    "payment.refund": N_("Payment refunded"),
    "damage.acknowledge_in": N_("Customer acknowledged the damage (walkaround)"),
    "damage.delivery": N_("Damage found at delivery"),
    "complaint.open": N_("Complaint opened"),
    "complaint.close": N_("Complaint closed"),
    "comeback.cause": N_("Comeback cause recorded"),
    "comeback.confirmed": N_("Comeback confirmed"),
    "comeback.rejected": N_("Comeback rejected"),
    "call.reached": N_("Follow-up call: reached"),
    "call.no_answer": N_("Follow-up call: no answer"),
    "call.wrong_number": N_("Follow-up call: wrong number"),
    "reminder.hour": N_("Reminder call (1 hour)"),
    "reminder.day": N_("Reminder call (1 day)"),
    "reminder.late": N_("Late call"),
    "integrity.accept": N_("Checklist flag accepted"),
}

#: The details shown, in this order, each with its label; any other key is not.
FIELDS: dict[str, str] = {
    "number": N_("RO"),
    "at": N_("time"),
    "arrived_at": N_("arrived"),
    "reception_at": N_("started"),
    "stage": N_("stage"),
    "item": N_("item"),
    "reason": N_("reason"),
    "concerns": N_("concerns"),
    "count": N_("count"),
    "text": N_("text"),
    "grade": N_("grade"),
    "description": N_("line"),
    "qty_milli": N_("quantity"),
    "unit_cents": N_("unit price"),
    "eta": N_("arrives"),
    "odometer_km": N_("odometer km"),
    "fuel_eighths": N_("fuel (eighths)"),
    "damage_confirmed": N_("damage list confirmed"),
    "technician_id": N_("technician"),
    "done_by": N_("done by"),
    "notified_by": N_("told by"),
    "bay": N_("bay"),
    "promised_at": N_("promised"),
    "signer": N_("signed by"),
    "amount_cents": N_("amount"),
    "signed_total": N_("signed total"),
    "method": N_("method"),
    "received_cents": N_("received"),
    "change_cents": N_("change"),
    "balance_cents": N_("balance due"),
    "invoice_no": N_("invoice"),
    "channel": N_("channel"),
    "reference": N_("reference"),
    "followup_agreed_at": N_("call at"),
    "followup_channel": N_("channel"),
    "disposal": N_("old parts"),
    "severity": N_("severity"),
    "summary": N_("summary"),
    "remedy": N_("remedy"),
    "root_cause": N_("root cause"),
    "cause": N_("cause"),
    "original": N_("first visit"),
    "note": N_("note"),
    "outcome": N_("outcome"),
    "nps": N_("NPS"),
    "comment": N_("comment"),
    "overbooked": N_("overbooked"),
}
#: Details whose value is a user's id: shown as the user's name.
USER_FIELDS = ("technician_id", "done_by", "notified_by")


@dataclass(frozen=True)
class Entry:
    """One change as the history reads it: what happened and its details."""

    what: str
    detail: str


def _time(value: str) -> str | None:
    try:
        at = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return f"{at:%m-%d %H:%M}" if (at.hour, at.minute, at.second) != (0, 0, 0) else f"{at:%Y-%m-%d}"


def _value(key: str, value: Any, names: Mapping[int, str], item_text: Callable[[str], str], symbol: str) -> str:
    """One detail's value in words ("" when there is nothing to say)."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in USER_FIELDS and isinstance(value, int):
        return names.get(value, str(value))
    if key.endswith("_cents") or key == "signed_total":
        return format_money(int(value), symbol) if isinstance(value, int) else str(value)
    if key == "qty_milli" and isinstance(value, int):
        return f"{value / 1000:g}"
    if key == "stage":
        try:
            return _(STAGE_LABELS[Stage(value)])
        except (KeyError, ValueError):
            return str(value)
    if key == "item":
        text = item_text(str(value))
        return f"{value} {text}".strip()
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, str):
        return _time(value) or value
    return str(value)


def describe(
    action: str,
    after: str | None,
    *,
    names: Mapping[int, str] | None = None,
    item_text: Callable[[str], str] = lambda _id: "",
    symbol: str = "",
) -> Entry:
    """``action`` and its stored ``after`` (JSON) as the history shows them, in
    the interface language: users named (``names``), MOT items with their text
    (``item_text``), money with the shop's ``symbol``."""
    what = _(ACTIONS[action]) if action in ACTIONS else action
    try:
        data = json.loads(after) if after else {}
    except ValueError:
        return Entry(what, str(after or "")[:200])
    if not isinstance(data, dict):
        return Entry(what, str(data))
    parts = []
    for key, label in FIELDS.items():
        if key in data:
            shown = _value(key, data[key], names or {}, item_text, symbol)
            if shown:
                parts.append(f"{_(label)} {shown}")
    return Entry(what, "; ".join(parts))
