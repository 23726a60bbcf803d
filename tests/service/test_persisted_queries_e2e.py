"""Automatic persisted queries through a real uvicorn server (Apollo's APQ protocol).

An unknown hash is PERSISTED_QUERY_NOT_FOUND (and audited); the hash with its query registers
it and runs it; the hash alone then runs the registered query, by POST and by GET, with the
same answer as the query sent in full; a hash that is not the query's, or an extension of
another version, is a 400; the store keeps what fits its byte bound.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from strawberry.http import GraphQLRequestData

from service.persisted import PersistedQueries, PersistedQueryNotFoundError
from tests.service.conftest import STATISTICIAN_KEY, AppFactory, serving

pytestmark = pytest.mark.e2e

QUERY = "query Sex { cohort { breakdown(attribute: SEX) { categories { category n } } } }"
HASH = hashlib.sha256(QUERY.encode()).hexdigest()
PERSISTED = {"persistedQuery": {"version": 1, "sha256Hash": HASH}}


@pytest.fixture
def served(app_factory: AppFactory, tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    audit_log = tmp_path / "apq-audit.jsonl"
    with (
        serving(app_factory(audit_log=audit_log)) as url,
        httpx.Client(
            base_url=url, headers={"authorization": f"Bearer {STATISTICIAN_KEY}"}, timeout=60
        ) as http,
    ):
        yield http, audit_log


def test_unknown_hash_then_registration_then_hash_alone(
    served: tuple[httpx.Client, Path],
) -> None:
    http, _ = served
    unknown = http.post("/graphql", json={"extensions": PERSISTED})
    assert unknown.status_code == 200
    assert unknown.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ]
    }
    strict = http.post(
        "/graphql",
        json={"extensions": PERSISTED},
        headers={"accept": "application/graphql-response+json"},
    )
    assert strict.status_code == 400
    assert strict.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    registered = http.post("/graphql", json={"query": QUERY, "extensions": PERSISTED})
    full = http.post("/graphql", json={"query": QUERY})
    by_hash = http.post("/graphql", json={"extensions": PERSISTED})
    by_get = http.get("/graphql", params={"extensions": json.dumps(PERSISTED)})
    assert [r.status_code for r in (registered, full, by_hash, by_get)] == [200] * 4
    assert "errors" not in full.json()
    assert registered.json() == full.json() == by_hash.json() == by_get.json()


def test_every_persisted_request_is_audited(app_factory: AppFactory, tmp_path: Path) -> None:
    audit_log = tmp_path / "apq-audit.jsonl"
    with serving(app_factory(audit_log=audit_log)) as url:
        headers = {"authorization": f"Bearer {STATISTICIAN_KEY}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            http.post("/graphql", json={"extensions": PERSISTED})
            http.post("/graphql", json={"query": QUERY, "extensions": PERSISTED})
            http.post("/graphql", json={"extensions": PERSISTED})
    rows = [json.loads(line) for line in audit_log.read_text().splitlines()]
    refused = [r for r in rows if r["action"] == "http:POST /graphql"]
    ran = [r for r in rows if r.get("operation_name") == "Sex"]
    assert [(r["code"], r["status"]) for r in refused] == [("PERSISTED_QUERY_NOT_FOUND", 200)]
    assert len(ran) == 2
    assert ran[0]["query_hash"] == ran[1]["query_hash"]


@pytest.mark.parametrize(
    ("extensions", "message"),
    [
        ({"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}, "is not the SHA-256"),
        ({"persistedQuery": {"version": 2, "sha256Hash": HASH}}, "version 1"),
        ({"persistedQuery": {"version": 1, "sha256Hash": "xyz"}}, "64 lowercase hex"),
    ],
)
def test_malformed_persisted_queries_are_bad_requests(
    served: tuple[httpx.Client, Path], extensions: dict[str, object], message: str
) -> None:
    http, _ = served
    response = http.post("/graphql", json={"query": QUERY, "extensions": extensions})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert message in error["message"]


def test_the_store_keeps_what_fits_its_bytes() -> None:
    store = PersistedQueries(max_bytes=2_000)
    queries = [f"{{ q{i} {'x' * 300} }}" for i in range(20)]
    for query in queries:
        digest = hashlib.sha256(query.encode()).hexdigest()
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
        store.resolve(GraphQLRequestData(query, None, None, extensions))
    assert 0 < len(store) < len(queries)
    newest = hashlib.sha256(queries[-1].encode()).hexdigest()
    oldest = hashlib.sha256(queries[0].encode()).hexdigest()
    ask = {"persistedQuery": {"version": 1, "sha256Hash": newest}}
    assert store.resolve(GraphQLRequestData(None, None, None, ask)).query == queries[-1]
    evicted = {"persistedQuery": {"version": 1, "sha256Hash": oldest}}
    with pytest.raises(PersistedQueryNotFoundError):
        store.resolve(GraphQLRequestData(None, None, None, evicted))
