"""Normalised requests: the cache keys and audit hashes of :mod:`lake.query.gateway`.

Each is a frozen dataclass naming the cohort filter and every argument that changes the numbers,
so :func:`lake.query.gateway.query_hash` of it identifies a result on a lake version.
"""

from __future__ import annotations

from dataclasses import dataclass

from lake.cohort.endpoints import EndpointKey
from lake.cohort.exposure_effect import ExposureEffectRequest
from lake.cohort.filters import CohortFilter
from lake.cohort.fine_gray import FineGrayRequest
from lake.cohort.incidence import IncidenceRequest
from lake.cohort.models import CoxRequest, StagingRequest
from lake.cohort.survival import Grouping, SurvivalRequest
from lake.risk.reclassification import NotClassified
from lake.value.real_world import RealWorldRequest


@dataclass(frozen=True, slots=True)
class SizeRequest:
    """The size of a cohort."""

    cohort: CohortFilter


@dataclass(frozen=True, slots=True)
class BreakdownRequest:
    """Counts by a categorical attribute."""

    cohort: CohortFilter
    attribute: str


@dataclass(frozen=True, slots=True)
class HistogramRequest:
    """Histogram of a numeric attribute."""

    cohort: CohortFilter
    attribute: str
    bins: int
    lower: float | None
    upper: float | None


@dataclass(frozen=True, slots=True)
class CompletenessRequest:
    """Completeness of attributes."""

    cohort: CohortFilter
    attributes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RiskRequest:
    """The distribution of one risk score version."""

    cohort: CohortFilter
    version: str


@dataclass(frozen=True, slots=True)
class ReclassificationRequest:
    """The cross-tab between two risk score versions."""

    cohort: CohortFilter
    before: str
    after: str
    not_classified: NotClassified


@dataclass(frozen=True, slots=True)
class CohortSurvivalRequest:
    """Kaplan-Meier summaries of a cohort."""

    cohort: CohortFilter
    survival: SurvivalRequest


@dataclass(frozen=True, slots=True)
class CohortIncidenceRequest:
    """Cumulative incidence of a cohort."""

    cohort: CohortFilter
    incidence: IncidenceRequest


@dataclass(frozen=True, slots=True)
class CohortCoxRequest:
    """A Cox model over a cohort."""

    cohort: CohortFilter
    cox: CoxRequest


@dataclass(frozen=True, slots=True)
class CohortValueRequest:
    """An ESMO-MCBS grade of two groups of a cohort, propensity weighted."""

    cohort: CohortFilter
    value: RealWorldRequest


@dataclass(frozen=True, slots=True)
class CohortExposureEffectRequest:
    """A time-dependent exposure's effect over a cohort."""

    cohort: CohortFilter
    effect: ExposureEffectRequest


@dataclass(frozen=True, slots=True)
class CohortFineGrayRequest:
    """A Fine-Gray model over a cohort."""

    cohort: CohortFilter
    fine_gray: FineGrayRequest


@dataclass(frozen=True, slots=True)
class CohortStagingRequest:
    """A staging-system comparison over a cohort."""

    cohort: CohortFilter
    staging: StagingRequest


@dataclass(frozen=True, slots=True)
class LifeTableRequest:
    """The identity of a protected life table: whatever is read off it shares its release."""

    cohort: CohortFilter
    endpoint: EndpointKey
    grouping: Grouping
    strata: str | None
    kinds: int
