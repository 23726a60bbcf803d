"""Protected Kaplan-Meier, log-rank and cumulative incidence answers (see
:mod:`lake.privacy.life_table` for the release and the estimators).

Both plans lay one life table over public groups (:mod:`lake.privacy.domains`), public strata
and the public grid; the answer types are the exact ones (:class:`SurvivalSummary`,
:class:`IncidenceSummary`), so the API shows both access kinds alike. Times are released as
interval ends, in the unit asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import polars as pl

from lake.cohort.counting import CohortCounts
from lake.cohort.incidence import (
    CAUSES,
    CauseIncidence,
    GroupIncidence,
    IncidencePoint,
    IncidenceRequest,
    IncidenceStep,
    IncidenceSummary,
)
from lake.cohort.steps import StepFunction, SurvivalStep
from lake.cohort.survival import (
    DAYS_PER,
    GroupSurvival,
    SurvivalRequest,
    SurvivalSummary,
    TimePoint,
)
from lake.cohort.survival_options import QUARTILES, GroupOptions, RestrictedMean
from lake.privacy import survival_options as options
from lake.privacy.domains import Level
from lake.privacy.life_table import Grid, Layout, NoisyTable, grouped_logrank, product_limit
from lake.privacy.mechanism import IntVector, Noise
from lake.privacy.plan import ProtectedPlan, shown
from lake.survival import QuantileEstimate
from lake.survival._typing import ConfType, FloatArray
from lake.survival.confidence import survival_bands, z_value
from lake.survival.logrank import test_name

ALPHA: Final = 0.05
BEYOND_CURVE: Final = "withheld: beyond the protected curve (too few at risk for the noise)"
BEYOND_HORIZON: Final = "withheld: beyond the public horizon of the protected life table"
Load = Callable[[], pl.DataFrame]


def _optional(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _label(level: Level) -> str:
    return "missing" if level is None else str(level)


def crossing(times: FloatArray, curve: FloatArray, level: float = 0.5) -> float | None:
    """When the curve through (0, 1) and (tⱼ, Sⱼ), linear between interval ends, first falls
    to ``level``; ``None`` if it never does (undefined points, NaN, are skipped).

    The life-table median (Cutler & Ederer 1958; R ``KMsurv::lifetab`` users read it so):
    the grid only knows S at interval ends, and reading the median off the step curve would
    put it at an interval's end, up to one interval late.
    """
    x = np.concatenate(([0.0], times))
    y = np.concatenate(([1.0], curve))
    known = ~np.isnan(y)
    x, y = x[known], y[known]
    below = np.flatnonzero(y <= level)
    if below.size == 0:
        return None
    i = int(below[0])
    if i == 0 or y[i - 1] == y[i]:
        return float(x[i])
    return float(x[i - 1] + (y[i - 1] - level) / (y[i - 1] - y[i]) * (x[i] - x[i - 1]))


def _median(
    times: FloatArray,
    curves: tuple[FloatArray, FloatArray, FloatArray],
    conf_type: ConfType,
    probability: float = 0.5,
) -> QuantileEstimate | None:
    """The median (or another quantile) and its interval (where the bands cross its level)."""
    if times.size == 0:
        return None
    surv, lower, upper = curves
    level = 1.0 - probability
    return QuantileEstimate(
        probability=probability,
        estimate=crossing(times, surv, level),
        lower=crossing(times, lower, level),
        upper=crossing(times, upper, level),
        conf_type=conf_type,
        alpha=ALPHA,
    )


def _interval_at(t: float, unit: float, grid: Grid, length: int) -> int | str:
    """Index of the last interval ending at or before ``t`` (−1: none), or why it is withheld."""
    days = t * unit
    if days > grid.horizon_days * (1 + 1e-12):
        return BEYOND_HORIZON
    j = int(np.floor(days / grid.width_days * (1 + 1e-12))) - 1
    return BEYOND_CURVE if j >= length else j


def _group_survival(
    label: Level, table: NoisyTable, grid: Grid, request: SurvivalRequest, floor: int
) -> GroupSurvival:
    unit = DAYS_PER[request.time_unit]
    length = table.released_length(floor)
    n, d = table.at_risk, table.events[:, 1]
    surv, se = product_limit(n, d, table)

    def locate(t: float) -> int | str:
        return _interval_at(t, unit, grid, length)

    lower, upper = survival_bands(surv, se, conf_type=request.conf_type, alpha=ALPHA)
    reverse, reverse_se = product_limit(n - d, table.events[:, 0], table)
    r_bands = survival_bands(reverse, reverse_se, conf_type=request.conf_type, alpha=ALPHA)
    ends = grid.ends() / unit
    leaving = n - np.append(n[1:], 0.0)
    with np.errstate(invalid="ignore"):
        surv_se = np.where(surv > 0, surv * se, np.nan)  # se of S (R summary()); none at S = 0
    hazard, hazard_se = (
        options.cumulative_hazard(table)
        if request.options.cumulative_hazard
        else (np.full(n.size, np.nan), np.full(n.size, np.nan))
    )
    points = []
    for t in request.times:
        j = _interval_at(t, unit, grid, length)
        if isinstance(j, str):
            points.append(TimePoint(t, None, None, None, None, j))
        elif j < 0:
            no_hazard = 0.0 if request.options.cumulative_hazard else None
            points.append(
                TimePoint(t, 1.0, 1.0, 1.0, shown(n[0], floor), None, 0.0, no_hazard, no_hazard)
            )
        else:
            risk = shown(n[j + 1], floor) if j + 1 < n.size else 0
            points.append(
                TimePoint(
                    t,
                    float(surv[j]),
                    _optional(lower[j]),
                    _optional(upper[j]),
                    risk,
                    None,
                    _optional(surv_se[j]),
                    _optional(hazard[j]),
                    _optional(hazard_se[j]),
                )
            )
    cut = slice(0, length)
    curves = (surv[cut], lower[cut], upper[cut])
    return GroupSurvival(
        group=label,
        n=shown(n[0], floor),
        events=shown(d.sum(), floor),
        median=_median(ends[cut], curves, request.conf_type),
        median_follow_up=_median(
            ends[cut], (reverse[cut], r_bands[0][cut], r_bands[1][cut]), request.conf_type
        ),
        at_times=tuple(points),
        steps=StepFunction.of(
            SurvivalStep(
                time=float(ends[j]),
                survival=float(surv[j]),
                lower=_optional(lower[j]),
                upper=_optional(upper[j]),
                n_at_risk=round(n[j]),
                events=round(d[j]),
                censored=max(0, round(leaving[j] - d[j])),
            )
            for j in range(length)
        ),
    ).with_options(
        GroupOptions(
            quartiles=tuple(
                q
                for p in QUARTILES
                if (q := _median(ends[cut], curves, request.conf_type, p)) is not None
            )
            if request.options.quartiles
            else None,
            restricted_mean=_restricted_mean(request, ends, surv, table, locate),
            intervals=options.interval_counts(
                request.options.interval_ends,
                table,
                unit=unit,
                grid=grid,
                locate=locate,
                floor=floor,
            )
            if request.options.interval_ends
            else None,
        )
    )


def _restricted_mean(
    request: SurvivalRequest,
    ends: FloatArray,
    surv: FloatArray,
    table: NoisyTable,
    locate: options.Locate,
) -> RestrictedMean | None:
    """The asked restricted mean over the released noisy curve, or why it is withheld."""
    tau = request.options.restricted_mean_tau
    if tau is None:
        return None
    j = locate(tau)
    if isinstance(j, str):
        return RestrictedMean(tau, None, None, j)
    return options.restricted_mean(tau, j, ends, surv, table)


def survival_plan(
    load: Load,
    *,
    groups: Sequence[Level],
    strata: Sequence[Level],
    grid: Grid,
    request: SurvivalRequest,
    ranked: Sequence[Level],
    endpoint: str,
    origin: str,
    floor: int,
    identity: object = None,
    counted: Callable[[], CohortCounts | None] | None = None,
) -> ProtectedPlan[SurvivalSummary]:
    """Kaplan-Meier by group with log-rank (and trend) tests from one noisy life table.

    The trend scores the groups of ``ranked`` 1..K in the order of ``groups`` (the declared
    order; :func:`lake.cohort.survival.trend_levels` gives the grouping's ranked codes). The
    options (:mod:`lake.privacy.survival_options`) post-process the same table; interval ends
    off the public grid are refused here, before any noise is drawn. ``counted`` gives the
    cohort's (group, event, day) counts where they stand in for the rows ``load`` reads
    (:meth:`Layout.counted_cells`; ``None``: read the rows).
    """
    if request.options.interval_ends:
        options.check_on_grid(
            request.options.interval_ends, DAYS_PER[request.time_unit], request.time_unit, grid
        )
    layout = Layout(groups=tuple(groups), strata=tuple(strata) or (None,), kinds=1, grid=grid)

    def release(noisy: IntVector, noise: Noise) -> SurvivalSummary:
        excluded, cells, beyond = layout.split(noisy)
        n_groups, n_strata = len(layout.groups), len(layout.strata)
        tables = [
            NoisyTable.of(cells[g].sum(axis=0), float(beyond[g].sum()), n_strata, noise)
            for g in range(n_groups)
        ]
        summaries = tuple(
            _group_survival(label, table, grid, request, floor)
            for label, table in zip(layout.groups, tables, strict=True)
        )
        logrank = trend = weighted = None
        if n_groups > 1:
            # each group enters the tests over its released curve only: an empty group's (or a
            # curve tail's) noise would otherwise count as events
            lengths = [t.released_length(floor) for t in tables]
            per = [
                [
                    NoisyTable.of(cells[g, s], float(beyond[g, s]), 1, noise).truncated(lengths[g])
                    for g in range(n_groups)
                ]
                for s in range(n_strata)
            ]
            n = np.array([[t.at_risk for t in row] for row in per])
            d = np.array([[t.events[:, 1] for t in row] for row in per])
            labels = [_label(level) for level in layout.groups]
            logrank = grouped_logrank(n, d, labels, weights=None)
            fh = request.options.weights
            if fh is not None:
                weighted = grouped_logrank(
                    n,
                    d,
                    labels,
                    weights=None,
                    time_weights=options.time_weights(n, d, fh),
                    name=f"{test_name(fh.rho, fh.gamma)} (noisy life table)",
                )
            if request.trend:
                ordered = [i for i, g in enumerate(layout.groups) if g in ranked]
                trend = grouped_logrank(
                    n[:, ordered],
                    d[:, ordered],
                    [labels[i] for i in ordered],
                    weights=np.arange(1.0, len(ordered) + 1.0),
                )
        return SurvivalSummary(
            endpoint=endpoint,
            origin=origin,
            time_unit=request.time_unit,
            n_excluded=shown(excluded, floor),
            groups=summaries,
            logrank=logrank,
            trend=trend,
            weighted=weighted,
        )

    return ProtectedPlan(
        kind="survival",
        sensitivity=1,
        counts=lambda: _life_table(layout, load, counted),
        release=release,
        identity=identity,
    )


def _life_table(
    layout: Layout, load: Load, counted: Callable[[], CohortCounts | None] | None
) -> IntVector:
    """The exact life table: from the cohort's counts where given, else from its rows."""
    counts = None if counted is None else counted()
    return layout.cells(load()) if counts is None else layout.counted_cells(counts)


def _incidence_curve(table: NoisyTable, cause: int) -> tuple[FloatArray, FloatArray]:
    """F_k at each interval end and its variance: Aalen-Johansen on the noisy table."""
    n = table.at_risk
    d_all = table.events[:, 1:].sum(axis=1)
    d = table.events[:, cause]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(np.where(n > 0, 1.0 - d_all / n, 1.0))
        before = np.concatenate(([1.0], surv[:-1]))
        jump = np.where(n > 0, before * d / n, 0.0)
        var_jump = np.where(
            n > 0, before**2 * (d * (n - d) / n**3 + table.cell_variance / n**2), 0.0
        )
        shared = np.cumsum(np.where(n > 0, jump / n, 0.0) * table.at_risk_sd) ** 2
    return np.cumsum(jump), np.cumsum(var_jump) + shared


def _limits(f: float, v: float, z: float) -> tuple[float | None, float | None]:
    """cmprsk's log(−log) confidence limits of F (none where F is 0 or 1)."""
    if not 0.0 < f < 1.0:
        return None, None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        half = z * np.sqrt(v) / (f * np.log(f))
        return _optional(f ** np.exp(-half)), _optional(f ** np.exp(half))


def _incidence_cause(
    table: NoisyTable, cause: int, grid: Grid, request: IncidenceRequest, floor: int
) -> tuple[tuple[IncidencePoint, ...], tuple[IncidenceStep, ...]]:
    """F_k at the requested times and its step function over the released curve (one step per
    interval end, as the protected Kaplan-Meier steps)."""
    unit = DAYS_PER[request.time_unit]
    n = table.at_risk
    incidence, variance = _incidence_curve(table, cause)
    length = table.released_length(floor)
    z = z_value(ALPHA)
    points = []
    for t in request.times:
        j = _interval_at(t, unit, grid, length)
        if isinstance(j, str):
            points.append(IncidencePoint(t, None, None, None, None, j))
            continue
        f, v = (float(incidence[j]), float(variance[j])) if j >= 0 else (0.0, 0.0)
        lower, upper = _limits(f, v, z)
        risk = shown(n[j + 1], floor) if 0 <= j < n.size - 1 else shown(n[0], floor)
        points.append(IncidencePoint(t, f, lower, upper, risk if j >= 0 else shown(n[0], floor)))
    ends = grid.ends() / unit
    steps = tuple(
        IncidenceStep(
            float(ends[j]),
            float(incidence[j]),
            *_limits(float(incidence[j]), float(variance[j]), z),
            round(n[j]),
            round(table.events[j, cause]),
        )
        for j in range(length)
    )
    return tuple(points), steps


def incidence_plan(
    load: Load,
    *,
    groups: Sequence[Level],
    grid: Grid,
    request: IncidenceRequest,
    endpoint: str,
    origin: str,
    floor: int,
    identity: object = None,
) -> ProtectedPlan[IncidenceSummary]:
    """Cumulative incidence of each cause by group from one noisy life table."""
    layout = Layout(groups=tuple(groups), strata=(None,), kinds=len(CAUSES), grid=grid)

    def release(noisy: IntVector, noise: Noise) -> IncidenceSummary:
        excluded, cells, beyond = layout.split(noisy)
        result = []
        for g, label in enumerate(layout.groups):
            table = NoisyTable.of(cells[g, 0], float(beyond[g, 0]), 1, noise)
            result.append(
                GroupIncidence(
                    group=label,
                    n=shown(table.at_risk[0], floor),
                    causes=tuple(
                        CauseIncidence(
                            name,
                            shown(table.events[:, k].sum(), floor),
                            *_incidence_cause(table, k, grid, request, floor),
                        )
                        for k, name in enumerate(CAUSES.values(), start=1)
                    ),
                    risk_table=(),
                )
            )
        return IncidenceSummary(
            endpoint=endpoint,
            origin=origin,
            time_unit=request.time_unit,
            n_excluded=shown(excluded, floor),
            groups=tuple(result),
            gray_tests=(),
        )

    return ProtectedPlan(
        kind="incidence",
        sensitivity=1,
        counts=lambda: layout.cells(load()),
        release=release,
        identity=identity,
    )
