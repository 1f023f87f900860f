"""Walkaround (stage 3): odometer, fuel, damage per panel, warning lights, tyres,
valuables, findings graded green/yellow/red, road test when a symptom asks."""

from __future__ import annotations

import json

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from desk.domain import fields, staff
from desk.domain.drafts import FindingDraft
from desk.domain.entities import ROAD_TEST_SYMPTOMS, Grade
from desk.domain.process import Stage
from desk.domain.readings import OdometerCorrection, Readings
from desk.domain.walkaround import DAMAGE_KINDS, DAMAGE_NAMES, PANEL_NAMES, PANELS
from desk.i18n import N_, _
from desk.output.text import CAR_DIAGRAM, GRADE_NAMES
from desk.screens.visit import VisitScreen
from desk.widgets.dialogs import FormDialog, FormField, PickDialog
from desk.widgets.handback import HandbackActions, ack_text

GRADE_STYLE = {Grade.GREEN: "green", Grade.YELLOW: "yellow", Grade.RED: "bold red"}


def diagram(damages: list[dict]) -> Text:
    hit = {}
    for d in damages:
        hit.setdefault(d["panel"], []).append(_(DAMAGE_NAMES[d["kind"]]))
    out = Text()
    for row in CAR_DIAGRAM:
        for cell in row:
            if not cell:
                out.append(" " * 22)
                continue
            label = f"{PANELS.index(cell) + 1:>2} {_(PANEL_NAMES[cell])}"
            style = "bold red" if cell in hit else ""
            out.append(label[:21].ljust(22), style=style)
        out.append("\n")
    for panel, kinds in hit.items():
        out.append(f" {_(PANEL_NAMES[panel])}: {', '.join(kinds)}\n", style="red")
    return out


def fuel_gauge(eighths: int | None) -> str:
    if eighths is None:
        return "-"
    return "E [" + "#" * eighths + "." * (8 - eighths) + "] F"


