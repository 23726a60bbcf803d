"""Warm the newest lake version in a background thread: at start, then after every load.

The thread looks at the lake's newest version every ``interval`` seconds (opening a snapshot
reads the manifest only) and, when it changed, builds its common columns
(:func:`lake.query.warmup.warm`) into the gateway's per-version cache, the one requests read. A
failure is logged and retried at the next look; it never stops the service, since a request
would derive the same columns itself.
"""

from __future__ import annotations

import logging
import threading

from lake.errors import HemalakeError
from lake.query.cohorts import CohortSnapshots
from lake.query.warmup import Warmed, warm

logger = logging.getLogger(__name__)


class LakeWarmer:
    """Keeps the newest lake version's common columns built (``start`` / ``stop``)."""

    def __init__(self, snapshots: CohortSnapshots, *, interval: float) -> None:
        self._snapshots = snapshots
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lake-warmer", daemon=True)
        self.last: Warmed | None = None

    def start(self) -> None:
        """Warm now, then watch for new versions."""
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (an ongoing build finishes first)."""
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                newest = self._snapshots.columns(None).version
                if self.last is None or self.last.lake_version != newest:
                    self.last = warm(self._snapshots, newest)
                    logger.info(
                        "lake version %d warmed in %.2f s",
                        self.last.lake_version,
                        self.last.seconds,
                    )
            except HemalakeError as error:
                logger.warning("warming the lake failed, retrying: %s", error)
            self._stopped.wait(self._interval)
