"""Figures through a real uvicorn server over the demo lake: a result's plotUrl, opened with the
caller's key, draws what that caller's JSON answer holds (governed: exact steps; protected: the
noisy life table's released steps), and the route authenticates, audits and refuses like
/graphql.

The oracle is the JSON answer of the same document: the SVG has one curve per group with
released steps, one at-risk row per drawn group whose first cell is the group's first released
number at risk.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.app import create_app
from service.examples import EXAMPLES
from tests.conftest import DemoLake
from tests.plots.images import at_risk_rows, colours, decoded, ids, keep, texts
from tests.service.conftest import ANALYST_KEY, STATISTICIAN_KEY, ask, lake_settings, serving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OS_BY_RISS = """{ cohort(filter: {diseases: [MM]}) {
  survival(endpoint: OS, groupBy: {score: "riss"}, timeUnit: YEARS) {
    groups { group n median { estimate } steps { time nAtRisk } }
    provenance { access }
    plotUrl(options: {medians: true}) } } }"""
NRM_AFTER_ALLO = """{ cohort {
  cumulativeIncidence(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}) {
    groups { group causes { cause steps { time estimate nAtRisk events } } }
    plotUrl(options: {format: PNG, dpi: 100, width: 6, height: 5}, causes: [EVENT, COMPETING])
  } } }"""
COX = """{ cohort(filter: {diseases: [MM]}) {
  coxModel(endpoint: OS, covariates: [{score: "riss"}]) { coefficients { name } plotUrl } } }"""
STAGING = """{ cohort(filter: {diseases: [MM]}) {
  stagingComparison(scores: ["riss", "iss"]) { systems { system } plotUrl } } }"""


@pytest.fixture(scope="module")
def audit_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plots") / "audit.jsonl"


@pytest.fixture(scope="module")
def server(demo_lake: DemoLake, audit_log: Path) -> Iterator[str]:
    with serving(create_app(settings=lake_settings(demo_lake, audit_log))) as url:
        yield url


def get(url: str, path: str, key: str | None = STATISTICIAN_KEY) -> httpx.Response:
    headers = {} if key is None else {"x-api-key": key}
    return httpx.get(f"{url}{path}", headers=headers, timeout=180)


def answer(url: str, query: str, key: str, *fields: str) -> dict[str, Any]:
    payload = ask(url, query, key)
    assert "errors" not in payload, payload
    data: dict[str, Any] = payload["data"]["cohort"]
    for f in fields:
        data = data[f]
    return data


@pytest.mark.parametrize(
    ("key", "access"), [(STATISTICIAN_KEY, "governed"), (ANALYST_KEY, "protected")]
)
def test_km_plot_draws_the_callers_own_release(server: str, key: str, access: str) -> None:
    survival = answer(server, OS_BY_RISS, key, "survival")
    assert survival["provenance"]["access"] == access.upper()
    url = survival["plotUrl"]
    assert url.startswith("/plot.svg?")
    response = get(server, url, key)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert response.headers["x-hemalake-access"] == access
    svg = response.content
    keep(f"km-os-riss-{access}.svg", svg)
    drawn = [g for g in survival["groups"] if g["steps"]]
    assert drawn, "the demo lake releases some R-ISS curve"
    assert len(ids(svg, r"curve-\d+")) == len(drawn)
    rows = at_risk_rows(svg)
    assert [texts(svg, f"at-risk-row-{r}") for r in range(len(rows))] == [g["group"] for g in drawn]
    for row, group in zip(rows, drawn, strict=True):
        assert row[0] == str(group["steps"][0]["nAtRisk"])
    medians = [g for g in drawn if g["median"] and g["median"]["estimate"] is not None]
    assert len(ids(svg, r"median-\d+")) == len(medians)
    assert "(years)" in svg.decode()
    assert f"{access} release" in svg.decode()


def test_nrm_incidence_png(server: str) -> None:
    incidence = answer(server, NRM_AFTER_ALLO, STATISTICIAN_KEY, "cumulativeIncidence")
    causes = incidence["groups"][0]["causes"]
    assert {c["cause"] for c in causes} == {"event", "competing"}
    assert all(c["steps"] for c in causes)
    assert all(0.0 <= s["estimate"] <= 1.0 for c in causes for s in c["steps"])
    response = get(server, incidence["plotUrl"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    keep("nrm-after-allo.png", response.content)
    image = decoded(response.content)
    assert image.size == (600, 500)
    assert len(colours(image)) > 20


def test_protected_incidence_steps_are_the_life_tables(server: str) -> None:
    incidence = answer(server, NRM_AFTER_ALLO, ANALYST_KEY, "cumulativeIncidence")
    (group,) = incidence["groups"]
    event, competing = group["causes"]
    times = [s["time"] for s in event["steps"]]
    assert times, "the protected release has a curve"
    assert times == [s["time"] for s in competing["steps"]]
    widths = {round(b - a, 9) for a, b in zip([0.0, *times], times, strict=False)}
    assert len(widths) == 1  # one step per interval end of the public grid
    estimates = [s["estimate"] for s in event["steps"]]
    assert estimates == sorted(estimates)
    response = get(server, incidence["plotUrl"], ANALYST_KEY)
    assert response.status_code == 200, response.text
    assert response.headers["x-hemalake-access"] == "protected"
    keep("nrm-after-allo-protected.png", response.content)


def test_cox_forest_and_staging_plots_are_for_governed_roles(server: str) -> None:
    cox = answer(server, COX, STATISTICIAN_KEY, "coxModel")
    forest = get(server, cox["plotUrl"])
    assert forest.status_code == 200, forest.text
    keep("forest-os-riss.svg", forest.content)
    assert len(ids(forest.content, r"hr-\d+")) == len(cox["coefficients"])
    staging = answer(server, STAGING, STATISTICIAN_KEY, "stagingComparison")
    drawn = get(server, staging["plotUrl"])
    assert drawn.status_code == 200, drawn.text
    keep("staging-riss-iss.svg", drawn.content)
    assert len(ids(drawn.content, r"system-\d+")) == len(staging["systems"]) == 2
    refused = get(server, cox["plotUrl"], ANALYST_KEY)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_route_authenticates_checks_and_audits(server: str, audit_log: Path) -> None:
    url = answer(server, OS_BY_RISS, STATISTICIAN_KEY, "survival")["plotUrl"]
    assert get(server, url, None).status_code == 401
    assert get(server, url, "not-a-key").status_code == 401
    assert get(server, url.replace("/plot.svg", "/plot.gif")).status_code == 404
    for bad, code in [
        ("&dpi=1000", "BAD_REQUEST"),
        ("&medians=maybe", "BAD_REQUEST"),
        ("&width=100", "BAD_REQUEST"),
    ]:
        response = get(server, url + bad)
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == code
    wrong_path = get(server, url.replace("path=cohort.survival", "path=cohort.size"))
    assert wrong_path.status_code == 400
    assert "cohort.survival" in wrong_path.json()["errors"][0]["message"]
    assert get(server, "/plot.svg").status_code == 400
    assert get(server, "/plot.svg?query=" + "x" * 40_000).status_code == 400
    deadline = time.monotonic() + 10  # the audit sink writes from its own thread
    while True:
        records = [json.loads(line) for line in audit_log.read_text().splitlines()]
        refusals = [r for r in records if r["action"] == "http:GET /plot.svg"]
        if len(refusals) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(refusals) >= 2
    assert all(r["status"] == 401 and r["outcome"] == "denied" for r in refusals)
    # the drawn figures' queries are audited as /graphql's are: the operation and the release
    assert any(r["user"] == "stat" and r["action"] == "CohortSurvivalRequest" for r in records)
    assert any(r["user"] == "ana" and r["access"] == "protected" for r in records)


def test_the_graphiql_example_plot_url_carries_its_variables(server: str) -> None:
    example = EXAMPLES[0]
    response = httpx.post(
        f"{server}/graphql",
        json={"query": example.query, "variables": json.loads(example.variables)},
        headers={"x-api-key": STATISTICIAN_KEY},
        timeout=180,
    )
    survival = response.json()["data"]["cohort"]["survival"]
    url = survival["plotUrl"]
    assert "variables=" in url
    assert "operationName=MyelomaOverall" in url
    figure = get(server, url)
    assert figure.status_code == 200, figure.text
    drawn = [g for g in survival["groups"] if g["events"] is not None]  # steps only with events
    assert len(ids(figure.content, r"curve-\d+")) == len(drawn) > 1
