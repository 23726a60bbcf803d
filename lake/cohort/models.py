"""Regression over a cohort: Cox models with chosen covariates, and staging-system comparison.

Glue only: :class:`lake.survival.CoxPHFitter` (R ``coxph``, Efron ties) and
:func:`lake.survival.compare_staging_systems` (C-index with IJ CI, LR chi-square, AIC on the
complete-case set). This module builds the design: numeric attributes enter as they are,
categorical attributes and risk-score categories as indicator columns against a reference level,
in their declared order (:mod:`lake.cohort.order`; an R ``factor`` with those ``levels``): a
score's reference is its lowest-risk category, an attribute's its first declared code (text order
for free text). Staging systems keep their score's category Enum, so their stages come in declared
order. Only complete cases are used; how many were dropped is reported. Risk-score non-results
(NOT_CLASSIFIABLE, NOT_APPLICABLE) count as missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from lake.cohort.endpoints import EndpointKey
from lake.cohort.entry import entered_rows
from lake.cohort.groups import UserGroup, check_groups
from lake.cohort.order import Levels, attribute_levels, score_levels
from lake.cohort.risk import NON_RESULTS
from lake.errors import AnalysisError, EmptyCohortError
from lake.query.release import OMITTED_AT_DEFAULT
from lake.survival import (
    CoxCoefficient,
    CoxPHFitter,
    StatisticalResult,
    compare_staging_systems,
)
from lake.survival.concordance import ConcordanceResult


@dataclass(frozen=True, slots=True)
class CoxRequest:
    """Normalised request: a Cox model of an endpoint on attributes and risk scores."""

    endpoint: EndpointKey
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    scores: tuple[str, ...]
    strata: str | None = None
    #: risk sets (entry, stop] from each patient's registry entry (:mod:`lake.cohort.entry`)
    delayed_entry: bool = False
    #: user-defined groups (:mod:`lake.cohort.groups`) as one categorical covariate ``group``,
    #: the first group the reference; patients in none are excluded
    groups: tuple[UserGroup, ...] = field(default=(), metadata=OMITTED_AT_DEFAULT)

    def __post_init__(self) -> None:
        if self.groups:
            check_groups(self.groups)

    @property
    def group_names(self) -> tuple[str, ...]:
        """The user-defined groups' names in the order given (the first is the reference)."""
        return tuple(g.name for g in self.groups)


@dataclass(frozen=True, slots=True)
class CoxSummary:
    """A fitted Cox model: coefficients, global tests and concordance.

    The cohort splits into ``n`` (complete cases), ``n_dropped`` (a covariate missing) and
    ``n_excluded`` (no endpoint); counts are ``None`` only when disclosure control withholds them.
    """

    endpoint: str
    origin: str
    n: int | None
    n_events: int | None
    n_dropped: int | None
    n_excluded: int | None
    coefficients: tuple[CoxCoefficient, ...]
    likelihood_ratio: StatisticalResult
    wald: StatisticalResult
    score: StatisticalResult
    concordance: ConcordanceResult | None
    aic: float


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


def _stages(column: str) -> pl.Expr:
    """A score's categories (its Enum), non-results missing."""
    stage = pl.col(column).struct.field("category")
    return pl.when(stage.is_in(NON_RESULTS)).then(None).otherwise(stage).alias(column)


def _indicators(data: pl.DataFrame, name: str, levels: Levels) -> list[pl.Expr]:
    """One indicator per level but the reference (lowest risk), the others in declared order."""
    present = levels.present(data.get_column(name).cast(pl.String).unique().drop_nulls())
    if len(present) < 2:
        raise AnalysisError(
            f"covariate {name} has a single level {list(present)} on the complete cases"
        )
    reference = levels.reference(present)
    return [
        (pl.col(name).cast(pl.String) == lv).cast(pl.Float64).alias(f"{name}={lv}")
        for lv in present
        if lv != reference
    ]


def _survival_rows(frame: pl.DataFrame) -> pl.DataFrame:
    rows = frame.filter(pl.col("time_days").is_not_null())
    if rows.height == 0:
        raise EmptyCohortError("no patient of the cohort has this endpoint from this origin")
    if rows.get_column("status").max() == 2:
        raise AnalysisError("a Cox model of a competing-risk endpoint is not offered; use OS/PFS")
    return rows


def cox_summary(frame: pl.DataFrame, request: CoxRequest) -> CoxSummary:
    """Fit the Cox model of ``request`` on the cohort ``frame`` (complete cases)."""
    if not (request.numeric or request.categorical or request.scores or request.groups):
        raise AnalysisError("cox model: give at least one covariate")
    rows = _survival_rows(frame)
    entry = ["entry_days"] if request.delayed_entry else []
    if request.delayed_entry:
        rows = entered_rows(rows)[0]  # the others are never at risk: excluded, not dropped
        if rows.height == 0:
            raise EmptyCohortError("no patient is followed beyond their registry entry")
    grouped = ["group"] if request.groups else []
    factors = [
        *(pl.col(c).cast(pl.String) for c in request.categorical),
        *(_stages(s) for s in request.scores),
        *(pl.col(g).cast(pl.String) for g in grouped),
    ]
    names = request.group_names
    levels = [
        *((c, attribute_levels(c)) for c in request.categorical),
        *((s, score_levels(s)) for s in request.scores),
        *((g, Levels(codes=names, ranked=names, by_risk=names)) for g in grouped),
    ]
    strata = [] if request.strata is None else [pl.col(request.strata).cast(pl.String)]
    data = rows.select(
        "time_days", "status", *entry, *request.numeric, *factors, *strata
    ).drop_nulls()
    if data.height == 0:
        raise EmptyCohortError("no patient has every covariate of the model; drop one")
    indicators = [x for name, lv in levels for x in _indicators(data, name, lv)]
    design = data.select(
        "time_days",
        "status",
        *entry,
        *(pl.col(c).cast(pl.Float64) for c in request.numeric),
        *indicators,
        *strata,
    )
    fit = CoxPHFitter().fit(
        design,
        duration_col="time_days",
        event_col="status",
        strata_col=request.strata,
        entry_col=entry[0] if entry else None,
    )
    key = request.endpoint
    return CoxSummary(
        endpoint=key.definition().name,
        origin=key.as_origin().label,
        n=fit.n_,
        n_events=fit.n_events_,
        n_dropped=rows.height - data.height,
        n_excluded=frame.height - rows.height,
        coefficients=fit.coefficients_,
        likelihood_ratio=fit.likelihood_ratio_test_,
        wald=fit.wald_test_,
        score=fit.score_test_,
        concordance=fit.concordance_,
        aic=fit.aic_,
    )


def staging_summary(frame: pl.DataFrame, request: StagingRequest) -> StagingSummary:
    """Compare the scores of ``request`` (columns of ``frame``) on complete cases."""
    if len(request.scores) < 2:
        raise AnalysisError("staging comparison: give at least two scores")
    rows = _survival_rows(frame)
    data = rows.select("time_days", "status", *(_stages(s) for s in request.scores))
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
