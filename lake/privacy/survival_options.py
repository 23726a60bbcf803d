"""Protected answers to the Kaplan-Meier options, derived from the noisy life table only.

Every function here post-processes a :class:`~lake.privacy.life_table.NoisyTable` (and public
facts: the grid, the request), so none costs privacy (:mod:`lake.privacy.life_table`). With the
table's risk sets n_j, events d_j and censorings c_j per interval j of the public grid:

- Nelson-Aalen H(t_j) = Σ_{i ≤ j} d_i / n_i at interval ends, variance Σ d_i / n_i² plus the
  noise: Σ Var(noise of d_i) / n_i² and, for the shared noise of the risk sets,
  (Σ d_i / n_i² · sd(n_i))² (perfectly correlated, an upper bound, as for S);
- the restricted mean up to τ: the area under the noisy step curve (S = 1 before the first
  interval end, S(t_j) from t_j to the next), R ``survmean``'s formula with the noisy table's
  Greenwood terms, plus the noise of the events (Σ A_j² Var(noise of d_j) / (n_j − d_j)²) and of
  the risk sets ((Σ A_j g_j sd(n_j))², g_j = d_j / (n_j (n_j − d_j))), A_j = ∫_{t_j}^τ S;
- counts per interval: sums of the noisy cells over the grid intervals an interval spans, so
  interval ends must lie on the grid (:func:`check_on_grid`), and at risk at an end the table's
  n there; protected intervals are the grid's [start, end) (a patient leaving exactly on an end
  counts in the next one; the exact answer's are R's (start, end]);
- Fleming-Harrington weights S(t−)^ρ (1 − S(t−))^γ per interval from the pooled noisy
  Kaplan-Meier of each stratum, for :func:`~lake.privacy.life_table.grouped_logrank`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from lake.access import GOVERNED_ROLES
from lake.cohort.survival_options import IntervalCounts, RestrictedMean, Weights, interval_starts
from lake.errors import AccessDeniedError
from lake.privacy.life_table import Grid, NoisyTable
from lake.privacy.plan import shown
from lake.survival._typing import FloatArray

#: Where a time falls: the index of the last interval ending at or before it (−1: none), or
#: why an answer there is withheld.
Locate = Callable[[float], int | str]

ON_GRID_TOLERANCE = 1e-9


def cumulative_hazard(table: NoisyTable) -> tuple[FloatArray, FloatArray]:
    """Nelson-Aalen H at each interval end and its standard error, noise included."""
    n, d = table.at_risk, table.events[:, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, d / n, 0.0)
        poisson = np.where(n > 0, d / n**2, 0.0)
        noise_d = np.where(n > 0, table.cell_variance / n**2, 0.0)
    noise_n = np.cumsum(poisson * table.at_risk_sd) ** 2
    return np.cumsum(rate), np.sqrt(np.cumsum(poisson) + np.cumsum(noise_d) + noise_n)


def restricted_mean(
    tau: float, j: int, ends: FloatArray, surv: FloatArray, table: NoisyTable
) -> RestrictedMean:
    """RMST up to ``tau`` (request unit) over the step curve; ``j`` = last interval end ≤ τ."""
    keep = slice(0, j + 1)
    knots = np.append(ends[keep], tau)
    rectangles = np.diff(knots, prepend=0.0) * np.concatenate(([1.0], surv[keep]))
    after = np.cumsum(rectangles[::-1])[::-1][1:]
    n, d = table.at_risk[keep], table.events[keep, 1]
    left = n - d
    with np.errstate(divide="ignore", invalid="ignore"):
        greenwood = np.where(left > 0, d / (n * left), 0.0)
        noise_d = np.where(left > 0, table.cell_variance / left**2, 0.0)
    variance = np.sum(after**2 * (greenwood + noise_d))
    variance += np.sum(after * greenwood * table.at_risk_sd[keep]) ** 2
    return RestrictedMean(tau, float(rectangles.sum()), float(np.sqrt(variance)))


def _grid_index(end: float, unit: float, grid: Grid) -> int | None:
    """How many grid intervals end at or before ``end`` (request unit), if it is on the grid."""
    k = end * unit / grid.width_days
    nearest = round(k)
    if abs(k - nearest) > ON_GRID_TOLERANCE * max(1.0, k) or not 1 <= nearest <= grid.intervals:
        return None
    return nearest


def check_on_grid(ends: Sequence[float], unit: float, unit_name: str, grid: Grid) -> None:
    """Refuse interval ends off the public grid (before any noise is drawn or charged)."""
    off = [e for e in ends if _grid_index(e, unit, grid) is None]
    if off:
        width, horizon = grid.width_days / unit, grid.horizon_days / unit
        raise AccessDeniedError(
            f"intervalEnds {off} are not on the public survival grid: on protected access, "
            f"counts per interval are sums of the noisy life table's cells, so each end must be "
            f"a multiple of {width:g} {unit_name} ({grid.width_days:g} days) up to "
            f"{horizon:g} {unit_name}; a governed role ({', '.join(GOVERNED_ROLES)}, under a "
            "data-sharing agreement) may ask any interval"
        )


def interval_counts(
    ends: Sequence[float],
    table: NoisyTable,
    *,
    unit: float,
    grid: Grid,
    locate: Locate,
    floor: int,
) -> tuple[IntervalCounts, ...]:
    """Noisy at-risk, event and censoring counts per requested interval (ends on the grid)."""
    out = []
    previous = 0
    exits = table.events.sum(axis=1)
    for start, end in zip(interval_starts(tuple(ends)), ends, strict=True):
        k = _grid_index(end, unit, grid)
        where = locate(end)
        if k is None or isinstance(where, str):  # off the grid: refused before (check_on_grid)
            out.append(IntervalCounts(start, end, None, None, None, str(where)))
            continue
        span = slice(previous, k)
        at_end = table.at_risk[k] if k < table.at_risk.size else table.at_risk[-1] - exits[-1]
        out.append(
            IntervalCounts(
                start=start,
                end=end,
                n_at_risk=shown(max(at_end, 0.0), floor),
                events=shown(table.events[span, 1].sum(), floor),
                censored=shown(table.events[span, 0].sum(), floor),
            )
        )
        previous = k
    return tuple(out)


def time_weights(at_risk: FloatArray, events: FloatArray, weights: Weights) -> FloatArray:
    """S(t−)^ρ (1 − S(t−))^γ per (stratum, interval) from the pooled noisy Kaplan-Meier of
    ``at_risk`` and ``events`` of shape (strata, groups, intervals)."""
    n, d = at_risk.sum(axis=1), events.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1.0 - d / n, 1.0), axis=1)
    before = np.concatenate((np.ones((surv.shape[0], 1)), surv[:, :-1]), axis=1)
    weight: FloatArray = np.power(before, weights.rho) * np.power(1.0 - before, weights.gamma)
    return weight
