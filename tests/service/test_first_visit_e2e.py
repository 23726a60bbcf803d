"""A first visit, as the README and the example script describe it: the README's queries select
what its text promises and answer over the demo lake; the example script's documented commands
run as written against the demo; ``/export`` documents its parameters and reaches nested lists."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from service.app import create_app
from service.demo import DEMO_DIR
from tests.conftest import DemoLake
from tests.service.conftest import lake_settings, serving

pytestmark = pytest.mark.anyio
ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text()
EXAMPLE = ROOT / "examples" / "fetch_cohort.py"


def readme_queries() -> list[str]:
    """The operations of the README's graphql blocks (one per paragraph)."""
    blocks = re.findall(r"```graphql\n(.*?)```", README, flags=re.DOTALL)
    return [q.strip() for block in blocks for q in block.split("\n\n") if q.strip()]


def test_readme_queries_select_what_the_text_promises() -> None:
    queries = readme_queries()
    assert len(queries) >= 3
    for query in queries:
        if "analysis(" in query:  # a report carries its provenance as its own fields
            assert "lakeVersion" in query, query
            assert "softwareVersion" in query, query
        else:
            assert "provenance {" in query, query  # "Every answer carries provenance"
        if "trend: true" in query:
            assert "trend {" in query, query
        if "times: [" in query:
            assert "atTimes {" in query, query


async def test_readme_queries_answer_over_the_demo_lake(lake_client: httpx.AsyncClient) -> None:
    for query in readme_queries():
        answer = (await lake_client.post("/graphql", json={"query": query})).json()
        assert "errors" not in answer, (query, answer)


def test_readme_says_how_to_run_the_command_after_setup() -> None:
    assert "uv run hemalake" in README
    assert "`.venv/bin/hemalake" in README
    assert (ROOT / ".venv" / "bin" / "hemalake").exists()


@pytest.fixture
def demo_server(demo_lake: DemoLake, tmp_path: Path) -> Iterator[str]:
    """The demo lake served as ``make demo`` serves it (anonymous visitors admitted)."""
    settings = lake_settings(demo_lake, tmp_path / "audit.jsonl")
    with serving(create_app(settings=dataclasses.replace(settings, allow_anonymous=True))) as url:
        yield url


def documented_commands() -> list[list[str]]:
    """The example's documented ``python examples/fetch_cohort.py`` commands' arguments."""
    doc = EXAMPLE.read_text().split('"""')[1]
    command = ".venv/bin/python examples/fetch_cohort.py"
    return [
        shlex.split(line.strip().removeprefix(command))
        for line in doc.splitlines()
        if line.strip().startswith(command)
    ]


def test_the_example_documents_the_demo_as_it_is(demo_lake: DemoLake) -> None:
    doc = EXAMPLE.read_text().split('"""')[1]
    assert "=..." not in doc  # no placeholder key to paste
    assert str(DEMO_DIR / "lake") in doc  # the lake path hemalake demo writes
    for argv in documented_commands():
        for site in (json.loads(argv[0]) if argv else {}).get("sites", []):
            assert site in demo_lake.site_patients, f"the example names no site {site!r}"


def test_the_documented_example_commands_run_against_the_demo(demo_server: str) -> None:
    commands = documented_commands()
    assert len(commands) >= 2
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEMALAKE_")}
    for argv in commands:
        completed = subprocess.run(
            [sys.executable, str(EXAMPLE), *argv],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env={**env, "HEMALAKE_URL": f"{demo_server}/graphql"},  # the demo's port is random here
        )
        assert completed.returncode == 0, completed.stderr
        assert "cohort size: " in completed.stdout


async def test_export_reaches_kaplan_meier_steps(client: httpx.AsyncClient) -> None:
    query = """query Km($f: CohortFilterInput) { other: modelVersion
        cohort(filter: $f) { survival(endpoint: OS, groupBy: {attribute: SEX}) {
          groups { group n median { estimate lower } steps { time survival nAtRisk } } } } }"""
    params = {
        "query": query,
        "variables": json.dumps({"f": {"diseases": ["MM"]}}),
        "operationName": "Km",
        "path": "cohort.survival.groups.steps",
    }
    exported = await client.get("/export.csv", params=params)
    assert exported.status_code == 200, exported.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    answer = (await client.post("/graphql", json={"query": query, "variables": {"f": {}}})).json()
    groups = answer["data"]["cohort"]["survival"]["groups"]
    assert len(rows) == sum(len(g["steps"]) for g in groups)
    assert set(rows[0]) == {
        "groups.group",
        "groups.n",
        "groups.median.estimate",
        "groups.median.lower",
        "time",
        "survival",
        "nAtRisk",
    }
    for group in groups:
        mine = [r for r in rows if r["groups.group"] == group["group"]]
        assert [float(r["time"]) for r in mine] == [s["time"] for s in group["steps"]]
    # nested objects of the rows themselves become dotted columns
    medians = await client.get("/export.csv", params={**params, "path": "cohort.survival.groups"})
    assert "median.estimate" in medians.text.splitlines()[0].split(",")


async def test_export_names_its_parameters(client: httpx.AsyncClient) -> None:
    missing = (await client.get("/export.csv", params={"query": "{ modelVersion }"})).json()
    message = missing["errors"][0]["message"]
    section = README.split("### Downloading a table")[1].split("\n## ")[0]
    for parameter in ("query", "path", "variables", "operationName"):
        assert parameter in message
        assert f"| `{parameter}` |" in section
