"""An ESMO-MCBS grade from the lake: two cohorts compared by the engine, the control balanced
by propensity weighting.

The two groups are an experimental cohort and a control (two arms of routine care, or a
single-arm cohort against a real-world external control), one row per patient with the
endpoint's ``time_days``/``status`` and the covariates to balance on. Steps:

1. complete cases on the covariates (the rest counted as excluded);
2. ATT propensity weights (:mod:`lake.value.propensity`), with the standardised mean
   differences before and after;
3. the weighted Cox hazard ratio of the experimental group with its robust 95% CI (R ``coxph(...,
   weights = w, robust = TRUE)``, :class:`lake.survival.cox.CoxPHFitter`), weighted
   Kaplan–Meier medians and landmark survival at 2, 3 and 5 years (R ``survfit(..., weights =
   w)``, :class:`lake.survival.kaplan_meier.KaplanMeierFitter`), in months;
4. the ESMO-MCBS v1.1 grade of those numbers (:func:`lake.value.esmo_mcbs.grade_comparison`),
   labelled with the evidence level: ``real_world`` for two arms of routine care, ``single_arm``
   for a single-arm cohort against an external control. Neither is randomised: the weights
   balance only the covariates given (06-value-frameworks.md §6.3: such evidence must be told
   apart from randomised).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Final, Literal

import numpy as np
import polars as pl

from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import CohortFilter
from lake.cohort.groups import UserGroup
from lake.cohort.survival import Grouping
from lake.disclosure import DisclosurePolicy
from lake.errors import AnalysisError, EmptyCohortError
from lake.privacy.budget import DAYS_PER_MONTH
from lake.survival._input import SurvivalWarning
from lake.survival._typing import FloatArray
from lake.survival.cox import CoxPHFitter
from lake.survival.kaplan_meier import KaplanMeierFitter
from lake.value.esmo_mcbs import Grade, grade_comparison
from lake.value.propensity import CovariateBalance, att_weights
from lake.value.rules import EsmoRules
from lake.value.studies import (
    Comparison,
    Endpoint,
    EvidenceLevel,
    HazardRatio,
    LandmarkGain,
    QualityOfLife,
    Toxicity,
)

Design = Literal["arms", "external_control"]
EVIDENCE: Final[dict[Design, EvidenceLevel]] = {
    "arms": "real_world",
    "external_control": "single_arm",
}
#: Group names of the two cohorts in the frame's ``group`` column.
EXPERIMENTAL: Final = "experimental"
CONTROL: Final = "control"
LANDMARK_YEARS: Final = (2.0, 3.0, 5.0)
#: Catalogue endpoints and the ESMO-MCBS endpoint (form) they are graded as.
ESMO_ENDPOINTS: Final[dict[object, Endpoint]] = {"OS": "os", "PFS": "pfs"}


@dataclass(frozen=True, slots=True)
class RealWorldRequest:
    """What to compare: the two cohorts (first match: a patient in both is experimental), the
    endpoint (OS: Form 2a, PFS: Form 2b), the covariates to balance on, and the toxicity and
    quality-of-life differences the caller knows from elsewhere (the lake records neither)."""

    endpoint: EndpointKey
    experimental: CohortFilter
    control: CohortFilter
    design: Design
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    toxicity: Toxicity = "not_reported"
    quality_of_life: QualityOfLife = "not_reported"

    def __post_init__(self) -> None:
        if self.endpoint.endpoint not in ESMO_ENDPOINTS:
            raise AnalysisError(
                f"ESMO-MCBS grades OS (Form 2a) or PFS (Form 2b), not {self.endpoint.endpoint}"
            )
        if not self.numeric and not self.categorical:
            raise AnalysisError("give at least one covariate to balance the groups on")

    @property
    def grouping(self) -> Grouping:
        """The two cohorts as user-defined groups of the lake frame."""
        return Grouping(
            groups=(UserGroup(EXPERIMENTAL, self.experimental), UserGroup(CONTROL, self.control))
        )


@dataclass(frozen=True, slots=True)
class ArmSummary:
    """One group after weighting: patients, events, the weighted median (months; ``None`` when
    not reached) and its CI."""

    n: int
    events: int | None  # None: withheld (below the minimum cell size)
    median: float | None
    median_lower: float | None
    median_upper: float | None


@dataclass(frozen=True, slots=True)
class RealWorldComparison:
    """The weighted comparison, its balance diagnostics and its grade."""

    design: Design
    grade: Grade
    hazard_ratio: HazardRatio
    experimental: ArmSummary
    control: ArmSummary
    landmarks: tuple[LandmarkGain, ...]
    balance: tuple[CovariateBalance, ...]
    effective_control_size: float
    excluded: int | None  # None: withheld (below the minimum cell size)


def compare_groups(
    frame: pl.DataFrame, request: RealWorldRequest, rules: EsmoRules
) -> RealWorldComparison:
    """Grade the ``experimental`` against the ``control`` group of ``frame`` (module docstring).

    ``frame`` has ``group``, ``time_days``, ``status`` and the covariate columns; patients in no
    group, without endpoint time or with a missing covariate are excluded (counted).
    """
    kept = frame.filter(pl.col("group").is_not_null() & pl.col("time_days").is_not_null())
    numeric, categorical = request.numeric, request.categorical
    kept = kept.drop_nulls([*numeric, *categorical])
    excluded = frame.height - kept.height
    treated = (kept.get_column("group").cast(pl.String) == EXPERIMENTAL).to_numpy()
    for name, members in ((EXPERIMENTAL, treated), (CONTROL, ~treated)):
        if not members.any():
            raise EmptyCohortError(
                f"the {name} group has no patients with the endpoint and every covariate"
            )
    x, names = design_matrix(kept, numeric, categorical)
    weighted = att_weights(treated, x, names)
    time = kept.get_column("time_days").to_numpy().astype(np.float64)
    status = kept.get_column("status").to_numpy().astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvivalWarning)  # reported through the CI instead
        cox = CoxPHFitter().fit(
            pl.DataFrame(
                {
                    "time": time,
                    "status": status,
                    "arm": treated.astype(np.float64),
                    "w": weighted.weights,
                }
            ),
            duration_col="time",
            event_col="status",
            weights_col="w",
            robust=True,
        )
    arm = cox.coefficients_[0]
    hazard_ratio = HazardRatio(arm.hazard_ratio, arm.lower, arm.upper)
    fits = {
        name: KaplanMeierFitter().fit(
            time[members],
            status[members],
            weights=weighted.weights[members],
            time_scale=DAYS_PER_MONTH,
        )
        for name, members in ((EXPERIMENTAL, treated), (CONTROL, ~treated))
    }
    landmarks = _landmarks(fits[EXPERIMENTAL], fits[CONTROL])
    control_median = fits[CONTROL].median_.estimate
    if control_median is None:
        raise AnalysisError(
            "the control group's weighted median is not reached, so no ESMO-MCBS sheet "
            "applies (they are chosen by the control median): follow the cohorts longer"
        )
    design = request.design
    comparison = Comparison(
        endpoint=ESMO_ENDPOINTS[request.endpoint.endpoint],
        hazard_ratio=hazard_ratio,
        control_median_months=control_median,
        experimental_median_months=fits[EXPERIMENTAL].median_.estimate,
        landmarks=landmarks,
        toxicity=request.toxicity,
        quality_of_life=request.quality_of_life,
        evidence=EVIDENCE[design],
    )
    return RealWorldComparison(
        design=design,
        grade=grade_comparison(comparison, rules),
        hazard_ratio=hazard_ratio,
        experimental=_arm(fits[EXPERIMENTAL], status[treated]),
        control=_arm(fits[CONTROL], status[~treated]),
        landmarks=landmarks,
        balance=weighted.balance,
        effective_control_size=weighted.effective_control_size,
        excluded=excluded,
    )


def design_matrix(
    frame: pl.DataFrame, numeric: tuple[str, ...], categorical: tuple[str, ...]
) -> tuple[FloatArray, tuple[str, ...]]:
    """Numeric covariates as they are, categorical ones as indicators of every level but the
    first (sorted): ``attribute=level``."""
    columns = [frame.get_column(c).cast(pl.Float64).to_numpy() for c in numeric]
    names = list(numeric)
    for attribute in categorical:
        values = frame.get_column(attribute).cast(pl.String)
        for level in sorted(values.unique().to_list())[1:]:
            columns.append((values == level).cast(pl.Float64).to_numpy())
            names.append(f"{attribute}={level}")
    if not columns:
        raise AnalysisError("give at least one covariate to balance the groups on (balanceOn)")
    return np.asarray(np.column_stack(columns), dtype=np.float64), tuple(names)


def _landmarks(
    experimental: KaplanMeierFitter, control: KaplanMeierFitter
) -> tuple[LandmarkGain, ...]:
    """Weighted survival (%) at 2, 3 and 5 years where both curves are estimable."""
    months = [12 * y for y in LANDMARK_YEARS]
    pairs = zip(
        LANDMARK_YEARS, experimental.survival_at(months), control.survival_at(months), strict=True
    )
    return tuple(
        LandmarkGain(years, 100 * c.survival, 100 * e.survival)
        for years, e, c in pairs
        if e.survival is not None and c.survival is not None
    )


def _arm(fit: KaplanMeierFitter, status: FloatArray) -> ArmSummary:
    median = fit.median_
    return ArmSummary(
        n=int(status.size),
        events=int(status.sum()),
        median=median.estimate,
        median_lower=median.lower,
        median_upper=median.upper,
    )


def disclose_real_world(
    value: RealWorldComparison, policy: DisclosurePolicy
) -> RealWorldComparison:
    """Governed release: both groups must reach the minimum cell size (every number here rests
    on each group as a whole); event and exclusion counts follow the minimum cell size."""
    for name, arm in ((EXPERIMENTAL, value.experimental), (CONTROL, value.control)):
        if not policy.population(arm.n):
            raise AnalysisError(
                f"the {name} group has fewer than {policy.min_cell_size} patients with the "
                "endpoint and every covariate (minimum cell size): widen the cohorts"
            )
    return replace(
        value,
        experimental=replace(value.experimental, events=policy.count(value.experimental.events)),
        control=replace(value.control, events=policy.count(value.control.events)),
        excluded=policy.count(value.excluded),
    )
