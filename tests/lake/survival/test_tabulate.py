"""crosstab counts against a per-row dictionary count (the oracle), on every input path."""

from __future__ import annotations

from collections import Counter

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.survival import _tabulate
from lake.survival._tabulate import crosstab


def _oracle(columns: list[npt.NDArray[np.generic]]) -> Counter[tuple[object, ...]]:
    return Counter(zip(*(c.tolist() for c in columns), strict=True))


def _observed(columns: list[npt.NDArray[np.generic]]) -> Counter[tuple[object, ...]]:
    table = crosstab(columns)
    out: Counter[tuple[object, ...]] = Counter()
    for cell in zip(*np.nonzero(table.counts), strict=True):
        values = tuple(table.levels[c][i].item() for c, i in enumerate(cell))
        out[values] = int(table.counts[cell])
    return out


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.integers(-5, 40).map(float), st.sampled_from([0.5, 2.25, 1e9])),
            st.booleans(),
            st.sampled_from(["a", "b", "c"]),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_counts_match_oracle(rows: list[tuple[float, bool, str, int]]) -> None:
    """Whole and non-whole floats, a span too wide to index (1e9), bools, text and ints."""
    columns = [np.array([r[i] for r in rows]) for i in range(4)]
    assert _observed(columns) == _oracle(columns)


def test_blocks_cover_every_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows spread over several key blocks (block size forced to 7) are all counted once."""
    monkeypatch.setattr(_tabulate, "BLOCK", 7)
    rng = np.random.default_rng(3)
    time = rng.integers(0, 30, 100).astype(np.float64)
    group = rng.integers(1, 4, 100)
    time[95] = 2.5  # a non-whole value in the last block: the time column is ranked instead
    assert _observed([time, group]) == _oracle([time, group])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.one_of(st.integers(0, 60).map(float), st.just(7.5)), min_size=1, max_size=50),
    st.lists(st.integers(-5, 70).map(float), min_size=0, max_size=10),
)
def test_count_at_most_matches_searchsorted(values: list[float], levels: list[float]) -> None:
    """Oracle: np.searchsorted(levels, values, "right"), for day tables and fractional input."""
    grid = np.unique(np.array(levels, dtype=np.float64))
    arr = np.array(values)
    expected = np.searchsorted(grid, arr, side="right")
    assert np.array_equal(_tabulate.count_at_most(grid, arr), expected)


@pytest.mark.parametrize(("n_levels", "lone_value"), [(3, False), (3, True), (5000, False)])
def test_factorize_matches_unique(n_levels: int, lone_value: bool) -> None:
    """Few levels (sampled, then confirmed) and many levels (full sort) agree with np.unique;
    a level absent from the sample (one row only, off the sampling stride) gets its own code."""
    rng = np.random.default_rng(11)
    values = rng.integers(0, n_levels, 20_000).astype(np.float64) * 0.37
    if lone_value:
        values[12_345] = -1.0
    levels, codes = _tabulate.factorize(values)
    want_levels, want_codes = np.unique(values, return_inverse=True)
    assert np.array_equal(levels, want_levels)
    assert np.array_equal(codes, want_codes)
