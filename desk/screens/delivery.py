"""Quality control (stage 6) and delivery (stage 7).

QC: self-inspection, every line done, inspector other than the technician,
wash, rework with a reason. Delivery: final vs authorised amount (an explanation
beyond the tolerance), old parts and the customer's choice, next service due,
the follow-up call agreed within 72 hours, an invoice summary to print."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from desk.domain import validate
from desk.domain.entities import Approval, Disposal, LineKind
from desk.domain.errors import InvalidInput
from desk.domain.money import format_money
from desk.domain.process import Stage
from desk.domain.rules import beyond_tolerance
from desk.i18n import N_, _
from desk.screens.visit import VisitScreen
from desk.screens.workshop import WorkLines
from desk.widgets.comebacks import ComebackCause, comeback_panel
from desk.widgets.dialogs import FormDialog, FormField, PickDialog, ReasonDialog

DISPOSAL_LABELS = {Disposal.TAKE_AWAY: N_("customer takes them"), Disposal.SHOP_DISPOSES: N_("shop disposes of them")}


class QCScreen(ComebackCause, VisitScreen):
    stage = Stage.QC
    BINDINGS = [
        Binding("k", "rework", N_("Rework"), id="qc.rework"),
        # not n / w / x / space: the checklist uses those when it has focus
        Binding("c", "washing", N_("Washing"), id="qc.washing"),
        Binding("b", "comeback_cause", N_("Comeback cause"), id="qc.comeback_cause"),
    ]

    def compose_panel(self) -> ComposeResult:
        yield Static("", id="qc-summary")
        yield comeback_panel()
        yield WorkLines(id="work-lines")

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "comeback_cause":
            return self.comeback_cause_enabled()  # a comeback's key only
        return True

    def show_panel(self, view) -> None:
        def fill(users) -> None:
            self.query_one(WorkLines).show(view, users)
            v = view.visit
            out = Text()
            out.append(_("Technician") + ": ", style="bold")
            out.append(users.get(v.technician_id, "-"))
            out.append("\n" + _("The inspector must not be the technician who did the work"), style="dim")
            if v.washing:
                out.append("\n" + _("Washing"), style="bold cyan")
            self.query_one("#qc-summary", Static).update(out)

        self.run_db(lambda: {u.id: u.name for u in self.desk.people.users()}, fill)
        self.load_original(view)

    def action_rework(self) -> None:
        self.submit(ReasonDialog(_("Back to the workshop: what is not right?")),
                    lambda reason: self.desk.lifecycle.rework(self.user, self.ref, reason))

    def action_washing(self) -> None:
        on = not self.view.visit.washing
        self.run_db(lambda: self.desk.lifecycle.set_washing(self.user, self.ref, on), lambda _r: self.reload())


def amounts_text(view, policy, symbol: str) -> Text:
    final, authorised = view.totals.total, view.authorised_amount
    out = Text()
    out.append(_("Final amount") + f": {format_money(final, symbol)}\n", style="bold")
    out.append(_("Authorised") + f": {format_money(authorised, symbol)}\n")
    if beyond_tolerance(final, authorised, policy):
        out.append(_("Beyond the tolerance: record a re-approval or an explanation") + "\n", style="bold red")
        if view.visit.amount_explanation:
            out.append(_("Explanation") + ": ", style="bold")
            out.append(view.visit.amount_explanation + "\n")
    return out


class DeliveryScreen(VisitScreen):
    stage = Stage.READY
    BINDINGS = [
        Binding("t", "notify_ready", N_("Tell customer it is ready"), id="delivery.notify_ready"),
        Binding("o", "old_parts", N_("Old parts"), id="delivery.old_parts"),
        Binding("e", "explain", N_("Explain amount"), id="delivery.explain"),
        Binding("c", "agree_call", N_("Agree follow-up call"), id="delivery.agree_call"),
        Binding("f6", "invoice", N_("Invoice summary"), id="delivery.invoice"),
    ]

    def compose_panel(self) -> ComposeResult:
        yield Static("", id="amounts")
        yield Static("", id="delivery-facts")

    def show_panel(self, view) -> None:
        self.query_one("#amounts", Static).update(
            amounts_text(view, self.desk.ctx.policy, self.app.settings.currency_symbol))

        def next_due():
            return self.desk.lifecycle.next_service_due(self.visit_id)

        def fill(due) -> None:
            v = view.visit
            day, km = due
            out = Text()
            replaced = [ln for ln in view.lines if ln.kind == LineKind.PART and ln.is_done and ln.chargeable]
            out.append(_("Replaced parts") + ": ", style="bold")
            out.append(", ".join(ln.description for ln in replaced) or "-")
            out.append("\n" + _("Old parts") + ": ", style="bold")
            out.append(_(DISPOSAL_LABELS[Disposal(v.disposal)]) if v.disposal else "-")
            out.append("\n" + _("Next service") + ": ", style="bold")
            out.append(f"{day:%Y-%m-%d}" + (f" / {km:,} km" if km else ""))
            out.append("\n" + _("Follow-up call") + ": ", style="bold")
            out.append(f"{v.followup_agreed_at:%Y-%m-%d %H:%M} ({v.followup_channel})" if v.followup_agreed_at
                       else "-")
            declined = [ln.description for ln in view.lines if ln.approval == Approval.DECLINED]
            if declined:
                out.append("\n" + _("Declined, recommend next time") + ": ", style="bold yellow")
                out.append(", ".join(declined))
            self.query_one("#delivery-facts", Static).update(out)

        self.run_db(next_due, fill)

    def call(self, fn) -> None:
        self.run_db(fn, lambda _r: self.reload())

    def action_notify_ready(self) -> None:
        self.call(lambda: self.desk.lifecycle.notify_ready(self.user, self.ref))

    def action_old_parts(self) -> None:
        choices = [(d, _(label)) for d, label in DISPOSAL_LABELS.items()]
        self.app.push_screen(PickDialog(_("Old parts: what does the customer want?"), choices),
                             lambda d: d and self.call(lambda: self.desk.delivery.set_disposal(self.user, self.ref, d)))

    def action_explain(self) -> None:
        form = FormDialog(_("Why the final amount differs"), [
            FormField("text", _("Explanation or re-approval (who, how)"),
                      parse=lambda s: validate.text(s, field="explanation", max_len=1000, required=True)),
        ])
        self.submit(form, lambda v: self.desk.delivery.explain_amount(self.user, self.ref, v["text"]))

    def action_agree_call(self) -> None:
        today = self.app.clock().date()

        def channel(text: str) -> str:
            value = validate.text(text, field="channel", max_len=20, required=True)
            if value.lower() not in ("phone", "wechat", "sms", "电话", "微信", "短信"):
                raise InvalidInput("channel", "Channel is phone, wechat or sms")
            return value.lower()

        form = FormDialog(_("Agree the follow-up call (within 72 hours)"), [
            FormField("at", _("When (e.g. tomorrow 10:00, +2 15:00)"),
                      parse=lambda s: validate.datetime_local(s, today=today)),
            FormField("channel", _("Channel: phone, wechat or sms"), value="phone", parse=channel),
        ])
        self.submit(form, lambda v: self.desk.delivery.agree_followup(self.user, self.ref, v["at"], v["channel"]))

    def action_invoice(self) -> None:
        from desk.output.text import invoice_doc
        from desk.screens.printing import print_document

        view, visit_id = self.view, self.visit_id
        desk = self.desk  # the document is made in print_document's worker
        print_document(self, lambda settings, at: invoice_doc(view, settings, desk.lifecycle.next_service_due(visit_id),
                                                             printed_at=at))
