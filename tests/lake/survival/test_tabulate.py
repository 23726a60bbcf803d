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
