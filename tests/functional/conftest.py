"""Functional tests run on this machine's SQLite as it is: on a library with the
WAL-reset bug that is the rollback journal, the route users get (desk.store.db).
A notification does not vanish sooner on a slower machine."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _notifications_stay_on_screen(monkeypatch):
    """A notification stays up until the test ends. Its timeout (3 s, say) runs
    on the wall clock: on a busy machine, or with the suite spread over every
    core, it could expire before a snapshot is taken, and the same screen would
    differ from run to run. No test waits for one to go away."""
    from textual.app import App

    real = App.notify

    def notify(self, message, **kw):
        kw["timeout"] = 3600
        return real(self, message, **kw)

    monkeypatch.setattr(App, "notify", notify)
