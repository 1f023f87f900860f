"""The click group of ``desk`` and its sub-groups: a command's module is loaded
only when the command runs (click's lazy-loading pattern), so opening the app
never imports the report, export or PDF code; ``--help`` shows each command's
summary whole."""

from __future__ import annotations

from importlib import import_module

import click


class DeskGroup(click.Group):
    """``lazy``: command name -> ``"module:attribute"`` of a click command.

    Whatever a command meets, the user gets a sentence and exit code 1, never a
    traceback (:meth:`invoke`): a typed error as its sentence, a store or
    operating-system fault through the store's one translation, anything else as
    "unexpected" with the details in a log file named on screen."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - a sentence, never a traceback
            from desk.cli.common import fail, unexpected

            fail(unexpected(exc))

    def __init__(self, *args, lazy: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            module, name = self.lazy[cmd_name].split(":")
            return getattr(import_module(module), name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's summary whole (click cuts it at the terminal's width)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
