"""Reception (stage 2): greeting time, the customer's history and campaigns,
the requests confirmed."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from desk.domain.campaigns import load_campaigns, matching
from desk.domain.drafts import ConcernDraft
from desk.domain.entities import SYMPTOM_LABELS
from desk.domain.process import Stage
from desk.i18n import N_, _
from desk.screens.booking import concern_form
from desk.screens.visit import VisitScreen
from desk.widgets.comebacks import ComebackProposal


def concerns_text(concerns) -> Text:
    out = Text()
    for c in concerns:
        out.append(" [x] " if c.confirmed else " [ ] ", style="green" if c.confirmed else "bold")
        out.append(c.text)
        if c.tags:
            out.append("  (" + ", ".join(_(SYMPTOM_LABELS[t]) for t in sorted(c.tags)) + ")", style="cyan")
        out.append("\n")
    if not concerns:
        out.append(" " + _("No concerns recorded yet") + "\n", style="bold red")
    return out


class ReceptionScreen(ComebackProposal, VisitScreen):
    stage = Stage.RECEPTION
    PAST_VISITS = 5
    BINDINGS = [
        Binding("k", "add_concern", N_("Add concern"), id="reception.add_concern"),
        Binding("f", "confirm_concerns", N_("Concerns confirmed"), id="reception.confirm_concerns"),
        *ComebackProposal.PROPOSAL_BINDINGS,
    ]

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("comeback_confirm", "comeback_reject"):
            return self.proposal_enabled(action)  # a proposal, or a decision to turn
        return True

    def compose_panel(self) -> ComposeResult:
        yield Static("", id="greeting")
        yield Static(_("Customer's requests"), classes="section-title")
        yield Static("", id="concerns")
        yield Static(_("Last visits"), classes="section-title")
        yield Static("", id="history")
        yield Static(_("Campaigns for this car"), classes="section-title")
        yield Static("", id="campaigns")

    def first_load(self) -> None:
        # Opening reception is the moment the advisor meets the customer (RCP-01);
        # the view is read after that moment is stamped.
        def start_then_load():
            self.desk.reception.start_reception(self.user, self.desk.lifecycle.ref(self.visit_id))
            return self.desk.lifecycle.visit_view(self.visit_id, past=self.PAST_VISITS)

        self.run_db(start_then_load, self.show_view, group="visit", exclusive=True)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick_greeting)

    def tick_greeting(self) -> None:
        if self.view is not None:
            self.query_one("#greeting", Static).update(self.greeting_text())

    def greeting_text(self) -> Text:
        v = self.view.visit
        out = Text()
        if v.arrived_at is None:
            return out
        out.append(_("Arrived") + f" {v.arrived_at:%H:%M:%S}   ")
        end = v.reception_at or self.app.clock()
        seconds = int((end - v.arrived_at).total_seconds())
        late = seconds > self.desk.ctx.policy.greet_within_seconds
        label = _("Greeted after {s} s", s=seconds) if v.reception_at else _("Waiting {s} s", s=seconds)
        out.append(label, style="bold red" if late else "bold green")
        return out

    def show_panel(self, view) -> None:
        self.query_one("#greeting", Static).update(self.greeting_text())
        self.query_one("#concerns", Static).update(concerns_text(view.concerns))
        self.show_history(view.last_visits)
        today = self.app.clock().date()
        camps = matching(load_campaigns(), view.vehicle, today)
        text = Text()
        for c in camps:
            text.append(" - " + c.text + "\n")
        if not camps:
            text.append(" " + _("None") + "\n", style="dim")
        self.query_one("#campaigns", Static).update(text)

    def show_history(self, visits) -> None:
        out = Text()
        for v in visits:
            out.append(f" {v['day']:%Y-%m-%d} {v['number']}  ")
            out.append("; ".join(v["concerns"])[:60])
            out.append("\n")
            for d in v["declined"]:
                out.append("    " + _("Declined last time: {item}", item=d) + "\n", style="yellow")
        if not visits:
            out.append(" " + _("First visit") + "\n", style="cyan")
        self.query_one("#history", Static).update(out)

    def action_add_concern(self) -> None:
        self.submit(
            concern_form(_("Add concern")),
            lambda values: self.desk.reception.add_concern(self.user, self.ref, ConcernDraft.from_form(values)),
        )

    def action_confirm_concerns(self) -> None:
        self.run_db(lambda: self.desk.reception.confirm_concerns(self.user, self.ref), lambda _r: self.reload())
