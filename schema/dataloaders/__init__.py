"""Per-request DataLoaders: batch and share lake work within one GraphQL request."""

from __future__ import annotations

from dataclasses import dataclass

from lake.query.gateway import LakeGateway

from schema.dataloaders.cohorts import CohortLoader


@dataclass(frozen=True)
class DataLoaders:
    """The typed container of this request's DataLoaders."""

    cohorts: CohortLoader

    @classmethod
    def create(cls, gateway: LakeGateway) -> DataLoaders:
        """Fresh loaders for one request (their caches live as long as the request)."""
        return cls(cohorts=CohortLoader(gateway))
