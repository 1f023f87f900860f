"""The follow-up survey: five CSI factors scored 1-5 with the digit keys, NPS
0-10 and a comment typed, and whether the next service was stated.

``SurveyDialog`` dismisses with ``{"scores": {factor: 1..5}, "nps": int | None,
"comment": str, "next_service_stated": bool}`` or None. Whether an answer is
dissatisfied is the service's business, not the dialog's."""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from desk.domain import fields, survey
from desk.domain.errors import InvalidInput
from desk.i18n import N_, _
from desk.widgets.dialogs import DIALOG_CSS, Held, tell_cleaned
from desk.widgets.text_input import TextInput

#: The five-point scale of the survey (seed 003), 1 = very dissatisfied.
SCALE = {
    1: N_("very dissatisfied"),
    2: N_("dissatisfied"),
    3: N_("neutral"),
    4: N_("satisfied"),
    5: N_("very satisfied"),
}


class ScoreList(Widget, can_focus=True):
    """One row per factor; a digit scores the row under the cursor and moves on."""

    DEFAULT_CSS = """
    ScoreList { height: auto; padding: 0 1; border: tall $panel; }
    ScoreList:focus { border: tall $accent; }
    """
    BINDINGS = [
        *[Binding(str(n), f"score({n})", SCALE[n], id=f"score_list.score_{n}") for n in range(1, 6)],
        Binding("up,k", "move(-1)", N_("Previous factor"), show=False, id="score_list.move_back"),
        Binding("down,j", "move(1)", N_("Next factor"), show=False, id="score_list.move_forward"),
        Binding("s", "toggle_stated", N_("Next service stated"), id="score_list.toggle_stated"),
    ]

    cursor: reactive[int] = reactive(0)
    #: factor -> score given so far.
    scores: reactive[dict] = reactive(dict, always_update=True)
    #: The caller told the customer the next service date and mileage (FUP-05).
    stated: reactive[bool] = reactive(True)

    class Completed(Message):
        """The last factor has its score."""

    def __init__(self, factors: list[tuple[str, str]], next_service: str, **kw) -> None:
        super().__init__(**kw)
        self.factors = factors
        self.next_service = next_service

    def render(self) -> Text:
        out = Text()
        width = max(cell_len(label) for _f, label in self.factors)
        for i, (factor, label) in enumerate(self.factors):
            here = i == self.cursor and self.has_focus
            out.append("> " if here else "  ", style="bold")
            out.append(label + " " * (width - cell_len(label) + 2), style="bold" if here else "")
            given = self.scores.get(factor)
            for n in survey.SCORES:
                style = (
                    ("bold red reverse" if survey.is_dissatisfied(n) else "bold green reverse") if n == given else "dim"
                )
                out.append(f"[{n}]", style=style)
            out.append("\n")
        out.append("  " + _("Next service stated: {due}", due=self.next_service) + "  ")
        out.append("[x]" if self.stated else "[ ]", style="bold green" if self.stated else "bold red")
        out.append("  (s)", style="dim")
        return out

    def action_score(self, n: int) -> None:
        factor = self.factors[self.cursor][0]
        self.scores = {**self.scores, factor: n}
        if self.cursor < len(self.factors) - 1:
            self.cursor += 1
        else:
            self.post_message(self.Completed())

    def action_move(self, step: int) -> None:
        self.cursor = max(0, min(len(self.factors) - 1, self.cursor + step))

    def action_toggle_stated(self) -> None:
        self.stated = not self.stated


class SurveyDialog(Held, ModalScreen[dict | None]):
    DEFAULT_CSS = DIALOG_CSS
    SCOPED_CSS = False  # the rules name ModalScreen and .dialog, not this class
    BINDINGS = [
        Binding("escape", "cancel", N_("Back"), id="survey_dialog.cancel"),
        Binding("ctrl+s", "save", N_("Save"), id="survey_dialog.save"),
        Binding(
            "ctrl+r",
            "reapply",
            N_("Apply mine"),
            id="survey_dialog.reapply",
            tooltip=N_("Save yours on top of the other terminal's change"),
        ),
    ]

    def __init__(self, title: str, factors: list[tuple[str, str]], next_service: str) -> None:
        super().__init__()
        self.title_text = title
        self.factors = factors
        self.next_service = next_service
        self._held_init()  # held by the caller: the answers stay until the save is done

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(self.title_text), classes="dialog-title")
            yield Label(
                _("1 = very dissatisfied … 5 = very satisfied; ↑↓ to go back to a factor"), classes="dialog-hint"
            )
            yield ScoreList(self.factors, self.next_service, id="scores")
            yield Static("", classes="field-error", id="e-scores")
            yield Label(_("Would you recommend us? 0-10"), classes="field-label")
            yield Input(id="f-nps", max_length=2, restrict=r"[0-9]*")
            yield Static("", classes="field-error", id="e-nps")
            yield Label(_("Comments and suggestions"), classes="field-label")
            yield TextInput(id="f-comment")  # nothing cut: a text too long is refused, named
            yield Static("", classes="field-error", id="e-comment")
            yield Label(
                _("Tab: next field; Enter on the last field or Ctrl+S: save; Escape: back"), classes="dialog-hint"
            )

    def on_text_input_cleaned(self, event) -> None:
        tell_cleaned(self, event.removed)

    def on_score_list_completed(self, event: ScoreList.Completed) -> None:
        # Focus moves only when the caller moves it (Tab, as the hint says): a jump
        # here made the Tab that followed skip the recommend score.
        self._error("scores", "")
        self.notify(_("All five factors scored: Tab to the recommend score"), timeout=4)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "f-comment":
            self.action_save()
        else:
            self.focus_next()

    def _error(self, name: str, message: str) -> None:
        self.query_one(f"#e-{name}", Static).update(Text(message))

    def action_save(self) -> None:
        scores = self.query_one(ScoreList)
        values: dict = {"scores": dict(scores.scores), "next_service_stated": scores.stated}
        ok = True
        missing = [label for factor, label in self.factors if factor not in values["scores"]]
        self._error("scores", _("Score all five factors") if missing else "")
        ok = not missing
        for name, spec in (("nps", fields.NPS), ("comment", fields.COMMENT)):
            try:
                values[name] = spec.parse(self.query_one(f"#f-{name}", Input).value)
                self._error(name, "")
            except InvalidInput as exc:
                ok = False
                self._error(name, _(exc.reason, **exc.params))
        if ok:
            self.hand_over(values)
        elif missing:
            scores.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)
