"""A store build holds no lock: reads of built columns go on, one key is built once (issue 11).

Before, a segment built under its one lock, so a request reading a column already built waited
for the warm-up's build of another endpoint on the same site (seconds at 1e7 patients).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import polars as pl
import pytest

from lake.cohort.segments import Segment, SegmentKey
from lake.cohort.store_budget import StoreBudget

KEY = SegmentKey(site="AMS", changed=1)
WAIT = 10.0


def _column(name: str) -> dict[str, pl.Series]:
    return {name: pl.Series(name, [1, 2, 3])}


class _HeldBuild:
    """A build that signals ``started`` and returns only once ``finish`` is set."""

    def __init__(self) -> None:
        self.started, self.finish = threading.Event(), threading.Event()
        self.calls: list[list[str]] = []

    def __call__(self, missing: list[str]) -> dict[str, pl.Series]:
        self.calls.append(missing)
        self.started.set()
        assert self.finish.wait(WAIT)
        return _column(missing[0])


def test_a_built_column_is_read_while_another_key_builds() -> None:
    segment, budget = Segment(KEY), StoreBudget()
    segment.ensure(["age"], lambda missing: _column(missing[0]), budget)
    slow = _HeldBuild()
    started, finish = slow.started, slow.finish

    with ThreadPoolExecutor(1) as pool:
        building = pool.submit(segment.ensure, ["os"], slow, budget)
        assert started.wait(WAIT)
        read = segment.ensure(["age"], lambda _: pytest.fail("age is built"), budget)
        assert read["age"].to_list() == [1, 2, 3]
        assert not building.done()  # the read did not wait for it
        finish.set()
        assert building.result(WAIT)["os"].to_list() == [1, 2, 3]


def test_one_key_asked_at_once_is_built_once() -> None:
    segment, budget = Segment(KEY), StoreBudget()
    build = _HeldBuild()
    calls, started, finish = build.calls, build.started, build.finish

    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(segment.ensure, ["os"], build, budget)
        assert started.wait(WAIT)
        others = [pool.submit(segment.ensure, ["os"], build, budget) for _ in range(3)]
        finish.set()
        results = [f.result(WAIT) for f in (first, *others)]
    assert calls == [["os"]]
    assert all(r["os"] is results[0]["os"] for r in results)


def test_a_failed_build_is_tried_again_by_the_next_caller() -> None:
    segment, budget = Segment(KEY), StoreBudget()

    def fail(_: list[str]) -> dict[str, pl.Series]:
        raise OSError("the lake is unreachable")

    with pytest.raises(OSError, match="unreachable"):
        segment.ensure(["os"], fail, budget)
    assert segment.ensure(["os"], lambda m: _column(m[0]), budget)["os"].len() == 3
