"""The request audit: one record per GraphQL operation, whatever its outcome."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Final

from anyio import to_thread
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
    get_operation_ast,
    print_ast,
)
from lake.access import AuditRecord
from lake.query.release import query_hash
from strawberry.extensions import SchemaExtension

from schema.context import Context
from schema.documents import DocumentCache
from schema.errors import error_code


def normalised_query_hash(
    document: DocumentNode | None,
    query: str | None,
    variables: dict[str, object] | None,
    operation_name: str | None,
    normalised: str | None = None,
) -> str:
    """SHA-256 of the printed document (whitespace and comments removed; the text as sent when
    it did not parse), variables and operation. ``normalised`` is the printed document when
    already known (:class:`schema.documents.DocumentCache`): it is not printed again."""
    if normalised is None:
        normalised = print_ast(document) if document is not None else query or ""
    return query_hash(
        {"query": normalised, "variables": variables or {}, "operation": operation_name}
    )


#: At most this many root field names in an action (a document that failed validation may name
#: any number of made-up fields) and this many characters of the client's operation name.
MAX_ACTION_FIELDS: Final = 20
MAX_OPERATION_NAME: Final = 100


def _root_fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: set[str]
) -> set[str]:
    """Field names selected at the root, through fragments (each fragment once: an invalid
    document may spread fragments in a cycle)."""
    names: set[str] = set()
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            names.add(selection.name.value)
        elif isinstance(selection, InlineFragmentNode):
            names |= _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                names |= _root_fields(fragment.selection_set, fragments, seen)
    return names


def operation_action(document: DocumentNode | None, operation_name: str | None) -> str:
    """What the operation does, read from the document, never from the client's free-text
    ``operationName``: ``graphql:<type> <root fields, sorted>``, e.g.
    ``graphql:query cohort,lakeVersions``; ``graphql:unparsed`` when the document did not parse
    and ``graphql:no-operation`` when it names no runnable operation."""
    if document is None:
        return "graphql:unparsed"
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return "graphql:no-operation"
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    names = sorted(_root_fields(operation.selection_set, fragments, set()))
    shown = names[:MAX_ACTION_FIELDS] + (["..."] if len(names) > MAX_ACTION_FIELDS else [])
    return f"graphql:{operation.operation.value} {','.join(shown)}"


#: Documents up to this long are printed (hashed) on the event loop: under a millisecond on a
#: busy machine, less than a hop to a worker thread and back.
PRINT_ON_LOOP_CHARS: Final = 500


class AuditRequests(SchemaExtension):
    """Record who ran which operation, on which lake version, and how it ended.

    The operation's normalised text is taken from ``documents`` (printed once, when the document
    was first validated). Otherwise printing it takes time linear in its text: a document longer
    than :data:`PRINT_ON_LOOP_CHARS` is printed in a worker thread, a shorter one on the loop (a
    thread hop would cost more).
    """

    def __init__(self, *, documents: DocumentCache | None = None) -> None:
        self.documents = documents

    async def _operation_hash(self) -> str:
        ctx = self.execution_context
        arguments = (ctx.graphql_document, ctx.query, ctx.variables, ctx.operation_name)
        kept = (
            None
            if self.documents is None or not ctx.query
            else self.documents.normalised(ctx.query)
        )
        if kept is not None or len(ctx.query or "") <= PRINT_ON_LOOP_CHARS:
            return normalised_query_hash(*arguments, kept)
        return await to_thread.run_sync(normalised_query_hash, *arguments)

    async def on_execute(self) -> AsyncIterator[None]:
        """Hand the operation's hash (provenance), variables and name (``plotUrl``) to the
        resolvers once the document parsed."""
        context = self.execution_context.context
        if isinstance(context, Context):
            context.operation_hash = await self._operation_hash()
            context.variables = dict(self.execution_context.variables or {})
            context.operation_name = self.execution_context.operation_name
        yield

    async def on_operation(self) -> AsyncIterator[None]:
        yield
        ctx = self.execution_context
        context = ctx.context
        if not isinstance(context, Context):  # pragma: no cover - the service always builds one
            return
        errors = ctx.result.errors if ctx.result is not None else ctx.pre_execution_errors
        codes = [str((e.extensions or {}).get("code") or error_code(e)) for e in errors or []]
        context.action = operation_action(ctx.graphql_document, ctx.operation_name)
        context.audit.record(
            AuditRecord(
                at=dt.datetime.now(dt.UTC),
                user=context.caller.user,
                role=context.caller.role,
                action=context.action,
                operation_name=(ctx.operation_name or "")[:MAX_OPERATION_NAME] or None,
                query_hash=context.operation_hash or await self._operation_hash(),
                lake_version=max(context.lake_versions, default=None),
                outcome="error" if codes else "ok",
                code=codes[0] if codes else None,
            )
        )
