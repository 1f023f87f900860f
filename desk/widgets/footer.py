"""The footer every screen shows: ``f1`` first, then the screen's own main keys,
as many as fit the terminal's width; a key that does not fit is left out whole
(never cut in half) and stays in f1's list and the palette.

Keys the app has everywhere (the areas f2…f9, lookup, quit) are not shown
(``show=False``): at 80 columns the current stage's keys need the room. Which of
a screen's keys are its main ones is said where the screen declares them
(a binding's ``show``); their order is the screen's, then the focused widget's.

Textual's Footer recomposes (a new widget, styled, for every key) whenever the
screen's bindings are reported changed, e.g. each time focus comes back to the
screen after a dialog closes, even when the keys shown are the same. That
rebuild costs tens of milliseconds on the event loop and delays the frame that
shows the dialog's result. This Footer skips a rebuild that would show the same
keys.
"""

from __future__ import annotations

from collections import defaultdict

from rich.cells import cell_len
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: The action of the key that is always shown first.
HELP_ACTION = "help"


def footer_entries(screen) -> list[tuple]:
    """(key, binding, enabled, tooltip) of every key the footer may show on
    ``screen``, in the order it shows them: help, the screen's, the focused
    widget's, the rest. One entry per action (its first key)."""
    by_action: dict[str, tuple] = {}
    rank: defaultdict[str, int] = defaultdict(lambda: 3)
    for key, (node, binding, enabled, tooltip) in screen.active_bindings.items():
        if not binding.show or binding.action in by_action:
            continue
        by_action[binding.action] = (key, binding, enabled, tooltip)
        rank[binding.action] = (
            0 if binding.action == HELP_ACTION else 1 if node is screen else 3 if node is screen.app else 2
        )
    order = {action: i for i, action in enumerate(by_action)}
    return sorted(by_action.values(), key=lambda e: (rank[e[1].action], order[e[1].action]))


def key_width(key_display: str, description: str) -> int:
    """Cells a compact footer key takes, with its right margin."""
    return cell_len(key_display) + (1 + cell_len(description) if description else 0) + 1


class DeskFooter(Footer):
    _shown: tuple | None = None
    _room_left = 0

    def __init__(self, **kw) -> None:
        kw.setdefault("compact", True)
        super().__init__(**kw)

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def _palette(self):
        app = self.app
        if not (self.show_command_palette and app.ENABLE_COMMAND_PALETTE):
            return None
        return self.screen.active_bindings.get(app.COMMAND_PALETTE_BINDING)

    def shown_keys(self) -> list[tuple]:
        """(key, key display, description, action, enabled, tooltip) of the keys
        that fit, in order; the palette key is not among them. Keys of one
        ``Binding.Group`` share one place ("←→ Day")."""
        from desk.i18n import _

        app = self.app
        entries: list[list] = []
        for key, binding, enabled, tooltip in footer_entries(self.screen):
            display = app.get_key_display(binding)
            last = entries[-1] if entries else None
            if binding.group is not None and last is not None and last[6] is binding.group:
                last[1] += display
                continue
            description = _(binding.group.description) if binding.group is not None else binding.description
            entries.append(
                [
                    binding.key,
                    display,
                    description,
                    binding.action,
                    enabled,
                    tooltip or binding.description,
                    binding.group,
                ]
            )
        room = self._width() - self._palette_width(bare=True)
        out = []
        for entry in entries:
            need = key_width(entry[1], entry[2])
            if need > room:
                break  # the keys keep their order: none jumps ahead of one left out
            room -= need
            out.append(tuple(entry[:6]))
        self._room_left = room
        return out

    def _palette_width(self, *, bare: bool) -> int:
        """Cells of the palette key, docked right (its border and padding too)."""
        palette = self._palette()
        if palette is None:
            return 0
        return key_width(self.app.get_key_display(palette.binding), "" if bare else palette.binding.description) + 2

    def _palette_described(self) -> bool:
        """The palette key says "palette" when the room is there after the
        screen's keys; at 80 columns it is often the bare key."""
        return self._room_left >= self._palette_width(bare=False) - self._palette_width(bare=True)

    def _signature(self) -> tuple:
        palette = self._palette()
        pal = None if palette is None else (palette.binding.description, palette.enabled)
        keys = tuple(self.shown_keys())
        return (self.compact, self._width(), pal, keys, self._palette_described())

    def compose(self):
        if not self._bindings_ready:
            self._shown = None
            return
        self._shown = self._signature()
        for key, display, description, action, enabled, tooltip in self.shown_keys():
            yield FooterKey(key, display, description, action, disabled=not enabled, tooltip=tooltip).data_bind(
                compact=Footer.compact
            )
        palette = self._palette()
        if palette is not None:
            binding = palette.binding
            described = binding.description if self._palette_described() else ""
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                described,
                binding.action,
                classes="-command-palette",
                disabled=not palette.enabled,
                tooltip=binding.tooltip or binding.description,
            ).data_bind(compact=Footer.compact)

    def text(self) -> str:
        """What the footer shows, as plain text (for tests and the look)."""
        return "  ".join(f"{k.key_display} {k.description}".strip() for k in self.query(FooterKey))

    def on_resize(self) -> None:
        if self._shown is not None and self._signature() != self._shown:
            self.call_after_refresh(self.recompose)

    def bindings_changed(self, screen) -> None:
        if self._shown is not None and self.is_attached and screen is self.screen and self._signature() == self._shown:
            return  # the same keys: nothing to rebuild
        super().bindings_changed(screen)
