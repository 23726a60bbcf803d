"""The lake itself over the real demo lake: versions, sites, quality, queries and their access."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import DemoLake
from tests.service.conftest import MANAGER_KEY

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def _lake(client: httpx.AsyncClient, fields: str, key: str | None = None) -> dict[str, Any]:
    headers = {"accept": "*/*"} | ({"x-api-key": key} if key else {})
    response = await client.post(
        "/graphql", json={"query": f"{{ lake {{ {fields} }} }}"}, headers=headers
    )
    payload: dict[str, Any] = response.json()
    return payload


async def test_versions_and_sites_follow_the_loads(
    lake_client: httpx.AsyncClient, demo_lake: DemoLake
) -> None:
    data = (
        await _lake(
            lake_client,
            "versions { lakeVersion site } sites { site stage "
            "loads { status lakeVersion rowsAccepted } }",
        )
    )["data"]["lake"]
    assert [v["lakeVersion"] for v in data["versions"]] == list(range(demo_lake.newest, 0, -1))
    assert {v["site"]: v["lakeVersion"] for v in data["versions"]} == demo_lake.site_versions
    for site in data["sites"]:
        assert site["stage"] == "finalised"
        assert site["loads"][0]["status"] == "committed"
        assert site["loads"][0]["lakeVersion"] == demo_lake.site_versions[site["site"]]


async def test_data_quality_counts_per_site(lake_client: httpx.AsyncClient) -> None:
    everything = (await _lake(lake_client, "dataQuality { site table check n }"))["data"]
    one = (await _lake(lake_client, 'dataQuality(site: "DE-MMRW") { site n }'))["data"]
    rows = everything["lake"]["dataQuality"]
    assert {r["site"] for r in one["lake"]["dataQuality"]} == {"DE-MMRW"}
    assert sum(r["n"] for r in one["lake"]["dataQuality"]) == sum(
        r["n"] for r in rows if r["site"] == "DE-MMRW"
    )


async def test_data_queries_are_a_site_operation(lake_client: httpx.AsyncClient) -> None:
    query = 'dataQueries(site: "DE-MMRW") { site query message }'
    analyst = await _lake(lake_client, query)
    assert analyst["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    manager = await _lake(lake_client, query, key=MANAGER_KEY)
    assert "errors" not in manager
    assert {q["site"] for q in manager["data"]["lake"]["dataQueries"]} <= {"DE-MMRW"}
    other = await _lake(lake_client, 'dataQueries(site: "ES-MMT") { site }', key=MANAGER_KEY)
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_scores_and_endpoints_are_listed(lake_client: httpx.AsyncClient) -> None:
    data = (await _lake(lake_client, "scores { version } endpoints { name competing }"))["data"]
    assert "riss_palumbo2015" in {s["version"] for s in data["lake"]["scores"]}
    assert {"name": "NRM", "competing": True} in data["lake"]["endpoints"]
