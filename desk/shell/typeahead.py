"""Type-ahead: keys typed faster than the app handles them go where they were meant.

Textual hands a key to the focused widget's queue at once, before the key before
it has been handled. A burst (a fast typist, a barcode scanner, a paste of keys)
then outruns focus: the Tab that should move to the phone field is still on its way
up to the app's binding while the phone's digits already sit in the name field's
queue; the key that opens a form is still bubbling while the form's first letters
land in the lookup box below it.

The app therefore lets one key out at a time. Each key goes to its widget with a
marker behind it; the marker bubbles up the same way as the key, so when it reaches
the app the key has been handled, bindings and actions included. If the key changed
the screen (a form opened or closed), a second marker goes to the new screen, which
handles it after mounting and taking focus. Only then does the next key go. Keys
that arrive meanwhile wait, in order. A marker lost with a widget that went away
releases the next key, so nothing waits for ever.
"""

from __future__ import annotations

from collections import deque
from time import monotonic
from typing import TYPE_CHECKING, Any

from textual import events
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

if TYPE_CHECKING:
    from textual.app import App

    _MixedIntoApp = App[Any]  # what the mixin is mixed into, for the type checker
else:
    _MixedIntoApp = object


class KeySettled(Message, bubble=True):
    """Behind key ``serial``: it and what it started have been handled."""

    def __init__(self, serial: int, screen_changed: bool = False) -> None:
        super().__init__()
        self.serial = serial
        self.screen_changed = screen_changed


class TypeAhead(_MixedIntoApp):
    """Mixed into the App (before ``App`` in the bases)."""

    #: How often a marker that has not come back is looked for: while the widget it
    #: went to is still there (a busy machine is merely slow) the key waits; when
    #: the widget has gone (the marker with it), or after ``TYPEAHEAD_LIMIT``, the
    #: next key goes.
    TYPEAHEAD_TIMEOUT = 0.5
    TYPEAHEAD_LIMIT = 5.0

    def _typeahead_init(self) -> None:
        self._ta_waiting: deque[events.Key] = deque()
        self._ta_serial = 0
        self._ta_inflight: int | None = None
        self._ta_screen: Screen[Any] | None = None
        self._ta_timer: Timer | None = None
        self._ta_target: DOMNode | None = None
        self._ta_since = 0.0

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and hasattr(self, "_ta_waiting"):
            if self._ta_inflight is not None:
                self._ta_waiting.append(event)
                return
            await self._ta_send(event)
            return
        await super().on_event(event)

    async def _ta_send(self, event: events.Key) -> None:
        self._ta_serial += 1
        serial = self._ta_inflight = self._ta_serial
        self._ta_screen = self.screen
        await super().on_event(event)  # Textual forwards it (or runs a priority binding)
        if self._ta_inflight != serial:
            return
        target = self.focused or self.screen
        self._ta_target, self._ta_since = target, monotonic()
        target.post_message(KeySettled(serial))
        self._ta_restart_timer(serial)

    async def on_key_settled(self, message: KeySettled) -> None:
        message.stop()
        if message.serial != self._ta_inflight:
            return
        screen = self.screen
        if screen is not self._ta_screen or (message.screen_changed and not screen.is_mounted):
            # The key opened or closed a screen: go on once it is mounted and has
            # taken focus. A marker can overtake the new screen's Mount, so it goes
            # round again until the screen is mounted; the focus its on_mount asks
            # for is queued on the app before the marker comes back.
            self._ta_screen = self._ta_target = screen
            self._ta_restart_timer(message.serial)
            screen.post_message(KeySettled(message.serial, screen_changed=True))
            return
        await self._ta_release()

    def _ta_restart_timer(self, serial: int) -> None:
        if self._ta_timer is not None:
            self._ta_timer.stop()
        self._ta_timer = self.set_timer(self.TYPEAHEAD_TIMEOUT, lambda: self._ta_timeout(serial))

    async def _ta_timeout(self, serial: int) -> None:
        if self._ta_inflight != serial:
            return
        target = self._ta_target
        alive = target is not None and target.is_attached and not target._closing
        if alive and monotonic() - self._ta_since < self.TYPEAHEAD_LIMIT:
            self._ta_restart_timer(serial)  # still on its way: the machine is busy
            return
        await self._ta_release()

    async def _ta_release(self) -> None:
        if self._ta_timer is not None:
            self._ta_timer.stop()
            self._ta_timer = None
        self._ta_inflight = None
        if self._ta_waiting:
            await self._ta_send(self._ta_waiting.popleft())
