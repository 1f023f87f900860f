"""What every screen shares: access to the services and the worker pattern."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from desk.widgets.feedback import describe_error


class DeskScreen(Screen):
    """A screen that talks to the services only from thread workers."""

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
        its error to ``failed``, by default a notification) on the UI thread."""

        def job() -> None:
            try:
                result = fn()
            except Exception as exc:  # noqa: BLE001 - every error becomes a message
                self.app.call_from_thread(failed or self.show_error, exc)
                return
            if done is not None:
                self.app.call_from_thread(done, result)

        self.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)

    def show_error(self, exc: BaseException) -> None:
        self.app.log.error(repr(exc))
        self.notify(describe_error(exc), severity="error", timeout=8)
