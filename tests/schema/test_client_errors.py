"""Valid-looking requests that used to be masked internal errors are client errors with a code,
for governed (statistician) and protected (analyst) access alike: the two take different paths."""

from __future__ import annotations

import pytest

from tests.schema.conftest import Execute

pytestmark = pytest.mark.anyio

CLIENT_ERRORS = [
    (
        '{ cohort { reclassification(before: "iss", after: "iss_greipp2005") { total } } }',
        "BAD_REQUEST",
        "reclassification before and after: iss_greipp2005 is given twice; give each once",
    ),
    (
        "{ cohort { completeness(numeric: [WEIGHT_KG, WEIGHT_KG]) { fields { known } } } }",
        "BAD_REQUEST",
        "completeness: weight_kg is given twice; give each once",
    ),
    (
        '{ cohort { stagingComparison(scores: ["iss", "iss"]) { systems { system } } } }',
        "BAD_REQUEST",
        "stagingComparison scores: iss_greipp2005 is given twice; give each once",
    ),
    (
        "{ cohort { coxModel(endpoint: OS, covariates: [{attribute: SEX}], strata: SEX) "
        "{ endpoint } } }",
        "BAD_REQUEST",
        "coxModel covariates and strata: sex is given twice; give each once",
    ),
    (
        "{ cohort { fineGray(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}, covariates: "
        '[{score: "iss"}, {score: "iss_greipp2005"}]) { n } } }',
        "BAD_REQUEST",
        "covariate iss_greipp2005 is given twice; give each once",
    ),
    (
        "{ cohort { coxModel(endpoint: OS, covariates: [{attribute: SEX}], "
        'interactions: [{a: "sex", b: "SEX"}]) { n } } }',
        "BAD_REQUEST",
        "interaction sex:sex: name two different covariates",
    ),
    (
        "{ cohort { histogram(attribute: AGE_AT_DIAGNOSIS, lower: -1e308, upper: 1e308) "
        "{ bins { lower upper } } } }",
        "BAD_REQUEST",
        "histogram: lower and upper are too far apart (-1e+308, 1e+308)",
    ),
    (
        "{ cohort(lakeVersion: 99999) { size { value } } }",
        "NOT_FOUND",
        "the lake has no version 99999; the newest is 3",
    ),
    (
        "query { ...A ...Z } fragment A on Query { modelVersion }",
        "GRAPHQL_VALIDATION_FAILED",
        "Unknown fragment 'Z'.",
    ),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("role", ["statistician", "analyst"])
@pytest.mark.parametrize(("query", "code", "message"), CLIENT_ERRORS)
async def test_client_errors_are_coded_for_both_kinds_of_access(
    execute: Execute, role: str, query: str, code: str, message: str
) -> None:
    result = await execute(query, role=role)
    assert result.errors is not None
    assert [(e.extensions, e.message) for e in result.errors] == [({"code": code}, message)]


async def test_a_lone_surrogate_in_a_graphql_string_is_a_syntax_error(execute: Execute) -> None:
    result = await execute('{ cohort(filter: {sites: ["\\ud800"]}) { size { value } } }')
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "GRAPHQL_PARSE_FAILED"}
