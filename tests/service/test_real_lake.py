"""The service over the real demo lake: Delta tables opened through the manifest, time travel.

Expected counts come from the loader's own report of accepted patients per site (an
independent path from the service's reads), and each site's load created one lake version.
"""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from lake.access import Caller
from service.app import create_app
from service.settings import Settings
from tests.conftest import DemoLake
from tests.service.conftest import STATISTICIAN_KEY, asgi_client, digest

STATISTICIAN = Caller(user="stat", role="statistician")

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
QUERY = """query Sites($v: Int) { cohort(lakeVersion: $v) {
  size { value provenance { lakeVersion } }
  breakdown(attribute: SITE) { categories { category n } } } }"""


async def _cohort(client: httpx.AsyncClient, version: int | None) -> dict[str, object]:
    response = await client.post("/graphql", json={"query": QUERY, "variables": {"v": version}})
    payload = response.json()
    assert "errors" not in payload, payload
    cohort: dict[str, object] = payload["data"]["cohort"]
    return cohort


def test_demo_lake_builds_quickly(demo_lake: DemoLake) -> None:
    assert len(demo_lake.site_versions) == 8
    assert sorted(demo_lake.site_versions.values()) == list(range(1, 9))
    assert demo_lake.build_seconds < 60


async def test_newest_version_holds_every_site(
    lake_client: httpx.AsyncClient, demo_lake: DemoLake
) -> None:
    cohort = await _cohort(lake_client, None)
    assert cohort["size"] == {
        "value": sum(demo_lake.site_patients.values()),
        "provenance": {"lakeVersion": demo_lake.newest},
    }
    by_site = {c["category"]: c["n"] for c in cohort["breakdown"]["categories"]}  # type: ignore[index]
    assert by_site == demo_lake.site_patients


async def test_pinned_version_time_travels(
    lake_client: httpx.AsyncClient, demo_lake: DemoLake
) -> None:
    """Version k shows exactly the sites loaded at versions 1..k (Delta time travel)."""
    for site, version in demo_lake.site_versions.items():
        cohort = await _cohort(lake_client, version)
        loaded = {s for s, v in demo_lake.site_versions.items() if v <= version}
        by_site = {c["category"]: c["n"] for c in cohort["breakdown"]["categories"]}  # type: ignore[index]
        assert set(by_site) == loaded, site
        assert cohort["size"]["value"] == sum(demo_lake.site_patients[s] for s in loaded)  # type: ignore[index]
        assert cohort["size"]["provenance"] == {"lakeVersion": version}  # type: ignore[index]


async def test_unknown_version_names_the_valid_ones(
    lake_client: httpx.AsyncClient, demo_lake: DemoLake, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lake.storage"):
        response = await lake_client.post(
            "/graphql", json={"query": QUERY, "variables": {"v": 99}}, headers={"accept": "*/*"}
        )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "NOT_FOUND"  # a client error, not an outage
    assert error["message"] == (
        "the lake has no version 99; the newest is 8 (valid versions: 1, 2, 3, 4, 5, 6, 7, 8)"
    )
    assert f"lake {demo_lake.root} has no version 99" in caplog.text  # the path stays server-side


async def test_an_empty_lake_is_unavailable_without_naming_its_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = tmp_path / "nothing-loaded"
    settings = Settings(
        lake_root=root, audit_log=None, api_keys={digest(STATISTICIAN_KEY): STATISTICIAN}
    )
    with caplog.at_level(logging.WARNING, logger="lake.storage"):
        async with asgi_client(create_app(settings=settings)) as client:
            response = await client.post("/graphql", json={"query": QUERY, "variables": {}})
    payload = response.json()
    assert payload["data"] == {"cohort": {"size": None, "breakdown": None}}
    errors = payload["errors"]
    assert sorted(e["path"][-1] for e in errors) == ["breakdown", "size"]  # each field its own
    for error in errors:
        assert error["extensions"]["code"] == "LAKE_UNAVAILABLE"
        assert str(root) not in error["message"]
        assert error["message"].startswith("the lake is empty")
    assert f"lake {root} is empty" in caplog.text
