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
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from desk.domain import fields
from desk.domain.errors import InvalidInput
from desk.i18n import N_, _, _n
from desk.widgets.safe import literal
from desk.widgets.text_input import TextInput

DIALOG_CSS = """
ModalScreen { align: center middle; }
.dialog {
    width: 90; max-width: 100%; height: auto; max-height: 95%;
    border: thick $accent; background: $surface; padding: 1 2;
}
.dialog > Label { width: 100%; }  /* a long reason wraps inside the dialog, never cut at its edge */
.dialog-title { text-style: bold; margin-bottom: 1; }
.field-label { margin-top: 1; }
.field-error { color: $error; height: auto; }
.field-counter { height: auto; text-align: right; }
.dialog-hint { color: $text-muted; margin-top: 1; }
.dialog-note { margin-top: 1; color: $warning; }
.dialog-stale { margin-top: 1; padding: 0 1; border: round $error; height: auto; }
/* a short terminal (80x24): one line per field, so the title and the first field stay in view */
ModalScreen.-short .dialog { padding: 0 2; }
ModalScreen.-short .dialog-title { margin-bottom: 0; }
ModalScreen.-short .field-label { margin-top: 0; }
ModalScreen.-short .dialog Input { border: none; height: 1; padding: 0 1; background: $boost; }
ModalScreen.-short .dialog Input:focus { background: $primary 30%; }
"""

#: Below 30 rows a dialog draws its fields one line each (``-short`` above).
SHORT_ROWS = [(0, "-short"), (30, "-tall")]


class Held:
    """A dialog whose save is held: with ``hold`` it stays up, with what was typed,
    while the caller saves (``submitted`` gets the values); :meth:`close` when the
    save is done, :meth:`reopen` when it was refused. Mixed into a ModalScreen."""

    def _held_init(self, submitted=None, hold: bool = False) -> None:
        self.submitted = submitted
        self.hold = hold
        self.busy = False
        self._values = None
        #: After a stale refusal: moves the save on to the record as it is now (ctrl+r).
        self._reapply: Callable[[], None] | None = None

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

    def typed_summary(self) -> str:
        """What was typed, in one line (shown as "yours" beside the other change)."""
        return ""

    def show_stale(self, theirs: str, reapply: Callable[[], None] | None) -> None:
        """The save was refused: the record moved on since this form opened. Say
        what the other terminal did (theirs) beside what is typed here (yours,
        still in the fields); ctrl+r saves yours on top of theirs, Escape keeps
        theirs. Until then a save stays refused: the form acts on the version it
        was opened on. ``reapply`` None: the record as it is now takes nothing of
        this form (a closed complaint, a cancelled visit): no ctrl+r is offered."""
        self._reapply = reapply
        text = Text()
        text.append(_("Not saved: changed on another terminal since this form was opened") + "\n", style="bold")
        text.append(_("Theirs") + ": ", style="bold")
        text.append(theirs + "\n")
        text.append(_("Yours") + ": ", style="bold")
        text.append((self.typed_summary() or _("as typed above")) + "\n")
        if reapply is None:
            text.append(_("Yours cannot be saved on it now; Escape: keep theirs"), style="dim")
        else:
            text.append(_("Ctrl+R: save yours on top of theirs; Escape: keep theirs"), style="dim")
        found = self.query("#stale")
        if found:
            found.first(Static).update(text)
            stale = found.first(Static)
        else:
            stale = Static(text, classes="dialog-stale", id="stale")
            self.query_one(".dialog").mount(stale)
        self.call_after_refresh(stale.scroll_visible)
        self.refresh_bindings()

    def action_reapply(self) -> None:
        """Save what is typed on top of the other terminal's change (a save against
        the record's version now)."""
        if self._reapply is None or self.busy:
            return
        reapply, self._reapply = self._reapply, None
        reapply()
        self.action_save()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "reapply":
            return self._reapply is not None
        return True


def counter_text(spec, value: str, *, counter=None, limit: int | None = None) -> Text | str:
    """ "487/500" from 90 % of a text's limit on (red beyond it); nothing before."""
    shown = (counter or spec.counter)(value)
    limit = limit if limit is not None else spec.limits.max_len
    n = int(shown.split("/", 1)[0])
    return Text(shown, style="bold red" if n > limit else "dim") if n >= limit * 0.9 else ""


