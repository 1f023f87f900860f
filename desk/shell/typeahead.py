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
releases the next key after a short timeout, so nothing waits for ever.
"""

from __future__ import annotations

from collections import deque

from textual import events
from textual.message import Message


class KeySettled(Message, bubble=True):
    """Behind key ``serial``: it and what it started have been handled."""

    def __init__(self, serial: int, screen_changed: bool = False) -> None:
        super().__init__()
        self.serial = serial
        self.screen_changed = screen_changed


class TypeAhead:
    """Mixed into the App (before ``App`` in the bases)."""

    #: A marker that has not come back by then (its widget was removed) releases the next key.
    TYPEAHEAD_TIMEOUT = 0.3

    def _typeahead_init(self) -> None:
        self._ta_waiting: deque[events.Key] = deque()
        self._ta_serial = 0
        self._ta_inflight: int | None = None
        self._ta_screen = None
        self._ta_timer = None

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and hasattr(self, "_ta_waiting"):
            if self._ta_inflight is not None:
                self._ta_waiting.append(event)
                return
            await self._ta_send(event)
            return
        await super().on_event(event)  # type: ignore[misc]

    async def _ta_send(self, event: events.Key) -> None:
        self._ta_serial += 1
        serial = self._ta_inflight = self._ta_serial
        self._ta_screen = self.screen
        await super().on_event(event)  # type: ignore[misc]  # Textual forwards it (or runs a priority binding)
        if self._ta_inflight != serial:
            return
        target = self.focused or self.screen
        target.post_message(KeySettled(serial))
        self._ta_timer = self.set_timer(self.TYPEAHEAD_TIMEOUT, lambda: self._ta_timeout(serial))

    async def on_key_settled(self, message: KeySettled) -> None:
        message.stop()
        if message.serial != self._ta_inflight:
            return
        if not message.screen_changed and self.screen is not self._ta_screen:
            # the key opened or closed a screen: go on once it is mounted and focused
            self._ta_screen = self.screen
            self.screen.post_message(KeySettled(message.serial, screen_changed=True))
            return
        await self._ta_release()

    async def _ta_timeout(self, serial: int) -> None:
        if self._ta_inflight == serial:
            await self._ta_release()

    async def _ta_release(self) -> None:
        if self._ta_timer is not None:
            self._ta_timer.stop()
            self._ta_timer = None
        self._ta_inflight = None
        if self._ta_waiting:
            await self._ta_send(self._ta_waiting.popleft())
