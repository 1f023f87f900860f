"""Declined work comes back: the earlier visits' declined lines as a booked
visit and the estimate show them, and the one key that adds them
(desk.domain.carryover prices them afresh; desk.services.carryover adds them)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from desk.domain.carryover import PRICE_SOURCE_LABELS, PriceSource, net_of
from desk.domain.money import format_money
from desk.i18n import _, _n

#: The pick dialog's choice that adds every offered line at once.
ALL = "all"


def offer_label(offer, symbol: str = "") -> str:
    e = offer.earlier
    qty = f"{e.line.qty.normalize():f}"
    return (
        f"{e.line.description}  {qty} x {format_money(offer.unit_cents, symbol)} = "
        f"{format_money(net_of(e.line.qty, offer.unit_cents), symbol)}  "
        f"({_(PRICE_SOURCE_LABELS[offer.source])}; {e.visit_number} {e.day:%Y-%m-%d})"
    )


def offers_text(offers, symbol: str = "") -> Text:
    """ "Declined earlier (r adds them)" and one line each; empty with none."""
    out = Text()
    if not offers:
        return out
    out.append(
        _n(
            "Declined on an earlier visit ({n} line): r adds it",
            "Declined on an earlier visit ({n} lines): r adds them",
            len(offers),
        )
        + "\n",
        style="bold yellow",
    )
    for o in offers:
        out.append(" - " + offer_label(o, symbol) + "\n", style="yellow" if o.source == PriceSource.LAST_PRICE else "")
    return out


def earlier_panel() -> Static:
    """Where the offers show: no room taken until there is one."""
    panel = Static("", id="earlier")
    panel.display = False
    return panel


class CarryOverActions:
    """Mixed into a visit screen with a ``Static#earlier``: shows the offers after
    each load and adds them with ``action_earlier_work`` (bind it to ``r``)."""

    #: What the screen shows now (None: not read yet).
    offers: list | None = None

    def load_offers(self) -> None:
        visit_id = self.visit_id
        self.run_db(lambda: self.desk.carryover.for_visit(visit_id), self.show_offers, group="offers", exclusive=True)

    def show_offers(self, offers) -> None:
        self.offers = offers
        panel = self.query_one("#earlier", Static)
        panel.update(offers_text(offers, self.app.settings.currency_symbol))
        panel.display = bool(offers)  # no room taken when there is nothing to offer
        self.refresh_bindings()

    def earlier_work_enabled(self) -> bool:
        return bool(self.offers)

    def action_earlier_work(self) -> None:
        offers = self.offers or []
        if not offers:
            return
        symbol = self.app.settings.currency_symbol
        choices = [(o.line_id, offer_label(o, symbol)) for o in offers]
        if len(offers) > 1:
            choices.insert(0, (ALL, _("All {n} lines", n=len(offers))))

        def chosen(value) -> None:
            if value is None:
                return
            ids = [o.line_id for o in offers] if value == ALL else [value]
            self.run_as_or_approved(
                _("Add declined work"),
                lambda actor: self.desk.carryover.add(actor, self.ref, ids),
                lambda _r: self.reload(),
            )

        from desk.widgets.dialogs import PickDialog

        self.app.push_screen(PickDialog(_("Add declined work, at today's price"), choices), chosen)
