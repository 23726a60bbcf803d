"""Malformed HTTP against a real uvicorn server: a coded GraphQL error body with a 4xx status,
and the keep-alive connection kept (a plain-text 500 used to drop it)."""

from __future__ import annotations

import httpx
import pytest

from tests.service.conftest import STATISTICIAN_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
JSON = "application/json"
MODEL = b'{"query": "{ modelVersion }"'

#: (what, body, content type, expected message)
MALFORMED = [
    ("nested arrays", b"[" * 30_000 + b"]" * 30_000, JSON, "nested too deeply"),
    ("a number", b"1", JSON, "must be an object, not int"),
    ("null", b"null", JSON, "must be an object, not NoneType"),
    ("a string", b'"{ modelVersion }"', JSON, "must be an object, not str"),
    ("not UTF-8", b'{"query": "{ modelVersion }", "operationName": "\xe9"}', JSON, "not UTF-8"),
    ("a lone surrogate", MODEL + b', "operationName": "\\ud800"}', JSON, "lone surrogate"),
    ("a long integer", MODEL + b', "variables": {"x": ' + b"9" * 5_000 + b"}}", JSON, "digits"),
    ("not JSON", b"{query", JSON, "not JSON"),
    ("a batch", b"[" + MODEL + b"}]", JSON, "Batching is not enabled"),
    ("a form", b"query=%7B%7D", "application/x-www-form-urlencoded", "Unsupported content"),
]


def test_malformed_requests_get_coded_4xx_on_the_same_connection(live_server: str) -> None:
    headers = {"x-api-key": STATISTICIAN_KEY, "accept": "application/graphql-response+json"}
    with httpx.Client(base_url=live_server, headers=headers) as http:
        streams = set()
        for what, body, content_type, message in MALFORMED:
            response = http.post("/graphql", content=body, headers={"content-type": content_type})
            assert response.status_code == 400, what
            assert response.headers["content-type"] == "application/graphql-response+json"
            (error,) = response.json()["errors"]
            assert error["extensions"] == {"code": "BAD_REQUEST"}, what
            assert message in error["message"], what
            streams.add(id(response.extensions["network_stream"]))
        nested = http.get(
            "/graphql", params={"query": "{ modelVersion }", "variables": "[" * 9_000}
        )
        assert nested.status_code == 400
        assert nested.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
        answered = http.post("/graphql", json={"query": "{ modelVersion }"})
        assert answered.status_code == 200
        streams.add(id(answered.extensions["network_stream"]))
    assert len(streams) == 1  # one keep-alive connection throughout
