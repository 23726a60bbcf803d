"""The result cache: least-recently-used eviction and one computation per missing key."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from lake.errors import AnalysisError
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
