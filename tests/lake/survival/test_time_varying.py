"""Counting-process rows of a time-dependent exposure (R ``tmerge`` with ``tdc``).

Properties over arbitrary cohorts: person-time and events are conserved, each patient's rows
tile (0, T] in time order, the status sits on the last row only, and a row is exposed exactly
when it lies after the exposure time. The tmerge rules at the edges (exposure at or before 0,
at T, after T, never) are checked on the case R printed (make_golden.R's tmerge call).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lake.errors import AnalysisError
from lake.survival.time_varying import split_at_exposure

times = st.integers(min_value=1, max_value=400)


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(min_value=0, max_value=40))
    time = np.array(draw(st.lists(times, min_size=n, max_size=n)), dtype=float)
    status = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    exposure = np.array(
        draw(
            st.lists(
                st.one_of(st.none(), st.integers(min_value=-50, max_value=450)),
                min_size=n,
                max_size=n,
            )
        ),
        dtype=float,
    )  # None -> NaN: never exposed
    return time, status, exposure


@given(cohorts())
def test_person_time_and_events_are_conserved(
    cohort: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    time, status, exposure = cohort
    rows = split_at_exposure(time, status, exposure)
    assert np.sum(rows.stop - rows.start) == pytest.approx(np.sum(time))
    assert rows.status.sum() == status.sum()
    assert np.all(rows.start < rows.stop)
    for i in range(time.size):
        mine = np.flatnonzero(rows.patient == i)
        assert np.all(np.diff(mine) == 1)  # adjacent, in time order
        assert rows.start[mine[0]] == 0
        assert rows.stop[mine[-1]] == time[i]
        assert np.all(rows.start[mine[1:]] == rows.stop[mine[:-1]])
        assert rows.status[mine[-1]] == status[i]
        assert np.all(rows.status[mine[:-1]] == 0)
        x = exposure[i]
        if np.isnan(x) or x >= time[i]:  # never exposed during follow-up
            expected = np.zeros(mine.size, dtype=bool)
        else:  # exposed from max(x, 0) on
            expected = rows.start[mine] >= max(x, 0.0)
        assert np.array_equal(rows.exposed[mine] == 1, expected)


def test_tmerge_rules_at_the_edges() -> None:
    """R: tmerge(d, d, id, death = event(time, status), exposed = tdc(exposure))."""
    rows = split_at_exposure(
        [5, 6, 7, 8, 9], [1, 0, 1, 1, 0], [np.nan, -1, 0, 3, 9]
    )  # never, before 0, at 0, inside, at T
    assert rows.patient.tolist() == [0, 1, 2, 3, 3, 4]
    assert rows.start.tolist() == [0, 0, 0, 0, 3, 0]
    assert rows.stop.tolist() == [5, 6, 7, 3, 8, 9]
    assert rows.status.tolist() == [1, 0, 1, 0, 1, 0]
    assert rows.exposed.tolist() == [0, 1, 1, 0, 1, 0]


@pytest.mark.parametrize(
    ("time", "status", "message"),
    [([0.0], [1], "positive"), ([3.0], [2], "status"), ([3.0, 4.0], [1], "one length")],
)
def test_invalid_input_is_refused(time: list[float], status: list[int], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        split_at_exposure(time, status, [np.nan] * len(time))
