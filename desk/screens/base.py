"""What every screen shares: access to the services and the worker pattern."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.screen import Screen

from desk.domain.entities import Saved, VisitRef
from desk.i18n import _, _n
from desk.shell.work import run_db
from desk.widgets.feedback import describe_error, describe_fault

if TYPE_CHECKING:
    from desk.domain.entities import User
    from desk.services import Desk
    from desk.shell.app import DeskApp


def translated_bindings(active: dict) -> dict:
    """Binding descriptions and tooltips (the longer text f1 and the palette show)
    are class-level English msgids; the footer shows them in the interface language."""
    out = {}
    for key, item in active.items():
        binding = item.binding
        if binding.description or binding.tooltip:
            binding = dataclasses.replace(
                binding,
                description=_(binding.description) if binding.description else "",
                tooltip=_(binding.tooltip) if binding.tooltip else "",
            )
        out[key] = item._replace(binding=binding, tooltip=binding.tooltip or item.tooltip)
    return out


T = TypeVar("T")


class DeskScreen(Screen):
    """A screen that talks to the services only from thread workers.

    A screen of one record (a visit) keeps the version it shows in ``ref``, and
    the change feed moves it on. A form opened on it (:meth:`submit`) keeps the
    version it was opened on: while it is open ``ref`` is that version, so its
    save is refused when the record moved on meanwhile, however far the screen
    behind it followed the feed."""

    if TYPE_CHECKING:
        app: DeskApp  # desk's screens live in desk's app (Textual types it App[Any])

    #: Only a manager authorises this screen's actions on the spot (set-up), not a foreman.
    MANAGERS_APPROVE = False

    #: The record as this screen shows it (following the change feed and its own saves).
    shown_ref: Any = None
    #: The version the open form was opened on (None: no form open); its saves act on it.
    form_ref: Any = None

    @property
    def ref(self):
        """What a command acts on: the open form's version, else the one shown."""
        return self.form_ref if self.form_ref is not None else self.shown_ref

    @ref.setter
    def ref(self, value) -> None:
        self.shown_ref = value

    def pin_form(self) -> Callable[[Any], None] | None:
        """A form opens: it acts on the version shown now. Returns how to move it on
        to a newer version (the form's re-apply key), or None (nothing shown here)."""
        if self.shown_ref is None:
            return None
        self.form_ref = self.shown_ref

        def on_top_of(current) -> None:
            self.form_ref = current

        return on_top_of

    def unpin_form(self) -> None:
        self.form_ref = None

    @property
    def active_bindings(self):
        return translated_bindings(super().active_bindings)

    @property
    def desk(self) -> Desk:
        """The services: a screen of desk's is shown over an open store (the early
        board, shown before, reads without them)."""
        return cast("Desk", self.app.desk)

    @property
    def user(self) -> User | None:
        """Who works here now (None while the terminal is locked)."""
        return self.app.user

    def run_db(
        self,
        fn: Callable[[], T | Saved[T]],
        done: Callable[[T], object] | None = None,
        *,
        failed: Callable[[BaseException], object] | None = None,
        group: str = "db",
        exclusive: bool = False,
    ) -> None:
        """Run ``fn`` (a service call) in a thread; hand its result to ``done`` (or
        its error to ``failed``, by default a notification) on the UI thread.

        A command that changed a visit returns ``Saved``: the screen takes the
        visit's new version (:meth:`took`) before ``done`` gets the command's own
        result, so this terminal's next key is never refused as stale."""
        run_db(self, fn, done, failed=failed or self.show_error, took=self.took, group=group, exclusive=exclusive)

    def submit(
        self,
        form,
        save: Callable[..., Any],
        done: Callable[[Any], None] | None = None,
        *,
        approve: str | Callable[[Any], str] | None = None,
        who: Callable[[], list] | None = None,
        reapply: Callable[[Any], None] | None = None,
    ) -> None:
        """Show ``form`` (a dialog with ``hold``: FormDialog, ReasonDialog) and save
        what it returns with ``save(values)`` in a worker (``save(values, actor)``
        with ``approve``, the action's name or a function of the values giving
        it: a manager may authorise the action on this terminal; with ``who``,
        someone who may do it acts, as in :meth:`run_as_or_approved`).

        The form stays up while the change is saved: it closes when it is saved
        (then ``done(result)``, by default a reload); when the change is refused
        (a stale edit: the screen below reloads with the other terminal's
        change) it stays open with what was typed, to check and save again.

        The form keeps the version it was opened on (:meth:`pin_form`; ``reapply``
        moves on a version the save function keeps itself, a list row's): a save
        after the record moved on is refused, the form says in words what the other
        terminal changed beside what was typed, and its re-apply key saves what
        was typed on top of the record as it is now."""
        from desk.domain.errors import StaleEdit
        from desk.widgets.feedback import other_changes

        form.hold = True
        reapply = reapply or self.pin_form()

        def submitted(values) -> None:
            def saved(result) -> None:
                self.unpin_form()  # what follows acts on the version the save returned
                form.close()
                (done or (lambda _r: self.reload_view()))(result)

            def refused(exc: BaseException) -> None:
                form.reopen()
                self.show_error(exc)
                if isinstance(exc, StaleEdit) and reapply is not None:
                    theirs = other_changes(exc) if exc.changes else describe_error(exc)
                    # a record that takes nothing any more (closed, cancelled) has no current version
                    form.show_stale(theirs, None if exc.current is None else lambda: reapply(exc.current))

            if approve is None:
                self.run_db(lambda: save(values), saved, failed=refused)
            else:
                action = approve(values) if callable(approve) else approve
                self.run_as_or_approved(
                    action, lambda actor: save(values, actor), saved, failed=refused, cancelled=form.reopen, who=who
                )

        form.submitted = submitted
        self.app.push_screen(form, lambda _result: self.unpin_form())

    def reload_view(self) -> None:
        """Read what the screen shows again (``reload`` or ``load``)."""
        reload = getattr(self, "reload", None) or getattr(self, "load", None)
        if callable(reload):
            reload()

    def run_as_or_approved(
        self,
        action: str,
        call: Callable[[Any], Any],
        done: Callable[[Any], None] | None = None,
        *,
        failed: Callable[[BaseException], None] | None = None,
        cancelled: Callable[[], None] | None = None,
        who: Callable[[], list] | None = None,
    ) -> None:
        """Run ``call(user)`` for the signed-in user; when their role may not do it
        (``NotAllowed``), a manager authorises this one action with their PIN on
        this terminal and ``call(manager)`` runs (the audit names the manager). The
        terminal's user stays signed in. ``cancelled``: no manager authorised it.
        ``who()`` (a service call, run in a worker): act as, the users who may do
        it themselves (a domain rule) are offered instead of the managers, and
        ``call(chosen)`` runs in the chosen one's name with their PIN."""
        from desk.domain.errors import NotAllowed

        def refused(exc: BaseException) -> None:
            if not isinstance(exc, NotAllowed):
                (failed or self.show_error)(exc)
                return
            from desk.widgets.approval import ActAs, ManagerApproval

            def approved(manager) -> None:
                if manager is not None:
                    self.run_db(lambda: call(manager), done, failed=failed)
                elif cancelled is not None:
                    cancelled()

            text = f"{action}\n{describe_error(exc)}"
            dialog = (
                ManagerApproval(text, managers_only=self.MANAGERS_APPROVE)
                if who is None
                else ActAs(text, load=who, exclude=self.user)
            )
            self.app.push_screen(dialog, approved)

        self.run_db(lambda: call(self.user), done, failed=refused)

    def took(self, ref) -> None:
        """This terminal changed the visit ``ref`` names: keep its new version.
        A screen of one visit keeps ``self.ref``; a list replaces its row's."""
        if getattr(self, "ref", None) is not None and self.ref.id == ref.id:
            self.ref = ref

    def show_error(self, exc: BaseException) -> None:
        from desk.domain.errors import StaleEdit

        self.app.log.error(repr(exc))
        # the sentence names user text (a line's description, a name): drawn literally
        self.notify(describe_fault(exc), severity="error", timeout=8, markup=False)
        if isinstance(exc, StaleEdit):
            self.reload_view()  # show the other terminal's change before the advisor tries again


