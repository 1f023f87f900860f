"""Printable documents as plain text (any printer, any terminal, CJK included)."""

from __future__ import annotations

from pathlib import Path

from desk.domain.money import format_money, line_net, priced
from desk.i18n import _


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


def write_estimate(view, settings) -> Path:
    from desk.locations import data_dir

    folder = data_dir() / "printouts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{view.visit.number}-estimate-v{view.visit.estimate_version}.txt"
    path.write_text(estimate_text(view, settings), encoding="utf-8")
    return path


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


def write_invoice(view, settings, next_due) -> Path:
    from desk.locations import data_dir

    folder = data_dir() / "printouts"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{view.visit.number}-invoice.txt"
    path.write_text(invoice_text(view, settings, next_due), encoding="utf-8")
    return path