class WalkaroundScreen(HandbackActions, VisitScreen):
    stage = Stage.WALKAROUND
    BINDINGS = [
        Binding("o", "readings", N_("Readings"), id="walkaround.readings", tooltip=N_("Odometer, fuel, lights")),
        Binding("d", "add_damage", N_("Damage"), id="walkaround.add_damage", tooltip=N_("Add damage")),
        Binding(
            "c",
            "confirm_damage",
            N_("Damage checked"),
            id="walkaround.confirm_damage",
            tooltip=N_("Damage list confirmed"),
        ),
        Binding("g", "add_finding", N_("Finding"), id="walkaround.add_finding", tooltip=N_("Add finding")),
        Binding("ctrl+o", "correct_odometer", N_("Correct odometer (manager)"), id="walkaround.correct_odometer"),
        # greyed out above for whom staff.can says may not: the same key asks a manager
        Binding(
            "ctrl+o",
            "correct_odometer(True)",
            N_("Correct odometer (a manager approves)"),
            id="walkaround.correct_odometer_approved",
            show=False,
        ),
        Binding(
            "f6", "print_sheet", N_("Print"), id="walkaround.print_sheet", tooltip=N_("Walkaround sheet (text and PDF)")
        ),
        Binding(
            "a",
            "acknowledge",
            N_("Customer acknowledges"),
            id="walkaround.acknowledge",
            tooltip=N_("The customer acknowledges the damage map"),
        ),
    ]
    handback_end = "in"

    def compose_panel(self) -> ComposeResult:
        yield Static("", id="readings")
        yield Static(_("Damage (from above)"), classes="section-title")
        yield Static("", id="diagram")
        yield Static(_("Findings"), classes="section-title")
        yield Static("", id="findings")

    def damages(self) -> list[dict]:
        raw = self.view.visit.damages if self.view else ""
        return json.loads(raw) if raw else []

    def show_panel(self, view) -> None:
        v = view.visit
        out = Text()
        out.append(_("Odometer") + ": ", style="bold")
        out.append(f"{v.odometer_km:,} km" if v.odometer_km is not None else "-")
        if view.prior_km is not None:
            out.append("   " + _("last reading {km} km", km=f"{view.prior_km:,}"), style="dim")
        out.append("\n" + _("Fuel") + ": ", style="bold")
        out.append(fuel_gauge(v.fuel_eighths))
        out.append("\n" + _("Warning lights") + ": ", style="bold")
        out.append(v.warning_lights or "-")
        out.append("\n" + _("Tyres") + ": ", style="bold")
        out.append(v.tyres or "-")
        out.append("\n" + _("Valuables") + ": ", style="bold")
        out.append(v.valuables or "-")
        out.append("\n" + _("Damage list") + ": ", style="bold")
        out.append(
            _("confirmed") if v.damage_confirmed else _("not confirmed"),
            style="green" if v.damage_confirmed else "bold red",
        )
        out.append("\n")
        out.append_text(ack_text(_("Customer acknowledged"), v.damage_ack_in_by, v.damage_ack_in_at))
        if any(c.tags & ROAD_TEST_SYMPTOMS for c in view.concerns):
            out.append("\n" + _("Road test with a technician and the customer is required"), style="bold yellow")
        self.query_one("#readings", Static).update(out)
        self.query_one("#diagram", Static).update(diagram(self.damages()))
        f = Text()
        for fd in view.findings:
            f.append(f" [{_(GRADE_NAMES[fd.grade])}] ", style=GRADE_STYLE[fd.grade])
            f.append(fd.text + "\n")
        if not view.findings:
            f.append(" " + _("None") + "\n", style="dim")
        self.query_one("#findings", Static).update(f)

    def save(self, readings: Readings | None = None, **changes) -> None:
        self.run_db(
            lambda: self.desk.reception.record_walkaround(self.user, self.ref, readings, **changes),
            lambda _r: self.reload(),
        )

    def action_readings(self) -> None:
        v = self.view.visit
        last = self.view.prior_km
        labels = {
            "odometer_km": _("Odometer km (last reading {km})", km=last if last is not None else "-"),
            "fuel_eighths": _("Fuel in eighths (0 = empty, 8 = full)"),
            "warning_lights": _("Warning lights"),
            "tyres": _("Tyres"),
            "valuables": _("Valuables (reminded to take)"),
        }
        shown = {
            "odometer_km": str(v.odometer_km or ""),
            "fuel_eighths": "" if v.fuel_eighths is None else str(v.fuel_eighths),
            "warning_lights": v.warning_lights,
            "tyres": v.tyres,
            "valuables": v.valuables,
        }
        # the readings' own specs: a lower odometer is refused in the form already
        form = FormDialog(
            _("Walkaround readings"),
            [FormField.of(spec, labels[spec.name], shown[spec.name], last_km=last) for spec in Readings.FORM],
        )

        self.submit(form, lambda values: self.desk.reception.record_walkaround(self.user, self.ref, Readings(**values)))

    def action_add_damage(self) -> None:
        panels = [(p, f"{i + 1:>2} {_(PANEL_NAMES[p])}") for i, p in enumerate(PANELS)]

        def kind_chosen(panel, kind):
            if kind:
                self.save(damages=self.damages() + [{"panel": panel, "kind": kind}], damage_confirmed=False)

        def panel_chosen(panel):
            if panel:
                kinds = [(k, _(DAMAGE_NAMES[k])) for k in DAMAGE_KINDS]
                self.app.push_screen(PickDialog(_("Kind of damage"), kinds), lambda k: kind_chosen(panel, k))

        self.app.push_screen(PickDialog(_("Which panel?"), panels), panel_chosen)

    def action_confirm_damage(self) -> None:
        self.save(damage_confirmed=True)

    def action_add_finding(self) -> None:
        form = FormDialog(
            _("Add finding"),
            [
                FormField.of(fields.FINDING, _("What was found")),
                FormField.of(fields.GRADE, _("Grade: g = green, y = yellow, r = red")),
            ],
        )

        self.submit(
            form, lambda values: self.desk.reception.add_finding(self.user, self.ref, FindingDraft.from_form(values))
        )

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """``ctrl+o`` is greyed out for a user whose role may not correct the
        odometer (``staff.can``); pressed anyway, it asks a manager to approve."""
        if action == "correct_odometer":
            allowed = staff.can(self.user, staff.Act.CORRECT_ODOMETER)
            if parameters:  # the approval route: only where the key is greyed
                return not allowed
            return True if allowed else None
        return super().check_action(action, parameters)

    def action_correct_odometer(self, approved: bool = False) -> None:
        """A reading below the last one (wrong earlier entry, replaced cluster):
        a manager records it with a reason; both are audited."""
        km, reason = OdometerCorrection.FORM
        form = FormDialog(
            _("Correct odometer (manager)"),
            [
                FormField.of(km, _("Odometer km")),
                FormField.of(reason, _("Reason")),
            ],
        )

        self.submit(
            form,
            lambda values, actor: self.desk.reception.correct_odometer(actor, self.ref, OdometerCorrection(**values)),
            approve=_("Correct odometer (manager)"),
        )

    def action_print_sheet(self) -> None:
        """The walkaround sheet for the customer's signature (text and PDF)."""
        from desk.output.text import walkaround_doc
        from desk.screens.printing import print_document

        if self.view is None:
            return
        read, vid = self.desk.lifecycle.visit_view, self.visit_id  # the record as it is now, read in the worker
        print_document(self, lambda settings, at: walkaround_doc(read(vid), settings, printed_at=at))
