"""GraphQL over HTTP through the ASGI app: negotiation, status codes, auth, audit, IDE."""

from __future__ import annotations

import json
import threading

import httpx
import polars as pl
import pytest

from lake.errors import ConfigError
from service.app import create_app
from service.settings import Settings, settings_from_mapping
from tests.schema.demo_frames import FrameLake, FrameSource
from tests.service.conftest import (
    ADMIN_KEY,
    ANALYST_KEY,
    MANAGER_KEY,
    AppFactory,
    LifespanState,
    asgi_client,
    audit_records,
)

pytestmark = pytest.mark.anyio
GRAPHQL_RESPONSE = "application/graphql-response+json"
SIZE = "query Size { cohort { size { value } } }"


async def test_post_with_operation_name_and_variables(client: httpx.AsyncClient) -> None:
    body = {
        "query": "query A { modelVersion } "
        "query B($f: CohortFilterInput) { cohort(filter: $f) { size { value } } }",
        "operationName": "B",
        "variables": {"f": {"sites": ["AMS"]}},
    }
    response = await client.post("/graphql", json=body, headers={"accept": GRAPHQL_RESPONSE})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert response.json()["data"]["cohort"]["size"]["value"] > 5


async def test_get_query_and_legacy_json(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": SIZE}, headers={"accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"data": {"cohort": {"size": {"value": 200}}}}


async def test_request_errors_are_400_without_data(client: httpx.AsyncClient) -> None:
    for query in ("{ cohort { nope } }", "{ cohort {"):
        response = await client.post(
            "/graphql", json={"query": query}, headers={"accept": GRAPHQL_RESPONSE}
        )
        assert response.status_code == 400
        assert "data" not in response.json()
    legacy = await client.post(
        "/graphql", json={"query": "{ cohort { nope } }"}, headers={"accept": "application/json"}
    )
    assert legacy.status_code == 200


async def test_field_errors_are_200_with_public_code(client: httpx.AsyncClient) -> None:
    query = "{ cohort(filter: {age: {min: 9, max: 1}}) { size { value } } }"
    response = await client.post("/graphql", json={"query": query}, headers={"accept": "*/*"})
    assert response.status_code == 200
    payload = response.json()
    assert payload["data"] == {"cohort": None}  # the failing field only (it is nullable)
    assert payload["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


async def test_unacceptable_media_type_is_406(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", json={"query": SIZE}, headers={"accept": "text/xml"})
    assert response.status_code == 406


async def test_missing_or_wrong_key_is_401(client: httpx.AsyncClient) -> None:
    for headers in ({"authorization": ""}, {"authorization": "Bearer wrong"}):
        response = await client.post("/graphql", json={"query": SIZE}, headers=headers)
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_anonymous_demo_access_must_be_enabled(app_factory: AppFactory) -> None:
    app = app_factory(allow_anonymous=True)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=LifespanState(app, dict(state)))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post("/graphql", json={"query": SIZE})
    assert response.status_code == 200


async def test_every_query_is_audited_as_json_lines(
    app_factory: AppFactory, settings: Settings
) -> None:
    async with asgi_client(app_factory()) as client:
        await client.post("/graphql", json={"query": SIZE, "operationName": "Size"})
        await client.post(
            "/graphql",
            json={"query": "{ nope }"},
            headers={"authorization": f"Bearer {MANAGER_KEY}"},
        )
    # the audit is written off the request path; the lifespan's end writes what is queued
    path = settings.audit_log
    assert path is not None
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    requests = [line for line in lines if line["action"].startswith("graphql:")]
    assert [(r["user"], r["outcome"]) for r in requests] == [("stat", "ok"), ("dm", "error")]
    assert requests[0]["lake_version"] == 1
    assert len(requests[0]["query_hash"]) == 64


async def test_graphiql_page_uses_vendored_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"accept": "text/html", "authorization": ""})
    assert page.status_code == 200
    assert "https://" not in page.text
    assert "query StagingComparison" in page.text
    asset = await client.get("/static/graphiql/graphiql.min.js")
    assert asset.status_code == 200


