"""A Footer that is rebuilt only when the keys it shows change.

Textual's Footer recomposes (a new widget, styled, for every key) whenever the
screen's bindings are reported changed, e.g. each time focus comes back to the
screen after a dialog closes, even when the keys shown are the same. That
rebuild costs tens of milliseconds on the event loop and delays the frame that
shows the dialog's result. This Footer looks the same and skips a rebuild that
would show the same keys.
"""

from __future__ import annotations

from textual.widgets import Footer


class DeskFooter(Footer):
    _shown: tuple | None = None

    def _signature(self) -> tuple:
        palette = self.app.COMMAND_PALETTE_BINDING
        keys = tuple(
            (key, binding.key, binding.description, binding.action, binding.group, enabled, tooltip,
             self.app.get_key_display(binding))
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == palette
        )
        return (self.compact, self.show_command_palette, self.app.ENABLE_COMMAND_PALETTE, keys)

    def compose(self):
        self._shown = self._signature() if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen) -> None:
        if (self._shown is not None and self.is_attached and screen is self.screen
                and self._signature() == self._shown):
            return  # the same keys: nothing to rebuild
        super().bindings_changed(screen)
