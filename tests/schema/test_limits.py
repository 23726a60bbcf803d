"""Depth, field, alias and cost limits in time linear in the document, checked off the loop."""

from __future__ import annotations

import re
import threading
from functools import partial
from typing import Any

import pytest
import strawberry
from graphql import ValidationRule
from hypothesis import given, settings
from hypothesis import strategies as st
from strawberry.extensions import AddValidationRules

from schema.limits import Limits
from schema.off_loop import ParseAndValidateOffLoop
from schema.query import Query
from schema.schema import build_schema

pytestmark = pytest.mark.anyio

# every figure is reported: each limit is below any document's
REPORTING = build_schema(
    limits=Limits(max_depth=-1, max_fields=-1, max_aliases=-1, max_cost=-1, max_tokens=100_000)
)
FIGURES = {
    "depth": r"it is (\d+) deep",
    "fields": r"selects (\d+) fields",
    "aliases": r"(\d+) aliases found",
    "cost": r"query cost (\d+) ",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def figures(document: str) -> dict[str, int]:
    """Depth, fields, aliases and cost of ``document`` as the limits count them."""
    result = await REPORTING.execute(document)
    assert result.errors is not None
    found = {}
    for name, pattern in FIGURES.items():
        (match,) = [m for e in result.errors if (m := re.search(pattern, e.message))]
        found[name] = int(match.group(1))
    return found


def fan_out(levels: int, leaf: str = "modelVersion") -> str:
    """``F0`` spreads ``F1`` twice, ``F1`` spreads ``F2`` twice, ... ``F<levels>`` is ``leaf``."""
    fragments = [f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return f"{{ ...F0 }} {' '.join(fragments)} fragment F{levels} on Query {{ {leaf} }}"


async def test_a_fan_out_is_counted_as_executed_without_walking_its_paths() -> None:
    """2¹⁹⁰ selections are counted exactly: a walk of every path would never end."""
    leaf = "a: cohort { size { value } }"
    assert await figures(fan_out(190, leaf)) == {
        "depth": 2,
        "fields": 3 * 2**190,
        "aliases": 2**190,
        "cost": 2 * 2**190,
    }


@pytest.mark.parametrize("levels", [9, 16, 20, 60, 190])
async def test_a_fan_out_past_the_field_limit_is_refused(levels: int) -> None:
    result = await build_schema().execute(fan_out(levels))
    assert result.errors is not None
    assert [(e.message, e.extensions) for e in result.errors] == [
        (
            f"'anonymous' selects {2**levels} fields (fragments counted at every spread); "
            "the limit is 500",
            {"code": "GRAPHQL_VALIDATION_FAILED"},
        )
    ]


SELECTIONS = (
    "size { value }",
    "breakdown(attribute: SEX) { categories { category n } }",
    "survival(endpoint: OS) { groups { steps { time } } }",
    "modelVersion",
)


@settings(max_examples=30, deadline=None)
@given(
    inner=st.lists(st.tuples(st.integers(0, 2), st.booleans()), min_size=1, max_size=3),
    spreads=st.lists(st.integers(1, 3), min_size=1, max_size=3),
)
async def test_figures_of_fragments_are_those_of_the_inlined_document(
    inner: list[tuple[int, bool]], spreads: list[int]
) -> None:
    # fragment Inner on Cohort (some fields aliased) spread inside an inline fragment of
    # fragment Outer on Query, which each aliased cohort of the operation spreads `times` times
    fields = " ".join(
        f"{f'x{i}: ' if aliased else ''}{SELECTIONS[k]}" for i, (k, aliased) in enumerate(inner)
    )
    with_fragments = (
        f"fragment Inner on Cohort {{ {fields} }} "
        "fragment Outer on Cohort { ... on Cohort { ...Inner } } "
        "{ "
        + " ".join(f"c{c}: cohort {{ {'...Outer ' * n} }}" for c, n in enumerate(spreads))
        + " }"
    )
    inlined = (
        "{ "
        + " ".join(
            f"c{c}: cohort {{ {f'... on Cohort {{ {fields} }} ' * n} }}"
            for c, n in enumerate(spreads)
        )
        + " }"
    )
    assert await figures(with_fragments) == await figures(inlined)


async def test_introspection_does_not_count_towards_the_depth() -> None:
    """GraphiQL's schema query nests ``ofType`` deeper than the limit; GraphQL's own
    ``MaxIntrospectionDepthRule`` bounds introspection instead."""
    type_ref = "kind name " + "ofType { kind name " * 8 + "}" * 8
    ok = await build_schema().execute(
        f"{{ __schema {{ types {{ fields {{ type {{ {type_ref} }} }} }} }} }}"
    )
    assert ok.errors is None
    deep = "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }"
    refused = await build_schema().execute(deep)
    assert refused.errors is not None
    assert refused.errors[0].message == "Maximum introspection depth exceeded"


async def test_validation_runs_off_the_loop_and_limits_refuse_before_other_rules() -> None:
    threads: list[int] = []

    class RecordThread(ValidationRule):
        def enter_document(self, *_: Any) -> None:
            threads.append(threading.get_ident())

    schema = strawberry.Schema(
        query=Query,
        extensions=[
            partial(AddValidationRules, [RecordThread]),
            partial(ParseAndValidateOffLoop, limits=Limits(max_fields=1)),
        ],
    )
    assert (await schema.execute("{ modelVersion }")).errors is None
    assert threads
    assert threading.get_ident() not in threads
    # refused by the field limit alone: the unknown field would be GraphQL's own error
    refused = await schema.execute("{ cohort { nope } }")
    assert [e.message for e in refused.errors or []] == [
        "'anonymous' selects 2 fields (fragments counted at every spread); the limit is 1"
    ]
