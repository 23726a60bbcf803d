"""Protected survival: Kaplan-Meier, log-rank and cumulative incidence from a noisy life table.

The release is one life table on a public grid (08-disclosure-control.md §8.4; Gondara & Wang,
"Differentially Private Survival Function Estimation", *MLHC* 2020): intervals of a public
width from the origin to a public horizon, and for every group × stratum × interval the number
of patients leaving it by each kind (censored, event, competing event), plus the patients still
followed at the horizon and the cohort's patients without the endpoint. Each patient sits in
exactly one of these cells, so the whole table has L1 sensitivity 1 and one draw of discrete
Laplace noise of scale 1/ε makes it ε-DP. Everything derived from it
(:mod:`lake.privacy.survival`) is post-processing.

From the noisy table, per group (summing strata):

- at risk at the start of interval j, ``n_j`` = the noisy patients leaving at j or later
  (a reverse cumulative sum, made non-increasing by isotonic regression and clipped at 0);
- events ``d_j`` = the noisy event cells clipped to [0, n_j];
- S(t_j) = Π_{i ≤ j} (1 − d_i / n_i) at the interval ends t_j (the actuarial product-limit
  with events before censorings within an interval: the exact Kaplan-Meier when they are so);
- Var(−log S) = Greenwood Σ d/(n(n − d)) plus the noise: Σ Var(noise of d_i)/(n_i − d_i)² and,
  for the risk sets whose noise is shared across intervals, (Σ d_i/(n_i(n_i − d_i)) · sd(n_i))²
  (perfectly correlated, so an upper bound); the confidence band (R's ``conf.type``) uses it,
  so the reported interval includes the added uncertainty;
- the median where the curve, linear between interval ends, crosses one half (the life-table
  median), requested times read off the step curve at the last interval end at or before them;
- log-rank (and trend) tests: the grouped-data Mantel-Haenszel statistic over the intervals
  (stratified by summing per-stratum terms); the p-value does not include the noise;
- cumulative incidence: Aalen-Johansen F_k(t_j) = Σ_{i ≤ j} S(t_{i−1}) d_{k,i} / n_i with its
  delta-method variance plus the noise terms, log(−log) limits as cmprsk. Gray's test is not
  released on protected access.

A curve is shown up to the last interval whose noisy risk set is at least twice its noise's
standard deviation (and the publication floor): beyond it the numbers are mostly noise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.optimize import isotonic_regression
from scipy.stats import chi2

from lake.cohort.counting import CohortCounts
from lake.errors import AnalysisError
from lake.privacy.domains import Level, level_index
from lake.privacy.mechanism import IntVector, Noise
from lake.survival import StatisticalResult
from lake.survival._typing import FloatArray


@dataclass(frozen=True, slots=True)
class Grid:
    """The public life-table grid: ``intervals`` of ``width_days`` from the origin."""

    width_days: float
    intervals: int

    @classmethod
    def of(cls, width_days: float, horizon_days: float) -> Grid:
        return cls(width_days=width_days, intervals=max(1, round(horizon_days / width_days)))

    @property
    def horizon_days(self) -> float:
        return self.width_days * self.intervals

    def ends(self) -> FloatArray:
        """End of each interval, in days."""
        return self.width_days * np.arange(1, self.intervals + 1, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Layout:
    """Cell layout: [excluded] + per group, stratum: per interval (kinds), then beyond."""

    groups: tuple[Level, ...]
    strata: tuple[Level, ...]
    kinds: int  # 0 = censored, 1..K event kinds
    grid: Grid

    @property
    def block(self) -> int:
        return self.grid.intervals * (self.kinds + 1) + 1

    @property
    def size(self) -> int:
        return 1 + len(self.groups) * len(self.strata) * self.block

    def cells(self, frame: pl.DataFrame) -> IntVector:
        """Exact counts of ``frame``'s patients (``time_days``, ``status``, ``group``,
        optionally ``stratum``) in the layout."""
        counts = np.zeros(self.size, dtype=np.int64)
        if frame.height == 0:
            return counts
        followed = frame.filter(pl.col("time_days").is_not_null())
        counts[0] = frame.height - followed.height
        if followed.height == 0:
            return counts
        g = self._index(followed, "group", self.groups)
        s = self._index(followed, "stratum", self.strata)
        t = np.maximum(followed.get_column("time_days").cast(pl.Float64).to_numpy(), 0.0)
        status = followed.get_column("status").cast(pl.Int64).to_numpy()
        if status.min() < 0 or status.max() > self.kinds:
            raise AnalysisError(
                f"this endpoint's status codes lie outside 0..{self.kinds}; ask cumulative "
                "incidence for an endpoint with a competing event"
            )
        j = np.floor(t / self.grid.width_days).astype(np.int64)
        inside = j < self.grid.intervals
        within = np.where(inside, j * (self.kinds + 1) + status, self.block - 1)
        index = 1 + (g * len(self.strata) + s) * self.block + within
        counts += np.bincount(index, minlength=self.size)
        return counts

    def counted_cells(self, counts: CohortCounts) -> IntVector:
        """:meth:`cells` of a cohort given as its (group, event, day) counts
        (:mod:`lake.cohort.counting`): the same vector, without the cohort's rows. No strata,
        one event kind (the Kaplan-Meier layout)."""
        if self.strata != (None,) or self.kinds != 1:
            raise AnalysisError("a life table with strata or competing events needs the rows")
        cells = np.zeros(self.size, dtype=np.int64)
        cells[0] = counts.excluded
        labels = pl.Series("group", counts.labels, dtype=pl.String)
        group = level_index(labels, self.groups, what="group").to_numpy().astype(np.int64)
        days = np.asarray(counts.counted.times, dtype=np.float64)
        interval = np.floor(days / self.grid.width_days).astype(np.int64)
        # (event kind, day) -> position in a group's block: its interval's kind, or beyond
        kind = np.arange(self.kinds + 1, dtype=np.int64)[:, None]
        within = np.where(
            interval < self.grid.intervals, interval * (self.kinds + 1) + kind, self.block - 1
        )
        index = 1 + group[:, None, None] * self.block + within[None, :, :]
        cells += np.bincount(
            index.ravel(), weights=counts.counted.counts.ravel(), minlength=self.size
        ).astype(np.int64)
        return cells

    def _index(self, frame: pl.DataFrame, column: str, levels: Sequence[Level]) -> IntVector:
        if column not in frame.columns:
            return np.zeros(frame.height, dtype=np.int64)
        return (
            level_index(frame.get_column(column), levels, what=column).to_numpy().astype(np.int64)
        )

    def split(self, noisy: IntVector) -> tuple[int, FloatArray, FloatArray]:
        """Excluded count; cells (group, stratum, interval, kind); beyond (group, stratum)."""
        blocks = noisy[1:].reshape(len(self.groups), len(self.strata), self.block).astype(float)
        inside = blocks[..., :-1].reshape(
            len(self.groups), len(self.strata), self.grid.intervals, self.kinds + 1
        )
        return int(noisy[0]), inside, blocks[..., -1]


@dataclass(frozen=True, slots=True)
class NoisyTable:
    """One group's (or group × stratum's) life table after post-processing."""

    at_risk: FloatArray  # n_j at the start of each interval
    events: FloatArray  # (intervals, kinds + 1): column 0 censored, then each event kind
    at_risk_sd: FloatArray  # noise standard deviation of n_j
    cell_variance: float  # noise variance of one (summed) cell

    @classmethod
    def of(cls, cells: FloatArray, beyond: float, n_summed: int, noise: Noise) -> NoisyTable:
        """From noisy ``cells`` (intervals, kinds + 1) summed over ``n_summed`` strata."""
        exits = cells.sum(axis=1)
        remaining = np.cumsum(exits[::-1])[::-1] + beyond
        n_cells = (np.arange(exits.size, 0, -1) * cells.shape[1] + 1) * n_summed
        at_risk = np.clip(isotonic_regression(remaining, increasing=False).x, 0.0, None)
        events = np.column_stack([_increments(cells[:, k]) for k in range(cells.shape[1])])
        total = events[:, 1:].sum(axis=1)
        scale = np.where(total > at_risk, at_risk / np.where(total > 0, total, 1.0), 1.0)
        events[:, 1:] *= scale[:, None]
        return cls(
            at_risk=at_risk,
            events=events,
            at_risk_sd=np.sqrt(n_cells * noise.variance),
            cell_variance=noise.variance * n_summed,
        )

    def released_length(self, floor: int) -> int:
        """Intervals shown: up to the last whose risk set is well above its noise."""
        reliable = self.at_risk >= np.maximum(np.maximum(2.0 * self.at_risk_sd, floor), 1.0)
        return int(np.argmin(reliable)) if not reliable.all() else reliable.size

    def truncated(self, length: int) -> NoisyTable:
        """The table with nobody at risk and no event from interval ``length`` on."""
        at_risk, events = self.at_risk.copy(), self.events.copy()
        at_risk[length:], events[length:] = 0.0, 0.0
        return NoisyTable(at_risk, events, self.at_risk_sd, self.cell_variance)


def _increments(noisy: FloatArray) -> FloatArray:
    """Non-negative per-interval counts from noisy ones, without clipping's upward bias.

    Clipping each noisy cell at 0 would add about half a noise scale to every empty interval;
    instead the cumulative count is projected onto non-decreasing sequences from 0 (isotonic
    regression, least squares) and differenced, which keeps the total close to the noisy total.
    """
    cumulative = np.clip(isotonic_regression(np.cumsum(noisy), increasing=True).x, 0.0, None)
    return np.diff(cumulative, prepend=0.0)


def product_limit(
    at_risk: FloatArray, events: FloatArray, table: NoisyTable
) -> tuple[FloatArray, FloatArray]:
    """S at each interval end and the standard error of −log S (Greenwood plus noise)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
        surv = np.cumprod(1.0 - hazard, dtype=np.float64)
        left = at_risk - events
        ok = left > 0
        greenwood = np.where(ok, events / (at_risk * left), np.where(events > 0, np.inf, 0.0))
        noise_d = np.where(ok, table.cell_variance / left**2, 0.0)
        noise_n = np.cumsum(np.where(ok, greenwood, 0.0) * table.at_risk_sd) ** 2
    return surv, np.sqrt(np.cumsum(greenwood) + np.cumsum(noise_d) + noise_n)


