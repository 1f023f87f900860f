"""Printable documents: what a customer signs or takes home.

One document model (:class:`Doc`) per printout, laid out twice: as plain text
(:meth:`Doc.text`: any printer, any terminal, CJK included) and as PDF by
``pdf.py``. ``files.py`` writes both (F6 on the walkaround, estimate and delivery
screens).

What every printout carries, so that a customer accepts it: the shop's header from
the set-up (name, address, phone, tax id: the lines that are set), the document's
date (from the injected clock, never the machine's), the advisor, units on the
quantities (h, pcs, km), phones as people write them
(:func:`desk.domain.validate.show_phone`, never "+86…"), no table column that is
empty on every row, and "none" where a list has nothing in it.

An estimate without lines prints **without a signature block** (and without the
¥0.00 totals): there is nothing on it to authorise, but the sheet still carries
the customer's requests and the car's data to the workshop for the diagnosis, so
refusing to print it would take that away. It says why there is nothing to sign.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime

from rich.cells import cell_len

from desk.domain import damage
from desk.domain import fields as fields_mod
from desk.domain.entities import LineKind
from desk.domain.money import format_money, line_net, priced
from desk.domain.payment import Kind, invoice_text, method_label
from desk.domain.rules import signed_split
from desk.domain.validate import show_phone, visible
from desk.domain.walkaround import DAMAGE_NAMES, PANEL_NAMES
from desk.i18n import N_, _

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


#: The unit printed after a line's quantity (a fee counts itself: no unit).
UNITS = {LineKind.LABOUR: N_("h"), LineKind.PART: N_("pcs")}


@dataclass
class Doc:
    """A printable document: what is printed, not how (``text()`` and ``pdf.render``
    lay it out)."""

    kind: str  # estimate | invoice | walkaround
    title: str
    number: str
    #: the shop's header: its name, then whichever of address, phone and tax id are set
    shop: tuple[str, ...]
    #: the document's date, as printed
    date: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    #: (heading, lines): a list with nothing in it says "none", never a bare "-"
    sections: list[tuple[str, list[str]]] = field(default_factory=list)
    table_head: tuple[str, ...] = ()
    #: "L" or "R" for each column of the table
    table_align: tuple[str, ...] = ()
    table: list[tuple[str, ...]] = field(default_factory=list)
    totals: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: damaged panel keys (walkaround sheet diagram)
    damaged: set[str] = field(default_factory=set)
    #: panels with damage noted at delivery that the walkaround did not have
    new_damage: set[str] = field(default_factory=set)
    #: the document carries the car diagram (the walkaround sheet and the invoice at hand-back)
    diagram: bool = False
    #: signature boxes: (statement, who signs)
    signatures: list[tuple[str, str]] = field(default_factory=list)
    filename: str = ""

    def columns(self) -> tuple[tuple[str, ...], tuple[str, ...], list[tuple[str, ...]]]:
        """The table without the columns that are empty on every row:
        (headings, alignments, rows)."""
        keep = [i for i in range(len(self.table_head)) if any(row[i] for row in self.table)]
        return (
            tuple(self.table_head[i] for i in keep),
            tuple(self.table_align[i] for i in keep),
            [tuple(row[i] for i in keep) for row in self.table],
        )

    def shown(self) -> Doc:
        """The document with every control character in its text made visible
        (ESC as "␛"): a printout never carries one to a printer or a terminal."""

        def lines(items):
            return [visible(x) for x in items]

        def pairs(items):
            return [(visible(k), visible(v)) for k, v in items]

        return dataclasses.replace(
            self,
            title=visible(self.title),
            number=visible(self.number),
            shop=tuple(lines(self.shop)),
            fields=pairs(self.fields),
            sections=[(visible(h), lines(ls)) for h, ls in self.sections],
            table_head=tuple(lines(self.table_head)),
            table=[tuple(lines(r)) for r in self.table],
            totals=pairs(self.totals),
            notes=lines(self.notes),
            signatures=[(visible(a), visible(b)) for a, b in self.signatures],
        )

    def text(self) -> str:
        """The document as plain text, columns lined up (CJK characters count as
        two): every word the PDF shows, control characters as their pictures."""
        shown = self.shown()
        if shown != self:
            return shown.text()
        out = [*self.shop, "", f"{self.title}  {self.number}", f"{_('Date')}: {self.date}", ""]
        width = max((cell_len(k) for k, _v in self.fields), default=0) + 1
        out += [f"{_pad(k + ':', width)} {v}" for k, v in self.fields]
        for heading, lines in self.sections:
            out += ["", heading + ":", *[f"  - {ln}" for ln in lines]]
        table_width = 0
        if self.table:
            grid = _grid(*self.columns())
            table_width = max(cell_len(r) for r in grid)
            out += ["", *grid]
        if self.totals:
            labels = max(cell_len(k) for k, _v in self.totals) + 1
            values = max(cell_len(v) for _k, v in self.totals)
            rows = [f"{_pad(k + ':', labels, 'R')} {_pad(v, values, 'R')}" for k, v in self.totals]
            out += ["", *[_pad(r, table_width, "R") for r in rows]]
        if self.notes:
            out += ["", *self.notes]
        for statement, who in self.signatures:
            out += ["", statement] if statement else [""]
            out.append(f"{who}: ____________________   {_('Date signed')}: ____________")
        return "\n".join(out) + "\n"


def _pad(text: str, width: int, align: str = "L") -> str:
    gap = " " * max(0, width - cell_len(text))
    return gap + text if align == "R" else text + gap


def _grid(head: tuple[str, ...], align: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(cell_len(row[i]) for row in (head, *rows)) for i in range(len(head))]

    def line(row) -> str:
        return "  ".join(_pad(c, w, a) for c, w, a in zip(row, widths, align, strict=True)).rstrip()

    return [line(head), "  ".join("-" * w for w in widths), *[line(r) for r in rows]]


# ------------------------------------------------------------------ pieces


def shop_header(settings) -> tuple[str, ...]:
    """The shop's name, address, and phone and tax id on one line: those set up."""
    contact = []
    if settings.shop_phone:
        contact.append(f"{_('Phone')}: {show_phone(settings.shop_phone)}")
    if settings.shop_tax_id:
        contact.append(f"{_('Tax ID')}: {settings.shop_tax_id}")
    return tuple(line for line in (settings.shop_name, settings.shop_address, "   ".join(contact)) if line)


