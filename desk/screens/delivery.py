"""Quality control (stage 6) and delivery (stage 7).

QC: self-inspection, every line done, inspector other than the technician,
wash, rework with a reason. Delivery: the final amount beside what the customer
signed (within the tolerance an explanation, beyond it the customer's re-approval), old parts and the customer's choice, next service due,
the follow-up call agreed within 72 hours, the settlement (payments, the balance
due, the invoice number), an invoice summary to print."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from desk.domain import fields
from desk.domain.drafts import FollowUpAgreement
from desk.domain.entities import Approval, Disposal, LineKind
from desk.domain.estimate import AuthorisationDraft
from desk.domain.money import format_money
from desk.domain.process import Stage
from desk.domain.rules import beyond_tolerance, signed_split
from desk.i18n import N_, _
from desk.output.text import reapproval
from desk.screens.visit import VisitScreen
from desk.screens.workshop import WorkLines
from desk.widgets.comebacks import ComebackCause, comeback_panel
from desk.widgets.dialogs import FormDialog, FormField, PickDialog, ReasonDialog
from desk.widgets.handback import HandbackActions, ack_text, map_text
from desk.widgets.settlement import SettlementActions, settlement_text

DISPOSAL_LABELS = {Disposal.TAKE_AWAY: N_("customer takes them"), Disposal.SHOP_DISPOSES: N_("shop disposes of them")}


class QCScreen(ComebackCause, VisitScreen):
    stage = Stage.QC
    STACKED = True  # the line table needs the width
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
        self.submit(
            ReasonDialog(_("Back to the workshop: what is not right?")),
            lambda reason: self.desk.lifecycle.rework(self.user, self.ref, reason),
        )

    def action_washing(self) -> None:
        on = not self.view.visit.washing
        self.run_db(lambda: self.desk.lifecycle.set_washing(self.user, self.ref, on), lambda _r: self.reload())


def signed_text(view, symbol: str) -> Text:
    """What the customer actually signed: the last signature of the estimate (who,
    when, which version, the amount as signed), said void when a change of the
    estimate has voided it since, and the approved added work."""
    out = Text()
    sig = view.signature
    out.append(_("Signed by the customer") + ": ", style="bold")
    if sig is None:
        out.append(_("nothing signed"), style="bold red")
        if view.authorised_amount:  # the difference below is against what the customer did approve
            out.append("\n" + _("Added work approved") + ": ", style="bold")
            out.append(format_money(view.authorised_amount, symbol))
        return out
    own, added = signed_split(sig, view.void is not None, view.authorised_amount)
    out.append(format_money(own, symbol))
    out.append("  (")
    out.append(sig.signer)
    out.append(f", {sig.at:%m-%d %H:%M}, " + _("estimate version {n}", n=sig.estimate_version) + ")", style="dim")
    if view.void is not None:  # why it no longer covers the estimate: the visit heading says
        out.append("  " + _("void"), style="bold red")
    if added:  # approved separately, each with its own approval: never credited to this signature
        out.append("\n" + _("Added work approved") + ": ", style="bold")
        out.append(format_money(added, symbol))
        out.append("\n" + _("Agreed in all") + ": ", style="bold")
        out.append(format_money(view.authorised_amount, symbol))
    return out


def amounts_text(view, policy, symbol: str) -> Text:
    """The final amount beside what the customer signed and the difference; beyond
    the tolerance, the customer's re-approval (who, how, amount, when) or what
    is missing (DLV-02). "Authorised" only where a valid signature covers it."""
    final, signed = view.totals.total, view.authorised_amount
    v = view.visit
    out = Text()
    out.append(_("Final amount") + f": {format_money(final, symbol)}\n", style="bold")
    out.append_text(signed_text(view, symbol))
    out.append("\n" + _("Difference") + ": ")
    if final == signed:
        out.append(_("none"))
    else:
        out.append(f"{'+' if final > signed else '-'}{format_money(abs(final - signed), symbol)}")
        if signed:
            out.append(f" ({(final - signed) * 100 / signed:+.1f} %)")
    out.append("\n")
    if beyond_tolerance(final, signed, policy):
        if v.final_approval_cents is not None and v.final_approval_cents >= final:
            out.append(reapproval(v, symbol) + "\n", style="green")
        else:
            out.append(
                _("Beyond the tolerance: the customer re-approves the final amount (e)") + "\n", style="bold red"
            )
    if v.amount_explanation:
        out.append(_("Explanation") + ": ", style="bold")
        out.append(v.amount_explanation + "\n")
    return out


class DeliveryScreen(SettlementActions, HandbackActions, VisitScreen):
    stage = Stage.READY
    handback_end = "out"
    BINDINGS = [
        Binding("p", "pay", N_("Payment"), id="delivery.pay", tooltip=N_("Take a payment (DLV-13)")),
        Binding(
            "v",
            "void_payment",
            N_("Void payment"),
            id="delivery.void_payment",
            show=False,
            tooltip=N_("Void a payment recorded by mistake (a manager)"),
        ),
        Binding(
            "r",
            "refund",
            N_("Refund"),
            id="delivery.refund",
            show=False,
            tooltip=N_("Give money back to the customer (a manager)"),
        ),
        Binding(
            "t",
            "notify_ready",
            N_("Tell customer"),
            id="delivery.notify_ready",
            tooltip=N_("Tell customer it is ready"),
        ),
        Binding("f6", "invoice", N_("Invoice"), id="delivery.invoice", tooltip=N_("Invoice summary")),
        Binding("o", "old_parts", N_("Old parts"), id="delivery.old_parts"),
        Binding("c", "agree_call", N_("Follow-up call"), id="delivery.agree_call", tooltip=N_("Agree follow-up call")),
        Binding("e", "explain", N_("Explain amount"), id="delivery.explain"),
        Binding(
            "d",
            "delivery_damage",
            N_("New damage"),
            id="delivery.damage",
            tooltip=N_("Damage found at delivery: a complaint opens at once"),
        ),
        Binding(
            "a",
            "acknowledge",
            N_("Customer acknowledges"),
            id="delivery.acknowledge",
            tooltip=N_("The customer acknowledges the car as handed back"),
        ),
    ]

    def compose_panel(self) -> ComposeResult:
        yield Static("", id="amounts")
        yield Static("", id="settlement")
        yield Static("", id="delivery-facts")
        yield Static("", id="handback")

    def show_panel(self, view) -> None:
        self.query_one("#amounts", Static).update(
            amounts_text(view, self.desk.ctx.policy, self.app.settings.currency_symbol)
        )
        self.query_one("#settlement", Static).update(settlement_text(view, self.app.settings.currency_symbol))
        handback = map_text(view.visit)  # the car handed back as it came
        handback.append_text(
            ack_text(_("Acknowledged at delivery"), view.visit.damage_ack_out_by, view.visit.damage_ack_out_at)
        )
        self.query_one("#handback", Static).update(handback)

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
            out.append(
                f"{v.followup_agreed_at:%Y-%m-%d %H:%M} ({_(fields.followup_channel_label(v.followup_channel))})"
                if v.followup_agreed_at
                else "-"
            )
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
        self.app.push_screen(
            PickDialog(_("Old parts: what does the customer want?"), choices),
            lambda d: d and self.call(lambda: self.desk.delivery.set_disposal(self.user, self.ref, d)),
        )

    def action_explain(self) -> None:
        """Within the tolerance an explanation is enough; beyond it the customer
        re-approves the final amount, recorded like a signature (DLV-02)."""
        view = self.view
        if view is None:
            return
        final = view.totals.total
        if not beyond_tolerance(final, view.authorised_amount, self.desk.ctx.policy):
            form = FormDialog(
                _("Why the final amount differs"),
                [
                    FormField.of(fields.EXPLANATION, _("Explanation")),
                ],
            )
            self.submit(form, lambda v: self.desk.delivery.explain_amount(self.user, self.ref, v["text"]))
            return
        drafted: dict = {}

        def check(values: dict) -> None:
            drafted["approval"] = AuthorisationDraft.of(**values, total_cents=final)

        symbol = self.app.settings.currency_symbol
        form = FormDialog(
            _(
                "The customer re-approves the final amount {final} (signed {signed})",
                final=format_money(final, symbol),
                signed=format_money(view.authorised_amount, symbol),
            ),
            [
                FormField.of(fields.CHANNEL, _("Channel: 1 = in person, 2 = phone")),
                FormField.of(fields.SIGNER, _("Signed by"), view.customer.name),
                FormField.of(fields.REFERENCE, _("Paper RO number, or the phone number")),
                FormField.of(fields.AMOUNT, _("Amount authorised"), format_money(final)),
            ],
            check=check,
        )
        self.submit(
            form,
            lambda _v, actor: self.desk.delivery.reapprove(actor, self.ref, drafted["approval"]),
            approve=_("Record the customer's re-approval"),
            who=lambda: self.desk.workshop.who_may_decide([]),
        )

    def action_agree_call(self) -> None:
        now = self.app.clock()
        window = self.desk.ctx.policy.followup_window_hours
        drafted: dict = {}

        def check(values: dict) -> None:  # within the window: the agreement's own rule, inline
            drafted["agreement"] = FollowUpAgreement.of(**values, now=now, window_hours=window)

        form = FormDialog(
            _("Agree the follow-up call (within 72 hours)"),
            [
                FormField.of(fields.FOLLOWUP_AT, _("When (e.g. tomorrow 10:00, +2 15:00)"), now=now),
                FormField.of(
                    fields.FOLLOWUP_CHANNEL,
                    _("Channel: phone, wechat or sms"),
                    # the channel the customer's note asks for ("Prefers WeChat messages")
                    fields.preferred_channel(self.view.customer.special_note if self.view else ""),
                ),
            ],
            check=check,
        )
        self.submit(form, lambda v: self.desk.delivery.agree_followup(self.user, self.ref, drafted["agreement"]))

    def action_invoice(self) -> None:
        from desk.output.text import invoice_doc
        from desk.screens.printing import print_document

        visit_id = self.visit_id
        desk = self.desk  # the document is made in print_document's worker, from the record as it is then
        print_document(
            self,
            lambda settings, at: invoice_doc(
                desk.lifecycle.visit_view(visit_id), settings, desk.lifecycle.next_service_due(visit_id), printed_at=at
            ),
        )
