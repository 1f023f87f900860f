"""The car handed back as it came: the damage map as the walkaround recorded it
beside what was noted at delivery, the customer's acknowledgements, and the keys
that record them (desk.domain.damage's rules; desk.services.handback saves)."""

from __future__ import annotations

from rich.text import Text

from desk.domain import damage, fields
from desk.domain.walkaround import DAMAGE_KINDS, DAMAGE_NAMES, PANEL_NAMES, PANELS
from desk.i18n import _


def ack_text(label: str, by: str, at) -> Text:
    out = Text()
    out.append(label + ": ", style="bold")
    ack = damage.acknowledgement(by, at)
    if ack is None:
        out.append(_("not yet (a)"), style="bold yellow")
    else:
        out.append(_("{name} at {time}", name=ack.by, time=f"{ack.at:%Y-%m-%d %H:%M}"), style="green")
    return out


def map_text(visit) -> Text:
    """Panel by panel: the damage at the walkaround, and what was noted since."""
    walk, since = damage.marks(visit.damages), damage.marks(visit.delivery_damages)
    rows = damage.damage_map(walk, since)
    out = Text()
    out.append(_("Damage map: at the walkaround | noted at delivery") + "\n", style="bold")
    for row in rows:
        out.append(f" {PANELS.index(row.panel) + 1:>2} {_(PANEL_NAMES[row.panel])}: ")
        out.append(", ".join(_(DAMAGE_NAMES[k]) for k in row.at_walkaround) or "-")
        out.append(" | ")
        if row.since:
            out.append(_("NEW: {kinds}", kinds=", ".join(_(DAMAGE_NAMES[k]) for k in row.since)), style="bold red")
        else:
            out.append("-", style="dim")
        out.append("\n")
    if not rows:
        out.append(" " + _("No damage at the walkaround, none noted since") + "\n", style="green")
    out.append_text(ack_text(_("Acknowledged at the walkaround"), visit.damage_ack_in_by, visit.damage_ack_in_at))
    out.append("\n")
    return out


class HandbackActions:
    """Mixed into the walkaround (``end`` "in") and delivery (``end`` "out")
    screens: ``a`` the customer acknowledges the map; at delivery ``d`` notes new
    damage (a complaint opens at once)."""

    #: Which end of the visit the screen is.
    handback_end = "in"

    def action_acknowledge(self) -> None:
        view = self.view
        if view is None:
            return
        from desk.widgets.dialogs import FormDialog, FormField

        title = (
            _("The customer acknowledges the damage map as it came")
            if self.handback_end == "in"
            else _("The customer acknowledges the car as handed back")
        )
        form = FormDialog(title, [FormField.of(fields.SIGNER, _("Acknowledged by"), view.customer.name)])
        self.submit(
            form,
            lambda values: self.desk.handback.acknowledge(self.user, self.ref, self.handback_end, values["signer"]),
        )

    def action_delivery_damage(self) -> None:
        from desk.widgets.dialogs import FormDialog, FormField, PickDialog

        panels = [(p, f"{i + 1:>2} {_(PANEL_NAMES[p])}") for i, p in enumerate(PANELS)]

        def opened(complaint_id) -> None:
            view = self.view
            self.notify(_("New damage: complaint {id} opened", id=complaint_id), severity="warning", timeout=8)
            if view is not None:
                self.reload()

        def kind_chosen(panel, kind) -> None:
            if not kind:
                return
            form = FormDialog(
                _("New damage at delivery: {what}", what=f"{_(PANEL_NAMES[panel])}, {_(DAMAGE_NAMES[kind])}"),
                [FormField.of(fields.DAMAGE_NOTE, _("Where exactly (optional)"))],
            )
            self.submit(
                form,
                lambda values: self.desk.handback.note_delivery_damage(
                    self.user, self.ref, self.desk.handback.draft(panel, kind, values["note"])
                ),
                opened,
            )

        def panel_chosen(panel) -> None:
            if panel:
                kinds = [(k, _(DAMAGE_NAMES[k])) for k in DAMAGE_KINDS]
                self.app.push_screen(PickDialog(_("Kind of damage"), kinds), lambda k: kind_chosen(panel, k))

        self.app.push_screen(PickDialog(_("Damage found at delivery: which panel?"), panels), panel_chosen)
