"""The frame every stage screen of a visit shares, and the router from a visit's
stage to its screen."""

from __future__ import annotations

from importlib import import_module

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Header, Static

from desk.domain import fields
from desk.domain.estimate import Signature, parts_to_chase, promise_conflict, promise_conflict_words
from desk.domain.process import MAIN_LINE, STAGE_LABELS, Stage
from desk.domain.validate import show_phone
from desk.i18n import N_, _, _n
from desk.screens.base import DeskScreen, VisitActions
from desk.widgets.checklist import Checklist
from desk.widgets.comebacks import proposal_text
from desk.widgets.dialogs import FormDialog, FormField
from desk.widgets.footer import DeskFooter

#: stage -> "module:Class" of the screen that works on a visit in that stage.
STAGE_SCREENS: dict[str, str] = {
    Stage.BOOKED: "desk.screens.booking:AppointmentScreen",
    Stage.RECEPTION: "desk.screens.reception:ReceptionScreen",
    Stage.WALKAROUND: "desk.screens.walkaround:WalkaroundScreen",
    Stage.ESTIMATE: "desk.screens.estimate:EstimateScreen",
    Stage.IN_REPAIR: "desk.screens.workshop:WorkshopScreen",
    Stage.QC: "desk.screens.delivery:QCScreen",
    Stage.READY: "desk.screens.delivery:DeliveryScreen",
    Stage.DELIVERED: "desk.screens.followup:CallScreen",
}


def screen_for(stage: str, visit_id: int, **kw):
    """The screen for a visit in ``stage`` (None when no screen handles it)."""
    path = STAGE_SCREENS.get(Stage(stage))
    if path is None:
        return None
    module, cls = path.split(":")
    return getattr(import_module(module), cls)(visit_id, **kw)


def stage_bar(current: str, width: int | None = None) -> Text:
    """Booked > Reception > [Walkaround] > … (ASCII separators: CJK-safe).
    ``width``: the room there is; stages far from the current one give way to
    "..." at either end (ASCII, as the separators), so the current stage and its
    neighbours always show."""
    shown = list(MAIN_LINE)
    bar = _stage_bar(current, shown)
    at = MAIN_LINE.index(Stage(current)) if current in MAIN_LINE else len(MAIN_LINE) - 1
    while width is not None and bar.cell_len > width:
        # drop the stage farthest from the current one (the earlier side first),
        # never the current one or its neighbours
        first, last = MAIN_LINE.index(shown[0]), MAIN_LINE.index(shown[-1])
        if max(at - first, last - at) <= 1:
            break
        shown.pop(0 if at - first >= last - at else -1)
        bar = _stage_bar(current, shown)
    return bar


def _stage_bar(current: str, shown: list) -> Text:
    out = Text()
    if shown[0] != MAIN_LINE[0]:
        out.append("... > ", style="dim")
    for i, stage in enumerate(shown):
        if i:
            out.append(" > ", style="dim")
        label = _(STAGE_LABELS[stage])
        if stage == current:
            out.append(f"[{label}]", style="bold reverse")
        else:
            passed = MAIN_LINE.index(stage) < MAIN_LINE.index(Stage(current)) if current in MAIN_LINE else False
            out.append(label, style="green" if passed else "dim")
    if shown[-1] != MAIN_LINE[-1]:
        out.append(" > ...", style="dim")
    if current not in MAIN_LINE:
        out.append(f"   {_(STAGE_LABELS[Stage(current)])}", style="bold red")
    return out


