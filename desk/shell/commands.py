"""Where a user finds what they can do: the command palette (ctrl+p) offers the
areas, the CSV import and every key of the current screen besides Textual's own
commands; the key help (f1) lists the current screen's keys with their ids; and
every binding id, which desk.toml's ``[keys]`` is checked against."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from desk.i18n import _

if TYPE_CHECKING:
    from desk.shell.app import DeskApp

#: Modules whose classes carry BINDINGS (the shell, every screen and widget).
BINDING_MODULES = (
    "desk.shell.app",
    "desk.shell.store_link",
    "desk.shell.lobby",
    *(
        f"desk.screens.{m}"
        for m in (
            "appointments",
            "booking",
            "complaints",
            "dashboard",
            "delivery",
            "estimate",
            "followup",
            "help",
            "history",
            "importer",
            "printing",
            "lobby",
            "lock",
            "lookup",
            "progress",
            "reception",
            "setup",
            "signin",
            "visit",
            "walkaround",
            "workshop",
        )
    ),
    *(f"desk.widgets.{m}" for m in ("approval", "checklist", "dialogs", "open_items", "survey")),
)


def desk_commands(app: DeskApp, screen: Screen) -> Iterator[SystemCommand]:
    """The palette's commands for a signed-in user (none before sign-in)."""
    if app.user is None:
        return
    for name, (_path, title) in app.AREAS.items():
        yield SystemCommand(_(title), _("Open {area}", area=_(title)), lambda n=name: app.action_area(n))
    yield SystemCommand(
        _("Switch user"), _("Another user takes over this terminal with their PIN (ctrl+l)"), app.action_switch_user
    )
    yield SystemCommand(
        _("Import customers from CSV"),
        _("Customers and vehicles from another system's export"),
        lambda: import_customers(app),
    )
    # the current screen's own commands: every binding with a description
    # (Textual's own, such as Focus Next, by the help's translation)
    from desk.screens.help import TEXTUAL_KEYS

    for key, active in screen.active_bindings.items():
        binding = active.binding
        if binding.description and active.enabled and active.node is screen:
            what = binding.tooltip or binding.description
            yield SystemCommand(
                _(TEXTUAL_KEYS.get(what, what)),
                _("Key: {key}", key=app.get_key_display(binding)),
                lambda a=binding.action: screen.run_action(a),
            )


def import_customers(app: DeskApp) -> None:
    """The CSV import screen (from the palette; the lookup screen has Ctrl+O)."""
    if app.user is None:
        return
    from desk.screens.importer import ImportScreen

    app.push_screen(ImportScreen())


def toggle_help(app: DeskApp) -> None:
    """f1: the keys of the current screen (f1 again or Escape closes it)."""
    from desk.screens.help import HelpScreen, key_rows

    screen = app.screen
    if isinstance(screen, HelpScreen):
        screen.dismiss(None)
        return
    area = app.AREAS.get(app.current_mode)
    title = _(area[1]) if area and len(app.screen_stack) == 1 else ""
    app.push_screen(HelpScreen(title, key_rows(app, screen)))


def binding_ids() -> set[str]:
    """Every binding id the app defines (imports the screen modules)."""
    ids: set[str] = set()
    for name in BINDING_MODULES:
        module = import_module(name)
        for obj in vars(module).values():
            for b in getattr(obj, "BINDINGS", None) or () if isinstance(obj, type) else ():
                if isinstance(b, Binding) and b.id:
                    ids.add(b.id)
    return ids
