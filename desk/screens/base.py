"""What every screen shares: access to the services and the worker pattern."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from desk.domain.entities import VisitRef
from desk.i18n import _
from desk.widgets.feedback import describe_error


def translated_bindings(active: dict) -> dict:
    """Binding descriptions are class-level English msgids; the footer shows them
    in the interface language."""
    out = {}
    for key, item in active.items():
        binding = item.binding
        if binding.description:
            binding = dataclasses.replace(binding, description=_(binding.description))
        out[key] = item._replace(binding=binding)
    return out


class DeskScreen(Screen):
    """A screen that talks to the services only from thread workers."""

    @property
    def active_bindings(self):
        return translated_bindings(super().active_bindings)

    @property
    def desk(self):
        return self.app.desk

    @property
    def user(self):
        return self.app.user

    def run_db(
        self,
        fn: Callable[[], Any],
        done: Callable[[Any], None] | None = None,
        *,
        failed: Callable[[BaseException], None] | None = None,
        group: str = "db",
        exclusive: bool = False,
    ) -> None:
        """Run ``fn`` (a service call) in a thread; hand its result to ``done`` (or
        its error to ``failed``, by default a notification) on the UI thread.

        A command that changed a visit returns ``Saved``: the screen takes the
        visit's new version (:meth:`took`) before ``done`` gets the command's own
        result, so this terminal's next key is never refused as stale."""
        from desk.domain.entities import Saved

        def job() -> None:
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - every error becomes a message
                self.app.call_from_thread(failed or self.show_error, exc)
                return
            if isinstance(result, Saved):
                self.app.call_from_thread(self.took, result.ref)
                result = result.value
            if done is not None:
                self.app.call_from_thread(done, result)

        self.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

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
            dialog = ManagerApproval(text) if who is None else ActAs(text, load=who, exclude=self.user)
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
        self.notify(describe_error(exc), severity="error", timeout=8)
        reload = getattr(self, "reload", None) or getattr(self, "load", None)
        if isinstance(exc, StaleEdit) and callable(reload):
            reload()  # show the other terminal's change before the advisor tries again


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

        def save(reason: str | None) -> None:
            if reason is None:
                return
            mark = lambda actor: self.desk.checklist.mark_item(actor, self.ref, item_id, kind, reason)  # noqa: E731
            if kind == MarkKind.WAIVED:  # a manager or foreman waives, on this terminal if need be
                self.run_as_or_approved(_("Waive {item}", item=item_id), mark, self.show_mark)
            else:  # refused for this role: someone who may do it, with their PIN, here
                title = _("Tick {item}", item=item_id) if kind == MarkKind.DONE else _(
                    "Not applicable: {item}", item=item_id)
                self.run_as_or_approved(title, mark, self.show_mark,
                                        who=lambda: self.desk.checklist.who_may_mark(self.visit_id, item_id, kind))

        if kind == MarkKind.DONE or event.reason:
            save(event.reason)
        else:
            title = _("Not applicable: {item}", item=item_id) if kind == MarkKind.NA else _(
                "Waive {item}", item=item_id
            )
            self.app.push_screen(ReasonDialog(title), save)

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

    def advance_visit(self, done=None) -> None:
        from desk.domain.errors import GuardFailed

        def refused(exc: BaseException) -> None:
            self.show_error(exc)
            if isinstance(exc, GuardFailed):
                from desk.widgets.checklist import Checklist

                for table in self.query(Checklist):
                    table.focus()
                    table.focus_item(exc.items[0].item.id)
                    break

        self.run_db(
            lambda: self.desk.lifecycle.advance(self.user, self.ref),
            done or (lambda stage: self.after_advance(stage)),
            failed=refused,
        )

    def after_advance(self, stage) -> None:
        from desk.domain.process import STAGE_LABELS

        self.notify(_("Moved to {stage}", stage=_(STAGE_LABELS[stage])))
        self.reload()