def visit_heading(view, *, flags: int = 0) -> Text:
    v, c, veh = view.visit, view.customer, view.vehicle
    out = Text()
    out.append(f"{v.number}  ", style="bold")
    out.append(c.name, style="bold")
    out.append(f"  {show_phone(c.phone)}  ")
    out.append(veh.plate, style="bold cyan")
    out.append(f"  {veh.make} {veh.model} {veh.year or ''}  ".rstrip() + "  ")
    if veh.vin:
        out.append(f"VIN {veh.vin}  ", style="dim")
    if c.vip or c.special_note:
        out.append(f" {_('VIP')} ", style="bold magenta reverse")
        out.append(" ")
    if v.comeback_of_id:
        out.append(f" {_('COMEBACK')} ", style="bold red reverse")
        out.append(" ")
    if view.comeback_proposal is not None:
        out.append_text(proposal_text(view.comeback_proposal))
        out.append(" ")
    if view.hold:
        out.append(f" {_('HOLD')}: {_(view.hold.upper())} ", style="bold yellow reverse")
        out.append(" ")
    if flags:
        out.append(" " + _n("{n} flag (h)", "{n} flags (h)", flags) + " ", style="bold magenta reverse")
    chase = parts_to_chase(view.lines)
    if chase:
        out.append("\n")
        out.append(
            _n(
                "Chase the supplier for an arrival date: {parts}",
                "Chase the supplier for arrival dates: {parts}",
                len(chase),
                parts=", ".join(ln.description for ln in chase),
            ),
            style="bold yellow",
        )
    if view.void is not None:
        # the customer's signature no longer covers the estimate: say what voided it
        msg, values = view.void
        out.append("\n")
        out.append(_(msg, **values), style="bold red")
    conflict = promise_conflict(v.promised_at, view.lines)
    if conflict is not None:
        # the one rule of the promise, here when an ETA moved past it (EST-04 opens again)
        msg, values = promise_conflict_words(v.promised_at, conflict)
        out.append("\n")
        out.append(_(msg, **values), style="bold red")
    if c.special_note:
        out.append("\n")
        out.append(_("Note: "), style="bold magenta")
        out.append(c.special_note)
    return out


