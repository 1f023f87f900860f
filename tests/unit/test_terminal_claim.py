"""One terminal per SQLite file on a SQLite library with the WAL-reset bug."""

from __future__ import annotations

import pytest

from desk.domain.errors import StoreUnavailable
from desk.store import health, terminal


def test_an_affected_library_allows_one_terminal_per_file(tmp_path, monkeypatch):
    monkeypatch.setattr(health, "sqlite_version_ok", lambda *a, **k: False)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    first = terminal.claim(url)
    assert first is not None
    with pytest.raises(StoreUnavailable) as refused:
        terminal.claim(url)
    assert "PostgreSQL" in refused.value.reason and refused.value.params["version"]
    other = terminal.claim(f"sqlite:///{tmp_path / 'other.db'}")  # another shop's file is free
    assert other is not None
    first.close()  # the first terminal quits (or crashes): the file is free again
    again = terminal.claim(url)
    assert again is not None
    again.close()
    other.close()


def test_a_fixed_library_or_postgresql_needs_no_claim(tmp_path, monkeypatch):
    monkeypatch.setattr(health, "sqlite_version_ok", lambda *a, **k: True)
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    assert terminal.claim(url) is None and terminal.claim(url) is None
    monkeypatch.setattr(health, "sqlite_version_ok", lambda *a, **k: False)
    assert terminal.claim("postgresql+psycopg://desk@localhost/desk") is None
