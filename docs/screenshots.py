"""The README's screenshots, from the current app: ``python docs/screenshots.py``.

Makes the demo shop (``desk demo``'s builder, seed 7) in a temporary folder at
a fixed moment (``MADE_AT``, a Monday late morning), opens the app at 120×40 on
a clock frozen there and does what the README's first ten minutes say, with
keys: sign in as the guide user with their PIN, the appointment board, then a
car on the progress board opened at its estimate. Each view is saved as SVG in
docs/ (``board.svg``, ``visit.svg``).

``tests/functional/test_readme_screenshots.py`` makes them the same way and fails
when they differ from the files in docs/: a screen that changed needs this
command run again (and the new images committed), so the README never shows a
stale screen. The same images whatever the time of day it is run.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path

DOCS = Path(__file__).resolve().parent
#: When the demo is made and the app's clock stands still: the same images
#: whenever they are made.
MADE_AT = datetime(2026, 12, 7, 11, 30)
#: The demo's history: enough for RO numbers and declined work, quick to make.
HISTORY = 40
NAMES = ("board.svg", "visit.svg")


async def _until(pilot, predicate, tries: int = 400) -> None:
    from textual.worker import WorkerCancelled, WorkerFailed

    for _ in range(tries):
        try:
            await pilot.app.workers.wait_for_complete()
        except (WorkerCancelled, WorkerFailed):
            pass  # a superseded load; the predicate decides
        await pilot.pause()
        if predicate():
            return
    raise SystemExit(f"screenshots: the screen never got there ({pilot.app.screen!r})")


async def shoot(out: Path) -> list[Path]:
    """The README's images, saved in ``out``; their paths."""
    from desk.i18n import set_locale

    set_locale("en")
    kept = {name: os.environ.get(name) for name in ("DESK_DATA_DIR", "DESK_CONFIG_DIR")}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["DESK_DATA_DIR"] = str(Path(tmp) / "data")
            os.environ["DESK_CONFIG_DIR"] = str(Path(tmp) / "config")
            return await _shoot(out, tmp)
    finally:
        for name, value in kept.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


async def _shoot(out: Path, tmp: str) -> list[Path]:
    from textual.widgets import DataTable
    from textual.widgets._footer import FooterKey

    from desk.demo import GUIDE_USER, build
    from desk.services import open_desk
    from desk.shell.app import make_app

    url = f"sqlite:///{Path(tmp) / 'demo.db'}"
    shop = open_desk(url)
    counts = build(shop, visits=HISTORY, seed=7, now=MADE_AT)
    shop.ctx.engine.dispose()

    app = make_app(db_url=url, clock=lambda: MADE_AT)
    saved = []
    async with app.run_test(size=(120, 40)) as pilot:
        name = lambda: type(app.screen).__name__
        await _until(pilot, lambda: name() == "SignInScreen")
        await pilot.press("enter")  # the first name: the guide user
        await pilot.press(*counts["pins"][GUIDE_USER], "enter")
        board = lambda: app.screen.query_one(DataTable)
        keys = lambda: app.screen.query(FooterKey)
        await _until(pilot, lambda: name() == "AppointmentsScreen" and board().row_count > 5 and keys())
        saved.append(Path(app.save_screenshot(NAMES[0], path=str(out))))

        # a car at its estimate with lines, from the progress board (f3: every
        # car in the shop, whatever day it came): down to it, Enter opens it
        await pilot.press("f3")
        await _until(pilot, lambda: name() == "ProgressScreen" and board().row_count > 3)
        rows = app.screen.rows
        target = next(
            i for i, r in enumerate(rows) if r.stage == "ESTIMATE" and app.desk.lifecycle.visit_view(r.visit_id).lines
        )
        await pilot.press(*["down"] * (target - board().cursor_row))
        await pilot.press("enter")
        await _until(pilot, lambda: name() == "EstimateScreen" and keys())
        saved.append(Path(app.save_screenshot(NAMES[1], path=str(out))))
        await pilot.press("ctrl+q")
    return saved


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS
    for path in asyncio.run(shoot(out)):
        print(path)


if __name__ == "__main__":
    main()
