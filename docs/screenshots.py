"""The README's screenshots, from a real run: ``python docs/screenshots.py``.

Makes the demo shop (``desk demo``'s builder, seed 7) in a temporary folder,
opens the app at 120×40 and does what the README's first ten minutes say, with
keys: sign in as the guide user with their PIN, the appointment board, then a
car on the progress board opened at its estimate. Each view is saved as SVG in
docs/ (``board.svg``, ``visit.svg``). Run it again when a screen changes, in the
day: the demo's cars of today start five hours before now, so just after midnight
the appointment board holds only the coming bookings.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent


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
    from textual.widgets import DataTable
    from textual.widgets._footer import FooterKey

    from desk.shell.app import make_app
    from desk.demo import GUIDE_USER, build
    from desk.services import open_desk

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DESK_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["DESK_CONFIG_DIR"] = str(Path(tmp) / "config")
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        shop = open_desk(url)
        counts = build(shop, visits=200, seed=7)
        shop.engine.dispose()

        app = make_app(db_url=url)
        saved = []
        async with app.run_test(size=(120, 40)) as pilot:
            name = lambda: type(app.screen).__name__  # noqa: E731
            await _until(pilot, lambda: name() == "SignInScreen")
            await pilot.press("enter")  # the first name: the guide user
            await pilot.press(*counts["pins"][GUIDE_USER], "enter")
            board = lambda: app.screen.query_one(DataTable)  # noqa: E731
            keys = lambda: app.screen.query(FooterKey)  # noqa: E731
            await _until(pilot, lambda: name() == "AppointmentsScreen" and board().row_count > 5 and keys())
            saved.append(Path(app.save_screenshot("board.svg", path=str(out))))

            # a car at its estimate with lines, from the progress board (f3: every
            # car in the shop, whatever day it came): down to it, Enter opens it
            await pilot.press("f3")
            await _until(pilot, lambda: name() == "ProgressScreen" and board().row_count > 3)
            rows = app.screen.rows
            target = next(i for i, r in enumerate(rows)
                          if r.stage == "ESTIMATE" and app.desk.lifecycle.visit_view(r.visit_id).lines)
            await pilot.press(*["down"] * (target - board().cursor_row))
            await pilot.press("enter")
            await _until(pilot, lambda: name() == "EstimateScreen" and keys())
            saved.append(Path(app.save_screenshot("visit.svg", path=str(out))))
            await pilot.press("ctrl+q")
        return saved


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS
    for path in asyncio.run(shoot(out)):
        print(path)


if __name__ == "__main__":
    main()