def quantity(line) -> str:
    """A line's quantity with its unit: "1.5 h", "2 pcs" (Chinese: 小时, 件)."""
    qty = f"{line.qty.normalize():f}"
    unit = UNITS.get(LineKind(line.kind))
    return f"{qty} {_(unit)}" if unit else qty


def km(value: int) -> str:
    return f"{value:,} km"


def _flag(ln) -> str:
    return _("warranty") if ln.warranty else _("free") if ln.free else ""


#: The priced table of the estimate and the invoice: (heading msgid, alignment).
LINE_COLUMNS = (
    (N_("Description"), "L"),
    (N_("Qty"), "R"),
    (N_("Unit price"), "R"),
    (N_("Discount"), "R"),
    (N_("Net"), "R"),
)


def _line_row(ln, sym: str) -> tuple[str, ...]:
    flag = _flag(ln)
    return (
        f"{ln.description} ({flag})" if flag else ln.description,
        quantity(ln),
        format_money(ln.unit_cents),
        f"{ln.discount_pct.normalize():f}%" if ln.discount_pct else "",
        format_money(line_net(priced(ln)), sym),
    )


def _table(rows: list[tuple[str, ...]]) -> dict:
    return {
        "table_head": tuple(_(h) for h, _a in LINE_COLUMNS),
        "table_align": tuple(a for _h, a in LINE_COLUMNS),
        "table": rows,
    }


