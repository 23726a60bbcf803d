"""Vectorised tabulation of risk sets at the distinct observed times (no per-row loops).

At each distinct time t the number at risk is n(t) = #{i: entry_i < t <= stop_i}: subjects
censored at t are still at risk at t (censoring after events, R ``survival`` convention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lake.survival._input import SurvivalArrays
from lake.survival._typing import FloatArray, IntArray

#: Whole-number values spanning at most this many slots (or 4 per row) are indexed by counting
#: instead of sorting: follow-up in days, group codes.
COUNTING_SPAN = 1_000_000


def factorize(values: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
    """Sorted distinct values, each row's index into them, and the count of each value.

    Same result as ``np.unique(return_inverse=True, return_counts=True)``, but O(n) by counting
    when the values are whole numbers in a compact range (days since an origin, integer codes)
    — the common case in the lake; otherwise one sort.
    """
    if values.size == 0:
        return values, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    low, high = float(values.min()), float(values.max())
    if high - low <= max(4 * values.size, COUNTING_SPAN) and abs(low) < 2**52:
        offset = values.astype(np.int64)
        if np.array_equal(offset, values):
            offset -= int(low)
            counts = np.bincount(offset)
            present = counts > 0
            if present.all():
                return np.arange(counts.size, dtype=np.float64) + low, offset, counts
            rank = np.cumsum(present) - 1
            levels = np.flatnonzero(present).astype(np.float64) + low
            return levels, rank[offset], counts[present]
    levels, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    return levels.astype(np.float64), inverse.astype(np.int64), counts.astype(np.int64)


@dataclass(frozen=True, slots=True)
class RiskTable:
    """Distinct times with the number at risk, events and censorings at each."""

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray


def at_risk(data: SurvivalArrays, times: FloatArray) -> FloatArray:
    """Number at risk just before each of ``times``: #(stop >= t) - #(entry >= t)."""
    stop_sorted = np.sort(data.stop)
    n_risk = data.n - np.searchsorted(stop_sorted, times, side="left")
    if data.entry is not None:
        entry_sorted = np.sort(data.entry)
        n_risk = n_risk - (data.n - np.searchsorted(entry_sorted, times, side="left"))
    return n_risk.astype(np.float64)


def risk_table(data: SurvivalArrays) -> RiskTable:
    """Tabulate ``data`` at its distinct stop times in one sort."""
    times, inverse, counts = factorize(data.stop)
    n_event = np.bincount(inverse, weights=data.event_weight, minlength=times.size).astype(
        np.float64
    )
    if data.entry is None:
        exits_before = np.concatenate(([0], np.cumsum(counts)[:-1]))
        n_risk = (data.n - exits_before).astype(np.float64)
    else:
        n_risk = at_risk(data, times)
    return RiskTable(
        time=times,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=counts.astype(np.float64) - n_event,
    )
