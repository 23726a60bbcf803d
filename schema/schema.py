"""Build the Strawberry schema with its safety extensions always on."""

from __future__ import annotations

from functools import partial

import strawberry
from strawberry.extensions import MaxTokensLimiter

from schema.audit import AuditRequests
from schema.errors import CodedMaskErrors
from schema.grouping import ExplainListAttributes
from schema.limits import DEFAULT_LIMITS, Limits
from schema.off_loop import ParseAndValidateOffLoop
from schema.query import Query


def build_schema(*, limits: Limits = DEFAULT_LIMITS) -> strawberry.Schema:
    """The hemalake schema: token, depth, field, alias and cost limits on (each linear in the
    document), parsing and validation off the event loop, internal errors masked."""
    return strawberry.Schema(
        query=Query,
        # factories, not instances: extensions keep per-operation state
        extensions=[
            partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
            ExplainListAttributes,
            partial(ParseAndValidateOffLoop, limits=limits),
            CodedMaskErrors,
            AuditRequests,
        ],
    )