class VisitScreen(VisitActions, DeskScreen):
    """Heading, stage bar, the stage's MOT checklist and a stage-specific panel.

    Subclasses implement :meth:`compose_panel` and :meth:`show_panel`.
    """

    BINDINGS = [
        # the stage's own keys (the subclass's) come first in the footer; these
        # work on every stage, and f1 lists the ones the footer leaves out
        Binding("f8", "advance", N_("Next stage"), id="visit.advance"),
        Binding(
            "ctrl+a",
            "tick_required",
            N_("Tick the required"),
            id="visit.tick_required",
            show=False,
            tooltip=N_("Tick every required item still open (the ones the data does not answer)"),
        ),
        Binding("escape", "back", N_("Back"), id="visit.back", show=False),
        Binding("ctrl+r", "reload", N_("Reload"), id="visit.reload", show=False),
        Binding("h", "history", N_("History"), id="visit.history", show=False),
    ]
    DEFAULT_CSS = """
    VisitScreen #visit-heading { padding: 0 1; background: $boost; height: auto; }
    VisitScreen #stage-bar { padding: 0 1; height: 1; }
    VisitScreen #visit-body { height: 1fr; }
    VisitScreen #panel { width: 45%; padding: 0 1; }
    VisitScreen Checklist { width: 55%; height: 1fr; }
    VisitScreen #visit-body.stacked { layout: vertical; }
    VisitScreen #visit-body.stacked #panel { width: 100%; height: 1fr; }
    VisitScreen #visit-body.stacked Checklist { width: 100%; height: 1fr; }
    VisitScreen .section-title { text-style: bold; margin-top: 1; }
    """

    def __init__(self, visit_id: int, *, focus_open: bool = False) -> None:
        super().__init__()
        self.visit_id = visit_id
        self.view = None
        #: The visit as this screen last showed it (or saved it): every command passes it.
        self.ref = None
        #: Opened because a move was refused: put the cursor on the first open item.
        self.focus_open = focus_open
        #: The change feed's count when the visit was last read (see on_screen_resume).
        self.feed_seen = -1
        #: The visit moved to another stage while a dialog was up: its screen opens
        #: when the dialog closes (what is typed in it is not thrown away).
        self.moved_on = False

    def compose(self) -> ComposeResult:
        yield Header(show_clock=self.app.show_clock)
        yield Static("", id="visit-heading")
        yield Static("", id="stage-bar")
        with Horizontal(id="visit-body", classes="stacked" if self.STACKED else ""):
            with Vertical(id="panel"):
                yield from self.compose_panel()
            yield Checklist(id="checklist")
        yield DeskFooter()

    def compose_panel(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        # Subclasses' own on_mount run too (Textual walks the MRO): they must not
        # load again; a different first load overrides first_load().
        self.first_load()

    def first_load(self) -> None:
        self.reload()

    #: Checklist flags of this visit not accepted yet (desk.domain.integrity): a
    #: badge on the heading, the reasons behind ``h``.
    open_flags = 0

    #: The car's last visits this screen shows, read with the visit (``VisitView.last_visits``).
    PAST_VISITS = 0

    def reload(self) -> None:
        self.feed_seen = self.app.live.seen
        vid, past = self.visit_id, self.PAST_VISITS
        self.run_db(
            lambda: (self.desk.lifecycle.visit_view(vid, past=past), len(self.desk.integrity.visit_flags(vid).open())),
            self.show_read,
            group="visit",
            exclusive=True,
        )

    def show_read(self, read) -> None:
        view, self.open_flags = read
        self.show_view(view)

    def on_data_changed(self, message) -> None:
        """This visit changed, here or on another terminal: show it now. An open
        dialog on top stays as it is, with what was typed in it, and keeps focus."""
        if self.visit_id in message.visit_ids:
            self.reload()

    def on_screen_resume(self) -> None:
        """Back on this screen (a dialog closed, or back from another area, whose
        screens the change feed does not reach): catch up on what was missed."""
        if self.moved_on or (self.view is not None and self.feed_seen != self.app.live.seen):
            self.reload()

    def show_view(self, view) -> None:
        shown = self.shown_ref
        if shown is not None and view.ref.id == shown.id and view.ref.version < shown.version:
            return  # read before this terminal's own later change: that change's reload follows
        self.view = view
        self.ref = view.ref
        if view.visit.stage != self.stage:
            # the visit moved on (here or on another terminal): open its screen,
            # or go back to the list when its process is over; not under an open
            # dialog, which would be closed with what was typed in it
            if self.app.screen is not self:
                self.moved_on = True
                return
            self.moved_on = False
            if STAGE_SCREENS.get(view.visit.stage):
                self.app.switch_screen(screen_for(view.visit.stage, self.visit_id))
            else:
                self.dismiss()
            return
        self.update_static("#visit-heading", visit_heading(view, flags=self.open_flags))
        self.show_stage_bar()
        checklist = self.query_one(Checklist)
        checklist.show(view.checklist)
        self.show_panel(view)
        self.refresh_bindings()  # keys that depend on the visit (signed, say) grey out
        if self.focus_open and checklist.first_blocking():
            self.focus_open = False
            checklist.focus()
            checklist.focus_item(checklist.first_blocking())

    def show_stage_bar(self) -> None:
        if self.view is not None:
            self.update_static("#stage-bar", stage_bar(self.view.visit.stage, max(20, self.app.size.width - 2)))

    def on_resize(self) -> None:
        self.show_stage_bar()  # the stages that fit, at the new width

    def update_static(self, selector: str, text: Text) -> None:
        """Update a Static only when its text changed: a reload after this
        terminal's own change redraws only what the change touched."""
        shown = getattr(self, "_shown_text", None)
        if shown is None:
            shown = self._shown_text = {}
        if shown.get(selector) == (text.plain, text.style, text.spans):
            return
        shown[selector] = (text.plain, text.style, text.spans)
        self.query_one(selector, Static).update(text)

    #: The stage this screen works on.
    stage: str = ""
    #: The panel over the checklist, both the terminal's full width (a line
    #: table's columns fit 80 columns so), rather than side by side.
    STACKED = False

    def show_panel(self, view) -> None:
        """Fill the stage panel from the visit view."""

    def action_back(self) -> None:
        self.dismiss()

    def action_reload(self) -> None:
        self.reload()

    def action_advance(self) -> None:
        self.advance_visit()

    def action_tick_required(self) -> None:
        self.query_one(Checklist).action_tick_required()

    def move_promise(self) -> None:
        """Move the promised time: after the signature a later time is a change the
        customer approves, recorded with it (who and how); the service refuses it
        without, and refuses a time before an open part's ETA."""
        view = self.view
        if view is None:
            return
        now = self.app.clock()
        at = view.visit.promised_at or now
        shown = f"{at:%H:%M}" if at.date() == now.date() else f"{at:%Y-%m-%d %H:%M}"
        form = FormDialog(
            _("Move the promised time: the customer approves a later one"),
            [
                FormField.of(fields.PROMISED, _("When (e.g. 17:30, tomorrow 10:00)"), shown, now=now),
                FormField.of(fields.CHANNEL, _("Channel: 1 = in person, 2 = phone")),
                FormField.of(fields.SIGNER, _("Approved by"), view.customer.name),
                FormField.of(fields.REFERENCE, _("Paper RO number, or the phone number")),
            ],
        )
        # a technician's terminal asks an advisor's PIN (act as), as for the customer's decision
        self.submit(
            form,
            lambda v, actor: self.desk.lifecycle.set_promised(
                actor,
                self.ref,
                v["promised"],
                approval=Signature.of(channel=v["channel"], signer=v["signer"], reference=v["reference"]),
            ),
            approve=_("Move the promised time"),
            who=lambda: self.desk.workshop.who_may_decide([]),
        )

    def action_history(self) -> None:
        from desk.screens.history import HistoryScreen

        self.app.push_screen(HistoryScreen(self.visit_id))
