"""A field's length is its specification's (``desk.domain.fields``), and the column
that stores it, as the migrations built it on SQLite and on PostgreSQL, has that
length: a shorter column would make the database refuse (PostgreSQL) or keep
(SQLite) what the form accepted or refused."""

from __future__ import annotations

import sqlalchemy as sa

from desk.domain import fields

#: Every text specification with a length, and the columns that store it.
STORED = {
    fields.DESCRIPTION: [("estimate_line", "description")],
    fields.CONCERN: [("concern", "text")],
    fields.FINDING: [("finding", "text")],
    fields.REFERENCE: [("authorisation", "reference")],
    fields.MAKE: [("vehicle", "make")],
    fields.MODEL: [("vehicle", "model")],
    fields.BAY: [("visit", "bay")],
    fields.WARNING_LIGHTS: [("visit", "warning_lights")],
    fields.TYRES: [("visit", "tyres")],
    fields.VALUABLES: [("visit", "valuables")],
    fields.EXPLANATION: [("visit", "amount_explanation")],
    fields.SPECIAL_NOTE: [("customer", "special_note")],
    fields.COMMENT: [("followup_call", "comment")],
    fields.SUMMARY: [("complaint", "summary")],
    fields.ROOT_CAUSE: [("complaint", "root_cause")],
    fields.REMEDY: [("complaint", "remedy")],
    fields.CLOSING_REPORT: [("complaint", "closing_report")],
    fields.REMINDER_OUTCOME: [("reminder", "outcome")],
    fields.PROGRESS_UPDATE: [("progress_update", "text")],
    fields.REASON: [("mot_mark", "reason")],
    fields.OPTIONAL_REASON: [("visit", "close_reason")],
    fields.NAME: [("customer", "name")],
    fields.SIGNER: [("authorisation", "signer")],
    fields.PLATE: [("vehicle", "plate")],
    fields.VIN: [("vehicle", "vin")],
    fields.PHONE: [("customer", "phone")],
    fields.EMAIL: [("customer", "email")],
    fields.COMEBACK_NOTE: [("visit", "comeback_cause_note")],
    fields.ITEM_TEXT_EN: [("checklist_override", "en")],
    fields.ITEM_TEXT_ZH: [("checklist_override", "zh")],
    fields.JOB_CODE: [("canned_job", "job_id")],
    fields.JOB_NAME_EN: [("canned_job", "en")],
    fields.JOB_NAME_ZH: [("canned_job", "zh")],
}
#: Specifications whose text is kept inside another column, not one of its own.
INSIDE = {
    fields.DAMAGE_NOTE: "visit.damages (a JSON list of panel, kind, note)",
    fields.SETTING_VALUE: "shop_setting.value (the setting's text form, desk.domain.setup.to_text)",
}


def _name(spec) -> str:
    return next(name for name, value in vars(fields).items() if value is spec)


def test_every_text_specification_with_a_length_is_stored_or_said_to_be_inside_another():
    sized = {_name(v) for v in vars(fields).values() if isinstance(v, fields.Spec) and v.limits.max_len}
    assert sized == {_name(s) for s in STORED} | {_name(s) for s in INSIDE}


def test_the_tables_take_their_lengths_from_the_specifications():
    from sqlmodel import SQLModel

    from desk.store import models  # noqa: F401 - puts the tables on the metadata

    tables = SQLModel.metadata.tables
    wrong = [
        (_name(spec), table, column, tables[table].c[column].type.length, spec.max_len)
        for spec, where in STORED.items()
        for table, column in where
        if tables[table].c[column].type.length != spec.max_len
    ]
    assert wrong == []


def test_the_migrated_columns_have_the_specifications_lengths(db_url):
    """On both backends, as the migrations built the schema (not as the models say)."""
    from desk.store.db import make_engine, upgrade

    engine = make_engine(db_url)
    try:
        upgrade(engine)
        inspector = sa.inspect(engine)
        found = {
            table: {c["name"]: c["type"] for c in inspector.get_columns(table)}
            for table in {t for where in STORED.values() for t, _c in where}
        }
    finally:
        engine.dispose()
    wrong = [
        (_name(spec), table, column, getattr(found[table][column], "length", None), spec.max_len)
        for spec, where in STORED.items()
        for table, column in where
        if getattr(found[table][column], "length", None) != spec.max_len
    ]
    assert wrong == []
