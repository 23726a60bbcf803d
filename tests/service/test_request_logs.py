"""Structured logs: client errors at INFO without a traceback, internal ones at ERROR with it,
every line with the request id the response carries (``X-Request-Id``)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import httpx
import pytest
from graphql import GraphQLError
from starlette.requests import Request
from strawberry.types import ExecutionResult

from schema.schema import build_schema
from service.auth import Authenticator
from service.graphql_app import HemalakeGraphQL
from service.logs import JsonFormatter

pytestmark = pytest.mark.anyio
CLIENT_ERRORS = [
    "{ nope }",
    "{ cohort {",
    "{ cohort(filter: {age: {min: 9, max: 1}}) { size { value } } }",
    "{ cohort(lakeVersion: 99) { size { value } } }",
]


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """Every record at INFO and above, as the service writes it (JSON lines)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize("query", CLIENT_ERRORS)
async def test_a_client_error_is_one_info_line_with_the_request_id(
    client: httpx.AsyncClient, json_lines: io.StringIO, query: str
) -> None:
    response = await client.post("/graphql", json={"query": query})
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    logged = [line for line in lines(json_lines) if line["logger"] == "schema.errors"]
    assert len(logged) == 1
    (line,) = logged
    assert line["level"] == "INFO"
    assert line["request_id"] == request_id
    assert str(line["message"]).startswith("client error ")
    assert "exception" not in line
    assert not [line for line in lines(json_lines) if line["level"] == "ERROR"]


async def test_an_internal_error_is_logged_at_error_with_its_traceback(
    client: httpx.AsyncClient, json_lines: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> list[object]:
        raise ZeroDivisionError("the dictionary broke")

    monkeypatch.setattr("schema.query.entries", broken)
    response = await client.post("/graphql", json={"query": "{ dictionary { column } }"})
    assert response.json()["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    (line,) = [line for line in lines(json_lines) if line["level"] == "ERROR"]
    assert line["request_id"] == response.headers["x-request-id"]
    assert "ZeroDivisionError: the dictionary broke" in str(line["exception"])


async def test_a_well_formed_request_id_is_kept(client: httpx.AsyncClient) -> None:
    kept = await client.get("/health", headers={"x-request-id": "proxy-42.a_b"})
    assert kept.headers["x-request-id"] == "proxy-42.a_b"
    replaced = await client.get("/health", headers={"x-request-id": "a\tb {}"})
    assert len(replaced.headers["x-request-id"]) == 32


async def test_an_error_without_a_code_is_masked() -> None:
    """An exception raised inside validation skips Strawberry's masking; the view masks it."""
    view = HemalakeGraphQL(
        schema=build_schema(),
        authenticator=Authenticator(api_keys={}, allow_anonymous=False),
        static_prefix="/static",
    )
    request = Request({"type": "http", "method": "POST", "headers": [], "query_string": b""})
    leaked = GraphQLError("'Z'", original_error=KeyError("Z"))
    processed = await view.process_result(request, ExecutionResult(data=None, errors=[leaked]))
    assert processed == {
        "errors": [
            {"message": "Unexpected error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}
        ]
    }
