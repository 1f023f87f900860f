"""Printable documents as plain text (any printer, any terminal, CJK included),
and as a document model the PDF writer (``pdf.py``) lays out. Written to files
by ``files.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

from desk.domain.money import format_money, line_net, priced
from desk.i18n import N_, _


def estimate_text(view, settings) -> str:
    """The estimate / repair order for the customer to sign."""
    v, c, veh, t = view.visit, view.customer, view.vehicle, view.estimate_totals
    sym = settings.currency_symbol
    out = [
        settings.shop_name,
        _("Repair order / estimate") + f"  {v.number}",
        "",
        f"{_('Customer')}: {c.name}  {c.phone}",
        f"{_('Vehicle')}: {veh.plate}  {veh.make} {veh.model}  VIN {veh.vin}",
        f"{_('Odometer')}: {v.odometer_km if v.odometer_km is not None else '-'} km",
        "",
        _("Customer's requests") + ":",
        *[f"  - {con.text}" for con in view.concerns],
        "",
    ]
    for ln in view.lines:
        if ln.added_in_repair:
            continue
        net = line_net(priced(ln))
        flag = " (" + _("warranty") + ")" if ln.warranty else " (" + _("free") + ")" if ln.free else ""
        out.append(f"  {ln.description}{flag}  {ln.qty.normalize():f} x {format_money(ln.unit_cents)}"
                   f"  = {format_money(net, sym)}")
    out += [
        "",
        f"{_('Net')}: {format_money(t.net, sym)}   {_('Tax')}: {format_money(t.tax, sym)}"
        f"   {_('Total')}: {format_money(t.total, sym)}",
        f"{_('Promised')}: {v.promised_at:%Y-%m-%d %H:%M}" if v.promised_at else "",
        f"{_('estimate version {n}', n=v.estimate_version)}",
        "",
        _("I authorise the work above.") + "   " + _("Signature") + ": ____________________",
        "",
    ]
    return "\n".join(out)


def invoice_text(view, settings, next_due) -> str:
    """The invoice summary at hand-back: every billed line, what was not charged,
    the next service due."""
    v, c, veh, t = view.visit, view.customer, view.vehicle, view.totals
    sym = settings.currency_symbol
    out = [
        settings.shop_name,
        _("Invoice summary") + f"  {v.number}",
        "",
        f"{_('Customer')}: {c.name}   {_('Vehicle')}: {veh.plate} {veh.make} {veh.model}",
        "",
    ]
    for ln in view.lines:
        if ln.approval != "approved":
            continue
        flag = " (" + _("warranty") + ")" if ln.warranty else " (" + _("free") + ")" if ln.free else ""
        out.append(f"  {ln.description}{flag}  {format_money(line_net(priced(ln)), sym)}")
    day, km = next_due
    out += [
        "",
        f"{_('Net')}: {format_money(t.net, sym)}   {_('Tax')}: {format_money(t.tax, sym)}"
        f"   {_('Total')}: {format_money(t.total, sym)}",
        f"{_('Not charged')}: {format_money(t.not_charged, sym)}" if t.not_charged else "",
        f"{_('Next service')}: {day:%Y-%m-%d}" + (f" / {km:,} km" if km else ""),
        "",
    ]
    return "\n".join(out)


# ------------------------------------------------------------------ document model
#
# The same content as the text printouts above, as a structure the PDF writer
# (pdf.py) lays out: header fields, sections of lines, one priced table,
# totals and signature boxes. Labels are already in the interface language.

#: The walkaround screen's panel, damage and grade names (same message ids).
PANEL_NAMES = {
    "front_bumper": N_("front bumper"), "bonnet": N_("bonnet"), "roof": N_("roof"), "boot": N_("boot"),
    "rear_bumper": N_("rear bumper"), "front_left": N_("front left wing"), "front_right": N_("front right wing"),
    "rear_left": N_("rear left wing"), "rear_right": N_("rear right wing"),
    "door_front_left": N_("front left door"), "door_front_right": N_("front right door"),
    "door_rear_left": N_("rear left door"), "door_rear_right": N_("rear right door"),
    "windscreen": N_("windscreen"), "wheels": N_("wheels"),
}
DAMAGE_NAMES = {"scratch": N_("scratch"), "dent": N_("dent"), "crack": N_("crack"), "chip": N_("chip")}
GRADE_NAMES = {"green": N_("green"), "yellow": N_("yellow"), "red": N_("red")}
#: The car from above, as the walkaround screen draws it: rows of panel keys.
CAR_DIAGRAM = (
    ("", "front_bumper", ""),
    ("front_left", "bonnet", "front_right"),
    ("", "windscreen", ""),
    ("door_front_left", "roof", "door_front_right"),
    ("door_rear_left", "", "door_rear_right"),
    ("rear_left", "boot", "rear_right"),
    ("", "rear_bumper", "wheels"),
)


@dataclass
class Doc:
    """A printable document: what is printed, not how."""

    kind: str  # estimate | invoice | walkaround
    shop: str
    title: str
    number: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    table_head: tuple[str, ...] = ()
    table: list[tuple[str, ...]] = field(default_factory=list)
    totals: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: damaged panel keys (walkaround sheet diagram)
    damaged: set[str] = field(default_factory=set)
    #: signature boxes: (statement, who signs)
    signatures: list[tuple[str, str]] = field(default_factory=list)
    filename: str = ""

    def text(self) -> str:
        """Every word of the document as plain text (what the PDF must show)."""
        out = [self.shop, f"{self.title}  {self.number}", ""]
        out += [f"{k}: {v}" for k, v in self.fields]
        for heading, lines in self.sections:
            out += ["", heading + ":", *[f"  - {ln}" for ln in lines]]
        if self.table:
            out += ["", "  ".join(self.table_head), *["  ".join(r) for r in self.table]]
        out += ["", *[f"{k}: {v}" for k, v in self.totals], *self.notes]
        out += [f"{s}   {who}: ____________________" for s, who in self.signatures]
        return "\n".join(out) + "\n"


def _flag(ln) -> str:
    return _("warranty") if ln.warranty else _("free") if ln.free else ""


def _people(view) -> list[tuple[str, str]]:
    v, c, veh = view.visit, view.customer, view.vehicle
    return [
        (_("Customer"), f"{c.name}  {c.phone}"),
        (_("Vehicle"), f"{veh.plate}  {veh.make} {veh.model}".strip()),
        (_("VIN"), veh.vin or "-"),
        (_("Odometer"), f"{v.odometer_km:,} km" if v.odometer_km is not None else "-"),
    ]


def estimate_doc(view, settings) -> Doc:
    """The estimate / repair order for the customer to sign (as ``estimate_text``)."""
    v, t, sym = view.visit, view.estimate_totals, settings.currency_symbol
    rows = []
    for ln in view.lines:
        if ln.added_in_repair:
            continue
        rows.append((ln.description, _flag(ln), f"{ln.qty.normalize():f}", format_money(ln.unit_cents),
                     format_money(line_net(priced(ln)), sym)))
    fields = _people(view)
    if v.promised_at:
        fields.append((_("Promised"), f"{v.promised_at:%Y-%m-%d %H:%M}"))
    return Doc(
        kind="estimate", shop=settings.shop_name, title=_("Repair order / estimate"), number=v.number,
        fields=fields,
        sections=[(_("Customer's requests"), [con.text for con in view.concerns] or ["-"])],
        table_head=(_("Description"), "", _("Qty"), _("Unit price"), _("Net")),
        table=rows,
        totals=[(_("Net"), format_money(t.net, sym)), (_("Tax"), format_money(t.tax, sym)),
                (_("Total"), format_money(t.total, sym))],
        notes=[_("estimate version {n}", n=v.estimate_version)],
        signatures=[(_("I authorise the work above."), _("Signature"))],
        filename=f"{v.number}-estimate-v{v.estimate_version}",
    )


def invoice_doc(view, settings, next_due) -> Doc:
    """The invoice summary at hand-back (as ``invoice_text``)."""
    v, t, sym = view.visit, view.totals, settings.currency_symbol
    rows = [(ln.description, _flag(ln), f"{ln.qty.normalize():f}", format_money(ln.unit_cents),
             format_money(line_net(priced(ln)), sym))
            for ln in view.lines if ln.approval == "approved"]
    totals = [(_("Net"), format_money(t.net, sym)), (_("Tax"), format_money(t.tax, sym)),
              (_("Total"), format_money(t.total, sym))]
    if t.not_charged:
        totals.append((_("Not charged"), format_money(t.not_charged, sym)))
    day, km = next_due
    return Doc(
        kind="invoice", shop=settings.shop_name, title=_("Invoice summary"), number=v.number,
        fields=_people(view),
        table_head=(_("Description"), "", _("Qty"), _("Unit price"), _("Net")),
        table=rows, totals=totals,
        notes=[f"{_('Next service')}: {day:%Y-%m-%d}" + (f" / {km:,} km" if km else "")],
        filename=f"{v.number}-invoice",
    )


def walkaround_doc(view, settings) -> Doc:
    """The walkaround sheet: readings, damage by panel (and the diagram), findings,
    the customer's requests; signed by the customer and the advisor."""
    import json

    v = view.visit
    try:
        damages = json.loads(v.damages or "[]")
    except ValueError:
        damages = []
    fuel = "-" if v.fuel_eighths is None else f"{v.fuel_eighths}/8"
    fields = _people(view) + [
        (_("Fuel"), fuel),
        (_("Warning lights"), v.warning_lights or "-"),
        (_("Tyres"), v.tyres or "-"),
        (_("Valuables"), v.valuables or "-"),
    ]
    dmg_lines = [f"{_(PANEL_NAMES.get(d.get('panel'), str(d.get('panel'))))}: "
                 f"{_(DAMAGE_NAMES.get(d.get('kind'), str(d.get('kind'))))}"
                 + (f" ({d['note']})" if d.get("note") else "") for d in damages]
    if not dmg_lines:
        dmg_lines = [_("No damage") if v.damage_confirmed else "-"]
    findings = [f"[{_(GRADE_NAMES.get(str(getattr(fd.grade, 'value', fd.grade)), str(fd.grade)))}] {fd.text}"
                for fd in view.findings] or ["-"]
    return Doc(
        kind="walkaround", shop=settings.shop_name, title=_("Walkaround sheet"), number=v.number,
        fields=fields,
        sections=[(_("Customer's requests"), [con.text for con in view.concerns] or ["-"]),
                  (_("Damage found"), dmg_lines), (_("Findings"), findings)],
        damaged={d.get("panel") for d in damages},
        signatures=[(_("Checked together with the customer."), _("Customer")),
                    ("", _("Advisor"))],
        filename=f"{v.number}-walkaround",
    )
