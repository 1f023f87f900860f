"""Comebacks closed at the root, at QC: the original visit beside the car, and
the key that records why it came back (desk.domain.comebacks' causes)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from desk.domain import fields
from desk.domain.comebacks import CAUSE_LABELS, cause_label
from desk.i18n import _


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
        self.run_db(lambda: self.desk.comebacks.original(visit_id), self.show_original, group="comeback",
                    exclusive=True)

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
        title = _("Why did the car come back? (original {number}, technician {name})",
                  number=orig.number, name=orig.technician or "-")

        def chosen(cause) -> None:
            if cause is None:
                return
            from desk.widgets.dialogs import FormDialog, FormField

            form = FormDialog(_("Cause: {cause}", cause=_(cause_label(cause))), [
                FormField.of(fields.COMEBACK_NOTE, _("What was found (optional)"), orig.note),
            ])
            self.submit(form, lambda values, actor: self.desk.comebacks.record_cause(
                actor, self.ref, self.desk.comebacks.draft(cause, values["note"])),
                approve=_("Record the comeback's cause"))

        from desk.widgets.dialogs import PickDialog

        self.app.push_screen(PickDialog(title, choices), chosen)
