"""Depth, field, alias and cost limits, computed in time linear in the document.

A document is walked once. Each operation and each fragment gets a :class:`Summary` of its own
selections: how deep its fields nest, how many fields, aliases and how much cost
(:data:`FIELD_COSTS`) it holds itself, and which fragments it spreads, how often and at which
depth. A fragment's totals are then computed once and reused at every spread, so a fragment
that spreads the next one twice, nested 190 times, costs 190 steps, not 2¹⁹⁰ (Strawberry's
``QueryDepthLimiter`` and ``MaxAliasesLimiter`` walk every path and stalled the server for
seconds on a 1 KB document). The walk follows selection sets only, with no visitor: it is
checked before GraphQL's own rules run (:mod:`schema.off_loop`), so it must be cheap.

Counts are as executed: a fragment counts at every spread of it, inline fragments where they are
written, and an operation's totals are those of its fields with every fragment inlined. A
document is refused when any of its operations passes a limit (only one runs). Introspection
fields (``__schema``, ``__type``) do not count towards the depth: GraphQL's own
``MaxIntrospectionDepthRule`` bounds them. A spread of an unknown fragment, or one that closes a
cycle, counts nothing here: GraphQL's own rules report both.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final, NamedTuple

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
)

from schema.cost import FIELD_COSTS


@dataclass
class Summary:
    """One operation's or fragment's own selections, fragments not followed."""

    depth: int = 0
    fields: int = 0
    aliases: int = 0
    cost: int = 0
    #: spreads of each fragment, and the deepest field level each is spread at
    spreads: Counter[str] = field(default_factory=Counter)
    spread_depth: dict[str, int] = field(default_factory=dict)


class Totals(NamedTuple):
    """An operation's or fragment's depth, fields, aliases and cost, every fragment inlined."""

    depth: int
    fields: int
    aliases: int
    cost: int


def inline(summary: Summary, fragments: Mapping[str, Totals]) -> Totals:
    """The totals of ``summary`` given its fragments' totals (a missing one counts nothing)."""
    depth, fields = summary.depth, summary.fields
    aliases, cost = summary.aliases, summary.cost
    for name, count in summary.spreads.items():
        if (spread := fragments.get(name)) is not None:
            depth = max(depth, summary.spread_depth[name] + spread.depth)
            fields += count * spread.fields
            aliases += count * spread.aliases
            cost += count * spread.cost
    return Totals(depth, fields, aliases, cost)


def fragment_totals(fragments: Mapping[str, Summary]) -> dict[str, Totals]:
    """Every fragment's totals, each computed once (iterative depth-first post-order).

    A spread that closes a cycle is not followed (it counts nothing); nor is an unknown one.
    """
    totals: dict[str, Totals] = {}
    for root in fragments:
        if root in totals:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(fragments[root].spreads))]
        on_path = {root}
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(name)
                totals[name] = inline(fragments[name], totals)
            elif child in fragments and child not in totals and child not in on_path:
                on_path.add(child)
                stack.append((child, iter(fragments[child].spreads)))
    return totals


@dataclass(frozen=True, slots=True)
class Limits:
    """Query limits (settings ``max_depth``, ``max_fields``, ``max_aliases``, ``max_tokens``,
    ``max_cost``); the token limit is checked while parsing."""

    max_depth: int = 10
    max_fields: int = 500
    max_aliases: int = 20
    max_tokens: int = 2000
    max_cost: int = 60


DEFAULT_LIMITS: Final = Limits()


def operation_errors(name: str, totals: Totals, bounds: Limits) -> Iterator[GraphQLError]:
    """The limits operation ``name`` passes, each as an error with its code."""
    if totals.depth > bounds.max_depth:
        yield GraphQLError(
            f"'{name}' exceeds maximum operation depth of {bounds.max_depth} "
            f"(it is {totals.depth} deep)",
            extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
        )
    if totals.fields > bounds.max_fields:
        yield GraphQLError(
            f"'{name}' selects {totals.fields} fields (fragments counted at every spread); "
            f"the limit is {bounds.max_fields}",
            extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
        )
    if totals.aliases > bounds.max_aliases:
        yield GraphQLError(
            f"{totals.aliases} aliases found. Allowed: {bounds.max_aliases}",
            extensions={"code": "GRAPHQL_VALIDATION_FAILED"},
        )
    if totals.cost > bounds.max_cost:
        yield GraphQLError(
            f"query cost {totals.cost} exceeds the limit of {bounds.max_cost}; "
            "split it into several requests",
            extensions={"code": "COST_LIMIT_EXCEEDED"},
        )


def summarise(
    schema: GraphQLSchema,
    selections: SelectionSetNode,
    parent: GraphQLNamedType | None,
    costs: Mapping[tuple[str, str], int],
) -> Summary:
    """The :class:`Summary` of one definition's selections (iterative: no recursion limit).

    Field types are looked up in ``schema`` only to find each field's cost; an unknown type or
    field costs nothing (validation reports it).
    """
    summary = Summary()
    stack: list[tuple[SelectionSetNode, GraphQLNamedType | None, int]] = [(selections, parent, 0)]
    while stack:
        selection_set, parent, level = stack.pop()
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                name = node.name.value
                if name.startswith("__"):
                    continue  # introspection: MaxIntrospectionDepthRule bounds it
                summary.depth = max(summary.depth, level)
                summary.fields += 1
                summary.aliases += node.alias is not None
                field_type = None
                if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
                    summary.cost += costs.get((parent.name, name), 0)
                    if (definition := parent.fields.get(name)) is not None:
                        field_type = get_named_type(definition.type)
                if node.selection_set is not None:
                    stack.append((node.selection_set, field_type, level + 1))
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                inner = schema.get_type(condition.name.value) if condition else parent
                stack.append((node.selection_set, inner, level))
            elif isinstance(node, FragmentSpreadNode):
                spread = node.name.value
                summary.spreads[spread] += 1
                summary.spread_depth[spread] = max(summary.spread_depth.get(spread, 0), level)
    return summary


def limit_errors(
    schema: GraphQLSchema,
    document: DocumentNode,
    limits: Limits,
    costs: Mapping[tuple[str, str], int] = FIELD_COSTS,
) -> list[GraphQLError]:
    """The limits each operation of ``document`` passes, counted as executed."""
    operations: dict[str, Summary] = {}
    fragments: dict[str, Summary] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else "anonymous"
            root = schema.get_root_type(definition.operation)
            operations[name] = summarise(schema, definition.selection_set, root, costs)
        elif isinstance(definition, FragmentDefinitionNode):
            condition = schema.get_type(definition.type_condition.name.value)
            fragment = summarise(schema, definition.selection_set, condition, costs)
            fragments[definition.name.value] = fragment
    totals = fragment_totals(fragments)
    return [
        error
        for name, summary in operations.items()
        for error in operation_errors(name, inline(summary, totals), limits)
    ]