async def test_health_metrics_and_csv_export(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok", "lake_version": 1}
    query = "{ cohort { breakdown(attribute: SITE) { categories { category n suppressed } } } }"
    csv = await client.get(
        "/export.csv", params={"query": query, "path": "cohort.breakdown.categories"}
    )
    assert csv.status_code == 200
    header, *rows = csv.text.strip().splitlines()
    assert header == "category,n,suppressed"
    assert sum(int(r.split(",")[1]) for r in rows) == 200
    text = (await client.get("/metrics", headers={"authorization": f"Bearer {ADMIN_KEY}"})).text
    assert 'hemalake_http_requests_total{status="200"}' in text
    # the breakdown read the site column of the analysis store, which weighs it
    store = dict(line.split() for line in text.splitlines() if line.startswith("hemalake_analysis"))
    assert int(store["hemalake_analysis_store_bytes"]) > 0
    assert int(store["hemalake_analysis_store_columns"]) >= 1
    assert int(store["hemalake_analysis_store_budget_bytes"]) >= int(
        store["hemalake_analysis_store_bytes"]
    )


def test_settings_reject_unknown_keys_and_bad_roles() -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        settings_from_mapping({"lake_root": "x", "min_cel_size": 3})
    with pytest.raises(ConfigError, match="role must be one of"):
        settings_from_mapping(
            {"lake_root": "x", "api_keys": {"a" * 64: {"user": "u", "role": "root"}}}
        )
    with pytest.raises(ConfigError, match="analysis_store_bytes must be at least 1"):
        settings_from_mapping({"lake_root": "x", "analysis_store_bytes": 0})
    with pytest.raises(ConfigError, match="min_cell_size must be int"):
        settings_from_mapping({"lake_root": "x", "min_cell_size": "5"})
    with pytest.raises(ConfigError, match=r"warm_interval_seconds must lie in \[0, 3600\]"):
        settings_from_mapping({"lake_root": "x", "warm_interval_seconds": -1})
    assert (
        settings_from_mapping({"lake_root": "x", "warm_interval_seconds": 0}).warm_interval_seconds
        == 0
    )


async def test_dictionary_gives_each_column_an_omop_home_or_the_reason_for_none(
    client: httpx.AsyncClient,
) -> None:
    query = '{ dictionary(table: "patients") { column omop noOmop } }'
    response = await client.post(
        "/graphql", json={"query": query}, headers={"accept": "application/json"}
    )
    entries = response.json()["data"]["dictionary"]
    assert entries
    assert all((e["omop"] is None) != (e["noOmop"] is None) for e in entries)
    age = next(e for e in entries if e["column"] == "age_at_diagnosis")
    assert age["noOmop"].startswith("derived, not stored")


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
async def test_malformed_requests_answer_graphql_error_bodies(
    client: httpx.AsyncClient, accept: str
) -> None:
    requests = [
        client.build_request("GET", "/graphql", params={"query": SIZE, "variables": "{not json"}),
        client.build_request("GET", "/graphql"),
        client.build_request("POST", "/graphql", json={"variables": {}}),
        client.build_request(
            "POST", "/graphql", content=b"{oops", headers={"content-type": "application/json"}
        ),
    ]
    for request in requests:
        request.headers["accept"] = accept
        response = await client.send(request)
        assert response.status_code == 400, request.url
        assert response.headers["content-type"].startswith(accept)
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "BAD_REQUEST"}
        assert error["message"]


