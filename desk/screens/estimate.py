"""Estimate and authorisation (stage 4): lines, canned jobs, availability, totals,
promised time, the customer's signature on this exact estimate version."""

from __future__ import annotations

import dataclasses

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from desk.domain import fields, staff
from desk.domain.entities import Availability, LineKind
from desk.domain.estimate import LINE_FORM, PART_FORM, AuthorisationDraft
from desk.domain.money import format_money, line_net, priced
from desk.domain.process import Stage
from desk.domain.rules import estimate_lines_of
from desk.i18n import N_, _, lang_text
from desk.screens.visit import VisitScreen
from desk.widgets.carryover import CarryOverActions, earlier_panel
from desk.widgets.dialogs import ConfirmDialog, FormDialog, FormField, PickDialog
from desk.widgets.lines import STOCK_WIDTH, WORK_WIDTH, description_cell, stock_cell, work_cell
from desk.widgets.tables import append_rows, row_height

#: Short (the column is 4 wide): "lab." is labour.
KIND_LABELS = {LineKind.LABOUR: N_("lab."), LineKind.PART: N_("part"), LineKind.FEE: N_("fee")}


def totals_text(view, symbol: str) -> Text:
    """Two lines under the line table: the totals, then the promise and the
    signature (wrapped at 80 columns)."""
    t = view.estimate_totals
    out = Text()
    rows = [(_("Gross"), t.gross), (_("Discount"), -t.discount), (_("Net"), t.net), (_("Tax"), t.tax)]
    for label, cents in rows:
        out.append(f"{label} ", style="dim")
        out.append(f"{format_money(cents, symbol)}   ")
    out.append(f"{_('Total')} {format_money(t.total, symbol)}", style="bold")
    if t.not_charged:
        out.append(f"   {_('Not charged')} {format_money(t.not_charged, symbol)}", style="dim")
    v = view.visit
    out.append("\n" + _("Promised") + ": ", style="bold")
    out.append(v.promised_at.strftime("%Y-%m-%d %H:%M") if v.promised_at else "-")
    out.append("   " + _("Authorised") + ": ", style="bold")
    out.append(_("yes, this version") if view.authorised else _("no"), style="green" if view.authorised else "bold red")
    out.append(f"   ({_('estimate version {n}', n=v.estimate_version)})", style="dim")
    return out


