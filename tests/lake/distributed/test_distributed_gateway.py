"""Queries on a Dask cluster answer what the local engine answers, to 1e-12.

A ``LocalCluster`` of two worker processes on 127.0.0.1 (no dashboard) runs the site
partitions; the oracle is :class:`LakeGateway` on the same lake in process. Compared: cohort
sizes, Kaplan-Meier with log-rank and trend tests (grouped, stratified), cumulative incidence
with Gray's test, Cox and a breakdown, on the demo lake and on a generated lake of 1e6
patients (slow: about a minute on two cores), and on a lake in S3 (SeaweedFS on loopback), whose
workers read the bucket with the storage options the gateway was given.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from distributed import Client, LocalCluster
from polars.testing import assert_frame_equal

from lake.access import AuditRecord, Caller
from lake.cohort.covariates import Levelled, ModelTerms, Numeric
from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import EVERYONE, CategoryIn, CohortFilter, NumericRange
from lake.cohort.incidence import IncidenceRequest
from lake.cohort.models import CoxRequest
from lake.cohort.survival import Grouping, SurvivalRequest
from lake.disclosure import DisclosurePolicy
from lake.distributed.engine import DaskEngine
from lake.distributed.gateway import DistributedGateway
from lake.location import locate
from lake.query.cohorts import Cohort
from lake.query.gateway import LakeGateway
from lake.storage import LakeOpener, LakeRoot
from service.bench_scale_lake import build
from tests.conftest import DemoLake
from tests.s3_server import S3Server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::lake.survival.SurvivalWarning"),
    # distributed's worker shutdown on a loaded machine
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]
STATISTICIAN = Caller(user="stat", role="statistician")
OS = EndpointKey(endpoint="OS", origin="diagnosis")
NRM = EndpointKey(endpoint="NRM", origin="allo_transplant")
ISS = "iss_greipp2005"
TOLERANCE = 1e-12


class NoAudit:
    def record(self, entry: AuditRecord) -> None:
        """Audit is the gateway's and the same on both paths; not under test here."""


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            processes=True,
        ) as cluster,
        Client(cluster) as dask_client,
    ):
        yield dask_client


def gateways(root: LakeRoot, client: Client) -> tuple[LakeGateway, DistributedGateway]:
    common: dict[str, Any] = {
        "open_snapshot": LakeOpener(root),
        "policy": DisclosurePolicy(min_cell_size=5),
        "audit": NoAudit(),
        "software_version": "test",
    }
    return LakeGateway(**common), DistributedGateway(
        engine=DaskEngine(client, locate(root)), **common
    )


def assert_same(local: object, distributed: object, where: str = "") -> None:
    """Equal structure and values; floats equal to 1e-12 (relative, or absolute near 0)."""
    if dataclasses.is_dataclass(local) and not isinstance(local, type):
        assert type(local) is type(distributed), where
        for f in dataclasses.fields(local):
            assert_same(getattr(local, f.name), getattr(distributed, f.name), f"{where}.{f.name}")
    elif isinstance(local, pl.DataFrame):  # e.g. a StepFunction's columns
        assert isinstance(distributed, pl.DataFrame), where
        assert_frame_equal(local, distributed, rel_tol=TOLERANCE, abs_tol=TOLERANCE)
    elif isinstance(local, dict):
        assert isinstance(distributed, dict)
        assert local.keys() == distributed.keys(), where
        for key, value in local.items():
            assert_same(value, distributed[key], f"{where}[{key!r}]")
    elif isinstance(local, list | tuple):
        assert isinstance(distributed, list | tuple)
        assert len(local) == len(distributed), where
        for i, (a, b) in enumerate(zip(local, distributed, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(local, float) and isinstance(distributed, float):
        if math.isnan(local):
            assert math.isnan(distributed), where
        else:
            assert math.isclose(local, distributed, rel_tol=TOLERANCE, abs_tol=TOLERANCE), (
                f"{where}: {local} != {distributed}"
            )
    else:
        assert local == distributed, where


def cohort(gateway: LakeGateway, cohort_filter: CohortFilter) -> Cohort:
    (resolved,) = gateway.cohorts([(None, cohort_filter)])
    assert isinstance(resolved, Cohort)
    return resolved


SURVIVAL = (
    SurvivalRequest(OS, Grouping(attribute="sex"), (365.0, 1825.0), "days", "log"),
    SurvivalRequest(OS, Grouping(score=ISS), (730.0,), "months", "log-log", trend=True),
    SurvivalRequest(OS, Grouping(attribute="sex"), (365.0,), "days", "log", strata="site"),
)


@pytest.mark.parametrize("request_", SURVIVAL, ids=["by-sex", "by-iss-trend", "stratified"])
def test_survival_on_the_demo_lake(
    demo_lake: DemoLake, client: Client, request_: SurvivalRequest
) -> None:
    local, distributed = gateways(demo_lake.root, client)
    f = NumericRange("age_at_diagnosis", minimum=40.0)
    ours, theirs = cohort(local, f), cohort(distributed, f)
    assert ours.size == theirs.size > 0
    assert_same(
        local.survival(STATISTICIAN, ours, request=request_).value,
        distributed.survival(STATISTICIAN, theirs, request=request_).value,
    )


def test_incidence_cox_and_breakdown_on_the_demo_lake(demo_lake: DemoLake, client: Client) -> None:
    local, distributed = gateways(demo_lake.root, client)
    ours, theirs = cohort(local, EVERYONE), cohort(distributed, EVERYONE)
    incidence = IncidenceRequest(NRM, Grouping(attribute="sex"), (100.0, 365.0), "days")
    assert_same(
        local.incidence(STATISTICIAN, ours, request=incidence).value,
        distributed.incidence(STATISTICIAN, theirs, request=incidence).value,
    )
    myeloma = CategoryIn(attribute="disease", values=("MM",))
    ours, theirs = cohort(local, myeloma), cohort(distributed, myeloma)
    cox = CoxRequest(
        endpoint=OS,
        terms=ModelTerms(
            (Levelled("score", ISS), Levelled("attribute", "sex"), Numeric("age_at_diagnosis"))
        ),
    )
    assert_same(
        local.cox(STATISTICIAN, ours, request=cox).value,
        distributed.cox(STATISTICIAN, theirs, request=cox).value,
    )
    assert_same(
        local.breakdown(STATISTICIAN, ours, attribute="site").value,
        distributed.breakdown(STATISTICIAN, theirs, attribute="site").value,
    )


def test_a_million_patients(tmp_path: Path, client: Client) -> None:
    root = tmp_path / "lake"
    build(root, 1_000_000, sites=8)
    local, distributed = gateways(root, client)
    f = NumericRange("age_at_diagnosis", minimum=40.0)
    ours, theirs = cohort(local, f), cohort(distributed, f)
    assert ours.size == theirs.size > 900_000
    request = SURVIVAL[0]
    assert_same(
        local.survival(STATISTICIAN, ours, request=request).value,
        distributed.survival(STATISTICIAN, theirs, request=request).value,
    )


def test_a_lake_on_s3(s3_server: S3Server, client: Client) -> None:
    root = s3_server.lake("distributed")
    build(root, 20_000, sites=4)
    local, distributed = gateways(root, client)
    f = NumericRange("age_at_diagnosis", minimum=50.0)
    ours, theirs = cohort(local, f), cohort(distributed, f)
    assert ours.size == theirs.size > 10_000
    assert_same(
        local.survival(STATISTICIAN, ours, request=SURVIVAL[0]).value,
        distributed.survival(STATISTICIAN, theirs, request=SURVIVAL[0]).value,
    )
