"""The 72-hour follow-up (spec stage 8): the queue of calls due (overdue first),
and the call itself with a script, the visit recap, outcome and retries, and the
survey (five CSI factors on a five-point scale, NPS 0-10). A dissatisfied answer
opens a complaint (the service does it)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from desk.domain.drafts import FollowUpCallDraft
from desk.domain.entities import CallOutcome
from desk.domain.fields import followup_channel_label
from desk.domain.process import Stage
from desk.domain.survey import CSI_FACTORS, FACTOR_LABELS
from desk.domain.validate import show_phone
from desk.i18n import N_, _
from desk.screens.listing import ListScreen
from desk.screens.visit import VisitScreen, screen_for
from desk.widgets.safe import literal
from desk.widgets.survey import SurveyDialog


class FollowUpQueueScreen(ListScreen):
    TABLE_ID = "followup"
    COLUMNS = (
        ("due", N_("Due"), 12),
        ("ro", N_("RO"), 11),
        ("customer", N_("Customer"), 12),
        ("phone", N_("Phone"), 15),
        ("plate", N_("Plate"), 10),
        ("agreed", N_("Agreed"), 18),
        ("tries", N_("Attempts"), 8),
    )
    BINDINGS = [
        Binding("enter", "open", N_("Call"), show=False, id="follow_up_queue.open"),
        Binding("r", "load", N_("Refresh"), id="follow_up_queue.load"),
    ]

    def on_mount(self) -> None:
        self.set_title(_("Follow-up calls due (overdue first)"))

    def fetch(self):
        return self.desk.followup.followup_queue()

    def cells(self, r) -> tuple:
        agreed = f"{r.agreed_at:%m-%d %H:%M} {_(followup_channel_label(r.channel))}" if r.agreed_at else "-"
        return (
            Text(f"{r.due_at:%m-%d %H:%M}", style="bold red" if r.overdue else ""),
            r.number,
            literal(r.customer),
            Text(show_phone(r.phone)),
            Text(r.plate),
            agreed,
            f"{r.attempts}/{self.desk.ctx.policy.followup_max_attempts}",
        )

    def on_data_table_row_selected(self, event) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self.current_row()
        if row is not None:
            self.app.push_screen(screen_for(Stage.DELIVERED, row.visit_id))


class CallScreen(VisitScreen):
    """One follow-up call: script, recap, outcome, survey."""

    stage = Stage.DELIVERED
    BINDINGS = [
        Binding("1", "reached", N_("Reached: survey"), id="call.reached"),
        Binding("2", "outcome('no_answer')", N_("No answer"), id="call.no_answer"),
        Binding("3", "outcome('wrong_number')", N_("Wrong number"), id="call.wrong_number"),
    ]

    def compose_panel(self) -> ComposeResult:
        yield Static("", id="script")
        yield Static(_("Last visit"), classes="section-title")
        yield Static("", id="recap")

    def show_panel(self, view) -> None:
        shop = self.app.settings.shop_name
        script = Text()
        script.append(_("Script") + "\n", style="bold")
        script.append(
            _(
                "Hello, this is {me} from {shop}. We are calling about your visit on {day} "
                "to ask whether everything is right with your car.",
                me=self.user.name,
                shop=shop,
                day=f"{view.visit.day:%Y-%m-%d}",
            )
        )
        script.append("\n" + _("Let the customer hang up first."), style="dim")
        self.query_one("#script", Static).update(script)
        vid = self.visit_id

        def facts():
            calls = [r for r in self.desk.followup.followup_queue() if r.visit_id == vid]
            mine = [c for c in self.desk.complaints.complaints(include_closed=True) if c.visit_id == vid]
            return self.desk.lifecycle.next_service_due(vid), (calls[0].attempts if calls else 0), mine

        def fill(result) -> None:
            (day, km), attempts, complaints = result
            self.next_service = f"{day:%Y-%m-%d}" + (f" / {km:,} km" if km else "")
            limit = self.desk.ctx.policy.followup_max_attempts
            recap = Text()
            for ln in view.lines:
                if ln.approval == "approved":
                    recap.append(" - " + ln.description + "\n")
            declined = [ln.description for ln in view.lines if ln.approval == "declined"]
            if declined:
                recap.append(_("Declined, recommend next time") + ": " + ", ".join(declined) + "\n", style="yellow")
            recap.append(_("Next service") + f": {self.next_service}\n", style="bold")
            recap.append(
                _("Attempts: {n} of {limit}", n=attempts, limit=limit) + "\n",
                style="bold red" if attempts >= limit else "",
            )
            if attempts >= limit:
                recap.append(
                    _("No more attempts: the customer counts as not reached (F8 moves on)") + "\n", style="yellow"
                )
            for c in complaints:
                recap.append(
                    _(
                        "Complaint {id} ({severity}): {state}",
                        id=c.id,
                        severity=_(c.severity),
                        state=_("closed") if c.closed else _("open"),
                    )
                    + "\n",
                    style="dim" if c.closed else "bold red",
                )
            self.query_one("#recap", Static).update(recap)

        self.run_db(facts, fill)

    def action_outcome(self, outcome: str) -> None:
        call = FollowUpCallDraft(CallOutcome(outcome))
        self.run_db(lambda: self.desk.followup.record_call(self.user, self.ref, call), lambda _r: self.reload())

    def action_reached(self) -> None:
        factors = [(f, _(FACTOR_LABELS[f])) for f in CSI_FACTORS]

        def saved(complaint_id) -> None:
            if complaint_id:
                self.notify(_("Dissatisfied: complaint {id} opened", id=complaint_id), severity="warning", timeout=8)
            self.reload()

        # held: a refused save (another terminal moved the visit on) keeps every answer
        self.submit(
            SurveyDialog(
                _("Survey: 5 = very satisfied, 1 = very dissatisfied"), factors, getattr(self, "next_service", "-")
            ),
            lambda values: self.desk.followup.record_call(
                self.user, self.ref, FollowUpCallDraft.of(outcome=CallOutcome.REACHED, factors=CSI_FACTORS, **values)
            ),
            saved,
        )
