"""Row errors of a CSV import as sentences (the import screen and ``desk import``)."""

from __future__ import annotations

from desk.i18n import N_, _

#: The import's field names as the advisor reads them.
FIELD_LABELS = {
    "name": N_("Name"),
    "phone": N_("Phone"),
    "email": N_("E-mail"),
    "plate": N_("Plate"),
    "vin": N_("VIN"),
    "make": N_("Make"),
    "model": N_("Model"),
    "year": N_("Year"),
    "odometer_km": N_("Odometer km"),
    "purchase_date": N_("Purchase date"),
    "member": N_("Membership"),
    "row": N_("Row no."),
    "file": N_("File"),
}


def field_label(name: str) -> str:
    return _(FIELD_LABELS[name]) if name in FIELD_LABELS else name


def reason_text(reason: str, params: dict) -> str:
    """The translated reason; a field name among the parameters is translated too."""
    shown = {k: field_label(v) if k in ("field", "column") and isinstance(v, str) else v for k, v in params.items()}
    return _(reason, **shown)


def row_error_text(error) -> str:
    """ "row 17, Phone: Not a valid phone number"."""
    return _(
        "row {line}, {field}: {reason}",
        line=error.line,
        field=field_label(error.field),
        reason=reason_text(error.reason, error.params),
    )
