"""Risk score distributions and reclassification cross-tabs (views of :mod:`lake.cohort.risk`)."""

from __future__ import annotations

from enum import Enum

import strawberry
from lake.cohort import risk as cr
from lake.query.release import Released

from schema.types.provenance import Provenance
from schema.types.summaries import SUPPRESSED


@strawberry.enum(description="How NOT_CLASSIFIABLE / NOT_APPLICABLE count in a reclassification.")
class NotClassifiedPolicy(Enum):
    EXCLUDE = "exclude"
    AS_CATEGORY = "as_category"


@strawberry.type(description="Patients of NOT_CLASSIFIABLE lacking one input of the score.")
class MissingInput:
    input: str = strawberry.field(description="The input, as table.column.")
    n: int | None = strawberry.field(description="Patients lacking it (null when suppressed).")


@strawberry.type(description="Patients in one category of a risk score.")
class RiskCategory:
    category: str = strawberry.field(
        description="A category of the score, NOT_CLASSIFIABLE or NOT_APPLICABLE."
    )
    n: int | None = strawberry.field(description="Number of patients, null when suppressed.")
    suppressed: bool = strawberry.field(description=SUPPRESSED)
    missing_inputs: list[MissingInput] = strawberry.field(
        description="For NOT_CLASSIFIABLE: how many patients lack each input."
    )


@strawberry.type(description="The distribution of one risk score over a cohort.")
class RiskDistribution:
    score: str = strawberry.field(description="Score name.")
    version: str = strawberry.field(description="Version id of the score's rules.")
    total: int | None = strawberry.field(description="Cohort size.")
    categories: list[RiskCategory] = strawberry.field(
        description="The score's categories in order, then NOT_CLASSIFIABLE and NOT_APPLICABLE."
    )
    provenance: Provenance = strawberry.field(description="Where the counts come from.")

    @classmethod
    def of(cls, released: Released[cr.RiskDistribution]) -> RiskDistribution:
        """The GraphQL view of a released distribution."""
        value = released.value
        return cls(
            score=value.score,
            version=value.version,
            total=value.total,
            categories=[
                RiskCategory(
                    category=c.category,
                    n=c.n,
                    suppressed=c.n is None,
                    missing_inputs=[MissingInput(input=m.input, n=m.n) for m in c.missing_inputs],
                )
                for c in value.categories
            ],
            provenance=Provenance.of(released.provenance),
        )


@strawberry.type(description="Patients in one (before, after) pair of categories.")
class CrossTabCell:
    before: str = strawberry.field(description="Category under the first score.")
    after: str = strawberry.field(description="Category under the second score.")
    n: int | None = strawberry.field(description="Number of patients, null when suppressed.")
    suppressed: bool = strawberry.field(description=SUPPRESSED)


@strawberry.type(description="Reclassification between two risk scores over the same patients.")
class Reclassification:
    before: str = strawberry.field(description="Version id of the first score.")
    after: str = strawberry.field(description="Version id of the second score.")
    total: int | None = strawberry.field(description="Cohort size.")
    cells: list[CrossTabCell] = strawberry.field(description="Every non-empty pair.")
    compared: int | None = strawberry.field(description="Patients counted in the moved share.")
    moved: int | None = strawberry.field(description="Compared patients changing category.")
    excluded: int | None = strawberry.field(
        description="Patients left out of the share (a non-result under either score)."
    )
    share_moved: float | None = strawberry.field(description="moved / compared.")
    provenance: Provenance = strawberry.field(description="Where the counts come from.")

    @classmethod
    def of(cls, released: Released[cr.CrossTab]) -> Reclassification:
        """The GraphQL view of a released cross-tab."""
        value = released.value
        share = None
        if value.n_moved is not None and value.n_compared:
            share = value.n_moved / value.n_compared
        return cls(
            before=value.before,
            after=value.after,
            total=value.total,
            cells=[
                CrossTabCell(before=c.before, after=c.after, n=c.n, suppressed=c.n is None)
                for c in value.cells
            ],
            compared=value.n_compared,
            moved=value.n_moved,
            excluded=value.n_excluded,
            share_moved=share,
            provenance=Provenance.of(released.provenance),
        )
