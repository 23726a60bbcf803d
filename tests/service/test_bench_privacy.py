"""The privacy benchmark's functions on a tiny lake and a few draws, so the benchmark cannot rot.

No timing is asserted (the machine is shared); the cost rows must exist for both access kinds and
both ways in, and the accuracy rows must pair each exact group with its protected answers.
"""

from __future__ import annotations

import math

import pytest

from service.bench_privacy import (
    STUDIES,
    accuracy,
    accuracy_table,
    cost,
    cost_table,
)
from tests.conftest import DemoLake

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
MONTHS_PER_INTERVAL = 3.0  # the default public grid: a quarter year


def test_cost_rows_for_both_ways_in() -> None:
    rows = cost([2_000], via=["gateway", "http"], requests=2, seconds=60)
    assert [(r.via, r.query) for r in rows] == [
        ("gateway", "cached"),
        ("gateway", "uncached"),
        ("http", "cached"),
        ("http", "uncached"),
    ]
    for row in rows:
        assert row.pairs >= 1
        assert row.governed_p50 > 0
        assert row.protected_p50 > 0
        assert math.isfinite(row.added_p50)
        assert math.isfinite(row.added_p99)
    assert len(cost_table(rows).splitlines()) == 1 + len(rows)


def test_accuracy_pairs_exact_and_protected_groups(demo_lake: DemoLake) -> None:
    rows = accuracy(demo_lake.root, draws=2)
    assert {r.study for r in rows} == {s.name for s in STUDIES}
    for row in rows:
        assert len(row.draws) == 2
        # without noise the protected estimator differs from Kaplan-Meier only by the grid: the
        # 2-year point is an interval end; the median is interpolated within the interval where
        # the life table crosses 0.5 (lake/privacy/survival.py crossing), so it may fall up to one
        # interval before the exact step, or later (within an interval the censored count as at
        # risk, so a flat curve may cross 0.5 an interval later)
        exact, table = row.exact, row.life_table
        if exact.survival is not None and table.survival is not None:
            assert table.survival == pytest.approx(exact.survival, abs=0.02)
        if exact.median is not None and table.median is not None:
            low = exact.median - MONTHS_PER_INTERVAL - 1e-6
            assert low <= table.median <= exact.median + 2 * MONTHS_PER_INTERVAL + 1e-6
        coverage = row.coverage()
        assert coverage is None or 0.0 <= coverage <= 1.0
    assert len(accuracy_table(rows, 2).splitlines()) == 2 + len(rows)
