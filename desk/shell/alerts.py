"""A major complaint reaches the manager at once, on every terminal a manager is
signed in to (spec, complaints: major ones escalated to the manager at once).

On sign-in a manager is told of the open major complaints; after that each change
the change feed reports (``DataChanged``, this terminal's or another's) looks for
major complaints opened since, and tells of each once. Who hears of them is the
domain's (``staff.hears_of_major_complaints``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from desk.i18n import _

if TYPE_CHECKING:
    from desk.shell.app import DeskApp


class ComplaintAlerts:
    def __init__(self, app: DeskApp) -> None:
        self.app = app
        #: The newest complaint this terminal's user was told of (None: not looked yet).
        self.seen: int | None = None
        self._user_id: int | None = None

    def check(self) -> None:
        """Look for major complaints the signed-in manager has not been told of."""
        from desk.domain import staff  # not on the first board's path

        user = self.app.user
        if self.app.desk is None or user is None or not staff.hears_of_major_complaints(user):
            return
        if user.id != self._user_id:  # another manager took over: they are told afresh
            self._user_id, self.seen = user.id, None
        after = self.seen
        from desk.shell.work import run_db

        desk = self.app.desk
        run_db(self.app, lambda: desk.complaints.major_open(after), self._tell, group="alerts")

    def _tell(self, found: list[Any]) -> None:
        for c in found:
            if self.seen is not None and c.id <= self.seen:
                continue  # two looks crossed: told once
            self.app.notify(
                _("Major complaint: {customer}: {summary}", customer=c.customer, summary=c.summary),
                title=_("Escalated to the manager (f5)"),
                severity="error",
                timeout=30,
                markup=False,
            )
        if found:
            self.seen = max([self.seen or 0] + [c.id for c in found])
        elif self.seen is None:
            self.seen = 0
