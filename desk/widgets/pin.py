"""The PIN step shared by the sign-in screen and the manager approval: the typed PIN
is checked in a worker; a refusal (wrong PIN, throttled) is shown and the field is
cleared for another try; success dismisses the screen with the user."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import Input, Static

from desk.shell.work import run_db
from desk.widgets.feedback import describe_fault
from desk.widgets.safe import literal


class PinEntry:
    """Mixed into a ``ModalScreen``: ``picked`` is the user whose PIN is asked for,
    ``PIN_ID``/``ERROR_ID`` name the input and the message widgets, and
    ``pin_checker()`` returns ``check(user_id, pin) -> User`` (raising a ``DeskError``)."""

    PIN_ID = "pin"
    ERROR_ID = "pin-error"
    picked = None

    def pin_checker(self) -> Callable:
        raise TypeError(f"{type(self).__name__} must define pin_checker()")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.picked is None or not event.value:
            return
        event.input.disabled = True
        self.check_pin(self.picked.id, event.value)

    def check_pin(self, user_id: int, pin: str) -> None:
        """Check in a worker (the one database path, ``desk.shell.work.run_db``):
        a refusal or a fault is shown beside the field, which takes a new try."""
        run_db(
            self,
            lambda: self.pin_checker()(user_id, pin),
            self.dismiss,
            failed=lambda exc: self._pin_refused(describe_fault(exc)),
            group="pin",
            exclusive=True,
        )

    def _pin_refused(self, message: str) -> None:
        pin = self.query_one(f"#{self.PIN_ID}", Input)
        pin.disabled = False
        pin.value = ""
        pin.focus()
        self.query_one(f"#{self.ERROR_ID}", Static).update(literal(message))
