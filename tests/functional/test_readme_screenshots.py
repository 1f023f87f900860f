"""The README's images are the current app (issue 29, build 6): made the way
``python docs/screenshots.py`` makes them (the demo shop at a fixed moment, the
app on a frozen clock, the first ten minutes' keys) and compared with the files
in docs/. A screen that changed fails here until the command is run again and
its images committed: the README never shows a stale screen."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

#: The repository's docs/ (a test of the checkout, as the README is).
DOCS = Path(__file__).resolve().parents[2] / "docs"


def screenshots_script():
    spec = importlib.util.spec_from_file_location("readme_screenshots", DOCS / "screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
async def test_the_readme_screenshots_are_the_current_app(tmp_path):
    script = screenshots_script()
    made = await script.shoot(tmp_path)
    assert sorted(p.name for p in made) == sorted(script.NAMES)
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    stale = []
    for path in made:
        assert f"docs/{path.name}" in readme
        if path.read_bytes() != (DOCS / path.name).read_bytes():
            stale.append(path.name)
    assert not stale, (
        f"docs/{', docs/'.join(stale)} differ from the app as it is now: run `python docs/screenshots.py` "
        f"and commit the new images (the ones made here are in {tmp_path})"
    )