def _totals(t, sym: str, lines) -> list[tuple[str, str]]:
    """The sums a reader can add up from the table: the lines as printed, less
    what is not charged (warranty, free) and the member discount, is the net;
    the tax per code (its rate in its name); the total."""
    printed = sum(line_net(priced(ln)) for ln in lines)
    member = printed - t.not_charged - t.net
    out = [(_("Lines"), format_money(printed, sym))]
    if t.not_charged:
        out.append((_("Not charged"), "-" + format_money(t.not_charged, sym)))
    if member:
        out.append((_("Member discount"), "-" + format_money(member, sym)))
    out.append((_("Net"), format_money(t.net, sym)))
    codes = {code: cents for code, cents in t.tax_by_code.items() if cents}
    out += [(_tax_label(t, code), format_money(cents, sym)) for code, cents in sorted(codes.items())] or [
        (_("Tax"), format_money(t.tax, sym))
    ]
    return out + [(_("Total"), format_money(t.total, sym))]


def _tax_label(t, code: str) -> str:
    """ "Tax VAT13 (13%)": the code and the rate it was summed with (beside the tax,
    so a reader can check it), the rate left out where it is not known."""
    rate = t.rate_by_code.get(code)
    shown = f" ({fields_mod.decimal_text(rate * 100)}%)" if rate is not None else ""
    return _("Tax") + f" {code}{shown}"


def _people(view, *, not_recorded: bool = False) -> list[tuple[str, str]]:
    """Customer, car, odometer and advisor; what is unknown is left out (or, on a
    sheet that records it, said to be not recorded)."""
    v, c, veh = view.visit, view.customer, view.vehicle
    out = [
        (_("Customer"), "  ".join(x for x in (c.name, show_phone(c.phone)) if x)),
        (_("Vehicle"), f"{veh.plate}  {veh.make} {veh.model}".strip()),
    ]
    if veh.vin:
        out.append((_("VIN"), veh.vin))
    if v.odometer_km is not None or not_recorded:
        out.append((_("Odometer"), km(v.odometer_km) if v.odometer_km is not None else _("not recorded")))
    if view.advisor:
        out.append((_("Advisor"), view.advisor))
    return out


def _header(view, settings, printed_at: datetime) -> dict:
    return {"shop": shop_header(settings), "number": view.visit.number, "date": f"{printed_at:%Y-%m-%d}"}


def _requests(view) -> tuple[str, list[str]]:
    return _("Customer's requests"), [con.text for con in view.concerns] or [_("none")]


# ------------------------------------------------------------------ the documents


def estimate_doc(view, settings, *, printed_at: datetime) -> Doc:
    """The estimate / repair order for the customer to sign; without lines, the
    sheet of the requests with nothing to sign (see the module docstring)."""
    v, t, sym = view.visit, view.estimate_totals, settings.currency_symbol
    shown = [ln for ln in view.lines if not ln.added_in_repair]
    rows = [_line_row(ln, sym) for ln in shown]
    fields = _people(view)
    if v.promised_at:
        fields.append((_("Promised"), f"{v.promised_at:%Y-%m-%d %H:%M}"))
    head = {
        "kind": "estimate",
        "title": _("Repair order / estimate"),
        **_header(view, settings, printed_at),
        "fields": fields,
        "sections": [_requests(view)],
        "filename": f"{v.number}-estimate-v{v.estimate_version}",
    }
    if not rows:
        return Doc(**head, notes=[_("No work on this estimate yet: there is nothing to sign.")])
    return Doc(
        **head,
        **_table(rows),
        totals=_totals(t, sym, shown),
        notes=[_("estimate version {n}", n=v.estimate_version)],
        signatures=[(_("I authorise the work above."), _("Signature"))],
    )


