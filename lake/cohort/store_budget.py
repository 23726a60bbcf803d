"""The memory budget of the analysis store: patient-aligned columns of every lake version kept.

Each :class:`lake.cohort.columns.CohortColumns` (one lake version) registers the columns it
builds here with their measured size (Polars ``estimated_size``); columns derived from the lake
are registered by their per-site segment (:mod:`lake.cohort.segments`), so a segment several
kept versions share counts once. When the columns of all
versions together exceed the budget, the least recently used ones are dropped, across versions:
after a load the previous version's columns go first, since requests read the new one. A dropped
column is rebuilt by the next request that reads it, so the budget bounds memory, never answers.
A column being returned to a request is never dropped by that request (it is counted, and may
leave the budget over until the next build).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Protocol

#: Default budget of the store: 1 GiB (a 1e7-patient lake's common columns take about half).
DEFAULT_STORE_BYTES: Final = 1 << 30


class Evictable(Protocol):
    """A column holder the budget can ask to drop a column."""

    def drop(self, name: str) -> None:
        """Forget column ``name`` (it is rebuilt when next read)."""
        ...


@dataclass(frozen=True, slots=True)
class StoreUse:
    """What the store holds: bytes, columns, and columns dropped for the budget so far."""

    bytes: int
    columns: int
    evictions: int
    budget: int


class StoreBudget:
    """Least-recently-used accounting of column bytes under ``max_bytes`` (thread-safe)."""

    def __init__(self, max_bytes: int = DEFAULT_STORE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._sizes: OrderedDict[tuple[int, str], tuple[Evictable, int]] = OrderedDict()
        self._bytes = 0
        self._evictions = 0

    def touch(self, owner: Evictable, names: Iterable[str]) -> None:
        """Mark ``owner``'s columns ``names`` as just used."""
        with self._lock:
            for name in names:
                key = (id(owner), name)
                if key in self._sizes:
                    self._sizes.move_to_end(key)

    def admit(self, owner: Evictable, sizes: dict[str, int], *, keep: Iterable[str]) -> None:
        """Count ``owner``'s new columns (name: bytes), then drop the least recently used
        columns until the store fits, except ``owner``'s columns ``keep`` (in use)."""
        kept = {(id(owner), name) for name in keep}
        victims: list[tuple[Evictable, str]] = []
        with self._lock:
            for name, size in sizes.items():
                key = (id(owner), name)
                if key in self._sizes:
                    self._bytes -= self._sizes.pop(key)[1]
                self._sizes[key] = (owner, size)
                self._bytes += size
            for key in list(self._sizes):
                if self._bytes <= self.max_bytes:
                    break
                if key in kept:
                    continue
                holder, size = self._sizes.pop(key)
                self._bytes -= size
                self._evictions += 1
                victims.append((holder, key[1]))
        for holder, name in victims:
            holder.drop(name)

    def forget(self, owner: Evictable) -> None:
        """Stop counting every column of ``owner`` (its lake version is no longer kept)."""
        with self._lock:
            for key in [k for k in self._sizes if k[0] == id(owner)]:
                self._bytes -= self._sizes.pop(key)[1]

    def use(self) -> StoreUse:
        """The store's current footprint."""
        with self._lock:
            return StoreUse(self._bytes, len(self._sizes), self._evictions, self.max_bytes)
