"""Typed modal dialogs (``ModalScreen[T]`` that ``dismiss(value)``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from desk.domain import fields
from desk.domain.errors import InvalidInput
from desk.i18n import N_, _

DIALOG_CSS = """
ModalScreen { align: center middle; }
.dialog {
    width: 90; max-width: 100%; height: auto; max-height: 95%;
    border: thick $accent; background: $surface; padding: 1 2;
}
.dialog-title { text-style: bold; margin-bottom: 1; }
.field-label { margin-top: 1; }
.field-error { color: $error; height: auto; }
.dialog-hint { color: $text-muted; margin-top: 1; }
"""


class Held:
    """A dialog whose save is held: with ``hold`` it stays up, with what was typed,
    while the caller saves (``submitted`` gets the values); :meth:`close` when the
    save is done, :meth:`reopen` when it was refused. Mixed into a ModalScreen."""

    def _held_init(self, submitted=None, hold: bool = False) -> None:
        self.submitted = submitted
        self.hold = hold
        self.busy = False
        self._values = None

    def hand_over(self, values) -> None:
        """Valid values: to ``submitted``, and dismissed unless the save is held."""
        if self.busy:
            return
        if self.hold:
            self.busy, self._values = True, values
        if self.submitted is not None:
            self.submitted(dict(values) if isinstance(values, dict) else values)
        if not self.hold:
            self.dismiss(values)

    def close(self) -> None:
        """The held save is done: close with the values."""
        self.busy = False
        if self.is_attached and self.app.screen is self:
            self.dismiss(self._values)

    def reopen(self) -> None:
        """The held save failed: what was typed is still there, the dialog takes keys."""
        self.busy = False


class ReasonDialog(Held, ModalScreen[str | None]):
    """Ask for a reason (n.a., waiver, cancellation, rework)."""

    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [Binding("escape", "cancel", N_("Back"), id="reason_dialog.cancel")]

    def __init__(self, title: str, prompt: str = "", *, submitted: Callable[[str], None] | None = None,
                 hold: bool = False) -> None:
        """``submitted`` and ``hold``: as for :class:`FormDialog` (the reason
        stays typed until the caller's save is done)."""
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self._held_init(submitted, hold)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            if self.prompt:
                yield Label(Text(self.prompt))
            yield Input(placeholder=_("Reason"), id="reason", max_length=500)
            yield Static("", classes="field-error", id="reason-error")
            yield Label(_("Enter to save, Escape to go back"), classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            value = fields.REASON.parse(event.value)
        except InvalidInput as exc:
            self.query_one("#reason-error", Static).update(_(exc.reason, **exc.params))
            return
        self.hand_over(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [
        Binding("y", "answer(True)", N_("Yes"), id="confirm_dialog.answer_yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm_dialog.answer_no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.question), classes="dialog-title")
            yield Label(_("y = yes, n = no"), classes="dialog-hint")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class PickDialog(ModalScreen[Any]):
    """Choose one of several values with the arrow keys and Enter."""

    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [Binding("escape", "cancel", N_("Back"), id="pick_dialog.cancel")]

    def __init__(self, title: str, choices: list[tuple[Any, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield OptionList(*[Option(Text(label), id=str(i)) for i, (_, label) in enumerate(self.choices)])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id)][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass
class FormField:
    """One field of a :class:`FormDialog`: ``parse`` turns text into a value or
    raises InvalidInput, whose message is shown next to the field."""

    name: str
    label: str
    value: str = ""
    parse: Callable[[str], Any] = field(default=lambda s: s.strip())
    placeholder: str = ""
    password: bool = False
    #: What the input takes at most: room beyond a spec's limit, so that its
    #: "Too long" message is shown rather than the text cut short.
    max_length: int = 500

    @classmethod
    def of(cls, spec, label: str, value: str = "", **ctx) -> FormField:
        """A field checked by a domain spec (``desk.domain.fields``): the form's
        inline message is the spec's own, the value the one the service takes.
        ``ctx`` is what the spec is relative to (``today=``, ``taxes=`` …)."""
        longest = max(500, (spec.limits.max_len or 0) + 100)
        return cls(spec.name, label, value, parse=lambda text: spec.parse(text, **ctx), max_length=longest)


class FormBody(VerticalScroll, can_focus=False):
    """A form's fields, scrolled to the focused one; not a Tab stop itself."""


class FormDialog(Held, ModalScreen[dict | None]):
    """A small form: Tab/Shift+Tab between fields, Enter on the last one (or
    Ctrl+S anywhere) validates every field and dismisses with the values.
    Nothing is returned while a field is invalid: the message stands beside it."""

    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [
        Binding("escape", "cancel", N_("Back"), id="form_dialog.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="form_dialog.save"),
    ]

    def __init__(self, title: str, fields: list[FormField], *, check: Callable[[dict], None] | None = None,
                 submitted: Callable[[dict], None] | None = None, hold: bool = False) -> None:
        """``submitted``: called with the valid values. With ``hold`` the dialog
        then stays up (a second Enter does nothing) until the caller's save is
        done: :meth:`close` when it succeeded, :meth:`reopen` when it failed
        (the values are still there to correct). The screen below is then
        redrawn once, with the result, rather than once without the dialog and
        again with the result."""
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.check = check
        self._held_init(submitted, hold)

    def compose(self) -> ComposeResult:
        # A tall form scrolls inside the dialog: Tab brings each field into view
        # (at 80x24 the new-customer form's lower fields were below the screen).
        with FormBody(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            for f in self.fields:
                yield Label(Text(f.label), classes="field-label")
                yield Input(
                    value=f.value, placeholder=f.placeholder, id=f"f-{f.name}", password=f.password,
                    max_length=f.max_length,
                )
                yield Static("", classes="field-error", id=f"e-{f.name}")
            yield Label(_("Tab: next field; Enter on the last field or Ctrl+S: save; Escape: back"),
                        classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        last = f"f-{self.fields[-1].name}"
        if event.input.id == last:
            self.action_save()
        else:
            self.focus_next()

    def show_error(self, name: str, message: str) -> None:
        shown = self.__dict__.setdefault("_errors_shown", {})
        if shown.get(name, "") == message:
            return  # unchanged (e.g. no error before, none now): no redraw
        shown[name] = message
        self.query_one(f"#e-{name}", Static).update(Text(message))

    def action_save(self) -> None:
        if self.busy:
            return
        values: dict[str, Any] = {}
        ok = True
        for f in self.fields:
            raw = self.query_one(f"#f-{f.name}", Input).value
            try:
                values[f.name] = f.parse(raw)
                self.show_error(f.name, "")
            except InvalidInput as exc:
                ok = False
                self.show_error(f.name, _(exc.reason, **exc.params))
        if ok and self.check is not None:
            try:
                self.check(values)
            except InvalidInput as exc:
                ok = False
                target = exc.field if exc.field in {f.name for f in self.fields} else self.fields[-1].name
                self.show_error(target, _(exc.reason, **exc.params))
        if ok:
            self.hand_over(values)
        else:
            for f in self.fields:
                if str(self.query_one(f"#e-{f.name}", Static).render()).strip():
                    self.query_one(f"#f-{f.name}", Input).focus()
                    break

    def action_cancel(self) -> None:
        self.dismiss(None)
