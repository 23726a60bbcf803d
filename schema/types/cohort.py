"""The Cohort type: a view of (lake version, filter); fields ask the lake boundary."""

from __future__ import annotations

import strawberry
from lake.cohort_survival import SurvivalRequest
from lake.query import Cohort as LakeCohort
from strawberry.types import Info

from schema.context import Context
from schema.dataloaders.cohorts import Key
from schema.errors import BadRequestError
from schema.fields import resolver
from schema.lake_calls import call_lake
from schema.types.enums import CategoricalAttribute, NumericAttribute
from schema.types.summaries import Breakdown, Completeness, Count, Histogram
from schema.types.survival import (
    ConfType,
    KaplanMeierEndpoint,
    SurvivalSummary,
    TimeOrigin,
    TimeUnit,
)


@strawberry.type(description="A set of patients selected by a filter on one lake version.")
class Cohort:
    key: strawberry.Private[Key]

    async def _resolve(self, info: Info[Context, None]) -> LakeCohort:
        cohort = await info.context.loaders.cohorts.load(self.key)
        info.context.lake_versions.add(cohort.lake_version)
        return cohort

    @resolver(description="Number of patients (null when below the minimum cell size).")
    async def size(self, info: Info[Context, None]) -> Count:
        cohort = await self._resolve(info)
        return Count.of(
            await call_lake(info.context.gateway.cohort_size, info.context.caller, cohort)
        )

    @resolver(description="Counts by the values of a categorical attribute.")
    async def breakdown(
        self, info: Info[Context, None], attribute: CategoricalAttribute
    ) -> Breakdown:
        cohort = await self._resolve(info)
        released = await call_lake(
            info.context.gateway.breakdown, info.context.caller, cohort, attribute=attribute.value
        )
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
        cohort = await self._resolve(info)
        released = await call_lake(
            info.context.gateway.histogram,
            info.context.caller,
            cohort,
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
        cohort = await self._resolve(info)
        released = await call_lake(
            info.context.gateway.completeness, info.context.caller, cohort, attributes=attributes
        )
        return Completeness.of(released)

    @resolver(description="Kaplan-Meier summaries by group with the log-rank test (cost 10).")
    async def survival(
        self,
        info: Info[Context, None],
        *,
        endpoint: KaplanMeierEndpoint,
        origin: TimeOrigin = TimeOrigin.DIAGNOSIS,
        group_by: CategoricalAttribute | None = None,
        times: list[float] | None = None,
        time_unit: TimeUnit = TimeUnit.MONTHS,
        conf_type: ConfType = ConfType.LOG,
    ) -> SurvivalSummary:
        if any(t < 0 for t in times or []) or len(times or []) > 50:
            raise BadRequestError("survival.times: give at most 50 times, none negative")
        request = SurvivalRequest(
            endpoint=endpoint.value,
            origin=origin.value,
            group_by=None if group_by is None else group_by.value,
            times=tuple(sorted(times or [])),
            time_unit=time_unit.value,
            conf_type=conf_type.value,
        )
        cohort = await self._resolve(info)
        released = await call_lake(
            info.context.gateway.survival, info.context.caller, cohort, request=request
        )
        return SurvivalSummary.of(released)
