"""The Cohort type: a view of (lake version, filter); fields ask the lake boundary."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Concatenate, ParamSpec, TypeVar

import strawberry
from lake.access import Caller
from lake.cohort_endpoints import EndpointKey
from lake.cohort_incidence import IncidenceRequest
from lake.cohort_models import CoxRequest, StagingRequest
from lake.cohort_survival import Grouping, SurvivalRequest
from lake.query import Cohort as LakeCohort
from strawberry.types import Info

from schema.context import Context
from schema.dataloaders.cohorts import Key
from schema.errors import BadRequestError
from schema.fields import resolver
from schema.lake_calls import call_lake
from schema.scores import score_version
from schema.types.enums import CategoricalAttribute, NumericAttribute
from schema.types.models import CoxModel, CumulativeIncidence, StagingComparison
from schema.types.risk import NotClassifiedPolicy, Reclassification, RiskDistribution
from schema.types.summaries import Breakdown, Completeness, Count, Histogram
from schema.types.survival import (
    CompetingEndpoint,
    ConfType,
    KaplanMeierEndpoint,
    SurvivalSummary,
    TimeOrigin,
    TimeUnit,
)

P = ParamSpec("P")
T = TypeVar("T")


@strawberry.type(description="A set of patients selected by a filter on one lake version.")
class Cohort:
    key: strawberry.Private[Key]

    async def _resolve(self, info: Info[Context, None]) -> LakeCohort:
        cohort = await info.context.loaders.cohorts.load(self.key)
        info.context.lake_versions.add(cohort.lake_version)
        return cohort

    async def _ask(
        self,
        info: Info[Context, None],
        query: Callable[Concatenate[Caller, LakeCohort, P], T],
        /,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``query(caller, cohort, ...)`` on this cohort, off the event loop (see call_lake)."""
        cohort = await self._resolve(info)
        return await call_lake(query, info.context.caller, cohort, *args, **kwargs)

    @resolver(description="Number of patients (null when below the minimum cell size).")
    async def size(self, info: Info[Context, None]) -> Count:
        return Count.of(await self._ask(info, info.context.gateway.cohort_size))

    @resolver(description="Counts by the values of a categorical attribute.")
    async def breakdown(
        self, info: Info[Context, None], attribute: CategoricalAttribute
    ) -> Breakdown:
        released = await self._ask(info, info.context.gateway.breakdown, attribute=attribute.value)
        return Breakdown.of(released)

    @resolver(description="Equal-width histogram of a numeric attribute.")
    async def histogram(
        self,
        info: Info[Context, None],
        attribute: NumericAttribute,
        bins: int = 10,
        lower: float | None = None,
        upper: float | None = None,
    ) -> Histogram:
        if not 1 <= bins <= 100:
            raise BadRequestError(f"histogram.bins must be between 1 and 100 (got {bins})")
        released = await self._ask(
            info,
            info.context.gateway.histogram,
            attribute=attribute.value,
            bins=bins,
            lower=lower,
            upper=upper,
        )
        return Histogram.of(released)

    @resolver(description="Known / not tested / missing counts of the attributes given.")
    async def completeness(
        self,
        info: Info[Context, None],
        categorical: list[CategoricalAttribute] | None = None,
        numeric: list[NumericAttribute] | None = None,
    ) -> Completeness:
        attributes = tuple(a.value for a in (categorical or [])) + tuple(
            a.value for a in (numeric or [])
        )
        if not attributes:
            raise BadRequestError(
                "completeness: give at least one categorical or numeric attribute"
            )
        released = await self._ask(info, info.context.gateway.completeness, attributes=attributes)
        return Completeness.of(released)

    @resolver(description="Distribution of a registered risk score, with NOT_CLASSIFIABLE inputs.")
    async def risk(
        self,
        info: Info[Context, None],
        score: Annotated[str, strawberry.argument(description=SCORE)],
    ) -> RiskDistribution:
        version = score_version(score)
        released = await self._ask(info, info.context.gateway.risk, score_name=version)
        return RiskDistribution.of(released)

    @resolver(description="Cross-tab of two risk scores and the share of patients that moved.")
    async def reclassification(
        self,
        info: Info[Context, None],
        before: Annotated[str, strawberry.argument(description=SCORE)],
        after: Annotated[str, strawberry.argument(description=SCORE)],
        not_classified: NotClassifiedPolicy = NotClassifiedPolicy.EXCLUDE,
    ) -> Reclassification:
        first, second = score_version(before), score_version(after)
        released = await self._ask(
            info,
            info.context.gateway.reclassification,
            before=first,
            after=second,
            not_classified=not_classified.value,
        )
        return Reclassification.of(released)

    @resolver(
        description="Kaplan-Meier summaries by group with log-rank (plain, stratified, trend) "
        "and median follow-up (cost 10)."
    )
    async def survival(
        self,
        info: Info[Context, None],
        *,
        endpoint: KaplanMeierEndpoint,
        origin: TimeOrigin = TimeOrigin.DIAGNOSIS,
        landmark_days: Annotated[int, strawberry.argument(description=LANDMARK)] = 0,
        group_by: CategoricalAttribute | None = None,
        group_by_score: Annotated[str | None, strawberry.argument(description=SCORE)] = None,
        strata: Annotated[
            CategoricalAttribute | None,
            strawberry.argument(description="Stratify the log-rank test by this attribute."),
        ] = None,
        trend: Annotated[
            bool, strawberry.argument(description="Also test for trend across ordered groups.")
        ] = False,
        times: list[float] | None = None,
        time_unit: TimeUnit = TimeUnit.MONTHS,
        conf_type: ConfType = ConfType.LOG,
    ) -> SurvivalSummary:
        request = SurvivalRequest(
            endpoint=endpoint_key(endpoint.name, origin, landmark_days),
            grouping=grouping(group_by, group_by_score),
            times=checked_times(times),
            time_unit=time_unit.value,
            conf_type=conf_type.value,
            strata=None if strata is None else strata.value,
            trend=trend,
        )
        released = await self._ask(info, info.context.gateway.survival, request=request)
        return SurvivalSummary.of(released)

    @resolver(description="Cumulative incidence with competing risks and Gray's test (cost 10).")
    async def cumulative_incidence(
        self,
        info: Info[Context, None],
        *,
        endpoint: CompetingEndpoint,
        origin: TimeOrigin = TimeOrigin.DIAGNOSIS,
        landmark_days: Annotated[int, strawberry.argument(description=LANDMARK)] = 0,
        group_by: CategoricalAttribute | None = None,
        group_by_score: Annotated[str | None, strawberry.argument(description=SCORE)] = None,
        times: list[float] | None = None,
        time_unit: TimeUnit = TimeUnit.MONTHS,
    ) -> CumulativeIncidence:
        request = IncidenceRequest(
            endpoint=endpoint_key(endpoint.name, origin, landmark_days),
            grouping=grouping(group_by, group_by_score),
            times=checked_times(times),
            time_unit=time_unit.value,
        )
        released = await self._ask(info, info.context.gateway.incidence, request=request)
        return CumulativeIncidence.of(released)

    @resolver(description="A Cox model with the chosen covariates (complete cases, cost 10).")
    async def cox_model(
        self,
        info: Info[Context, None],
        *,
        endpoint: KaplanMeierEndpoint,
        origin: TimeOrigin = TimeOrigin.DIAGNOSIS,
        landmark_days: Annotated[int, strawberry.argument(description=LANDMARK)] = 0,
        numeric: list[NumericAttribute] | None = None,
        categorical: list[CategoricalAttribute] | None = None,
        scores: Annotated[list[str] | None, strawberry.argument(description=SCORES)] = None,
        strata: CategoricalAttribute | None = None,
    ) -> CoxModel:
        request = CoxRequest(
            endpoint=endpoint_key(endpoint.name, origin, landmark_days),
            numeric=tuple(a.value for a in numeric or []),
            categorical=tuple(a.value for a in categorical or []),
            scores=tuple(score_version(s) for s in scores or []),
            strata=None if strata is None else strata.value,
        )
        released = await self._ask(info, info.context.gateway.cox, request=request)
        return CoxModel.of(released)

    @resolver(description="Risk scores compared as staging systems: C-index, LR, AIC (cost 10).")
    async def staging_comparison(
        self,
        info: Info[Context, None],
        *,
        scores: Annotated[list[str], strawberry.argument(description=SCORES)],
        endpoint: KaplanMeierEndpoint = KaplanMeierEndpoint.OS,
        origin: TimeOrigin = TimeOrigin.DIAGNOSIS,
        landmark_days: Annotated[int, strawberry.argument(description=LANDMARK)] = 0,
    ) -> StagingComparison:
        request = StagingRequest(
            endpoint=endpoint_key(endpoint.name, origin, landmark_days),
            scores=tuple(score_version(s) for s in scores),
        )
        released = await self._ask(info, info.context.gateway.staging, request=request)
        return StagingComparison.of(released)


