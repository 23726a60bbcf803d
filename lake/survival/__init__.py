"""Survival engine: Kaplan–Meier, log-rank, Cox, competing risks, landmark/TDC analyses.

Numerical reference is R ``survival`` / ``cmprsk`` (05-survival-statistics.md); golden values
live in ``tests/lake/survival/golden`` and are regenerated with
``Rscript tests/lake/survival/golden/make_golden.R``.
"""

from lake.survival._input import SurvivalWarning
from lake.survival._risksets import GroupedCounts, grouped_counts
from lake.survival.competing import CumulativeIncidence, CumulativeIncidenceFitter, IncidenceAt
from lake.survival.concordance import ConcordanceResult, concordance_index
from lake.survival.cox import CoxCoefficient, CoxPHFitter
from lake.survival.finegray import FineGrayFitter
from lake.survival.kaplan_meier import KaplanMeierFitter, median_follow_up, median_follow_ups
from lake.survival.landmark import LandmarkData, counting_process, landmark_data
from lake.survival.logrank import logrank_counts, logrank_test, trend_test
from lake.survival.prognostic import SystemComparison, compare_staging_systems
from lake.survival.restricted_mean import restricted_mean
from lake.survival.results import (
    CountsBetween,
    HazardAt,
    QuantileEstimate,
    RestrictedMean,
    StatisticalResult,
    SurvivalAt,
)
from lake.survival.zph import ProportionalHazardsTest, proportional_hazards_test

__all__ = [
    "ConcordanceResult",
    "CountsBetween",
    "CoxCoefficient",
    "CoxPHFitter",
    "CumulativeIncidence",
    "CumulativeIncidenceFitter",
    "FineGrayFitter",
    "GroupedCounts",
    "HazardAt",
    "IncidenceAt",
    "KaplanMeierFitter",
    "LandmarkData",
    "ProportionalHazardsTest",
    "QuantileEstimate",
    "RestrictedMean",
    "StatisticalResult",
    "SurvivalAt",
    "SurvivalWarning",
    "SystemComparison",
    "compare_staging_systems",
    "concordance_index",
    "counting_process",
    "grouped_counts",
    "landmark_data",
    "logrank_counts",
    "logrank_test",
    "median_follow_up",
    "median_follow_ups",
    "proportional_hazards_test",
    "restricted_mean",
    "trend_test",
]
