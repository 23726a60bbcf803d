"""Build the Strawberry schema with its safety extensions always on."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)

from schema.audit import AuditRequests
from schema.cost import CostLimiter
from schema.errors import CodedMaskErrors
from schema.grouping import ExplainListAttributes
from schema.query import Query


@dataclass(frozen=True, slots=True)
class Limits:
    """Query limits (settings ``max_depth``, ``max_aliases``, ``max_tokens``, ``max_cost``)."""

    max_depth: int = 10
    max_aliases: int = 20
    max_tokens: int = 2000
    max_cost: int = 60


def build_schema(*, limits: Limits = Limits()) -> strawberry.Schema:
    """The hemalake schema: depth, alias, token and cost limits on, internal errors masked."""
    return strawberry.Schema(
        query=Query,
        # factories, not instances: extensions keep per-operation state
        extensions=[
            partial(QueryDepthLimiter, max_depth=limits.max_depth),
            partial(MaxAliasesLimiter, max_alias_count=limits.max_aliases),
            partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
            partial(CostLimiter, max_cost=limits.max_cost),
            ExplainListAttributes,
            CodedMaskErrors,
            AuditRequests,
        ],
    )
