"""Descriptive cohort summaries as GraphQL types (views of :mod:`lake.cohort.summary`)."""

from __future__ import annotations

import strawberry
from lake.cohort import summary as cs
from lake.query.release import Released

from schema.types.provenance import Provenance

SUPPRESSED = "True when the count was withheld by minimum cell size disclosure control."


@strawberry.type(description="A patient count, withheld (null) when below the minimum cell size.")
class Count:
    value: int | None = strawberry.field(description="The count, or null when suppressed.")
    suppressed: bool = strawberry.field(description=SUPPRESSED)
    provenance: Provenance = strawberry.field(description="Where the count comes from.")

    @classmethod
    def of(cls, released: Released[int | None]) -> Count:
        """The GraphQL view of a released count."""
        return cls(
            value=released.value,
            suppressed=released.value is None,
            provenance=Provenance.of(released.provenance),
        )


@strawberry.type(description="Patients in one category of a breakdown.")
class CategoryCount:
    category: str | None = strawberry.field(description="The value; null for missing values.")
    n: int | None = strawberry.field(description="Number of patients, null when suppressed.")
    suppressed: bool = strawberry.field(description=SUPPRESSED)


@strawberry.type(description="Counts of a cohort by the values of one categorical attribute.")
class Breakdown:
    attribute: str = strawberry.field(description="The attribute broken down by.")
    total: int | None = strawberry.field(
        description="Cohort size (list attributes: categories may add up to more)."
    )
    categories: list[CategoryCount] = strawberry.field(description="One entry per value.")
    provenance: Provenance = strawberry.field(description="Where the counts come from.")

    @classmethod
    def of(cls, released: Released[cs.Breakdown]) -> Breakdown:
        """The GraphQL view of a released breakdown."""
        value = released.value
        return cls(
            attribute=value.attribute,
            total=value.total,
            categories=[
                CategoryCount(category=c.category, n=c.n, suppressed=c.n is None)
                for c in value.counts
            ],
            provenance=Provenance.of(released.provenance),
        )


@strawberry.type(description="Patients with lower <= value < upper (the last bin is closed).")
class HistogramBin:
    lower: float = strawberry.field(description="Lower edge.")
    upper: float = strawberry.field(description="Upper edge.")
    n: int | None = strawberry.field(description="Number of patients, null when suppressed.")
    suppressed: bool = strawberry.field(description=SUPPRESSED)


@strawberry.type(description="Equal-width histogram of a numeric attribute.")
class Histogram:
    attribute: str = strawberry.field(description="The attribute.")
    total: int | None = strawberry.field(description="Cohort size.")
    bins: list[HistogramBin] = strawberry.field(description="The bins, lowest first.")
    missing: int | None = strawberry.field(description="Patients with an unknown value.")
    below: int | None = strawberry.field(description="Known values below the lowest edge.")
    above: int | None = strawberry.field(description="Known values above the highest edge.")
    provenance: Provenance = strawberry.field(description="Where the counts come from.")

    @classmethod
    def of(cls, released: Released[cs.Histogram]) -> Histogram:
        """The GraphQL view of a released histogram."""
        value = released.value
        return cls(
            attribute=value.attribute,
            total=value.total,
            bins=[
                HistogramBin(lower=b.lower, upper=b.upper, n=b.n, suppressed=b.n is None)
                for b in value.bins
            ],
            missing=value.missing,
            below=value.below,
            above=value.above,
            provenance=Provenance.of(released.provenance),
        )


@strawberry.type(description="How many patients have a known value of one attribute.")
class FieldCompleteness:
    attribute: str = strawberry.field(description="The attribute.")
    total: int | None = strawberry.field(description="Cohort size.")
    known: int | None = strawberry.field(description="Patients with a known value.")
    not_tested: int | None = strawberry.field(description="Markers recorded as not tested.")
    missing: int | None = strawberry.field(description="Patients with no value at all.")


@strawberry.type(description="Data completeness of several attributes over a cohort.")
class Completeness:
    fields: list[FieldCompleteness] = strawberry.field(description="One entry per attribute.")
    provenance: Provenance = strawberry.field(description="Where the counts come from.")

    @classmethod
    def of(cls, released: Released[tuple[cs.FieldCompleteness, ...]]) -> Completeness:
        """The GraphQL view of released completeness counts."""
        return cls(
            fields=[
                FieldCompleteness(
                    attribute=f.attribute,
                    total=f.total,
                    known=f.known,
                    not_tested=f.not_tested,
                    missing=f.missing,
                )
                for f in released.value
            ],
            provenance=Provenance.of(released.provenance),
        )