async def test_export_formats_are_csv_and_arrow_only(client: httpx.AsyncClient) -> None:
    query = "{ cohort { breakdown(attribute: SEX) { categories { category n } } } }"
    params = {"query": query, "path": "cohort.breakdown.categories"}
    arrow = await client.get("/export.arrow", params=params)
    assert arrow.status_code == 200
    assert pl.read_ipc(arrow.content)["n"].sum() == 200
    for fmt in ("xml", "parquet", "csvx"):
        response = await client.get(f"/export.{fmt}", params=params)
        assert response.status_code == 404
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "NOT_FOUND"}
        assert "/export.csv, /export.arrow" in error["message"]


async def test_health_opens_the_lake_off_the_event_loop(
    settings: Settings, frame_lake: FrameLake
) -> None:
    threads: list[threading.Thread] = []

    def open_snapshot(version: int | None) -> FrameSource:
        threads.append(threading.current_thread())
        return frame_lake.open(version)

    async with asgi_client(create_app(settings=settings, open_snapshot=open_snapshot)) as http:
        loop_thread = threading.current_thread()
        assert (await http.get("/health")).json() == {"status": "ok", "lake_version": 1}
    assert threads
    assert loop_thread not in threads


async def test_refusals_before_execution_are_audited_without_secrets(
    app_factory: AppFactory, settings: Settings
) -> None:
    async with asgi_client(app_factory(max_body_bytes=200)) as http:
        unauthenticated = await http.post(
            "/graphql", json={"query": SIZE}, headers={"authorization": "Bearer wrong-secret"}
        )
        export = await http.get("/export.csv", headers={"authorization": ""})
        unacceptable = await http.post(
            "/graphql", json={"query": SIZE}, headers={"accept": "text/xml"}
        )
        too_large = await http.post("/graphql", json={"query": SIZE + " " * 300})
    assert [r.status_code for r in (unauthenticated, export, unacceptable, too_large)] == [
        401,
        401,
        406,
        413,
    ]
    assert too_large.json()["errors"][0]["extensions"] == {"code": "PAYLOAD_TOO_LARGE"}
    assert settings.audit_log is not None
    refused = audit_records(settings.audit_log, 4)
    text = settings.audit_log.read_text()
    assert "wrong-secret" not in text
    assert ANALYST_KEY not in text
    assert [(r["action"], r["status"], r["code"], r["user"], r["outcome"]) for r in refused] == [
        ("http:POST /graphql", 401, "UNAUTHENTICATED", None, "denied"),
        ("http:GET /export.csv", 401, "UNAUTHENTICATED", None, "denied"),
        ("http:POST /graphql", 406, "NOT_ACCEPTABLE", "stat", "denied"),
        ("http:POST /graphql", 413, "PAYLOAD_TOO_LARGE", "stat", "denied"),
    ]


async def test_other_methods_are_a_coded_405(client: httpx.AsyncClient) -> None:
    for method in ("PUT", "DELETE", "PATCH"):
        response = await client.request(method, "/graphql", json={"query": SIZE})
        assert response.status_code == 405
        assert response.json()["errors"][0]["extensions"] == {"code": "METHOD_NOT_ALLOWED"}


async def test_audit_action_is_read_from_the_document_not_the_operation_name(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    """A client names its operation freely: ``lakeVersions`` here, while it reads cohorts. The
    action says what ran (type and root fields, through fragments); the name is kept apart."""
    document = """query lakeVersions { ...Root ... on Query { modelVersion } }
        fragment Root on Query { cohort { size { value } } c2: cohort { size { value } } }"""
    await client.post("/graphql", json={"query": document, "operationName": "lakeVersions"})
    await client.post("/graphql", json={"query": "{ cohort { size { value } } }"})
    await client.post("/graphql", json={"query": "{ nope"})
    assert settings.audit_log is not None
    lines = audit_records(settings.audit_log, 3, lambda r: r["action"].startswith("graphql:"))
    requests = [(r["action"], r["operation_name"]) for r in lines if "operation_name" in r]
    assert [r for r in requests if r[0].startswith("graphql:")] == [
        ("graphql:query cohort,modelVersion", "lakeVersions"),
        ("graphql:query cohort", None),
        ("graphql:unparsed", None),
    ]
