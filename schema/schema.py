"""Build the Strawberry schema with its safety extensions always on."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter
from strawberry.types import ExecutionContext

from schema.audit import AuditRequests
from schema.documents import DocumentCache
from schema.errors import CodedMaskErrors, log_error
from schema.grouping import ExplainListAttributes
from schema.limits import DEFAULT_LIMITS, Limits
from schema.off_loop import ParseAndValidateOffLoop
from schema.query import Query


class Schema(strawberry.Schema):
    """Strawberry's schema, logging each error by :func:`schema.errors.log_error` (Strawberry
    logs every one at ERROR with a traceback, client errors too)."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            log_error(error)


def build_schema(
    *,
    limits: Limits = DEFAULT_LIMITS,
    documents: DocumentCache | None = None,
    introspection: bool = True,
) -> Schema:
    """The hemalake schema: token, depth, field, alias and cost limits on (each linear in the
    document), parsing and validation off the event loop and once per document (``documents``:
    default a new :class:`schema.documents.DocumentCache`), internal errors masked; with
    ``introspection=False``, documents asking ``__schema`` or ``__type`` fail validation."""
    documents = DocumentCache() if documents is None else documents
    closed = (
        [partial(AddValidationRules, [NoSchemaIntrospectionCustomRule])]
        if not introspection
        else []
    )
    return Schema(
        query=Query,
        # factories, not instances: extensions keep per-operation state
        extensions=[
            partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
            *closed,
            ExplainListAttributes,
            partial(ParseAndValidateOffLoop, limits=limits, documents=documents),
            CodedMaskErrors,
            partial(AuditRequests, documents=documents),
        ],
    )
