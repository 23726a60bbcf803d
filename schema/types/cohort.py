"""The Cohort type: a view of (lake version, filter); fields ask the lake boundary."""

from __future__ import annotations

import strawberry
from lake.query import Cohort as LakeCohort
from strawberry.types import Info

from schema.context import Context
from schema.dataloaders.cohorts import Key
from schema.errors import BadRequestError
from schema.fields import resolver
from schema.lake_calls import call_lake
from schema.types.enums import CategoricalAttribute, NumericAttribute
from schema.types.summaries import Breakdown, Completeness, Count, Histogram


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
