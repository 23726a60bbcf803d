"""End to end: a real uvicorn server on loopback, a real HTTP client, a real headless browser."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import httpx
import polars as pl
import pytest
from gql.transport.exceptions import TransportQueryError
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test
from polars.testing import assert_frame_equal

from tests.schema.demo_frames import demo_frames
from tests.service.conftest import STATISTICIAN_KEY, AppFactory, serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
EXAMPLE = Path(__file__).parents[2] / "examples" / "fetch_cohort.py"
MONTH = 30.4375  # days: the API's month (lake/cohort/survival.py)


def test_cohort_summary_over_http(live_server: str) -> None:
    query = """query Sites($f: CohortFilterInput) { cohort(filter: $f) {
        size { value provenance { lakeVersion queryHash softwareVersion } }
        breakdown(attribute: SITE) { categories { category n } } } }"""
    with httpx.Client(base_url=live_server, headers={"x-api-key": STATISTICIAN_KEY}) as http:
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


def _run_example(url: str, api_key: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The documented command: ``python examples/fetch_cohort.py [FILTER]`` with the env set."""
    return subprocess.run(
        [sys.executable, str(EXAMPLE), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HEMALAKE_URL": f"{url}/graphql", "HEMALAKE_API_KEY": api_key},
    )


@pytest.fixture(scope="module")
def example() -> ModuleType:
    """examples/fetch_cohort.py imported as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("fetch_cohort", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _overall_survival(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Oracle: OS from diagnosis built by hand from the seeded frames (death, else censored at
    the last recorded event), in months of 30.4375 days."""
    ends = (
        frames["events"]
        .group_by("patient_id")
        .agg(end=pl.col("event_date").max(), died=(pl.col("event_type") == "death").any())
    )
    return (
        frames["patients"]
        .join(ends, on="patient_id")
        .select(
            "sex",
            months=(pl.col("end") - pl.col("diagnosis_date")).dt.total_days() / MONTH,
            died=pl.col("died"),
        )
    )


def test_documented_example_script_prints_frames(live_server: str) -> None:
    """The documented command runs against a real server and prints both Polars frames."""
    completed = _run_example(live_server, STATISTICIAN_KEY)
    assert completed.returncode == 0, completed.stderr
    assert "cohort size: 200 (lake version 1, query hash " in completed.stdout
    assert "shape: (2, 3)" in completed.stdout  # sites AMS, ROT: category, n, suppressed
    assert "shape: (2, 6)" in completed.stdout  # sexes F, M: group, n, events, median + CI
    assert "log-rank: {'statistic': " in completed.stdout


def test_example_frames_match_an_independent_computation(
    app_factory: AppFactory, example: ModuleType
) -> None:
    """With suppression off (cell size 1), the frames equal counts taken from the seeded frames
    and lifelines' Kaplan-Meier medians and log-rank test (an engine independent of lake/).
    The median CIs are not compared: lifelines inverts the pointwise band, a different method."""
    with serving(app_factory(min_cell_size=1)) as url:
        cohort = example.fetch_cohort(f"{url}/graphql", STATISTICIAN_KEY, {"diseases": ["MM"]})
    frames = demo_frames(200)
    assert all(frames["patients"]["disease"] == "MM")
    sites = frames["patients"].group_by(category="site").agg(n=pl.len().cast(pl.Int64))
    assert_frame_equal(
        example.breakdown_frame(cohort),
        sites.with_columns(suppressed=pl.lit(False)),
        check_row_order=False,
    )
    os_ = _overall_survival(frames)
    survival = example.survival_frame(cohort).sort("group")
    assert survival["group"].to_list() == ["F", "M"]
    for row in survival.iter_rows(named=True):
        rows = os_.filter(pl.col("sex") == row["group"])
        km = KaplanMeierFitter().fit(rows["months"].to_numpy(), rows["died"].to_numpy())
        assert (row["n"], row["events"]) == (rows.height, rows["died"].sum())
        assert row["median"] == pytest.approx(km.median_survival_time_, rel=1e-12)
    female, male = (os_.filter(pl.col("sex") == sex) for sex in ("F", "M"))
    expected = logrank_test(female["months"], male["months"], female["died"], male["died"])
    assert cohort["survival"]["logrank"]["statistic"] == pytest.approx(
        expected.test_statistic, rel=1e-9
    )
    assert cohort["survival"]["logrank"]["pValue"] == pytest.approx(expected.p_value, rel=1e-9)


# the cohort's women have no death: the engine warns that their median is not reached
@pytest.mark.filterwarnings("ignore::lake.survival.SurvivalWarning")
def test_example_keeps_withheld_counts_null(live_server: str, example: ModuleType) -> None:
    """A cohort below the minimum cell size (5): every count arrives null and stays a typed null
    in the frames (Int64, not a column of Polars' Null type, never 0), flagged suppressed."""
    tiny = {"age": {"min": 84.5}}
    patients = demo_frames(200)["patients"].filter(pl.col("age_at_diagnosis") >= 84.5)
    assert 0 < patients.height < 5  # the premise: a population below the cell size (rule 3)
    cohort = example.fetch_cohort(f"{live_server}/graphql", STATISTICIAN_KEY, tiny)
    sites = example.breakdown_frame(cohort)
    assert sites.schema == pl.Schema(example.BREAKDOWN_SCHEMA)
    assert sorted(sites["category"]) == sorted(patients["site"].unique())
    assert sites["n"].is_null().all()
    assert sites["suppressed"].all()
    survival = example.survival_frame(cohort)
    assert survival.schema == pl.Schema(example.SURVIVAL_SCHEMA)
    assert sorted(survival["group"]) == sorted(patients["sex"].unique())
    assert survival.select(pl.col("n", "events", "median").is_null().all()).row(0) == (
        True,
        True,
        True,
    )
    completed = _run_example(live_server, STATISTICIAN_KEY, json.dumps(tiny))
    assert completed.returncode == 0, completed.stderr
    assert "null" in completed.stdout


def test_example_reports_graphql_errors_with_their_codes(
    live_server: str, example: ModuleType
) -> None:
    """gql raises TransportQueryError with the server's errors; the script prints their codes."""
    with pytest.raises(TransportQueryError) as raised:
        example.fetch_cohort(f"{live_server}/graphql", None)
    assert [e["extensions"]["code"] for e in raised.value.errors or []] == ["UNAUTHENTICATED"]
    completed = _run_example(live_server, "not-a-key")
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert "(UNAUTHENTICATED)" in completed.stderr


def test_example_gets_the_partial_answer_with_the_errors(
    live_server: str, example: ModuleType
) -> None:
    """A cohort without patients: its size answers 0, the breakdown and the survival fail
    (EMPTY_COHORT), each null with its path; gql raises with the partial answer in ``data``."""
    with pytest.raises(TransportQueryError) as raised:
        example.fetch_cohort(f"{live_server}/graphql", STATISTICIAN_KEY, {"diseases": ["AML"]})
    assert raised.value.data is not None
    cohort = raised.value.data["cohort"]
    assert (cohort["size"]["value"], cohort["breakdown"], cohort["survival"]) == (0, None, None)
    assert sorted((e["path"], e["extensions"]["code"]) for e in raised.value.errors or []) == [
        (["cohort", "breakdown"], "EMPTY_COHORT"),
        (["cohort", "survival"], "EMPTY_COHORT"),
    ]
