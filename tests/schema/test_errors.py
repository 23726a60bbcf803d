"""Every error a client sees carries a code; limits and malformed queries are refused."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from lake.access import Caller
from lake.query.gateway import LakeGateway
from schema.context import Context
from schema.errors import BadRequestError, error_code, should_mask_error
from schema.limits import Limits
from schema.schema import build_schema
from tests.schema.conftest import Execute, ListSink

pytestmark = pytest.mark.anyio

SIZE = "{ cohort { size { value } } }"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    ("query", "variables", "code", "message"),
    [
        ("{ cohort { size { value } ", None, "GRAPHQL_PARSE_FAILED", "Syntax Error"),
        (
            "{ cohort(filter: {sexes: [X]}) { size { value } } }",
            None,
            "GRAPHQL_VALIDATION_FAILED",
            "Value 'X' does not exist in 'Sex' enum",
        ),
        ("{ cohort { nope } }", None, "GRAPHQL_VALIDATION_FAILED", "Cannot query field 'nope'"),
        (
            "query($f: CohortFilterInput) { cohort(filter: $f) { size { value } } }",
            {"f": {"age": {"min": "old"}}},
            "BAD_REQUEST",
            "Variable '$f' has invalid value at .age.min",
        ),
        (
            "{ " + " ".join(f"a{i}: cohort {{ size {{ value }} }}" for i in range(25)) + " }",
            None,
            "GRAPHQL_VALIDATION_FAILED",
            "aliases found. Allowed: 20",
        ),
    ],
)
async def test_refusals_carry_a_code(  # noqa: PLR0917 (two fixtures + four parameters)
    execute: Execute,
    audit: ListSink,
    query: str,
    variables: dict[str, object] | None,
    code: str,
    message: str,
) -> None:
    assert (await execute(SIZE)).errors is None
    result = await execute(query, variables)
    assert result.errors is not None
    error = result.errors[0]
    assert error.extensions is not None
    assert error.extensions["code"] == code
    assert message in error.message
    assert audit.records[-1].code == code


@pytest.mark.parametrize(
    ("limits", "code", "message"),
    [
        (Limits(max_depth=1), "GRAPHQL_VALIDATION_FAILED", "exceeds maximum operation depth of 1"),
        (Limits(max_tokens=8), "GRAPHQL_PARSE_FAILED", "more than 8 tokens"),
    ],
)
async def test_depth_and_token_limits(
    gateway: LakeGateway, audit: ListSink, limits: Limits, code: str, message: str
) -> None:
    schema = build_schema(limits=limits)
    context = Context.for_request(
        caller=Caller(user="t", role="analyst"), gateway=gateway, audit=audit
    )
    result = await schema.execute(SIZE, context_value=context)
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": code}
    assert message in result.errors[0].message
    assert result.data is None


def test_error_codes_by_origin() -> None:
    assert error_code(GraphQLError("Cannot query field")) == "GRAPHQL_VALIDATION_FAILED"
    coercion = GraphQLError("Variable '$f' got invalid value", original_error=GraphQLError("x"))
    assert error_code(coercion) == "BAD_REQUEST"
    assert not should_mask_error(coercion)
    internal = GraphQLError("boom", path=["cohort"], original_error=ZeroDivisionError())
    assert error_code(internal) == "INTERNAL_SERVER_ERROR"
    assert should_mask_error(internal)
    public = GraphQLError("bad", path=["cohort"], original_error=BadRequestError("bad"))
    assert not should_mask_error(public)


async def test_errors_stay_on_the_field_that_failed(execute: Execute) -> None:
    """A refused or failing field is null with its error (path and code); the fields beside it
    answer, in the same cohort, another cohort or the lake."""
    result = await execute(
        """{ lake { endpoints { name } dataQueries(site: "AMS") { query } }
             empty: cohort(lakeVersion: 2) { size { value } breakdown(attribute: SEX) { total } }
             all: cohort { size { value } } }"""
    )
    assert result.data is not None
    assert result.data["lake"]["dataQueries"] is None
    assert "OS" in {e["name"] for e in result.data["lake"]["endpoints"]}
    assert result.data["empty"] == {"size": {"value": 0}, "breakdown": None}
    assert result.data["all"] == {"size": {"value": 200}}
    assert result.errors is not None
    assert sorted((e.path, (e.extensions or {}).get("code")) for e in result.errors) == [
        (["empty", "breakdown"], "EMPTY_COHORT"),
        (["lake", "dataQueries"], "FORBIDDEN"),
    ]