class EstimateScreen(CarryOverActions, VisitScreen):
    stage = Stage.ESTIMATE
    STACKED = True  # the line table needs the width
    BINDINGS = [
        # in the footer in this order, as many as fit (f1 lists them all)
        Binding("j", "canned_job", N_("Canned job"), id="estimate.canned_job"),
        Binding("p", "add_line('part')", N_("Part"), id="estimate.part"),
        Binding("l", "add_line('labour')", N_("Labour"), id="estimate.labour"),
        Binding("t", "promised", N_("Promise"), id="estimate.promised", tooltip=N_("Promised time")),
        Binding("s", "authorise", N_("Sign"), id="estimate.authorise", tooltip=N_("Customer signs")),
        Binding("e", "add_line('fee')", N_("Fee"), id="estimate.fee"),
        Binding("f6", "print_estimate", N_("Print"), id="estimate.print_estimate"),
        Binding("v", "availability", N_("Availability"), id="estimate.availability"),
        Binding(
            "c",
            "change_line",
            N_("Change line"),
            id="estimate.change_line",
            tooltip=N_("Quantity, price, discount, tax code of the line"),
        ),
        Binding("delete", "remove_line", N_("Remove line"), id="estimate.remove_line"),
        Binding("r", "earlier_work", N_("Declined earlier"), id="estimate.earlier_work"),
    ]
    DEFAULT_CSS = """
    EstimateScreen #lines { height: 1fr; }
    EstimateScreen #totals { height: auto; }
    EstimateScreen #earlier { height: auto; }
    """

    def compose_panel(self) -> ComposeResult:
        yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
        yield Static("", id="totals")
        yield earlier_panel()

    def on_mount(self) -> None:
        table = self.query_one("#lines", DataTable)
        # within 80 columns (the body stacks the lines over the checklist): the
        # discount and the flags go with the description, the price with the amount
        for key, label, width in (
            ("kind", N_("Kind"), 4),
            ("desc", N_("Description"), 22),
            ("qty", N_("Qty"), 4),
            ("amount", N_("Amount"), 10),
            ("avail", N_("Stock"), STOCK_WIDTH),
            ("work", N_("Work"), WORK_WIDTH),
        ):
            table.add_column(_(label), key=key, width=width)
        table.focus()

    @property
    def symbol(self) -> str:
        return self.app.settings.currency_symbol

    def _line_cells(self, ln) -> tuple:
        net = line_net(priced(ln))
        desc = description_cell(ln)
        notes = [f"-{ln.discount_pct.normalize():f}%"] if ln.discount_pct else []
        notes += [x for x, on in ((_("warranty"), ln.warranty), (_("free"), ln.free)) if on]
        if notes:
            desc.append(" " + " ".join(notes), style="dim")
        names = getattr(self, "names", {})
        return (
            _(KIND_LABELS[ln.kind]),
            desc,
            f"{ln.qty.normalize():f}",
            format_money(net),
            stock_cell(ln),
            work_cell(ln, names, self.view.visit.technician_id if self.view else None, todo=""),
        )

    @staticmethod
    def _same(a: tuple, b: tuple) -> bool:
        plain = lambda c: (c.plain, c.style) if isinstance(c, Text) else c
        return [plain(c) for c in a] == [plain(c) for c in b]

    def show_panel(self, view) -> None:
        table = self.query_one("#lines", DataTable)
        rows = [(ln.id, self._line_cells(ln)) for ln in view.lines]
        shown = getattr(self, "_shown_rows", None)
        if (
            shown is not None
            and len(shown) <= len(rows)
            and all(sid == nid and self._same(scells, ncells) for (sid, scells), (nid, ncells) in zip(shown, rows))
        ):
            # the lines shown are unchanged (a line was added, or nothing changed):
            # add the new rows only
            append_rows(table, [(str(line_id), cells) for line_id, cells in rows[len(shown) :]], wrap=True)
            self.line_ids.extend(line_id for line_id, _cells in rows[len(shown) :])
        else:
            # a reload (maybe another terminal's change): the cursor stays on the
            # line it was on, so the next key acts on the line the user chose
            row, chosen = table.cursor_row, self.selected_line()
            table.clear()
            self.line_ids = []
            for line_id, cells in rows:
                table.add_row(*cells, key=str(line_id), height=row_height(table, cells))
                self.line_ids.append(line_id)
            if self.line_ids:
                keep = self.line_ids.index(chosen) if chosen in self.line_ids else min(row, len(self.line_ids) - 1)
                table.move_cursor(row=keep)
        self._shown_rows = rows
        self.update_static("#totals", totals_text(view, self.symbol))
        self.load_offers()

    def selected_line(self) -> int | None:
        table = self.query_one("#lines", DataTable)
        if not getattr(self, "line_ids", None):
            return None
        return self.line_ids[min(table.cursor_row, len(self.line_ids) - 1)]

    def call(self, fn, after=None) -> None:
        self.run_db(fn, after or (lambda _r: self.reload()))

    # ------------------------------------------------------------------ lines

    def action_canned_job(self) -> None:
        def chosen(job_id):
            if job_id:
                self.call(lambda: self.desk.estimate.add_canned_job(self.user, self.ref, job_id))

        def pick(jobs) -> None:  # the shop's jobs are stored: read in a worker
            choices = [(j.id, lang_text(j.en, j.zh)) for j in jobs]
            self.app.push_screen(PickDialog(_("Canned job"), choices), chosen)

        self.run_db(self.desk.estimate.canned_jobs, pick)

    def action_add_line(self, kind: str) -> None:
        today = self.app.clock().date()
        labels = {
            "description": _("Description"),
            "qty": _("Hours") if kind == "labour" else _("Quantity"),
            "unit_cents": _("Unit price"),
            "discount_pct": _("Discount %"),
            "warranty": _("Warranty (y/n)"),
            "free": _("Free item (y/n)"),
            "eta": _("In stock: leave empty. Back order: arrival date, or ? until the supplier says"),
        }
        values = {"qty": "1", "discount_pct": "0", "warranty": "n", "free": "n"}
        # the fields are the domain's specs: the inline messages are the rules the line is kept to
        specs = PART_FORM if kind == "part" else LINE_FORM
        fields = [FormField.of(spec, labels[spec.name], values.get(spec.name, ""), today=today) for spec in specs]
        drafted: dict = {}

        def check(values: dict) -> None:
            drafted["line"] = self.desk.estimate.form_line(values, kind=kind)

        def save(values, actor):
            return self.desk.estimate.add_estimate_line(actor, self.ref, drafted["line"])

        title = {"labour": _("Add labour"), "part": _("Add part"), "fee": _("Add fee")}[kind]
        # the form stays up while the line is saved and closes with the line on
        # screen: the screen below is redrawn once (on a failure it stays open);
        # a price override (staff.may_price): a manager authorises it here
        self.submit(
            FormDialog(title, fields, check=check),
            save,
            self.show_line_added,
            approve=lambda values: _("Price override: {line}", line=drafted["line"].description),
        )

    def show_line_added(self, added) -> None:
        """The line is saved: show it and the new totals the service returned
        (only the new row is drawn), then read the visit again after that frame
        for what follows from the line elsewhere (checklist items checked from
        the data, the authorisation, the estimate version)."""
        view = self.view
        if view is None:
            self.reload()
            return
        # the change feed may have read the visit again, new line and all, before
        # this result arrived: the line is shown once (it was drawn, and printed, twice)
        lines = [ln for ln in view.lines if ln.id != added.line.id] + [added.line]
        self.view = dataclasses.replace(view, lines=lines, totals=added.totals, estimate_totals=added.estimate_totals)
        self.show_panel(self.view)
        self.call_after_refresh(self.reload)

    def action_availability(self) -> None:
        line_id = self.selected_line()
        if line_id is None:
            return
        today = self.app.clock().date()
        patch = self.desk.estimate.patch

        def chosen(avail):
            if avail == Availability.IN_STOCK:
                self.call(
                    lambda: self.desk.estimate.update_line(
                        self.user, self.ref, line_id, patch(availability=avail, eta=None)
                    )
                )
            elif avail == Availability.BACK_ORDER:
                form = FormDialog(
                    _("Back order: we apologise and agree the arrival date")
                    + "\n"
                    + _("Availability of {line}", line=self.line_named(line_id)),
                    [
                        # "?" (or empty): the supplier has given no date yet, as on the part form
                        FormField.of(fields.PART_ETA, _("Arrival date"), today=today),
                    ],
                )
                self.submit(
                    form,
                    lambda v: self.desk.estimate.update_line(
                        self.user,
                        self.ref,
                        line_id,
                        patch(availability=avail, eta=None if v["eta"] is fields.NO_DATE_YET else v["eta"]),
                    ),
                )

        self.app.push_screen(
            PickDialog(
                _("Availability of {line}", line=self.line_named(line_id)),
                [
                    (Availability.IN_STOCK, _("in stock")),
                    (Availability.BACK_ORDER, _("back order")),
                ],
            ),
            chosen,
        )

    def action_change_line(self) -> None:
        """Change the chosen line's price fields before the customer signs. A
        change that lowers what the customer pays beyond the advisor's limit
        (``staff.may_change_price``) is authorised here by a manager's PIN."""
        line_id = self.selected_line()
        line = next((ln for ln in self.view.lines if ln.id == line_id), None) if self.view else None
        if line is None:
            return
        today, taxes = self.app.clock().date(), self.desk.ctx.pricing.taxes
        yes_no = {True: "y", False: "n"}
        form = FormDialog(
            _("Change line: {line}", line=line.description),
            [
                FormField.of(
                    fields.QTY,
                    _("Hours") if line.kind == LineKind.LABOUR else _("Quantity"),
                    f"{line.qty.normalize():f}",
                    today=today,
                ),
                FormField.of(fields.UNIT_PRICE, _("Unit price"), fields.UNIT_PRICE.show(line.unit_cents), today=today),
                FormField.of(fields.DISCOUNT, _("Discount %"), fields.decimal_text(line.discount_pct), today=today),
                FormField.of(
                    fields.TAX_CODE, _("Tax code ({codes})", codes=", ".join(taxes)), line.tax_code, taxes=taxes
                ),
                FormField.of(fields.WARRANTY, _("Warranty (y/n)"), yes_no[line.warranty], today=today),
                FormField.of(fields.FREE, _("Free item (y/n)"), yes_no[line.free], today=today),
            ],
        )

        shown = {
            "qty": line.qty,
            "unit_cents": line.unit_cents,
            "discount_pct": line.discount_pct,
            "tax_code": line.tax_code,
            "warranty": line.warranty,
            "free": line.free,
        }

        def save(values, actor):
            # only what this form changed: a save on top of another terminal's change
            # (ctrl+r) keeps the fields it did not touch as they are now (it put an
            # old price back, unseen)
            changed = {k: v for k, v in values.items() if v != shown.get(k)}
            if not changed:
                return None
            return self.desk.estimate.update_line(actor, self.ref, line.id, self.desk.estimate.patch(**changed))

        self.submit(form, save, approve=_("Price override: {line}", line=line.description))

    def line_named(self, line_id: int) -> str:
        """The description of the line ``line_id``, for a question about it."""
        line = next((ln for ln in self.view.lines if ln.id == line_id), None) if self.view else None
        return line.description if line else ""

    def action_remove_line(self) -> None:
        line_id = self.selected_line()
        if line_id is None:
            return
        self.app.push_screen(
            ConfirmDialog(_("Remove the line {line}?", line=self.line_named(line_id))),
            lambda yes: yes and self.call(lambda: self.desk.estimate.remove_line(self.user, self.ref, line_id)),
        )

    def promise_field(self, label: str = "") -> FormField:
        """The promised completion time (EST-04): the one promised, else the one
        offered (the labour's hours from now, or from the last part's ETA, within
        opening hours); Enter accepts it."""
        now = self.app.clock()
        view = self.view
        hours = sum(float(ln.qty) for ln in view.lines if ln.kind == LineKind.LABOUR) if view else 0.0
        etas = [ln.eta for ln in view.lines if ln.kind == LineKind.PART and ln.eta] if view else []
        at = (
            view.visit.promised_at
            if view and view.visit.promised_at
            else self.desk.ctx.schedule.promise_default(now, hours, etas)
        )
        shown = f"{at:%H:%M}" if at.date() == now.date() else f"{at:%Y-%m-%d %H:%M}"
        return FormField.of(fields.PROMISED, label or _("When (e.g. 17:30, tomorrow 10:00)"), shown, now=now)

    def action_promised(self) -> None:
        if self.view is not None and self.view.visit.signed_promised_at is not None:
            self.move_promise()  # signed: a later time is approved by the customer
            return
        form = FormDialog(_("Promised completion time"), [self.promise_field()])
        self.submit(form, lambda v: self.desk.lifecycle.set_promised(self.user, self.ref, v["promised"]))

    # ------------------------------------------------------------------ authorisation

    def check_action(self, action: str, parameters) -> bool | None:
        """``s`` is greyed out while the estimate has no lines (nothing to sign;
        the service refuses it too) and once this estimate version is signed: a
        second signature of the same estimate is not offered (the service refuses
        one made on a stale version)."""
        if action == "authorise" and (
            self.view is None or self.view.authorised or not estimate_lines_of(self.view.lines)
        ):
            return None
        if action == "earlier_work" and not self.earlier_work_enabled():
            return False  # shown only when an earlier visit left declined work to offer
        return True

    def action_authorise(self) -> None:
        """The customer signs: channel, signer and amount pre-filled, and the
        completion time they sign for (EST-04). The advisor's own items still open
        (explaining the order, EST-06) are named on the form and ticked with the
        signature, before the move into the workshop that follows it."""
        view = self.view
        if view is None or view.authorised:
            return
        total = view.estimate_totals.total
        drafted: dict = {}
        ticks = [s.item.id for s in staff.yours_to_tick(self.user, view.checklist)]
        texts = [s.item.text for s in view.checklist if s.item.id in ticks]

        def check(values: dict) -> None:
            # the form's total refuses a short amount at once; the service checks it
            # again on the estimate as it signs it
            signed = {k: v for k, v in values.items() if k != "promised"}
            drafted["signature"] = AuthorisationDraft.of(**signed, total_cents=total)

        note = _("Saving also ticks, as done by you: {items}", items="; ".join(texts)) if texts else ""
        form = FormDialog(
            _(
                "Customer authorises estimate version {n}: total {total}",
                n=view.visit.estimate_version,
                total=format_money(total, self.symbol),
            ),
            [
                FormField.of(fields.CHANNEL, _("Channel: 1 = in person, 2 = phone"), "1"),
                FormField.of(fields.SIGNER, _("Signed by"), view.customer.name),
                FormField.of(fields.REFERENCE, _("Paper RO number, or the phone number")),
                FormField.of(fields.AMOUNT, _("Amount authorised"), format_money(total)),
                self.promise_field(_("Promised completion (e.g. 17:30, tomorrow 10:00)")),
            ],
            check=check,
            note=note,
        )

        def signed(_authorisation) -> None:
            # The authorisation is its own transaction: it is kept even if
            # another item still blocks the move into the workshop (the move
            # passes the version the authorisation returned). It is on screen at
            # once, and ``s`` greys out: nobody signs it twice.
            if self.view is not None:
                self.view = dataclasses.replace(self.view, authorised=True)
                self.update_static("#totals", totals_text(self.view, self.symbol))
                self.refresh_bindings()
            self.advance_visit()

        # the items the form names are ticked with the signature: what the form
        # says saving does happens even when the move into the workshop is refused
        self.submit(
            form,
            lambda values: self.desk.estimate.authorise(
                self.user, self.ref, drafted["signature"], promised_at=values["promised"], tick=ticks
            ),
            signed,
        )

    def after_advance(self, stage) -> None:
        """ "Authorised" only when a valid signature covers the estimate (not when
        EST-07 was waived)."""
        from desk.domain.process import STAGE_LABELS

        if self.view is not None and self.view.authorised:
            self.notify(_("Authorised. Moved to {stage}", stage=_(STAGE_LABELS[stage])))
        else:
            self.notify(_("Moved to {stage}", stage=_(STAGE_LABELS[stage])))
        self.reload()

    def action_print_estimate(self) -> None:
        from desk.output.text import estimate_doc
        from desk.screens.printing import print_document

        # the paper is made from the record as it is now, read in the worker, never
        # from what this screen holds (a line drawn twice was printed twice)
        if self.view is None:
            return
        read, vid = self.desk.lifecycle.visit_view, self.visit_id
        print_document(self, lambda settings, at: estimate_doc(read(vid), settings, printed_at=at))
