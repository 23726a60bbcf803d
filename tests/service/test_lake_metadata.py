"""The lake itself over the real demo lake: versions, sites, quality, queries and their access."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from lake.errors import ConfigError
from loaders.load import load_site
from service.app import create_app
from tests.conftest import SITES_DIR, DemoLake
from tests.service.conftest import MANAGER_KEY, asgi_client, lake_settings

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


SITE_LOADS = "sites { site loads { status lakeVersion message failure } }"


async def test_sites_follow_a_failed_load_and_only_its_managers_read_the_message(
    demo_lake: DemoLake, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    shutil.copytree(demo_lake.root, root)
    settings = lake_settings(dataclasses.replace(demo_lake, root=root), tmp_path / "audit.jsonl")
    async with asgi_client(create_app(settings=settings)) as client:

        def newest_load(data: dict[str, Any]) -> dict[str, Any]:
            (site,) = [s for s in data["data"]["lake"]["sites"] if s["site"] == "DE-MMRW"]
            load: dict[str, Any] = site["loads"][0]
            return load

        assert newest_load(await _lake(client, SITE_LOADS))["status"] == "committed"
        missing_key = tmp_path / "no-such.key"
        with pytest.raises(ConfigError, match="cannot read the pseudonym key"):
            load_site(SITES_DIR / "DE-MMRW" / "mapping.yaml", lake_root=root, key_file=missing_key)
        # the failed load made no lake version, yet the next answer shows it
        analyst = newest_load(await _lake(client, SITE_LOADS))
        assert analyst == {
            "status": "failed",
            "lakeVersion": None,
            "message": None,
            "failure": "the mapping spec or the pseudonymisation key could not be used",
        }
        manager = newest_load(await _lake(client, SITE_LOADS, key=MANAGER_KEY))
        assert manager["message"] == (
            f"{missing_key}: cannot read the pseudonym key (No such file or directory)"
        )
        assert manager["failure"] == analyst["failure"]
