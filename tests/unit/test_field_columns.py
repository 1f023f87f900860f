"""The field specifications' lengths fit the columns that store them (a longer
limit would let the database refuse, or cut, what the form accepted)."""

from __future__ import annotations

from desk.domain import fields


def test_text_limits_fit_their_columns():
    from desk.store import models

    columns = {
        fields.DESCRIPTION: models.EstimateLineRow.description, fields.CONCERN: models.ConcernRow.text,
        fields.FINDING: models.FindingRow.text, fields.REFERENCE: models.AuthorisationRow.reference,
        fields.MAKE: models.VehicleRow.make, fields.MODEL: models.VehicleRow.model, fields.BAY: models.VisitRow.bay,
        fields.WARNING_LIGHTS: models.VisitRow.warning_lights, fields.TYRES: models.VisitRow.tyres,
        fields.VALUABLES: models.VisitRow.valuables, fields.EXPLANATION: models.VisitRow.amount_explanation,
        fields.SPECIAL_NOTE: models.CustomerRow.special_note, fields.COMMENT: models.FollowUpCallRow.comment,
        fields.SUMMARY: models.ComplaintRow.summary, fields.ROOT_CAUSE: models.ComplaintRow.root_cause,
        fields.REMEDY: models.ComplaintRow.remedy, fields.CLOSING_REPORT: models.ComplaintRow.closing_report,
        fields.REMINDER_OUTCOME: models.ReminderRow.outcome, fields.PROGRESS_UPDATE: models.ProgressUpdateRow.text,
        fields.REASON: models.MotMarkRow.reason, fields.NAME: models.CustomerRow.name,
        fields.SIGNER: models.AuthorisationRow.signer, fields.PLATE: models.VehicleRow.plate,
        fields.VIN: models.VehicleRow.vin, fields.PHONE: models.CustomerRow.phone,
        fields.COMEBACK_NOTE: models.VisitRow.comeback_cause_note,
    }
    for spec, column in columns.items():
        assert spec.limits.max_len <= column.type.length, spec.name