def _signed_rows(view, final: int, sym: str) -> list[tuple[str, str]]:
    """What the customer actually signed (the last signature and approved added
    work, as signed) and the difference from the final amount (DLV-02)."""
    signed = view.authorised_amount
    diff = _("none") if final == signed else ("+" if final > signed else "-") + format_money(abs(final - signed), sym)
    if view.signature is None:
        # no estimate signature (a waiver of EST-07): what the customer did approve
        # (added work) and the difference still add up on paper
        rows = [(_("Signed by the customer"), _("nothing signed"))]
        if signed:
            rows.append((_("Added work approved"), format_money(signed, sym)))
        return rows + [(_("Difference"), diff)]
    own, added = signed_split(view.signature, view.void is not None, signed)
    rows = [(_("Signed by the customer"), format_money(own, sym))]
    if added:
        rows += [(_("Added work approved"), format_money(added, sym)), (_("Agreed in all"), format_money(signed, sym))]
    return rows + [(_("Difference"), diff)]


def _signed_notes(view, sym: str) -> list[str]:
    """Who signed when, why a signature no longer covers the estimate, and the
    customer's re-approval of the final amount."""
    sig, v = view.signature, view.visit
    if sig is None:  # no estimate signature: the re-approval, when there is one, still says who agreed
        return [reapproval(v, sym)] if v.final_approval_cents is not None else []
    out = [
        _(
            "Signed by {signer} on {at} (estimate version {n})",
            signer=sig.signer,
            at=f"{sig.at:%Y-%m-%d %H:%M}",
            n=sig.estimate_version,
        )
    ]
    if view.void is not None:
        msg, values = view.void
        out.append(_(msg, **values))
    if v.final_approval_cents is not None:
        out.append(reapproval(v, sym))
    return out


def reapproval(v, sym: str) -> str:
    """The customer's re-approval of the final amount: amount, who, how (the
    channel, and the reference when there is one), when."""
    how = " ".join(filter(None, [_(fields_mod.channel_label(v.final_approval_channel)), v.final_approval_reference]))
    return _(
        "Re-approved by the customer: {amount}, {signer} ({how}), {at}",
        amount=format_money(v.final_approval_cents, sym),
        signer=v.final_approval_signer,
        how=how,
        at=f"{v.final_approval_at:%m-%d %H:%M}",
    )


def payment_words(p, symbol: str) -> str:
    """One payment in a line: its method, amount and, for cash, the change given."""
    words = f"{_(method_label(p.method))} {format_money(p.amount_cents, symbol)}"
    if p.kind == Kind.REFUND:
        words = _("refund") + f" {words}"
    if p.received_cents is not None:
        words += (
            "  ("
            + _(
                "received {received}, change {change}",
                received=format_money(p.received_cents, symbol),
                change=format_money(p.change_cents, symbol),
            )
            + ")"
        )
    return words


def _payment_rows(view, sym: str) -> list[str]:
    """The invoice's payments: each method and amount (cash with the change), a
    voided one said void, a refund as a refund."""
    out = []
    for p in view.payments:
        words = f"{p.at:%Y-%m-%d %H:%M}  {payment_words(p, sym)}"
        out.append(words + ("  " + _("void: {reason}", reason=p.void_reason) if p.voided_at is not None else ""))
    return out