def tell_cleaned(node, removed: int) -> None:
    """A paste lost characters that are never stored: say how many."""
    node.notify(
        _n("Pasted text: {n} control character removed", "Pasted text: {n} control characters removed", removed),
        severity="warning",
    )


class ReasonDialog(Held, ModalScreen[str | None]):
    """Ask for a reason (n.a., waiver, cancellation, rework)."""

    VERTICAL_BREAKPOINTS = SHORT_ROWS
    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [
        Binding("escape", "cancel", N_("Back"), id="reason_dialog.cancel"),
        Binding(
            "ctrl+r",
            "reapply",
            N_("Apply mine"),
            id="reason_dialog.reapply",
            tooltip=N_("Save yours on top of the other terminal's change"),
        ),
    ]

    def __init__(
        self, title: str, prompt: str = "", *, submitted: Callable[[str], None] | None = None, hold: bool = False
    ) -> None:
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
            yield TextInput(placeholder=_("Reason"), id="reason")
            yield Static("", classes="field-counter", id="reason-counter")
            yield Static("", classes="field-error", id="reason-error")
            yield Label(_("Enter to save, Escape to go back"), classes="dialog-hint")

    def on_text_input_cleaned(self, event: TextInput.Cleaned) -> None:
        tell_cleaned(self, event.removed)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#reason-counter", Static).update(counter_text(fields.REASON, event.value))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        try:
            value = fields.REASON.parse(self.query_one("#reason", Input).value)
        except InvalidInput as exc:
            self.query_one("#reason-error", Static).update(_(exc.reason, **exc.params))
            return
        self.hand_over(value)

    def typed_summary(self) -> str:
        return self.query_one("#reason", Input).value

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmDialog(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [
        Binding("y", "answer(True)", N_("Yes"), id="confirm_dialog.answer_yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm_dialog.answer_no"),
    ]

    def __init__(self, question: str | Text) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            q = self.question
            # a Static wraps a long question (a Label would cut it at the border)
            yield Static(q if isinstance(q, Text) else Text(q), classes="dialog-title")
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
    #: What the input takes at most: 0, nothing is cut; a text over its spec's
    #: limit stays as typed with its counter and "Too long" message shown.
    max_length: int = 0
    #: A text spec's limit and counter ("487/500", ``fields.Text.counter``):
    #: shown under the field from 90 % of the limit on.
    limit: int | None = None
    counter: Callable[[str], str] | None = None
    #: What this field's text says of the others (the VIN: make and year), and a
    #: sentence to show under it (a msgid, or None): ``(values by field, note)``.
    #: A field the user has typed in is left alone.
    fills: Callable[[str], tuple[dict[str, str], str | None]] | None = None

    @classmethod
    def of(cls, spec, label: str, value: str = "", **ctx) -> FormField:
        """A field checked by a domain spec (``desk.domain.fields``): the form's
        inline message is the spec's own, the value the one the service takes.
        ``ctx`` is what the spec is relative to (``today=``, ``taxes=`` …)."""
        counter = getattr(spec, "counter", None)
        limit = spec.limits.max_len if counter is not None else None
        return cls(
            spec.name,
            label,
            value,
            parse=lambda text: spec.parse(text, **ctx),
            limit=limit,
            counter=counter if limit else None,
        )


class FormBody(VerticalScroll, can_focus=False):
    """A form's fields, scrolled to the focused one with its label (the first
    with the form's title: a tall form never opens with its first label
    scrolled away); not a Tab stop itself."""

    def on_descendant_focus(self, event) -> None:
        field = event.widget
        if not isinstance(field, Input):
            return
        inputs = list(self.query(Input))
        if inputs and field is inputs[0]:
            self.call_after_refresh(self.scroll_home, animate=False)
            return
        siblings = list(self.children)
        at = siblings.index(field) if field in siblings else -1
        label = siblings[at - 1] if at > 0 else None
        if isinstance(label, Label):
            self.call_after_refresh(self.show_both, label, field)

    def show_both(self, label: Widget, field: Widget) -> None:
        region = label.virtual_region_with_margin.union(field.virtual_region_with_margin)
        self.scroll_to_region(region, animate=False, immediate=True)


class FormDialog(Held, ModalScreen[dict | None]):
    """A small form: Tab/Shift+Tab between fields, Enter on the last one (or
    Ctrl+S anywhere) validates every field and dismisses with the values.
    Nothing is returned while a field is invalid: the message stands beside it."""

    VERTICAL_BREAKPOINTS = SHORT_ROWS
    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [
        Binding("escape", "cancel", N_("Back"), id="form_dialog.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="form_dialog.save"),
        Binding(
            "ctrl+r",
            "reapply",
            N_("Apply mine"),
            id="form_dialog.reapply",
            tooltip=N_("Save yours on top of the other terminal's change"),
        ),
    ]

    def __init__(
        self,
        title: str,
        fields: list[FormField],
        *,
        check: Callable[[dict], None] | None = None,
        submitted: Callable[[dict], None] | None = None,
        hold: bool = False,
        note: str = "",
    ) -> None:
        """``note``: a sentence under the fields, on what saving does besides
        (the signature form names the items it ticks). ``submitted``: called with the valid values. With ``hold`` the dialog
        then stays up (a second Enter does nothing) until the caller's save is
        done: :meth:`close` when it succeeded, :meth:`reopen` when it failed
        (the values are still there to correct). The screen below is then
        redrawn once, with the result, rather than once without the dialog and
        again with the result."""
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.check = check
        self.note = note
        self._held_init(submitted, hold)

    def compose(self) -> ComposeResult:
        # A tall form scrolls inside the dialog: Tab brings each field into view
        # (at 80x24 the new-customer form's lower fields were below the screen).
        with FormBody(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            for f in self.fields:
                yield Label(Text(f.label), classes="field-label")
                yield TextInput(
                    value=f.value,
                    placeholder=f.placeholder,
                    id=f"f-{f.name}",
                    password=f.password,
                    max_length=f.max_length,
                )
                if f.counter is not None:
                    yield Static("", classes="field-counter", id=f"c-{f.name}")
                yield Static("", classes="field-error", id=f"e-{f.name}")
            if self.note:
                yield Label(literal(self.note, multiline=True), classes="dialog-note", id="form-note")
            yield Label(
                _("Tab: next field; Enter on the last field or Ctrl+S: save; Escape: back"), classes="dialog-hint"
            )

    def on_input_changed(self, event: Input.Changed) -> None:
        """Near or over its limit a text shows its length ("487/500"): never cut.
        A field that fills others (the VIN) fills them as it is typed."""
        f = next((f for f in self.fields if f"f-{f.name}" == event.input.id), None)
        if f is not None and f.fills is not None:
            self.fill_from(f, event.value)
        if f is None or f.counter is None or f.limit is None:
            return
        self.query_one(f"#c-{f.name}", Static).update(counter_text(None, event.value, counter=f.counter, limit=f.limit))

    def fill_from(self, source: FormField, text: str) -> None:
        """The fields ``source``'s text fills, where they are empty or still hold
        what an earlier fill put there (what the user typed stays), and its note."""
        assert source.fills is not None
        values, note = source.fills(text)
        filled: dict[str, str] = self.__dict__.setdefault("_filled", {})
        names = {f.name for f in self.fields}
        for name, value in values.items():
            if name not in names:
                continue
            box = self.query_one(f"#f-{name}", Input)
            if box.value.strip() in ("", filled.get(name)):
                box.value = filled[name] = value
        # what an earlier text filled and this one does not give goes (a make decoded
        # from the VIN before it was corrected was saved with the new VIN)
        for name in [n for n in filled if n not in values and n in names]:
            box = self.query_one(f"#f-{name}", Input)
            if box.value.strip() == filled[name]:
                box.value = ""
            del filled[name]
        self.show_error(source.name, _(note) if note else "")

    def on_text_input_cleaned(self, event: TextInput.Cleaned) -> None:
        tell_cleaned(self, event.removed)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        last = f"f-{self.fields[-1].name}"
        if event.input.id == last:
            self.action_save()
        else:
            self.focus_next()

    def typed_summary(self) -> str:
        """The fields typed into (a pre-filled field left as it was is not "yours";
        with nothing changed, every filled field)."""
        typed = [(f, self.query_one(f"#f-{f.name}", Input).value.strip()) for f in self.fields if not f.password]
        changed = [(f, value) for f, value in typed if value != f.value.strip()]
        return "; ".join(f"{f.label}: {value}" for f, value in (changed or typed) if value or changed)

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
