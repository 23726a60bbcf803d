"""What a release carries (provenance), how requests are hashed, and the result cache.

Split from :mod:`lake.query.gateway` (the boundary itself) so the boundary module reads as its
rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass, fields, is_dataclass
from types import MappingProxyType
from typing import Final, Generic, TypeVar

from lake.query.footprint import footprint

T = TypeVar("T")

#: Field metadata of a request field added after requests were first hashed: at its default the
#: field is left out of :func:`canonical_json`, so earlier questions keep their hash (their cache
#: entries, audit trail and privacy-ledger draws).
OMITTED_AT_DEFAULT: Final = MappingProxyType({"canonical": "omitted at default"})


def canonical_json(value: object) -> str:
    """A stable JSON text of ``value`` (dataclasses tagged with their type, keys sorted; a
    field marked :data:`OMITTED_AT_DEFAULT` is left out while it holds its default).

    Examples
    --------
    >>> canonical_json({"b": (1, 2), "a": dt.date(2024, 1, 2)})
    '{"a":"2024-01-02","b":[1,2]}'
    """

    def plain(v: object) -> object:
        if is_dataclass(v) and not isinstance(v, type):
            return {"type": type(v).__name__} | {
                f.name: plain(getattr(v, f.name))
                for f in fields(v)
                if f.compare
                and not (
                    f.metadata.get("canonical") == OMITTED_AT_DEFAULT["canonical"]
                    and getattr(v, f.name) == f.default
                )
            }
        if isinstance(v, tuple | list):
            return [plain(x) for x in v]
        if isinstance(v, dict):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, dt.date):
            return v.isoformat()
        return v

    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"))


def query_hash(value: object) -> str:
    """SHA-256 (hex) of :func:`canonical_json` of ``value``."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PrivacyRelease:
    """How a protected release was made and what it cost its receiver.

    ``epsilon`` is the release's privacy loss, ``charged`` what this receipt cost the caller (0
    when they had it before); ``scale`` the discrete Laplace scale Δ/ε of every count and
    ``margin`` the half-width of the 95 % interval of that noise; the caller's spend, budget and
    what is left are for the current period, which ends at ``period_ends``.
    """

    mechanism: str
    epsilon: float
    sensitivity: int
    scale: float
    margin: int
    charged: float
    user_spent: float
    user_budget: float
    user_remaining: float
    period_ends: dt.datetime


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a released result comes from; the same provenance gives the same numbers.

    ``access`` is ``governed`` (exact, ``min_cell_size`` applied) or ``protected`` (a
    differentially private release described by ``privacy``).
    """

    lake_version: int
    query_hash: str
    model_version: str
    software_version: str
    min_cell_size: int
    score_versions: tuple[tuple[str, str], ...] = ()
    access: str = "governed"
    privacy: PrivacyRelease | None = None


@dataclass(frozen=True, slots=True)
class Released(Generic[T]):
    """A result that passed the boundary: disclosure applied, audited, with provenance."""

    value: T
    provenance: Provenance


class LRUCache:
    """A thread-safe least-recently-used map that computes each missing key once, bounded by
    entries and, when ``max_bytes`` is given, by the bytes its values hold.

    Single flight: when several threads miss the same key at once, the first computes it and
    the others wait for that computation (and receive its value, or its exception) instead of
    computing it again. ``misses`` counts computations; ``hits`` counts answers served without
    computing (cached, or shared from a computation in flight). Failures are not cached.
    ``compute`` must not ask the same cache for the same key (it would wait for itself).

    Each value is weighed once, when stored (``weigh``, default :func:`footprint`); the least
    recently used values are evicted until both bounds hold, and a value larger than
    ``max_bytes`` on its own is returned but not kept. ``bytes`` is what the kept values hold.
    """

    def __init__(
        self,
        capacity: int,
        *,
        max_bytes: int | None = None,
        weigh: Callable[[object], int] = footprint,
    ) -> None:
        self._capacity = capacity
        self._max_bytes = max_bytes
        self._weigh = weigh
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._in_flight: dict[Hashable, Future[object]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> object | None:
        """The value kept for ``key`` (a hit), or ``None`` (nothing counted): for callers that
        compute elsewhere and :meth:`put` the value."""
        with self._lock:
            kept = self._items.get(key)
            if kept is None:
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return kept[0]

    def put(self, key: Hashable, value: object) -> None:
        """Keep ``value`` for ``key`` (a miss), evicting what the bounds require."""
        size = self._weigh(value) if self._max_bytes is not None else 0
        with self._lock:
            self.misses += 1
            self._keep(key, value, size)

    def _keep(self, key: Hashable, value: object, size: int) -> None:
        """Store under the lock held by the caller."""
        if self._max_bytes is not None and size > self._max_bytes:
            return
        if (previous := self._items.pop(key, None)) is not None:
            self.bytes -= previous[1]
        self._items[key] = (value, size)
        self.bytes += size
        while len(self._items) > self._capacity or (
            self._max_bytes is not None and self.bytes > self._max_bytes
        ):
            _, (_, evicted) = self._items.popitem(last=False)
            self.bytes -= evicted

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key][0]  # type: ignore[return-value]  # stored by this key
            flight = self._in_flight.get(key)
            if flight is None:
                flight = self._in_flight[key] = Future()
                self.misses += 1
                owner = True
            else:
                self.hits += 1
                owner = False
        if not owner:
            return flight.result()  # type: ignore[return-value]  # computed for this key
        try:
            value = compute()
            size = self._weigh(value) if self._max_bytes is not None else 0
        except BaseException as error:
            with self._lock:
                del self._in_flight[key]
            flight.set_exception(error)
            raise
        with self._lock:
            self._keep(key, value, size)
            del self._in_flight[key]
        flight.set_result(value)
        return value
