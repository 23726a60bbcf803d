"""Builds of the analysis store by key, with no lock held while one runs.

A store holder (a site segment, a lake version's columns) used to build under its one lock: a
request reading a column already built waited for any other build on the same holder, such as
the warm-up deriving the next endpoint (seconds at 1e7 patients). :class:`Flights` lets a
holder claim the keys it is about to build, release its lock while building, and let a caller
that needs one of those keys wait for that build only; reads and builds of other keys go on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable


class Flights:
    """The keys being built, each with the event set when its build ends (ok or failed).

    :meth:`claim` and :meth:`release` are called under the holder's lock; :meth:`wait`
    without it.
    """

    def __init__(self) -> None:
        self._running: dict[str, threading.Event] = {}

    def claim(self, keys: Iterable[str]) -> threading.Event | None:
        """The event of a build of ``keys`` by the caller, or ``None`` when another thread is
        building one of them (then :meth:`wait` and look again)."""
        wanted = list(keys)
        if any(k in self._running for k in wanted):
            return None
        event = threading.Event()
        self._running.update(dict.fromkeys(wanted, event))
        return event

    def wait(self, keys: Iterable[str]) -> None:
        """Wait for the builds running of any of ``keys`` to end."""
        for key in keys:
            event = self._running.get(key)
            if event is not None:
                event.wait()

    def release(self, keys: Iterable[str], event: threading.Event) -> None:
        """End the caller's build of ``keys`` (built or failed: a waiter looks again)."""
        for key in keys:
            self._running.pop(key, None)
        event.set()
