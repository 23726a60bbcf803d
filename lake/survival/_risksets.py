"""Vectorised tabulation of risk sets at the distinct observed times (no per-row loops).

At each distinct time t the number at risk is n(t) = #{i: entry_i < t <= stop_i}: subjects
censored at t are still at risk at t (censoring after events, R ``survival`` convention).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from lake.errors import AnalysisError, EmptyCohortError
from lake.survival._input import SurvivalArrays, survival_arrays
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


@dataclass(frozen=True, slots=True)
class GroupedCounts:
    """Rows and events of every (group, censored/event, time) cell, from one count.

    ``counts[g, e, t]`` for group code ``g`` (0..G-1, each non-empty), event ``e`` and time
    slot ``t`` of ``times``: the layout the log-rank test reads
    (:func:`lake.survival.logrank.logrank_counts`), and each group's Kaplan-Meier risk table
    (:meth:`risk_tables`). The counts are all any estimate of them needs (no delayed entry),
    so they may come from rows (:func:`grouped_counts`) or from a count kept elsewhere
    (:mod:`lake.cohort.counting`).
    """

    times: npt.NDArray[np.generic]
    counts: IntArray

    def risk_tables(self) -> list[RiskTable]:
        """Each group's risk table, equal to :func:`risk_table` of its rows (no entry)."""
        sizes = self.counts.sum(axis=(1, 2))
        return [
            _table_of(self.times, counts.T, int(size))
            for counts, size in zip(self.counts, sizes, strict=True)
        ]


def grouped_counts(
    durations: npt.ArrayLike, events: npt.ArrayLike, groups: npt.ArrayLike, *, n_groups: int
) -> GroupedCounts:
    """Count the rows by (group, event, time) cells; group codes 0..``n_groups``-1.

    Raises
    ------
    EmptyCohortError
        A group code has no rows.
    AnalysisError
        Invalid durations or events (:func:`~lake.survival._input.survival_arrays`), or
        groups of another length.
    """
    data = survival_arrays(durations, events)
    codes = np.asarray(groups)
    if codes.shape != (data.n,):
        raise AnalysisError(f"groups has shape {codes.shape} but there are {data.n} durations")
    table = crosstab(
        [codes, data.event, data.stop], spans=[(0, n_groups), (0, 2), whole_span(*data.stop_range)]
    )
    empty = np.flatnonzero(table.counts.sum(axis=(1, 2)) == 0)
    if empty.size:
        raise EmptyCohortError(f"group {int(empty[0])} of {n_groups} has no rows to count")
    return GroupedCounts(times=table.levels[2], counts=table.counts)


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
