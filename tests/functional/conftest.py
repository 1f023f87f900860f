"""Functional tests see the same screen on every machine: the host's SQLite build
must not add its start-up warning to the snapshots (tested on its own below)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fixed_sqlite_build(monkeypatch, request):
    if "keep_sqlite_check" not in request.keywords:
        monkeypatch.setattr("desk.store.health.sqlite_version_ok", lambda *a, **k: True)
