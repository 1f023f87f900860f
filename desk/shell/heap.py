"""The garbage collector out of the way of a keypress.

Why: CPython's full (generation 2) collection walks every tracked object. Once
Textual, SQLAlchemy and the services are imported that is well over 100,000
objects, and each save leaves a few thousand more behind in cycles (the form
dialog it closed, the visit view it replaced) that only a full collection frees.
So one save in about twenty paid for a full collection on the event loop (or in
the worker, which holds the GIL as surely): 150-330 ms on this machine, the
"save stall" of issue 16 (found with gc callbacks timing each collection beside
each save, and a sampling profiler showing the time inside ``gc_collect_main``).

What :class:`HeapKeeper` does, once the store is open (the modules and the
start-up screens will live as long as the app):

* ``gc.freeze()``: those objects move to the permanent generation, which no
  collection walks again;
* automatic full collections are turned off (the young generations are
  collected as usual: cheap, they only see new objects);
* the full collection runs when the terminal is idle (no key, click or paste
  for :attr:`IDLE_SECONDS`) and only when something is pending, so its cost
  (only objects made since start-up) falls between keypresses, not inside one;
* a terminal that is never idle still gets one after :attr:`MAX_PENDING` young
  collections, as CPython itself would, just later: memory stays bounded.

Memory is freed exactly as before, only at a better moment.
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desk.shell.app import DeskApp


#: Once per process: the first app's start-up heap (modules, classes, Textual's
#: machinery) is what lives as long as the process. Tests run many apps in one
#: process; freezing again for each would keep the earlier apps' garbage forever.
_frozen = False
#: Keepers running now (two apps in one process, in tests) and CPython's threshold.
_active: set[HeapKeeper] = set()
_saved_threshold: tuple[int, int, int] | None = None


class HeapKeeper:
    #: Seconds without input before the full collection may run.
    IDLE_SECONDS = 1.0
    #: How often the keeper looks (seconds).
    CHECK_SECONDS = 0.5
    #: Generation-1 collections after which a full one runs even when busy.
    MAX_PENDING = 1000
    #: Threshold that keeps CPython from starting a full collection by itself.
    NEVER = 1_000_000_000

    def __init__(self, app: DeskApp) -> None:
        self.app = app
        self.last_input = time.monotonic()
        self.settled = False
        #: (seconds, objects collected) of the last full collections run here.
        self.collections: list[tuple[float, int]] = []

    def touched(self) -> None:
        self.last_input = time.monotonic()

    def settle(self) -> None:
        """The long-lived part of the heap is built: freeze it (once per process)
        and take over full collections."""
        global _frozen, _saved_threshold
        if self.settled:
            return
        self.settled = True
        if not _frozen:
            _frozen = True
            gc.freeze()
        if not _active:
            _saved_threshold = gc.get_threshold()
        _active.add(self)
        gen0, gen1, _gen2 = _saved_threshold or gc.get_threshold()
        gc.set_threshold(gen0, gen1, self.NEVER)
        self.app.set_interval(self.CHECK_SECONDS, self.check, name="heap")

    def check(self) -> None:
        pending = gc.get_count()[2]  # young collections since the last full one
        if not pending:
            return
        if pending >= self.MAX_PENDING or time.monotonic() - self.last_input >= self.IDLE_SECONDS:
            self.collect()

    def collect(self) -> None:
        t0 = time.perf_counter()
        found = gc.collect(2)
        self.collections.append((time.perf_counter() - t0, found))
        del self.collections[:-50]

    def release(self) -> None:
        """The app ends: CPython's own policy again once no app keeps the heap."""
        global _saved_threshold
        if self not in _active:
            return
        _active.discard(self)
        if not _active and _saved_threshold is not None:
            gc.set_threshold(*_saved_threshold)
            _saved_threshold = None
