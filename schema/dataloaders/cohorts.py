"""Resolve cohorts once per request: every field of a cohort shares one resolved patient set."""

from __future__ import annotations

from functools import partial
from typing import TypeAlias

from anyio import to_thread
from lake.cohort.filters import CohortFilter
from lake.errors import HemalakeError
from lake.query.gateway import Cohort, LakeGateway
from strawberry.dataloader import DataLoader

from schema.errors import public_error

#: (pinned lake version or None for the newest, filter)
Key: TypeAlias = tuple[int | None, CohortFilter]
Result: TypeAlias = Cohort


class CohortLoader(DataLoader[Key, Result]):
    """Batches the cohorts of one request into one lake call (one scan per lake version)."""

    def __init__(self, gateway: LakeGateway) -> None:
        super().__init__(load_fn=self._load)
        self._gateway = gateway

    async def _load(self, keys: list[Key]) -> list[Result | BaseException]:
        resolved = await to_thread.run_sync(partial(self._gateway.cohorts, keys))
        return [
            public_error(item) if isinstance(item, HemalakeError) else item for item in resolved
        ]
