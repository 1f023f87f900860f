"""One start-up, measured from inside a fresh process (run by bench.run).

``python -m bench.probe baseline|desk --out FILE [--db PATH --now ISO] [--headless]``

Writes one JSON object to FILE: wall-clock times (``time.time()``, so the parent
can subtract its own launch time) of

* ``imported``: this module's first line ran (the interpreter is up);
* ``ready``: Textual's ``on_ready`` (the first frame is displayed);
* ``filled``: the first frame Textual hands its driver after the board's rows
  are in its table (the baseline's 50 rows are there from the first frame, so it
  is ``ready``);

and the process's resident size (``rss_mb``, ``VmRSS``) and peak (``hwm_mb``) at
``filled``. Then the app exits. Nothing here is imported by desk itself.
"""

from __future__ import annotations

import time

IMPORTED = time.time()

import os  # noqa: E402

os.environ.setdefault("TEXTUAL_FPS", "120")  # as the desk command sets it (desk/__main__.py)

import argparse  # noqa: E402
import json  # noqa: E402
from pathlib import Path  # noqa: E402


def memory() -> dict[str, float]:
    out = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key = "rss_mb" if line.startswith("VmRSS") else "hwm_mb"
                out[key] = int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return out


def baseline_app(report, exit_on_ready: bool = True):
    """A minimal Textual app: a header, a 50-row DataTable and a footer."""
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header

    class Baseline(App):
        def compose(self):
            yield Header()
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Footer()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for label in ("Time", "Customer", "Plate", "Stage", "Flags", "Vehicle", "Concern", "Advisor"):
                table.add_column(label)
            for i in range(50):
                table.add_row(
                    f"{8 + i // 6:02d}:{i % 6 * 10:02d}",
                    f"Customer {i}",
                    f"京A{10000 + i}",
                    "Booked",
                    "",
                    "Toyota Camry",
                    "Regular service",
                    "王丽",
                )

        def on_ready(self) -> None:
            report["ready"] = time.time()
            report["filled"] = report["ready"]
            report.update(memory())
            if exit_on_ready:
                self.exit()

    return Baseline()


def desk_app(report, db: str, now: str, user: str):
    from datetime import datetime

    from desk.screens.listing import ListScreen
    from desk.shell.app import DeskApp, make_app

    frozen = datetime.fromisoformat(now)
    app = make_app(db_url=f"sqlite:///{db}" if "://" not in db else db, clock=lambda: frozen, user_name=user)
    original_ready = DeskApp.on_ready
    original_show = ListScreen.show_rows

    def on_ready(self) -> None:
        report["ready"] = time.time()
        original_ready(self)

    def show_rows(self, rows) -> None:
        original_show(self, rows)
        if "filled" in report or type(self).__name__ != "AppointmentsScreen":
            return
        report["rows"] = len(rows)
        hook_frames(self.app, self)

    def hook_frames(app, board) -> None:
        """The first frame Textual hands its driver once the rows are in the
        table (headless, the frame is rendered to terminal codes here, as the
        driver of a terminal would): the board is on screen."""
        original = app._display

        def display(screen, renderable) -> None:
            original(screen, renderable)
            if "filled" in report or renderable is None or app._batch_count or screen is not board:
                return
            from textual._compositor import CompositorUpdate

            if app.is_headless and isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            report["filled"] = time.time()
            report.update(memory())
            app.exit()

        app._display = display

    DeskApp.on_ready = on_ready
    ListScreen.show_rows = show_rows
    return app


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=["baseline", "desk"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--db")
    ap.add_argument("--now")
    ap.add_argument("--user", default="王丽")
    ap.add_argument("--headless", action="store_true")
    args = ap.parse_args(argv)
    report: dict = {"imported": IMPORTED}
    if args.kind == "baseline":
        app = baseline_app(report)
    else:
        app = desk_app(report, args.db, args.now, args.user)
    if args.kind == "desk":  # as the desk command ends (desk/__main__.py): no wait for background loading
        import asyncio

        from desk.shell.leave import leave

        app.run(headless=args.headless, size=(120, 40) if args.headless else None, loop=asyncio.new_event_loop())
        report["exited"] = time.time()
        Path(args.out).write_text(json.dumps(report))
        leave(app.return_code)
    if args.headless:
        app.run(headless=True, size=(120, 40))
    else:
        app.run()
    report["exited"] = time.time()
    Path(args.out).write_text(json.dumps(report))


if __name__ == "__main__":
    main()
