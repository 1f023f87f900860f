"""Data shipped inside the package (checklist templates, pricing, canned jobs,
campaigns), found through ``importlib.resources``: the same call works from a
source checkout, an editable install and an installed wheel."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable


def fixture(name: str) -> Traversable:
    """``desk/fixtures/<name>``: open it with ``.open("rb")``, like a ``Path``."""
    return files("desk") / "fixtures" / name
