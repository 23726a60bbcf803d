"""Fine-Gray subdistribution hazards over a cohort: glue of :class:`lake.survival.FineGrayFitter`.

The model of one cause of a competing-risk endpoint (``cause="event"``: the endpoint's event,
status 1; ``"competing"``: its competing event, status 2), with the other cause competing and
censoring at status 0: ``cmprsk::crr(ftime, fstatus, cov1, failcode, cencode = 0)``. The design
is :mod:`lake.cohort.covariates` (the Cox model's), on the complete cases; crr has no strata and
no delayed entry, so neither is offered. Reported as ``summary(crr)``: per column the
subdistribution hazard ratio exp(β) with its robust (sandwich) se, Wald CI and p; the pseudo
likelihood-ratio and Wald tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

import polars as pl

from lake.cohort.covariates import ModelTerms, build_design
from lake.cohort.endpoints import EndpointKey
from lake.errors import AnalysisError, EmptyCohortError
from lake.survival import CoxCoefficient, FineGrayFitter, StatisticalResult

Cause: TypeAlias = Literal["event", "competing"]
#: the status code of each cause in an endpoint frame
CAUSE_CODES: Final[dict[Cause, int]] = {"event": 1, "competing": 2}


@dataclass(frozen=True, slots=True)
class FineGrayRequest:
    """Normalised request: the subdistribution hazard of one cause of a competing endpoint."""

    endpoint: EndpointKey
    terms: ModelTerms
    cause: Cause = "event"


@dataclass(frozen=True, slots=True)
class FineGraySummary:
    """A fitted Fine-Gray model.

    The cohort splits into ``n`` (complete cases), ``n_dropped`` (a covariate missing) and
    ``n_excluded`` (no endpoint); ``n_events`` of the ``n`` had the modelled cause. Counts are
    ``None`` only when disclosure control withholds them. ``coefficients`` carry the
    subdistribution hazard ratios (``hazard_ratio``); ``units`` as a Cox model's.
    """

    endpoint: str
    origin: str
    cause: Cause
    n: int | None
    n_events: int | None
    n_dropped: int | None
    n_excluded: int | None
    coefficients: tuple[CoxCoefficient, ...]
    units: tuple[str | None, ...]
    likelihood_ratio: StatisticalResult
    wald: StatisticalResult
    converged: bool


def fine_gray_summary(
    frame: pl.DataFrame, request: FineGrayRequest, *, min_cell: int = 1
) -> FineGraySummary:
    """Fit the Fine-Gray model of ``request`` on the cohort ``frame`` (complete cases); errors
    name counts from ``min_cell`` up.

    Raises
    ------
    EmptyCohortError
        No patient has the endpoint, or none has every covariate.
    AnalysisError
        The endpoint has no competing event, or the design or fit is not estimable.
    """
    if not request.endpoint.competing:
        raise AnalysisError(
            "a Fine-Gray model needs an endpoint with a competing event (e.g. NRM, CIR)"
        )
    rows = frame.filter(pl.col("time_days").is_not_null())
    if rows.height == 0:
        raise EmptyCohortError("no patient of the cohort has this endpoint from this origin")
    design = build_design(rows, request.terms, keep=["time_days", "status"], min_cell=min_cell)
    data = design.data
    fit = FineGrayFitter().fit(
        data.get_column("time_days").to_numpy(),
        data.get_column("status").to_numpy(),
        data.select(design.columns).to_numpy(),
        fail_code=CAUSE_CODES[request.cause],
        censor_code=0,
        names=design.columns,
    )
    key = request.endpoint
    return FineGraySummary(
        endpoint=key.definition().name,
        origin=key.as_origin().label,
        cause=request.cause,
        n=fit.n_,
        n_events=fit.n_events_,
        n_dropped=design.n_dropped,
        n_excluded=frame.height - rows.height,
        coefficients=fit.coefficients_,
        units=design.units,
        likelihood_ratio=fit.likelihood_ratio_test_,
        wald=fit.wald_test_,
        converged=fit.converged_,
    )
