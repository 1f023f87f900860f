"""The ``desk`` command (also ``python -m desk``): its options and, by name, where
each sub-command lives (``desk/cli/``; a module is imported when its command runs)."""

from __future__ import annotations

import os
import sys

# Textual batches screen updates at TEXTUAL_FPS (60 by default): a keypress waits
# up to 16.7 ms for its frame. 120 halves that wait (bench/, figure 3); it must be
# set before Textual is imported.
os.environ.setdefault("TEXTUAL_FPS", "120")
# A thread worker's commit hands the GIL back and forth with the event loop; at
# the default 5 ms switch interval each hand-off can wait a whole slice behind a
# frame being rendered. 1 ms lets the durable commit finish sooner (figure 3).
sys.setswitchinterval(0.001)

import click  # noqa: E402

from desk import __version__  # noqa: E402
from desk.cli.group import DeskGroup  # noqa: E402
from desk.i18n import set_locale  # noqa: E402

COMMANDS = {
    "demo": "desk.cli.demo:demo",
    "report": "desk.cli.report:report_cmd",
    "db": "desk.cli.db:db",
    "audit": "desk.cli.audit:audit",
    "backup": "desk.cli.backup:backup_cmd",
    "restore": "desk.cli.backup:restore_cmd",
    "set-pin": "desk.cli.pins:set_pin",
    "clear-lockout": "desk.cli.pins:clear_lockout",
    "recover-manager": "desk.cli.pins:recover_manager",
    "pin-key": "desk.cli.pins:pin_key",
    "serve-lobby": "desk.cli.serve:serve_lobby",
    "serve": "desk.cli.serve:serve_app",
    "lobby-mode": "desk.cli.start:lobby_mode",
    "browser-mode": "desk.cli.start:browser_mode",
    "import": "desk.cli.transfer:import_group",
    "export": "desk.cli.transfer:export_cmd",
    "group": "desk.cli.dealer:group_cmd",
}


@click.group(cls=DeskGroup, lazy=COMMANDS, invoke_without_command=True)
@click.option("--db", "db", metavar="PATH|URL", help="SQLite file or database URL.")
@click.option("--lang", type=click.Choice(["en", "zh"]), help="Language of the interface.")
@click.option("--user", "user_name", metavar="NAME", help="Sign in as this user.")
@click.option(
    "--init",
    "init",
    is_flag=True,
    help="Make a new shop in an empty file (0 bytes, or SQLite without tables); never without it.",
)
@click.version_option(__version__, prog_name="desk")
@click.pass_context
def main(ctx: click.Context, db: str | None, lang: str | None, user_name: str | None, init: bool) -> None:
    """desk: the keyboard-driven service desk. Without a command, opens the app."""
    if lang:
        set_locale(lang)
    ctx.obj = {"db": db, "lang": lang, "init": init}
    if ctx.invoked_subcommand is None:
        from desk.cli.start import build_app  # the app's code only when it opens
        from desk.shell.leave import run_and_leave

        run_and_leave(build_app(db, lang, user_name))  # quitting does not wait for background loading


if __name__ == "__main__":  # pragma: no cover
    main()
