"""Parse and validate in a worker thread, the limits first, so no document stalls the others;
a document that passed is remembered (:mod:`schema.documents`) and not checked again.

Strawberry parses and validates on the event loop, validating with every rule in one pass. Here
a document already in the :class:`schema.documents.DocumentCache` is taken from it on the loop
(no thread hop, no parse, no validation); any other is parsed and validated in one worker-thread
call, while Strawberry's parsing step runs:

- The document is parsed with Strawberry's parse options (the token limit). A document that
  does not parse is parsed again by Strawberry on the loop, which reports the syntax error; the
  token limit bounds that second parse.
- The limits (:mod:`schema.limits`: depth, fields, aliases, cost; linear in the document) are
  checked alone first, and a document past them is refused before GraphQL's own rules walk it
  (``OverlappingFieldsCanBeMergedRule`` is quadratic in the fields it compares).
- A document without errors is kept with its normalised (printed) text.

Execution stays on the loop: its blocking work (the lake) already runs in worker threads
(:mod:`schema.lake_calls`), and the limits bound the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from functools import partial
from typing import Any

from anyio import to_thread
from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse, print_ast
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from schema.documents import CheckedDocument, DocumentCache
from schema.limits import Limits, limit_errors


def parse_and_validate(
    schema: GraphQLSchema,
    query: str,
    parse_options: Mapping[str, Any],
    limits: Limits,
    rules: tuple[type[ASTValidationRule], ...],
    *,
    documents: DocumentCache | None = None,
) -> tuple[DocumentNode, list[GraphQLError]] | None:
    """The document and its errors: those of the limits if any, else those of every other rule;
    ``None`` when it does not parse. A document without errors is kept in ``documents``."""
    try:
        document = parse(query, **parse_options)
    except GraphQLError:
        return None
    errors = limit_errors(schema, document, limits) or validate_document(schema, document, rules)
    if documents is not None and not errors:
        documents.keep(CheckedDocument(query, document, rules, print_ast(document)))
    return document, errors


class ParseAndValidateOffLoop(SchemaExtension):
    """Take the document from ``documents`` or parse and validate it (:func:`parse_and_validate`)
    in one worker-thread call; Strawberry then skips its own parse and validation, which run only
    while ``graphql_document`` and ``pre_execution_errors`` are ``None``."""

    def __init__(self, *, limits: Limits, documents: DocumentCache | None = None) -> None:
        self.limits = limits
        self.documents = documents

    async def on_parse(self) -> AsyncIterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            rules = tuple(context.validation_rules)
            kept = None if self.documents is None else self.documents.find(context.query, rules)
            if kept is not None:
                context.graphql_document, context.pre_execution_errors = kept.document, []
            elif (
                checked := await to_thread.run_sync(
                    partial(
                        parse_and_validate,
                        context.schema._schema,  # the GraphQLSchema Strawberry validates with
                        context.query,
                        context.parse_options,
                        self.limits,
                        rules,
                        documents=self.documents,
                    )
                )
            ) is not None:
                context.graphql_document, context.pre_execution_errors = checked
        yield
