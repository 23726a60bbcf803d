"""Regression over a cohort: Cox models with chosen covariates, and staging-system comparison.

Glue only: :class:`lake.survival.CoxPHFitter` (R ``coxph``, Efron or Breslow ties), with the
proportional-hazards test of :func:`lake.survival.proportional_hazards_test` (R ``cox.zph``,
transform ``"km"``, one test per term) when asked, and
:func:`lake.survival.compare_staging_systems` (C-index with IJ CI, LR chi-square, AIC on the
complete-case set). The design (levels against a reference, trends, transformed numerics,
interactions, complete cases) is built by :mod:`lake.cohort.covariates`, shared with the
Fine-Gray model (:mod:`lake.cohort.fine_gray`). Staging systems keep their score's category
Enum, so their stages come in declared order. Risk-score non-results (NOT_CLASSIFIABLE,
NOT_APPLICABLE) count as missing.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import polars as pl

from lake.cohort.covariates import ModelTerms, build_design, stages
from lake.cohort.endpoints import EndpointKey
from lake.cohort.entry import entered_rows
from lake.cohort.groups import UserGroup, check_groups
from lake.errors import AnalysisError, EmptyCohortError
from lake.query.release import OMITTED_AT_DEFAULT
from lake.survival import (
    CoxCoefficient,
    CoxPHFitter,
    ProportionalHazardsTest,
    StatisticalResult,
    SurvivalWarning,
    compare_staging_systems,
    proportional_hazards_test,
)
from lake.survival._typing import Ties
from lake.survival.concordance import ConcordanceResult


@dataclass(frozen=True, slots=True)
class CoxRequest:
    """Normalised request: a Cox model of an endpoint on attributes and risk scores."""

    endpoint: EndpointKey
    terms: ModelTerms
    strata: str | None = None
    #: risk sets (entry, stop] from each patient's registry entry (:mod:`lake.cohort.entry`)
    delayed_entry: bool = False
    ties: Ties = "efron"
    #: also test proportional hazards (R ``cox.zph``), per term and globally
    proportional_hazards: bool = False
    #: estimate Harrell's C (a pass over every comparable pair of rows: at a million patients
    #: it costs four times the fit); the API asks only when the query selects it
    concordance: bool = field(default=True, metadata=OMITTED_AT_DEFAULT)
    #: user-defined groups (:mod:`lake.cohort.groups`) as one categorical covariate ``group``
    #: (the schema puts its term first in ``terms``), the first group the reference; patients
    #: in none are excluded
    groups: tuple[UserGroup, ...] = field(default=(), metadata=OMITTED_AT_DEFAULT)

    def __post_init__(self) -> None:
        if self.groups:
            check_groups(self.groups)


@dataclass(frozen=True, slots=True)
class CoxSummary:
    """A fitted Cox model: coefficients, global tests and, when asked, concordance and cox.zph.

    The cohort splits into ``n`` (complete cases), ``n_dropped`` (a covariate missing) and
    ``n_excluded`` (no endpoint); counts are ``None`` only when disclosure control withholds them.
    ``units`` says what one unit of each coefficient's column is (``None``: an interaction).
    """

    endpoint: str
    origin: str
    ties: Ties
    n: int | None
    n_events: int | None
    n_dropped: int | None
    n_excluded: int | None
    coefficients: tuple[CoxCoefficient, ...]
    units: tuple[str | None, ...]
    likelihood_ratio: StatisticalResult
    wald: StatisticalResult
    score: StatisticalResult
    concordance: ConcordanceResult | None
    aic: float
    proportional_hazards: ProportionalHazardsTest | None = None


@dataclass(frozen=True, slots=True)
class StagingRequest:
    """Normalised request: compare risk scores as staging systems for one endpoint."""

    endpoint: EndpointKey
    scores: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StagingSystem:
    """One system's discrimination and fit (:class:`lake.survival.SystemComparison`).

    Its per-stage hazard ratios are left out: each rests on one stage's patients, who may be
    fewer than the minimum cell size (:func:`lake.disclosure.disclose_staging`).
    """

    system: str
    stages: tuple[str, ...]
    concordance: ConcordanceResult
    lr_statistic: float
    lr_df: int
    lr_p_value: float
    aic: float


@dataclass(frozen=True, slots=True)
class StagingSummary:
    """The systems side by side on the shared complete-case set.

    The cohort splits into ``n`` complete cases (the endpoint and a stage in every system, the
    same patients for every system) and ``n_dropped``; ``n_events`` of the ``n`` have the
    event. Counts are ``None`` only when disclosure control withholds them.
    """

    endpoint: str
    origin: str
    n: int | None
    n_events: int | None
    n_dropped: int | None
    systems: tuple[StagingSystem, ...]


def _survival_rows(frame: pl.DataFrame) -> pl.DataFrame:
    rows = frame.filter(pl.col("time_days").is_not_null())
    if rows.height == 0:
        raise EmptyCohortError("no patient of the cohort has this endpoint from this origin")
    if rows.get_column("status").max() == 2:
        raise AnalysisError("a Cox model of a competing-risk endpoint is not offered; use OS/PFS")
    return rows


def cox_summary(frame: pl.DataFrame, request: CoxRequest, *, min_cell: int = 1) -> CoxSummary:
    """Fit the Cox model of ``request`` on the cohort ``frame`` (complete cases); errors name
    counts from ``min_cell`` up (:func:`lake.cohort.covariates.build_design`)."""
    rows = _survival_rows(frame)
    entry = ["entry_days"] if request.delayed_entry else []
    if request.delayed_entry:
        rows = entered_rows(rows)[0]  # the others are never at risk: excluded, not dropped
        if rows.height == 0:
            raise EmptyCohortError("no patient is followed beyond their registry entry")
    strata = [] if request.strata is None else [request.strata]
    rows = rows.with_columns(pl.col(s).cast(pl.String) for s in strata)
    design = build_design(
        rows, request.terms, keep=["time_days", "status", *entry, *strata], min_cell=min_cell
    )
    fit = CoxPHFitter(ties=request.ties).fit(
        design.data,
        duration_col="time_days",
        event_col="status",
        strata_col=request.strata,
        entry_col=entry[0] if entry else None,
    )
    key = request.endpoint
    return CoxSummary(
        endpoint=key.definition().name,
        origin=key.as_origin().label,
        ties=request.ties,
        n=fit.n_,
        n_events=fit.n_events_,
        n_dropped=design.n_dropped,
        n_excluded=frame.height - rows.height,
        coefficients=fit.coefficients_,
        units=design.units,
        likelihood_ratio=fit.likelihood_ratio_test_,
        wald=fit.wald_test_,
        score=fit.score_test_,
        concordance=fit.concordance_ if request.concordance else None,
        aic=fit.aic_,
        proportional_hazards=proportional_hazards_test(fit, terms=design.term_indices())
        if request.proportional_hazards
        else None,
    )


def staging_summary(frame: pl.DataFrame, request: StagingRequest) -> StagingSummary:
    """Compare the scores of ``request`` (columns of ``frame``) on complete cases."""
    if len(request.scores) < 2:
        raise AnalysisError("staging comparison: give at least two scores")
    rows = _survival_rows(frame)
    data = rows.select("time_days", "status", *(stages(s) for s in request.scores))
    with warnings.catch_warnings():
        # a stage without events makes its hazard ratio infinite (monotone likelihood); the
        # comparison releases no per-stage ratio, and C-index, LR and AIC stay well defined
        warnings.simplefilter("ignore", SurvivalWarning)
        systems, dropped = compare_staging_systems(
            data, duration_col="time_days", event_col="status", systems=request.scores
        )
    key = request.endpoint
    return StagingSummary(
        endpoint=key.definition().name,
        origin=key.as_origin().label,
        n=systems[0].n,
        n_events=systems[0].n_events,
        n_dropped=dropped + frame.height - rows.height,
        systems=tuple(
            StagingSystem(
                system=s.system,
                stages=s.stages,
                concordance=s.concordance,
                lr_statistic=s.lr_statistic,
                lr_df=s.lr_df,
                lr_p_value=s.lr_p_value,
                aic=s.aic,
            )
            for s in systems
        ),
    )
