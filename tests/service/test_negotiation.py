"""Content negotiation of the response media type (GraphQL over HTTP, RFC 9110 weights)."""

from __future__ import annotations

import httpx
import pytest

from service.negotiation import GRAPHQL_RESPONSE, LEGACY_JSON, negotiate


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, LEGACY_JSON),
        ("", LEGACY_JSON),
        ("*/*", LEGACY_JSON),  # graphql-http audit 47DE
        ("application/*", LEGACY_JSON),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (LEGACY_JSON, LEGACY_JSON),
        (f"{GRAPHQL_RESPONSE}, {LEGACY_JSON}", GRAPHQL_RESPONSE),
        (f"{LEGACY_JSON}, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, {LEGACY_JSON};q=0.9", GRAPHQL_RESPONSE),  # the spec's advice
        (f"{LEGACY_JSON}, {GRAPHQL_RESPONSE};q=0.5", LEGACY_JSON),
        (f"{GRAPHQL_RESPONSE};q=0.2, */*;q=0.8", LEGACY_JSON),
        (f"{LEGACY_JSON}, */*", LEGACY_JSON),
        (f"{GRAPHQL_RESPONSE}; charset=utf-8, */*;q=0.1", GRAPHQL_RESPONSE),
        (f"{LEGACY_JSON};q=0, */*", GRAPHQL_RESPONSE),  # the exact range's q=0 excludes it
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", LEGACY_JSON),
        ("APPLICATION/JSON", LEGACY_JSON),
        ("text/xml", None),
        (f"{LEGACY_JSON};q=0", None),
        (f"{GRAPHQL_RESPONSE};q=nonsense", None),
    ],
)
def test_negotiate(accept: str | None, expected: str | None) -> None:
    assert negotiate(accept) == expected


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("accept", "media_type", "status"),
    [("*/*", LEGACY_JSON, 200), (f"{LEGACY_JSON}, {GRAPHQL_RESPONSE};q=0.5", LEGACY_JSON, 200)],
)
async def test_a_request_error_is_answered_in_the_negotiated_type(
    client: httpx.AsyncClient, accept: str, media_type: str, status: int
) -> None:
    """``application/json`` answers 200 to a well-formed request that fails validation."""
    response = await client.post("/graphql", json={"query": "{ nope }"}, headers={"accept": accept})
    assert (response.headers["content-type"], response.status_code) == (media_type, status)
