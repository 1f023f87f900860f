"""Comebacks: proposed by the data at booking and arrival, confirmed (m) or
rejected with a reason (u) by the advisor; closed at the root at QC: the
original visit beside the car, and the key that records why it came back
(desk.domain.comebacks' causes)."""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Static

from desk.domain import fields
from desk.domain.comebacks import CAUSE_LABELS, CONFIRMED, cause_label, changeable
from desk.i18n import N_, _, _n


def comeback_panel() -> Static:
    """Where the original visit shows: no room taken on a visit that is no comeback."""
    panel = Static("", id="comeback")
    panel.display = False
    return panel


def original_text(orig) -> Text:
    out = Text()
    out.append(_("COMEBACK") + " ", style="bold red reverse")
    out.append(" " + _("of {number} ({day})", number=orig.number, day=f"{orig.day:%Y-%m-%d}"), style="bold")
    out.append("\n" + _("Original technician") + ": ", style="bold")
    out.append(orig.technician or "-")
    out.append("\n" + _("Cause") + ": ", style="bold")
    if orig.cause:
        out.append(_(cause_label(orig.cause)), style="bold green")
        if orig.cause_technician:
            out.append(" - " + orig.cause_technician)
        if orig.note:
            out.append("\n  " + orig.note)
    else:
        out.append(_("not recorded yet: b records it"), style="bold red")
    return out


class ComebackCause:
    """Mixed into the QC screen, which has a ``Static#comeback``."""

    #: The original visit (None: not a comeback, or not read yet).
    original = None

    def load_original(self, view) -> None:
        if view.visit.comeback_of_id is None:
            self.show_original(None)
            return
        visit_id = self.visit_id
        self.run_db(
            lambda: self.desk.comebacks.original(visit_id), self.show_original, group="comeback", exclusive=True
        )

    def show_original(self, orig) -> None:
        self.original = orig
        panel = self.query_one("#comeback", Static)
        panel.display = orig is not None
        if orig is not None:
            panel.update(original_text(orig))
        self.refresh_bindings()

    def comeback_cause_enabled(self) -> bool:
        return self.original is not None

    def action_comeback_cause(self) -> None:
        orig = self.original
        if orig is None:
            return
        choices = [(c, _(label)) for c, label in CAUSE_LABELS.items()]
        title = _(
            "Why did the car come back? (original {number}, technician {name})",
            number=orig.number,
            name=orig.technician or "-",
        )

        def chosen(cause) -> None:
            if cause is None:
                return
            from desk.widgets.dialogs import FormDialog, FormField

            form = FormDialog(
                _("Cause: {cause}", cause=_(cause_label(cause))),
                [
                    FormField.of(fields.COMEBACK_NOTE, _("What was found (optional)"), orig.note),
                ],
            )
            self.submit(
                form,
                lambda values, actor: self.desk.comebacks.record_cause(
                    actor, self.ref, self.desk.comebacks.draft(cause, values["note"])
                ),
                approve=_("Record the comeback's cause"),
            )

        from desk.widgets.dialogs import PickDialog

        self.app.push_screen(PickDialog(title, choices), chosen)


def proposal_text(proposal) -> Text:
    """ "possible comeback of RO… (same car, similar concern, N days ago)" and its keys."""
    out = Text(
        " "
        + _n(
            "possible comeback of {number} (same car, similar concern, {days} day ago)",
            "possible comeback of {number} (same car, similar concern, {days} days ago)",
            proposal.days,
            number=proposal.number,
            days=proposal.days,
        )
        + " ",
        style="bold yellow reverse",
    )
    if proposal.concern:
        out.append(" ")
        out.append(proposal.concern, style="yellow")
    out.append("  " + _("m confirms, u rejects with a reason"), style="dim")
    return out


class ComebackProposal:
    """Mixed into the booking and reception screens: the comeback the data
    proposes waits for the advisor, who confirms it with one key (m) or rejects
    it with a reason (u); both are audited, only a confirmed one counts."""

    PROPOSAL_BINDINGS = [
        Binding("m", "comeback_confirm", N_("Comeback: confirm"), id="comeback.confirm"),
        Binding("u", "comeback_reject", N_("Not a comeback"), id="comeback.reject"),
    ]

    #: The visit view (the screen's ``VisitView``; None until read).
    view = None

    def proposal_enabled(self, action: str = "") -> bool:
        """Both keys while a comeback is proposed; once decided, only the key that
        turns the decision the other way (until QC records the cause)."""
        view = self.view
        if view is None:
            return False
        if view.comeback_proposal is not None:
            return True
        v = view.visit
        turn = changeable(v.comeback_proposed_id, v.comeback_decision, v.comeback_cause)
        return bool(turn) and action == ("comeback_confirm" if turn == CONFIRMED else "comeback_reject")

    def action_comeback_confirm(self) -> None:
        if not self.proposal_enabled("comeback_confirm"):
            return
        if self.view.comeback_proposal is None:
            self._turn(confirm=True)
            return
        self.run_as_or_approved(
            _("Comeback: confirm"),
            lambda actor: self.desk.comebacks.decide(actor, self.ref, confirm=True),
            lambda _r: self.reload(),
        )

    def action_comeback_reject(self) -> None:
        if not self.proposal_enabled("comeback_reject"):
            return
        if self.view.comeback_proposal is None:
            self._turn(confirm=False)
            return
        from desk.widgets.dialogs import ReasonDialog

        number = self.view.comeback_proposal.number
        self.submit(
            ReasonDialog(
                _("Not a comeback of {number}", number=number), _("Why not (e.g. routine service, another fault)")
            ),
            lambda reason, actor: self.desk.comebacks.decide(actor, self.ref, confirm=False, reason=reason),
            approve=_("Not a comeback"),
        )

    def _turn(self, *, confirm: bool) -> None:
        """A decision taken by mistake, turned the other way with a reason."""
        from desk.widgets.dialogs import ReasonDialog

        title = (
            _("It is a comeback after all (it was rejected)")
            if confirm
            else _("Not a comeback after all (it was confirmed)")
        )
        self.submit(
            ReasonDialog(title, _("Why the decision changes")),
            lambda reason, actor: self.desk.comebacks.decide(actor, self.ref, confirm=confirm, reason=reason),
            approve=_("Comeback: confirm") if confirm else _("Not a comeback"),
        )