def invoice_doc(view, settings, next_due, *, printed_at: datetime) -> Doc:
    """The invoice summary at hand-back: its number, every billed line, what was
    not charged, the payments, what is paid and the balance due, the next service due."""
    v, t, sym = view.visit, view.totals, settings.currency_symbol
    billed = [ln for ln in view.lines if ln.approval == "approved"]
    rows = [_line_row(ln, sym) for ln in billed]
    totals = _totals(t, sym, billed) + _signed_rows(view, t.total, sym)
    totals += [
        (_("Paid"), format_money(view.paid, sym)),
        (_("Balance due") if view.balance >= 0 else _("Refund due"), format_money(abs(view.balance), sym)),
    ]
    day, due_km = next_due
    walk, since = damage.marks(v.damages), damage.marks(v.delivery_damages)
    return Doc(
        kind="invoice",
        title=_("Invoice summary"),
        **_header(view, settings, printed_at),
        fields=[(_("Invoice No."), invoice_text(v.invoice_no) or _("not issued yet"))]
        + _people(view)
        + _acknowledged(v),
        **_table(rows),
        totals=totals,
        # the car handed back as it came: the walkaround's map beside what was noted since
        sections=[
            (_("Payments"), _payment_rows(view, sym) or [_("none")]),
            (_("Damage at the walkaround"), _damage_lines(walk) or [_("No damage")]),
            (_("Damage noted at delivery"), _damage_lines(since) or [_("none")]),
        ],
        damaged={m["panel"] for m in walk},
        new_damage={m["panel"] for m in since},
        diagram=True,
        notes=_signed_notes(view, sym)
        + [f"{_('Next service')}: {day:%Y-%m-%d}" + (f" / {km(due_km)}" if due_km else "")],
        signatures=[(_("The car handed back as the damage above shows."), _("Customer"))],
        filename=f"{v.number}-invoice",
    )


def _damage_lines(marks: list[dict]) -> list[str]:
    return [
        f"{_(PANEL_NAMES[m['panel']])}: {_(DAMAGE_NAMES[m['kind']])}" + (f" ({m['note']})" if m.get("note") else "")
        for m in marks
    ]


def _acknowledged(v) -> list[tuple[str, str]]:
    """The customer's acknowledgement of the damage map at both ends."""
    out = []
    for label, by, at in (
        (_("Map signed in"), v.damage_ack_in_by, v.damage_ack_in_at),
        (_("Map signed out"), v.damage_ack_out_by, v.damage_ack_out_at),
    ):
        ack = damage.acknowledgement(by, at)
        out.append((label, f"{ack.by} {ack.at:%Y-%m-%d %H:%M}" if ack else _("not recorded")))
    return out


def walkaround_doc(view, settings, *, printed_at: datetime) -> Doc:
    """The walkaround sheet: readings, damage by panel (and the diagram), findings,
    the customer's requests; signed by the customer and the advisor."""
    v = view.visit
    try:
        damages = json.loads(v.damages or "[]")
    except ValueError:
        damages = []
    missing = _("not recorded")
    fields = _people(view, not_recorded=True) + [
        (_("Fuel"), missing if v.fuel_eighths is None else f"{v.fuel_eighths}/8"),
        (_("Warning lights"), v.warning_lights or missing),
        (_("Tyres"), v.tyres or missing),
        (_("Valuables"), v.valuables or missing),
    ]
    dmg_lines = [
        f"{_(PANEL_NAMES.get(d.get('panel'), str(d.get('panel'))))}: "
        f"{_(DAMAGE_NAMES.get(d.get('kind'), str(d.get('kind'))))}" + (f" ({d['note']})" if d.get("note") else "")
        for d in damages
    ]
    if not dmg_lines:
        dmg_lines = [_("No damage") if v.damage_confirmed else missing]
    findings = [
        f"[{_(GRADE_NAMES.get(str(getattr(fd.grade, 'value', fd.grade)), str(fd.grade)))}] {fd.text}"
        for fd in view.findings
    ] or [_("none")]
    return Doc(
        kind="walkaround",
        title=_("Walkaround sheet"),
        **_header(view, settings, printed_at),
        fields=fields + _acknowledged(v)[:1],
        diagram=True,
        sections=[_requests(view), (_("Damage found"), dmg_lines), (_("Findings"), findings)],
        damaged={d.get("panel") for d in damages},
        signatures=[(_("Checked together with the customer."), _("Customer")), ("", _("Advisor"))],
        filename=f"{v.number}-walkaround",
    )