def grouped_logrank(
    at_risk: FloatArray,
    events: FloatArray,
    labels: Sequence[str],
    *,
    weights: FloatArray | None,
    time_weights: FloatArray | None = None,
    name: str | None = None,
) -> StatisticalResult:
    """Mantel-Haenszel (log-rank) test on grouped data: ``at_risk`` and ``events`` have shape
    (strata, groups, intervals); with ``weights`` the one-degree trend test over the groups.

    Per interval, O − E = d_g − n_g D/N and V = D(N − D)/(N − 1) · (diag(p) − p pᵀ), p = n_g/N
    (Peto & Peto 1972; R ``survdiff`` on times grouped to the intervals); strata add up. With
    ``time_weights`` w (strata, intervals), O − E is weighted by w and V by w² (the G(ρ, γ)
    family, :mod:`lake.survival.logrank`).
    """
    total_n = at_risk.sum(axis=1, keepdims=True)
    total_d = events.sum(axis=1, keepdims=True)
    w = np.ones_like(total_n) if time_weights is None else time_weights[:, None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total_n > 0, at_risk / total_n, 0.0)
        factor = np.where(total_n > 1, total_d * (total_n - total_d) / (total_n - 1), 0.0) * w**2
    observed = (w * events).sum(axis=(0, 2))
    expected = (w * share * total_d).sum(axis=(0, 2))
    # V = Σ factor (diag(p) − p pᵀ) over strata and intervals
    f = factor[:, 0, :]
    variance = np.einsum("si,sgi->g", f, share)
    variance = np.diag(variance) - np.einsum("si,sgi,shi->gh", f, share, share)
    diff = observed - expected
    if name is None:
        name = "log-rank (noisy life table)" if weights is None else "trend (noisy life table)"
    if weights is not None:
        v = float(weights @ variance @ weights)
        if v <= 0:
            return StatisticalResult(name, None, 1, None, tuple(labels), reason="zero variance")
        stat = float((weights @ diff) ** 2 / v)
        df = 1
    else:
        keep = np.flatnonzero(np.diag(variance) > 0)
        if keep.size < 2:
            return StatisticalResult(
                name, None, 0, None, tuple(labels), reason="fewer than two groups with events"
            )
        sub = variance[np.ix_(keep[:-1], keep[:-1])]
        stat = float(diff[keep[:-1]] @ np.linalg.pinv(sub) @ diff[keep[:-1]])
        df = int(np.linalg.matrix_rank(sub))
    return StatisticalResult(
        test_name=name,
        statistic=stat,
        df=df,
        p_value=float(chi2.sf(stat, df)),
        groups=tuple(labels),
        observed=tuple(float(o) for o in observed),
        expected=tuple(float(e) for e in expected),
    )
