"""The one way the interface reaches the database: a thread worker whose result
comes back to the UI thread.

Below both screens and widgets (a widget or a dialog uses it as a screen does), so
that nothing under ``desk.widgets`` needs ``desk.screens``. The worker only calls
``fn`` and returns what it returned: a value the UI thread takes as it is (a frozen
dataclass, a tuple, rows of frozen records), never a widget or a screen attribute
set from the thread. What a screen keeps from a read it sets in ``done``, on the UI
thread, so a superseded read cannot overwrite a newer one's values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.worker import get_current_worker

from desk.domain.entities import Saved, VisitRef
from desk.widgets.feedback import describe_fault

T = TypeVar("T")


def run_db(
    node: DOMNode,
    fn: Callable[[], T | Saved[T]],
    done: Callable[[T], object] | None = None,
    *,
    failed: Callable[[BaseException], object] | None = None,
    took: Callable[[VisitRef], object] | None = None,
    group: str = "db",
    exclusive: bool = False,
) -> None:
    """``fn`` runs in a thread worker of ``node`` (a screen, a widget or the app);
    its result goes to ``done`` on the UI thread, its error to ``failed`` (by
    default a notification: one sentence, an unexpected error logged under a
    reference). A ``Saved`` result hands the visit's new version to ``took``
    first, and its value to ``done``.

    ``exclusive``: a newer call in the same ``group`` supersedes this one; a
    superseded read's result is dropped (a change it saved still hands over its
    version). Nothing reaches a node that has left the screen meanwhile."""
    app = node.app  # the app's own ``app`` is itself

    def tell(exc: BaseException) -> None:
        app.notify(describe_fault(exc), severity="error", timeout=8, markup=False)  # names user text: literal

    def on_ui(callback: Callable[..., object], *args: Any, superseded: Callable[[], bool] = lambda: False) -> None:
        """``callback`` on the UI thread, unless ``node`` went away meanwhile (a
        screen closed while its read was on its way: nothing left to show it on)
        or a newer call ``superseded`` it (asked on the UI thread, where the
        newer call is made)."""

        def call() -> None:
            if (node is app or node.is_attached) and not superseded():
                callback(*args)

        app.call_from_thread(call)

    def job() -> None:
        worker = get_current_worker()
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 - every error becomes a message
            on_ui(failed or tell, exc)
            return
        if isinstance(result, Saved):
            if took is not None:
                on_ui(took, result.ref)
            result = result.value
        if done is not None:
            on_ui(done, result, superseded=lambda: worker.is_cancelled)

    node.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)
