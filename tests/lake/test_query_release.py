"""The result cache: least-recently-used eviction and one computation per missing key."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl
import pytest

from lake.errors import AnalysisError
from lake.query.footprint import footprint
from lake.query.release import LRUCache


def test_least_recently_used_key_is_evicted() -> None:
    cache = LRUCache(2)
    for key in ("a", "b", "a", "c"):
        cache.get_or_compute(key, lambda k=key: k.upper())  # type: ignore[misc]
    computed: list[str] = []
    cache.get_or_compute("b", lambda: computed.append("b") or "B")  # evicted: computed again
    cache.get_or_compute("a", lambda: computed.append("a") or "A")  # kept: "c" then "b" newer
    assert computed == ["b", "a"]


def _wait_for(condition: threading.Event, waiters: LRUCache, count: int) -> None:
    assert condition.wait(5), "the first computation did not start"
    deadline = time.monotonic() + 5
    while waiters.hits < count and time.monotonic() < deadline:  # waiters register as hits
        time.sleep(0.001)


def test_concurrent_misses_of_one_key_compute_once() -> None:
    cache = LRUCache(8)
    started, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def compute() -> str:
        calls.append(1)
        started.set()
        assert release.wait(5)
        return "value"

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(cache.get_or_compute, "k", compute) for _ in range(4)]
        _wait_for(started, cache, 3)
        release.set()
        results = [f.result(timeout=5) for f in futures]
    assert results == ["value"] * 4
    assert len(calls) == 1
    assert (cache.misses, cache.hits) == (1, 3)


def test_a_failed_computation_reaches_its_waiters_and_is_not_cached() -> None:
    cache = LRUCache(8)
    started, release = threading.Event(), threading.Event()

    def fail() -> str:
        started.set()
        assert release.wait(5)
        raise AnalysisError("no patient left")

    with ThreadPoolExecutor(3) as pool:
        futures = [pool.submit(cache.get_or_compute, "k", fail) for _ in range(3)]
        _wait_for(started, cache, 2)
        release.set()
        for future in futures:
            with pytest.raises(AnalysisError, match="no patient left"):
                future.result(timeout=5)
    assert cache.get_or_compute("k", lambda: "retried") == "retried"
    assert cache.misses == 2


def test_values_are_evicted_by_the_bytes_they_hold() -> None:
    cache = LRUCache(1_000, max_bytes=10, weigh=lambda v: len(str(v)))
    for key in ("a", "b", "c"):
        cache.get_or_compute(key, lambda k=key: k * 4)  # type: ignore[misc]
    assert cache.bytes == 8  # "bbbb" and "cccc": "aaaa" would pass the bound
    assert len(cache) == 2
    assert cache.get("a") is None
    assert cache.get("c") == "cccc"
    assert cache.get_or_compute("big", lambda: "x" * 11) == "x" * 11  # answered, not kept
    assert cache.get("big") is None
    assert cache.bytes <= 10


def test_footprint_counts_buffers_and_each_object_once() -> None:
    series = pl.Series(np.arange(1_000_000, dtype=np.float64))
    assert footprint(series) >= 8_000_000
    shared = (series, series, {"again": series})
    assert footprint(shared) < 2 * footprint(series)
    assert footprint(np.zeros(1_000)) >= 8_000
    assert footprint(["x" * 1_000]) > footprint(["x"]) + 900


def test_footprint_of_a_long_list_is_estimated_from_a_sample() -> None:
    items = [("x" * (100 + i % 7), float(i)) for i in range(10_000)]
    exact = sys.getsizeof(items) + sum(
        sys.getsizeof(t) + sys.getsizeof(t[0]) + sys.getsizeof(t[1]) for t in items
    )
    assert abs(footprint(items) - exact) < 0.05 * exact
