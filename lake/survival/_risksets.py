"""Vectorised tabulation of risk sets at the distinct observed times (no per-row loops).

At each distinct time t the number at risk is n(t) = #{i: entry_i < t <= stop_i}: subjects
censored at t are still at risk at t (censoring after events, R ``survival`` convention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lake.survival._input import SurvivalArrays
from lake.survival._typing import FloatArray


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
    times, inverse, counts = np.unique(data.stop, return_inverse=True, return_counts=True)
    n_event = np.bincount(
        inverse, weights=data.event.astype(np.float64), minlength=times.size
    ).astype(np.float64)
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
