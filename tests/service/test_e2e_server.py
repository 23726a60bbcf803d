"""End to end: a real uvicorn server on loopback, a real HTTP client, a real headless browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import ANALYST_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_cohort_summary_over_http(live_server: str) -> None:
    query = """query Sites($f: CohortFilterInput) { cohort(filter: $f) {
        size { value provenance { lakeVersion queryHash softwareVersion } }
        breakdown(attribute: SITE) { categories { category n } } } }"""
    with httpx.Client(base_url=live_server, headers={"x-api-key": ANALYST_KEY}) as http:
        response = http.post(
            "/graphql",
            json={"query": query, "variables": {"f": {"diseases": ["MM"]}}},
            headers={"accept": "application/graphql-response+json"},
        )
        again = http.post(
            "/graphql", json={"query": query, "variables": {"f": {"diseases": ["MM"]}}}
        )
    assert response.status_code == 200
    cohort = response.json()["data"]["cohort"]
    assert cohort["size"]["value"] == 200
    assert sum(c["n"] for c in cohort["breakdown"]["categories"]) == 200
    # the same query on the same lake version gives byte-identical numbers
    assert again.json()["data"] == response.json()["data"]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_graphiql_renders_in_a_headless_browser(live_server: str) -> None:
    """The page loads its vendored scripts and GraphiQL renders its editor (no CDN needed)."""
    completed = subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--virtual-time-budget=10000",
            "--dump-dom",
            f"{live_server}/graphql",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    dom = completed.stdout
    assert "graphiql-editors" in dom or "graphiql-editor" in dom
    assert "Loading…" not in dom
    # once in the embedded examples JSON, again in the rendered tab and editor
    assert dom.count("MyelomaOverall") >= 2


def test_documented_example_script_fetches_frames(live_server: str) -> None:
    """examples/fetch_cohort.py runs against a real server and prints Polars frames."""
    completed = subprocess.run(
        [sys.executable, "examples/fetch_cohort.py"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={
            **os.environ,
            "HEMALAKE_URL": f"{live_server}/graphql",
            "HEMALAKE_API_KEY": ANALYST_KEY,
        },
        cwd=Path(__file__).parents[2],
    )
    assert "cohort size: 200" in completed.stdout
    assert "shape:" in completed.stdout