class VisitActions:
    """Checklist marks and stage moves shared by every screen that shows a visit.

    Mixed into a :class:`DeskScreen`; ``visit_id``, ``ref`` (the visit as shown,
    passed to every command) and ``reload()`` come from the screen. On a refused
    move the open items are named and the cursor goes to the first one.
    """

    visit_id: int
    ref: VisitRef | None
    #: Re-read the visit and repaint (the screen this is mixed into defines it).
    reload: Callable[[], None]

    def on_checklist_mark(self, event) -> None:
        from desk.domain.checklist import MarkKind
        from desk.widgets.dialogs import ReasonDialog

        event.stop()
        item_id, kind = event.item_id, event.kind

        def mark(reason: str | None, actor):
            return self.desk.checklist.mark_item(actor, self.ref, item_id, kind, reason)

        from desk.widgets.checklist import Checklist

        shown = next((st for c in self.query(Checklist) for st in c.statuses if st.item.id == item_id), None)
        if (
            kind == MarkKind.DONE
            and shown is not None
            and shown.mark is not None
            and not shown.by_data
            and shown.state != "open"
        ):
            # space on a marked item: un-tick it, with the reason asked (a mistaken
            # tick is withdrawn, audited; it no longer writes a second tick)
            self.submit(
                ReasonDialog(_("Un-tick {item}", item=item_id), shown.item.text),
                lambda reason, actor: self.desk.checklist.mark_item(actor, self.ref, item_id, MarkKind.UNDONE, reason),
                self.show_mark,
                approve=_("Un-tick {item}", item=item_id),
            )
            return
        # a manager or foreman waives, on this terminal if need be; a tick or n.a.
        # refused for this role: someone who may do it, with their PIN, here
        waive = kind == MarkKind.WAIVED
        who = None if waive else (lambda: self.desk.checklist.who_may_mark(self.visit_id, item_id, kind))
        action = (
            _("Waive {item}", item=item_id)
            if waive
            else _("Tick {item}", item=item_id)
            if kind == MarkKind.DONE
            else _("Not applicable: {item}", item=item_id)
        )
        if kind == MarkKind.DONE or event.reason:
            self.run_as_or_approved(action, lambda actor: mark(event.reason, actor), self.show_mark, who=who)
            return
        # n.a. and waivers: the reason is asked in a dialog that stays up, with
        # what was typed, until the mark is saved (or refused)
        prompt = next((c.item_text(item_id) for c in self.query(Checklist)), "")
        title = _("Not applicable: {item}", item=item_id) if kind == MarkKind.NA else _("Waive {item}", item=item_id)
        self.submit(ReasonDialog(title, prompt), mark, self.show_mark, approve=action, who=who)

    def on_checklist_tick_required(self, event) -> None:
        """ctrl+a: every required item still open, ticked one after another in one
        worker (each mark its own audited change, the visit's version passed on);
        an item this user may not tick is left open and named."""
        from desk.domain.checklist import MarkKind
        from desk.domain.entities import Saved
        from desk.domain.errors import NotAllowed

        event.stop()
        ids = list(event.item_ids)

        def tick_all():
            ref, ticked, left = self.ref, 0, []
            for item_id in ids:
                try:
                    saved = self.desk.checklist.mark_item(self.user, ref, item_id, MarkKind.DONE)
                except NotAllowed:
                    left.append(item_id)
                    continue
                ref, ticked = saved.ref, ticked + 1
            return Saved(ref, (ticked, left))

        def done(result) -> None:
            ticked, left = result
            self.notify(_n("{n} item ticked", "{n} items ticked", ticked))
            if left:
                from desk.widgets.checklist import Checklist

                texts = [next((c.item_text(i) for c in self.query(Checklist)), "") or i for i in left]
                self.notify(_("Left open, not yours to tick: {items}", items="; ".join(texts)), severity="warning")
            self.reload()

        self.run_db(tick_all, done)

    def show_mark(self, status) -> None:
        """A mark is saved: the service returned the item's new status (a mark
        changes nothing else), so only its row is redrawn; a screen without that
        item in a checklist reads the visit again."""
        from desk.widgets.checklist import Checklist

        for table in self.query(Checklist):
            if table.update_status(status):
                view = getattr(self, "view", None)
                if view is not None and dataclasses.is_dataclass(view):
                    checklist = [status if s.item.id == status.item.id else s for s in view.checklist]
                    self.view = dataclasses.replace(view, checklist=checklist)
                return
        self.reload()

    def advance_visit(self, done=None, *, tick=()) -> None:
        """f8, or the move that follows a signature; ``tick``: the items the user was
        shown and confirmed, ticked by them with the move (``lifecycle.advance``)."""
        from desk.domain.errors import GuardFailed

        def refused(exc: BaseException) -> None:
            self.show_error(exc)
            if isinstance(exc, GuardFailed):
                from desk.widgets.checklist import Checklist

                for table in self.query(Checklist):
                    table.focus()
                    table.focus_item(exc.items[0].item.id)
                    break

        # a move the user's role may not make (a car leaving with a balance due):
        # a manager lets it go with their PIN on this terminal, named in the audit
        self.run_as_or_approved(
            _("Next stage"),
            lambda actor: self.desk.lifecycle.advance(actor, self.ref, tick=tick),
            done or (lambda stage: self.after_advance(stage)),
            failed=refused,
        )

    def after_advance(self, stage) -> None:
        from desk.domain.process import STAGE_LABELS

        self.notify(_("Moved to {stage}", stage=_(STAGE_LABELS[stage])))
        self.reload()
