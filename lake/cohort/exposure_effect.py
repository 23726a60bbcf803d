"""The effect of a time-dependent exposure on an endpoint, without immortal-time bias.

Glue only. Each patient of the cohort with the endpoint (time T from time zero, status δ) and
the exposure time x on the same axis (:mod:`lake.cohort.exposure`; missing: never exposed)
becomes counting-process rows (:func:`lake.survival.time_varying.split_at_exposure`, R
``tmerge(..., tdc(x))``): unexposed on (0, x], exposed on (x, T]. Over those rows:

- **Cox model** with the exposure as a time-varying covariate, R
  ``coxph(Surv(tstart, tstop, status) ~ exposed)`` (Efron ties): the hazard ratio exposed vs
  unexposed with its Wald CI, and the likelihood-ratio, Wald and score tests;
- **Mantel-Byar test** (Mantel N, Byar DP. *JASA* 1974;69:81–86): the log-rank statistic on the
  time-varying groups. At each event time t, with n₁(t) exposed and n(t) in all at risk
  (#{start < t ≤ stop}, a patient counted in the group they are in at t), d₁(t) exposed and d(t)
  in all with the event::

      U = Σ_t [d₁(t) − d(t) n₁(t)/n(t)]
      V = Σ_t d(t) (n(t) − d(t))/(n(t) − 1) · n₁(t)/n(t) · (1 − n₁(t)/n(t))
      χ² = U² / V   on 1 df

  It is the score test of the Cox model above at β = 0 with the exact (conditional) partial
  likelihood, R ``coxph(Surv(tstart, tstop, status) ~ exposed, ties = "exact")$score``; without
  tied event times it equals the Efron and Breslow score tests too. R's ``survdiff`` refuses
  counting-process data, so the goldens sum U and V over the event times in R;
- **Simon-Makuch curves** (Simon R, Makuch RW. *Stat Med* 1984;3:35–44): Kaplan-Meier of each
  exposure level over its rows, each patient moving from the unexposed curve's risk set to the
  exposed one's at x, R ``survfit(Surv(tstart, tstop, status) ~ exposed)``. They estimate the
  survival of someone who stays in one state, not of a group of patients.

Patients whose follow-up ends at time zero (T = 0: no interval (0, T]) are excluded and counted,
as R refuses ``Surv(0, 0, status)``; so are patients without the endpoint.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from lake.cohort.endpoints import EndpointKey
from lake.cohort.exposure import EXPOSURE_GROUPS
from lake.cohort.survival import DAYS_PER, GroupSurvival, TimePoint, TimeUnit, km_steps
from lake.endpoints.exposures import Exposure
from lake.errors import AnalysisError, EmptyCohortError
from lake.survival import (
    CoxCoefficient,
    CoxPHFitter,
    KaplanMeierFitter,
    StatisticalResult,
    SurvivalWarning,
    logrank_test,
)
from lake.survival._typing import ConfType
from lake.survival.time_varying import CountingProcess, split_at_exposure


@dataclass(frozen=True, slots=True)
class ExposureEffectRequest:
    """Normalised request: an endpoint from a time zero, and the exposure that varies in time."""

    endpoint: EndpointKey
    exposure: Exposure
    times: tuple[float, ...]
    time_unit: TimeUnit
    conf_type: ConfType


@dataclass(frozen=True, slots=True)
class ExposureEffectSummary:
    """Cox model, Mantel-Byar test and Simon-Makuch curves of one time-dependent exposure.

    ``n`` patients analysed, ``n_events`` of them with the event, ``n_exposed`` of them exposed
    during follow-up (at time zero included), ``n_excluded`` cohort patients without the endpoint
    or followed for no time; counts are ``None`` when disclosure control withholds them. The
    curves are ``unexposed`` then ``exposed``; a curve's ``n`` counts the patients who spend
    time in that state.
    """

    endpoint: str
    origin: str
    exposure: str
    time_unit: TimeUnit
    n: int | None
    n_events: int | None
    n_exposed: int | None
    n_excluded: int | None
    hazard_ratio: CoxCoefficient
    likelihood_ratio: StatisticalResult
    wald: StatisticalResult
    score: StatisticalResult
    mantel_byar: StatisticalResult
    curves: tuple[GroupSurvival, ...]


def exposure_effect(frame: pl.DataFrame, request: ExposureEffectRequest) -> ExposureEffectSummary:
    """The analyses of the module docs over ``frame`` (``time_days``, ``status``,
    ``exposure_days``: the cohort's rows).

    Raises
    ------
    EmptyCohortError
        No patient of the cohort is followed beyond time zero.
    AnalysisError
        A competing-risk endpoint, or an exposure status that does not vary (nobody exposed
        during follow-up, or everybody exposed at time zero).
    """
    followed = frame.filter(pl.col("time_days") > 0)
    if followed.height == 0:
        raise EmptyCohortError(
            "no patient of the cohort is followed beyond time zero for this endpoint; check the "
            "origin or widen the filter"
        )
    if followed.get_column("status").max() == 2:
        raise AnalysisError(
            "exposure effects are offered for Kaplan-Meier endpoints (OS, PFS, ...), not for "
            "an endpoint with a competing event"
        )
    # split on whole days: the Cox model and the tests depend only on the order of the times,
    # the Simon-Makuch curves are counted on days and reported in the request's unit
    rows = split_at_exposure(
        followed.get_column("time_days").to_numpy(),
        followed.get_column("status").to_numpy(),
        followed.get_column("exposure_days").cast(pl.Float64).fill_null(np.nan).to_numpy(),
    )
    exposed_patients = np.unique(rows.patient[rows.exposed == 1]).size
    if exposed_patients == 0 or np.all(rows.exposed == 1):
        state = "nobody is" if exposed_patients == 0 else "every patient is"
        raise AnalysisError(
            f"{state} exposed ({request.exposure.label}) during follow-up in this cohort, so the "
            "exposure has no effect to estimate; widen the filter or choose another exposure"
        )
    fit = CoxPHFitter().fit(
        pl.DataFrame({"start": rows.start, "stop": rows.stop, "status": rows.status}).with_columns(
            exposed=pl.Series(rows.exposed, dtype=pl.Float64)
        ),
        duration_col="stop",
        event_col="status",
        entry_col="start",
    )
    key = request.endpoint
    return ExposureEffectSummary(
        endpoint=key.definition().name,
        origin=key.as_origin().label,
        exposure=request.exposure.label,
        time_unit=request.time_unit,
        n=followed.height,
        n_events=int(rows.status.sum()),
        n_exposed=exposed_patients,
        n_excluded=frame.height - followed.height,
        hazard_ratio=fit.coefficients_[0],
        likelihood_ratio=fit.likelihood_ratio_test_,
        wald=fit.wald_test_,
        score=fit.score_test_,
        mantel_byar=_mantel_byar(rows),
        curves=tuple(_simon_makuch(rows, level, request) for level in (0, 1)),
    )


def _mantel_byar(rows: CountingProcess) -> StatisticalResult:
    """The log-rank test over the rows' (start, stop] risk sets (module docs)."""
    test = logrank_test(rows.stop, rows.status, rows.exposed, entry=rows.start)
    return StatisticalResult(
        test_name="Mantel-Byar",
        statistic=test.statistic,
        df=test.df,
        p_value=test.p_value,
        groups=EXPOSURE_GROUPS,
        observed=test.observed,
        expected=test.expected,
        reason=test.reason,
    )


def _simon_makuch(
    rows: CountingProcess, level: int, request: ExposureEffectRequest
) -> GroupSurvival:
    """Kaplan-Meier of one exposure level over its rows (module docs)."""
    mine = rows.exposed == level
    with warnings.catch_warnings():
        # a curve without events is an answer (S = 1, median not reached), as in survival
        warnings.simplefilter("ignore", SurvivalWarning)
        fitter = KaplanMeierFitter(conf_type=request.conf_type).fit(
            rows.stop[mine],
            rows.status[mine],
            entry=rows.start[mine],
            time_scale=DAYS_PER[request.time_unit],
        )
    return GroupSurvival(
        group=EXPOSURE_GROUPS[level],
        n=int(mine.sum()),
        events=int(rows.status[mine].sum()),
        median=fitter.median_,
        median_follow_up=None,
        at_times=tuple(TimePoint.of(p) for p in fitter.survival_at(list(request.times))),
        steps=km_steps(fitter),
    )
