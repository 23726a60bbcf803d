"""Provenance attached to every released result."""

from __future__ import annotations

import strawberry
from lake import query_release as query
from strawberry.types import Info

from schema.context import Context
from schema.fields import resolver


@strawberry.type(
    description="Where a result comes from; the same provenance gives the same numbers."
)
class Provenance:
    lake_version: int = strawberry.field(description="Lake version the result was computed on.")
    query_hash: str = strawberry.field(
        description="SHA-256 of the normalised lake request: the canonical JSON of the cohort "
        "filter and this field's arguments (not of the GraphQL text). The same request on the "
        "same lake version has the same hash whatever document asked it; the audit record of "
        "this release carries it too."
    )
    model_version: str = strawberry.field(description="Version of the harmonised model.")
    software_version: str = strawberry.field(description="Version of hemalake.")
    min_cell_size: int = strawberry.field(
        description="Counts between 1 and this size minus one are suppressed."
    )
    score_versions: list[ScoreVersion] = strawberry.field(
        description="Rule id and version of every risk score used."
    )

    @resolver(
        description="SHA-256 of the normalised GraphQL operation that asked (printed document "
        "without whitespace or comments, variables, operation name): the hash in the audit "
        "record of the whole request."
    )
    def operation_hash(self, info: Info[Context, None]) -> str:
        return info.context.operation_hash

    @classmethod
    def of(cls, provenance: query.Provenance) -> Provenance:
        """The GraphQL view of a lake provenance record."""
        return cls(
            lake_version=provenance.lake_version,
            query_hash=provenance.query_hash,
            model_version=provenance.model_version,
            software_version=provenance.software_version,
            min_cell_size=provenance.min_cell_size,
            score_versions=[ScoreVersion(score=s, version=v) for s, v in provenance.score_versions],
        )


@strawberry.type(description="A risk score and the version of its rules.")
class ScoreVersion:
    score: str = strawberry.field(description="Score identifier (e.g. riss_palumbo2015).")
    version: str = strawberry.field(description="Version of the score's rule set.")
