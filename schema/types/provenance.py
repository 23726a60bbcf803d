"""Provenance attached to every released result."""

from __future__ import annotations

import datetime
from enum import Enum

import strawberry
from lake.query import release as query
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
        description="Counts between 1 and this size minus one are suppressed (governed "
        "access), or the publication floor of protected counts (0: none)."
    )
    score_versions: list[ScoreVersion] = strawberry.field(
        description="Rule id and version of every risk score used."
    )
    access: Access = strawberry.field(
        description="GOVERNED: exact numbers (roles under a data-sharing agreement). "
        "PROTECTED: a differentially private release; see privacy."
    )
    privacy: PrivacyRelease | None = strawberry.field(
        description="How a protected release was made and what it cost (null when governed)."
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
            access=Access(provenance.access),
            privacy=None if provenance.privacy is None else PrivacyRelease.of(provenance.privacy),
        )


@strawberry.enum(description="How an aggregate leaves the lake for the caller's role.")
class Access(Enum):
    GOVERNED = "governed"
    PROTECTED = "protected"


@strawberry.type(
    description="A differentially private release: every count in it carries independent "
    "discrete Laplace noise of the given scale; estimates derived from them (curves, medians, "
    "tests) are post-processing and their confidence intervals include the noise."
)
class PrivacyRelease:
    mechanism: str = strawberry.field(description="The noise mechanism (OpenDP).")
    epsilon: float = strawberry.field(description="Privacy loss ε of this release.")
    sensitivity: int = strawberry.field(
        description="How much one patient can change the released counts (L1)."
    )
    noise_scale: float = strawberry.field(description="Laplace scale b = sensitivity / ε.")
    margin95: int = strawberry.field(
        description="Each released count is within this many of the noiseless count with 95 % "
        "probability (before rounding at 0)."
    )
    charged: float = strawberry.field(
        description="ε charged to you for this answer (0 when you had received it before)."
    )
    budget_spent: float = strawberry.field(description="Your ε spent this period.")
    budget: float = strawberry.field(description="Your ε budget per period.")
    budget_remaining: float = strawberry.field(description="Your ε left this period.")
    period_ends: datetime.datetime = strawberry.field(
        description="When your budget period ends (UTC)."
    )

    @classmethod
    def of(cls, release: query.PrivacyRelease) -> PrivacyRelease:
        """The GraphQL view of a lake privacy record."""
        return cls(
            mechanism=release.mechanism,
            epsilon=release.epsilon,
            sensitivity=release.sensitivity,
            noise_scale=release.scale,
            margin95=release.margin,
            charged=release.charged,
            budget_spent=release.user_spent,
            budget=release.user_budget,
            budget_remaining=release.user_remaining,
            period_ends=release.period_ends,
        )


@strawberry.type(description="A risk score and the version of its rules.")
class ScoreVersion:
    score: str = strawberry.field(description="Score identifier (e.g. riss_palumbo2015).")
    version: str = strawberry.field(description="Version of the score's rule set.")