SCORE = "A registered risk score: name (e.g. riss) or version id (e.g. riss_palumbo2015)."
SCORES = "Registered risk scores (names or version ids)."
LANDMARK = "Landmark: start the clock this many days after the origin (patients at risk then)."


def endpoint_key(endpoint: str, origin: TimeOrigin, landmark_days: int) -> EndpointKey:
    """The lake's endpoint key; a negative landmark is a bad request."""
    if landmark_days < 0:
        raise BadRequestError(f"landmarkDays must be 0 or more (got {landmark_days})")
    return EndpointKey(endpoint=endpoint, origin=origin.value, landmark_days=landmark_days)  # type: ignore[arg-type]


def grouping(attribute: CategoricalAttribute | None, score: str | None) -> Grouping:
    """Group by an attribute or a score, not both."""
    if attribute is not None and score is not None:
        raise BadRequestError("give groupBy or groupByScore, not both")
    return Grouping(
        attribute=None if attribute is None else attribute.value,
        score=None if score is None else score_version(score),
    )


def checked_times(times: list[float] | None) -> tuple[float, ...]:
    """Requested times, sorted; at most 50, none negative."""
    if any(t < 0 for t in times or []) or len(times or []) > 50:
        raise BadRequestError("times: give at most 50 times, none negative")
    return tuple(sorted(times or []))
