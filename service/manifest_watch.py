"""The lake's newest manifest commit, looked up on every request for the price of one ``stat``.

A load's last step is its manifest commit (:class:`lake.storage.LakeOpener`), and Delta names
commits by consecutive numbers: ``<20 digits>.json`` in ``_manifest/_delta_log``. Once the newest
commit ``c`` is known, the lake has a newer version exactly when ``c + 1`` exists. So the watch
lists the log once (:func:`lake.storage.manifest_log_version`), then asks only whether the next
commit's file exists: constant cost however long the log grows, and never stale (a commit made
before the call is seen by it), which is what lets :mod:`service.response_cache` key answers by it
on the event loop. Like :class:`lake.storage.LakeOpener`, it assumes the lake at ``root`` grows
by commits and is not replaced by another lake while served. Not thread-safe: called from the
event loop only. On object storage there is no cheap existence check on the loop's terms, so the
watch lists the log on each call, as :class:`lake.storage.LakeOpener` does there.

The check is made relative to the log directory, held open (``faccessat`` on its descriptor):
the kernel then resolves one path component, not the lake's whole path, which halves its cost
(5.4 -> 2.3 us on the bench lake; a cached answer's single largest step).
"""

from __future__ import annotations

import os
import weakref

from lake.location import LakeLocation
from lake.storage import MANIFEST, manifest_log_version


class ManifestWatch:
    """The newest manifest commit of the lake at ``root`` (``None`` while it has none)."""

    def __init__(self, root: LakeLocation) -> None:
        self._root = root
        local = root.local
        self._log = None if local is None else os.fspath(local / MANIFEST / "_delta_log")
        self._newest: int | None = None
        self._log_fd: int | None = None

    def __call__(self) -> int | None:
        """The newest commit now: one existence check when nothing was committed since the last
        call."""
        if self._newest is None or self._log is None:
            self._newest = manifest_log_version(self._root)
            return self._newest
        if self._log_fd is None:  # the log exists: it has a commit
            self._log_fd = os.open(self._log, os.O_RDONLY | os.O_DIRECTORY)
            weakref.finalize(self, os.close, self._log_fd)
        while os.access(f"{self._newest + 1:020d}.json", os.F_OK, dir_fd=self._log_fd):
            self._newest += 1
        return self._newest
