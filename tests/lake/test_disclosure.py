"""Minimum cell size suppression: primary, complementary and small-population rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.summary import Breakdown, CategoryCount, FieldCompleteness, Histogram, HistogramBin
from lake.disclosure import (
    DisclosurePolicy,
    disclose_breakdown,
    disclose_completeness,
    disclose_histogram,
)
from lake.errors import ConfigError

POLICY = DisclosurePolicy(min_cell_size=5)


def test_primary_suppression_withholds_small_nonzero_counts() -> None:
    assert [POLICY.count(n) for n in (0, 1, 4, 5, 120)] == [0, None, None, 5, 120]


def test_single_withheld_cell_pulls_the_smallest_other_cell_with_it() -> None:
    # 3 alone could be recovered as 40 - 20 - 9 - 8: the smallest other positive cell (8) goes too
    assert POLICY.cells([20, 3, 9, 8]) == (20, None, 9, None)
    # two withheld cells already protect each other
    assert POLICY.cells([20, 3, 2, 8]) == (20, None, None, 8)


def test_policy_rejects_a_non_positive_cell_size() -> None:
    with pytest.raises(ConfigError, match="at least 1"):
        DisclosurePolicy(min_cell_size=0)


@settings(max_examples=200, derandomize=True)
@given(st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=8))
def test_no_withheld_cell_can_be_recovered_from_the_total(counts: list[int]) -> None:
    released = POLICY.cells(counts)
    withheld = [n for n, r in zip(counts, released, strict=True) if r is None]
    assert all(r is None or r == n for n, r in zip(counts, released, strict=True))
    assert all(r is None or r == 0 or r >= 5 for r in released)
    assert len(withheld) != 1 or all(r is None or r == 0 for r in released)


def test_small_breakdown_population_withholds_everything() -> None:
    small = Breakdown("sex", 4, (CategoryCount("F", 0), CategoryCount("M", 4)))
    released = disclose_breakdown(small, POLICY)
    assert released.total is None
    assert [c.n for c in released.counts] == [None, None]


def test_histogram_and_completeness_cells_are_disclosed_together() -> None:
    hist = Histogram("age", 30, (HistogramBin(40, 50, 12), HistogramBin(50, 60, 16)), missing=2)
    released = disclose_histogram(hist, POLICY)
    # missing (2) is withheld and takes the smallest bin (12) with it
    assert [b.n for b in released.bins] == [None, 16]
    assert released.missing is None
    assert released.total == 30
    field = FieldCompleteness("del17p", total=30, known=25, not_tested=5, missing=0)
    assert disclose_completeness((field,), POLICY) == (field,)
