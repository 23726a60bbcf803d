"""Side-by-side comparison of categorical prognostic (staging) systems on the same patients.

For each system (e.g. ISS, R-ISS, R2-ISS) a Cox model with the stages as dummy covariates
(first stage = reference, as an R ``factor``: an Enum column's stages in its category order, the
declared one; a String column's in text order) is fitted on the **complete-case** set: the
patients with a stage in every system, so the figures are comparable. Reported per system:
the hazard ratio of every stage against the reference (``coefficients``, named ``system=stage``),
Harrell's C of the linear predictor with its infinitesimal-jackknife CI (R ``concordance()``),
the likelihood-ratio χ² against the null model with its df, and AIC = −2ℓ + 2k (lower is
better; differences > 2 are conventionally meaningful — Burnham & Anderson 2002).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lake.errors import AnalysisError, EmptyCohortError
from lake.survival._typing import Ties
from lake.survival.concordance import ConcordanceResult
from lake.survival.cox import CoxCoefficient, CoxPHFitter


@dataclass(frozen=True, slots=True)
class SystemComparison:
    """One staging system's discrimination and fit on the shared complete-case set."""

    system: str
    stages: tuple[str, ...]
    coefficients: tuple[CoxCoefficient, ...]
    concordance: ConcordanceResult
    lr_statistic: float
    lr_df: int
    lr_p_value: float
    aic: float
    n: int
    n_events: int


def _stages(column: pl.Series) -> tuple[str, ...]:
    """The stages present: in the Enum's category order, else in text order."""
    present = set(column.cast(pl.String).unique())
    if isinstance(column.dtype, pl.Enum):
        return tuple(c for c in column.dtype.categories if c in present)
    return tuple(sorted(present))


def compare_staging_systems(
    frame: pl.DataFrame,
    *,
    duration_col: str,
    event_col: str,
    systems: tuple[str, ...],
    ties: Ties = "efron",
) -> tuple[tuple[SystemComparison, ...], int]:
    """Compare ``systems`` (columns of stage labels); returns rows and the number dropped.

    Raises
    ------
    EmptyCohortError
        No patient is staged by every system.
    AnalysisError
        A system has a single stage on the complete-case set.
    """
    complete = frame.drop_nulls(subset=[duration_col, event_col, *systems])
    dropped = frame.height - complete.height
    if complete.height == 0:
        raise EmptyCohortError(f"no patient has a stage in every system of {systems}")
    rows = []
    for system in systems:
        stages = _stages(complete[system])
        if len(stages) < 2:
            raise AnalysisError(f"{system} has a single stage {stages} on the complete cases")
        labels = complete[system].cast(pl.String)
        design = complete.select(duration_col, event_col).with_columns(
            [(labels == s).cast(pl.Float64).alias(f"{system}={s}") for s in stages[1:]]
        )
        fit = CoxPHFitter(ties=ties).fit(design, duration_col=duration_col, event_col=event_col)
        if fit.concordance_.c_index is None or fit.likelihood_ratio_test_.statistic is None:
            raise AnalysisError(f"{system}: the model could not be summarised")
        rows.append(
            SystemComparison(
                system=system,
                stages=stages,
                coefficients=fit.coefficients_,
                concordance=fit.concordance_,
                lr_statistic=fit.likelihood_ratio_test_.statistic,
                lr_df=fit.likelihood_ratio_test_.df,
                lr_p_value=fit.likelihood_ratio_test_.p_value or 0.0,
                aic=fit.aic_,
                n=fit.n_,
                n_events=fit.n_events_,
            )
        )
    return tuple(rows), dropped
