"""The service on a Dask cluster (``engine`` = a scheduler address) answers as on one machine.

A ``LocalCluster`` on 127.0.0.1 (no dashboard) serves the demo lake's partitions; the same
GraphQL document is asked over HTTP of a server on it and of the in-process server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from distributed import LocalCluster

from lake.errors import ConfigError
from service.app import create_app
from service.settings import settings_from_mapping
from tests.conftest import DemoLake
from tests.service.conftest import ask, lake_settings, serving

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

QUERY = """{ cohort(filter: {diseases: [MM]}) {
  size { value }
  survival(endpoint: OS, groupBy: {score: "iss"}, trend: true, times: [24, 60]) {
    groups { group n events median { estimate lower upper }
             atTimes { time survival lower upper nAtRisk } }
    logrank { statistic df pValue } trend { statistic pValue } }
  coxModel(endpoint: OS, covariates: [{attribute: SEX}, {numeric: AGE_AT_DIAGNOSIS}]) {
    n events coefficients { name coef se pValue } likelihoodRatio { statistic } } } }"""


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def test_answers_equal_the_local_engine(
    demo_lake: DemoLake, lake_server: str, scheduler: str, tmp_path: Path
) -> None:
    settings = dataclasses.replace(
        lake_settings(demo_lake, tmp_path / "audit.jsonl"), engine=scheduler
    )
    with serving(create_app(settings=settings)) as url:
        distributed = ask(url, QUERY)
    local = ask(lake_server, QUERY)
    assert "errors" not in local, local
    cox, local_cox = (
        distributed["data"]["cohort"].pop("coxModel"),
        local["data"]["cohort"].pop("coxModel"),
    )
    assert distributed == local  # counts and Kaplan-Meier: the same numbers to the last bit
    # Cox sums its risk sets in another row order: equal to rounding
    assert cox["n"] == local_cox["n"] > 0
    assert cox["events"] == local_cox["events"]
    for ours, theirs in zip(cox["coefficients"], local_cox["coefficients"], strict=True):
        assert ours.pop("name") == theirs.pop("name")
        assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-12)
    assert cox["likelihoodRatio"] == pytest.approx(local_cox["likelihoodRatio"], rel=1e-12)


def test_an_engine_that_is_no_address_is_refused() -> None:
    with pytest.raises(ConfigError, match="Dask scheduler address"):
        settings_from_mapping({"lake_root": "lake", "engine": "dask"})
