"""Booking an appointment, and the screen of a booked visit (stage 1 MOT items)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from desk.domain import fields
from desk.domain.drafts import ConcernDraft
from desk.domain.entities import SYMPTOM_LABELS, Symptom
from desk.domain.process import Stage
from desk.i18n import N_, _
from desk.screens.visit import VisitScreen
from desk.widgets.carryover import CarryOverActions, earlier_panel
from desk.widgets.comebacks import ComebackProposal
from desk.widgets.dialogs import ConfirmDialog, FormDialog, FormField, ReasonDialog


def tags_hint() -> str:
    return " ".join(f"{i}={_(SYMPTOM_LABELS[s])}" for i, s in enumerate(fields.TAG_ORDER, 1))


def _concern_fields(concern: str = "", tags: str = "") -> list[FormField]:
    return [
        FormField.of(fields.CONCERN, _("Customer's request, in their words"), concern),
        FormField.of(fields.TAGS, _("Symptom tags: {hint}", hint=tags_hint()), tags),
    ]


def booking_form(app, *, when: datetime | None, comeback_hint: str = "", service_due: bool = False) -> FormDialog:
    """The form of :class:`BookingDraft` (its values: ``BookingDraft.from_form``)."""
    title = _("Book an appointment")
    if comeback_hint:
        title += "\n" + comeback_hint
    return FormDialog(
        title,
        [
            FormField.of(
                fields.WHEN,
                _("When (e.g. tomorrow 9:30, +2 14:00, 2026-11-25 10:00)"),
                when.strftime("%Y-%m-%d %H:%M") if when else "",
                now=app.clock(),
            ),
            # a car due its service: that is what the call is most likely about
            *(_concern_fields(_("Regular service"), Symptom.SERVICE.value) if service_due else _concern_fields()),
        ],
    )


def concern_form(title: str) -> FormDialog:
    """The form of :class:`ConcernDraft` (its values: ``ConcernDraft.from_form``)."""
    return FormDialog(title, _concern_fields())


class AppointmentScreen(ComebackProposal, CarryOverActions, VisitScreen):
    """A booked visit: its appointment MOT items; arrive, reschedule, cancel."""

    stage = Stage.BOOKED
    BINDINGS = [
        Binding("f8,a", "advance", N_("Arrived"), id="appointment.advance"),
        Binding("k", "add_concern", N_("Add concern"), id="appointment.add_concern"),
        Binding("s", "reschedule", N_("Reschedule"), id="appointment.reschedule"),
        Binding("c", "cancel_visit", N_("Cancel visit"), id="appointment.cancel_visit"),
        Binding("o", "no_show", N_("No-show"), id="appointment.no_show"),
        Binding("r", "earlier_work", N_("Declined earlier"), id="appointment.earlier_work"),
        *ComebackProposal.PROPOSAL_BINDINGS,
    ]

    def compose_panel(self) -> ComposeResult:
        yield Static("", id="appointment")
        yield earlier_panel()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "earlier_work" and not self.earlier_work_enabled():
            return False  # shown only when an earlier visit left declined work to offer
        if action in ("comeback_confirm", "comeback_reject"):
            return self.proposal_enabled(action)  # a proposal, or a decision to turn
        return True

    def show_panel(self, view) -> None:
        v = view.visit
        out = Text()
        out.append(_("Appointment") + ": ", style="bold")
        out.append(v.appointment_at.strftime("%Y-%m-%d %H:%M") if v.appointment_at else "-")
        out.append("\n\n" + _("Concerns") + ":\n", style="bold")
        for c in view.concerns:
            out.append(" - ")
            out.append(c.text)
            if c.tags:
                out.append("  (" + ", ".join(_(SYMPTOM_LABELS[t]) for t in sorted(c.tags)) + ")", style="cyan")
            out.append("\n")
        self.query_one("#appointment", Static).update(out)
        self.load_offers()

    def action_advance(self) -> None:
        self.run_db(
            lambda: self.desk.lifecycle.arrive(self.user, self.ref),
            lambda stage: self.reload(),
            failed=self._refused,
        )

    def _refused(self, exc: BaseException) -> None:
        from desk.domain.errors import GuardFailed
        from desk.widgets.checklist import Checklist

        self.show_error(exc)
        if isinstance(exc, GuardFailed):
            table = self.query_one(Checklist)
            table.focus()
            table.focus_item(exc.items[0].item.id)

    def action_add_concern(self) -> None:
        self.submit(
            concern_form(_("Add concern")),
            lambda values: self.desk.reception.add_concern(self.user, self.ref, ConcernDraft.from_form(values)),
        )

    def action_reschedule(self) -> None:
        form = FormDialog(
            _("Reschedule"),
            [
                FormField.of(
                    fields.WHEN, _("When (e.g. tomorrow 9:30, +2 14:00, 2026-11-25 10:00)"), now=self.app.clock()
                ),
            ],
        )

        self.submit(form, lambda values: self.desk.booking.reschedule(self.user, self.ref, values["when"]))

    def action_cancel_visit(self) -> None:
        self.submit(
            ReasonDialog(_("Cancel visit")),
            lambda reason: self.desk.lifecycle.cancel(self.user, self.ref, reason),
            lambda _r: self.dismiss(),
        )

    def action_no_show(self) -> None:
        def save(yes):
            if yes:
                self.run_db(lambda: self.desk.lifecycle.no_show(self.user, self.ref), lambda _r: self.dismiss())

        self.app.push_screen(ConfirmDialog(_("Mark as no-show?")), save)
