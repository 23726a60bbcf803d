"""The cost rule counts every field as executed: fragments at each spread, however nested."""

from __future__ import annotations

import asyncio
import re

import strawberry
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.limits import Limits
from schema.schema import build_schema

#: Selections with their cost (schema/README.md: size 1, breakdown 2, histogram 2, risk 3,
#: survival 10, coxModel 10, stagingComparison 15); each cohort costs 1 more.
SELECTIONS = (
    ("size { value }", 1),
    ("breakdown(attribute: SEX) { total }", 2),
    ("histogram(attribute: AGE_AT_DIAGNOSIS) { missing }", 2),
    ('risk(score: "iss") { total }', 3),
    ("survival(endpoint: OS) { excluded }", 10),
    ("coxModel(endpoint: OS, covariates: [{numeric: AGE_AT_DIAGNOSIS}]) { endpoint }", 10),
    (
        "fineGray(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}, "
        "covariates: [{attribute: SEX}]) { n }",
        10,
    ),
    ('stagingComparison(scores: ["iss"]) { dropped }', 15),
)
# every cost is reported: the limit is below any cost
SCHEMA = build_schema(limits=Limits(max_cost=-1, max_aliases=10_000, max_tokens=100_000))

indices = st.lists(st.integers(0, len(SELECTIONS) - 1), min_size=1, max_size=4)


def cost_of(schema: strawberry.Schema, document: str) -> int:
    result = asyncio.run(schema.execute(document))
    assert result.errors is not None
    (cost,) = [m for e in result.errors if (m := re.match(r"query cost (\d+) ", e.message))]
    return int(cost.group(1))


def _fields(chosen: list[int], prefix: str) -> str:
    return " ".join(f"{prefix}{i}: {SELECTIONS[k][0]}" for i, k in enumerate(chosen))


@settings(max_examples=40, deadline=None)
@given(
    inner=indices,
    outer=indices,
    spreads=st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1, max_size=4),
)
def test_fragment_cost_equals_the_cost_of_the_inlined_document(
    inner: list[int], outer: list[int], spreads: list[tuple[int, bool]]
) -> None:
    # fragment Outer spreads Inner (nested) inside an inline fragment; each cohort spreads
    # Outer `times` times, optionally wrapped in another inline fragment
    inner_fields, outer_fields = _fields(inner, "i"), _fields(outer, "o")
    fragments = (
        f"fragment Inner on Cohort {{ {inner_fields} }} "
        f"fragment Outer on Cohort {{ {outer_fields} ... on Cohort {{ ...Inner }} }}"
    )
    outer_inlined = f"{outer_fields} ... on Cohort {{ {inner_fields} }}"

    def cohorts(body: str) -> str:
        parts = []
        for c, (times, wrapped) in enumerate(spreads):
            selection = " ".join([body] * times) or "size { value }"
            if wrapped:
                selection = f"... on Cohort {{ {selection} }}"
            parts.append(f"c{c}: cohort {{ {selection} }}")
        return "{ " + " ".join(parts) + " }"

    with_fragments = cost_of(SCHEMA, fragments + " " + cohorts("...Outer"))
    inlined = cost_of(SCHEMA, cohorts(outer_inlined))
    per_spread = sum(SELECTIONS[k][1] for k in inner + outer)
    expected = sum(1 + (times * per_spread if times else 1) for times, _ in spreads)
    assert with_fragments == inlined == expected


def test_each_operation_is_costed_on_its_own() -> None:
    """Only one operation runs: a document is refused when one of them costs too much."""
    document = (
        "query A { cohort { size { value } } } "
        "query B { cohort { survival(endpoint: OS) { excluded } } }"
    )
    assert cost_of(build_schema(limits=Limits(max_cost=10)), document) == 11
