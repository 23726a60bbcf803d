"""Vectorised tabulation of risk sets at the distinct observed times (no per-row loops).

At each distinct time t the number at risk is n(t) = #{i: entry_i < t <= stop_i}: subjects
censored at t are still at risk at t (censoring after events, R ``survival`` convention).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from lake.survival._input import SurvivalArrays
from lake.survival._tabulate import crosstab, whole_span
from lake.survival._typing import FloatArray, IntArray
from lake.survival.results import CountsBetween


@dataclass(frozen=True, slots=True)
class RiskTable:
    """Distinct times with the number at risk, events and censorings at each."""

    time: FloatArray
    n_risk: FloatArray
    n_event: FloatArray
    n_censor: FloatArray
    #: with delayed entry: ``n_risk`` counts #{entry < t <= stop}
    delayed: bool = False


def at_risk(data: SurvivalArrays, times: FloatArray) -> FloatArray:
    """Number at risk just before each of ``times``: #(stop >= t) - #(entry >= t)."""
    stop_sorted = np.sort(data.stop)
    n_risk = data.n - np.searchsorted(stop_sorted, times, side="left")
    if data.entry is not None:
        entry_sorted = np.sort(data.entry)
        n_risk = n_risk - (data.n - np.searchsorted(entry_sorted, times, side="left"))
    return n_risk.astype(np.float64)


def risk_table(data: SurvivalArrays) -> RiskTable:
    """Tabulate ``data`` at its distinct stop times with one count over (time, event) cells."""
    table = crosstab([data.stop, data.event], spans=[whole_span(*data.stop_range), (0, 2)])
    if data.entry is None:
        return _table_of(table.levels[0], table.counts, data.n)
    counted = _table_of(table.levels[0], table.counts, data.n)
    return replace(counted, n_risk=at_risk(data, counted.time), delayed=True)


def grouped_risk_tables(data: SurvivalArrays, groups: IntArray, n_groups: int) -> list[RiskTable]:
    """The risk table of each group 0..``n_groups``-1 from one count over the (group, time,
    event) cells of all rows, equal to :func:`risk_table` of the group's rows (no entry)."""
    spans = [(0, n_groups), whole_span(*data.stop_range), (0, 2)]
    table = crosstab([groups, data.stop, data.event], spans=spans)
    sizes = table.counts.sum(axis=(1, 2))
    return [
        _table_of(table.levels[1], counts, int(size))
        for counts, size in zip(table.counts, sizes, strict=True)
    ]


def _table_of(levels: npt.NDArray[np.generic], counts: IntArray, n: int) -> RiskTable:
    """The risk table of (time slot, censored/event) ``counts`` of ``n`` rows without entry."""
    leaving = counts.sum(axis=1)
    present = np.flatnonzero(leaving)
    n_event = counts[present, 1].astype(np.float64)
    return RiskTable(
        time=levels[present].astype(np.float64),
        n_risk=(n - (np.cumsum(leaving) - leaving)[present]).astype(np.float64),
        n_event=n_event,
        n_censor=leaving[present].astype(np.float64) - n_event,
    )


def counts_between(data: SurvivalArrays, times: FloatArray) -> list[CountsBetween]:
    """At risk at each of ``times`` (non-decreasing) and the events and censorings since the
    previous one (the first counts from the start), R ``summary(fit, times=, extend=TRUE)``."""
    n_risk = at_risk(data, times)
    events = np.searchsorted(np.sort(data.stop[data.event]), times, side="right")
    censored = np.searchsorted(np.sort(data.stop[~data.event]), times, side="right")
    return [
        CountsBetween(time=float(t), n_at_risk=int(n), n_events=int(e), n_censored=int(c))
        for t, n, e, c in zip(
            times.tolist(),
            n_risk.tolist(),
            np.diff(events, prepend=0).tolist(),
            np.diff(censored, prepend=0).tolist(),
            strict=True,
        )
    ]
