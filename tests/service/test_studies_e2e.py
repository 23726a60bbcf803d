"""Each study question answered through HTTP by a real uvicorn server over the demo lake.

Oracles: the same statistics assembled independently from lake/ functions (tables scanned and
joined directly, not through the service's patient-aligned column cache), so the glue (cohort
selection, grouping, endpoint alignment, unit conversion) is what is checked. The R golden files
of tests/lake/survival check the statistics themselves on their seeded inputs; they do not
apply to the demo lake's data.
"""

from __future__ import annotations

from typing import Any

import httpx
import numpy as np
import polars as pl
import pytest

from lake.cohort_frame import attribute_frame
from lake.endpoints import (
    Origin,
    derive_endpoint,
    molecular_relapse_free_survival,
    non_relapse_mortality,
    overall_survival,
)
from lake.errors import EmptyCohortError
from lake.risk.reclassification import reclassification
from lake.risk.registry import REGISTRY
from lake.storage import LakeSnapshot, open_lake
from lake.survival import (
    CumulativeIncidenceFitter,
    KaplanMeierFitter,
    compare_staging_systems,
    logrank_test,
)
from tests.conftest import DemoLake
from tests.service.conftest import ANALYST_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MONTH = 30.4375


def _ask(url: str, query: str) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"x-api-key": ANALYST_KEY}, timeout=120
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def _scored(snap: LakeSnapshot, columns: list[str], scores: list[str]) -> pl.DataFrame:
    inputs = {"disease"}
    for name in scores:
        inputs |= {i.split(".", 1)[1] for i in REGISTRY.get(name).inputs}
    frame = attribute_frame(snap, sorted(inputs | set(columns)))
    return REGISTRY.compute(frame, scores).collect()


def _endpoint(snap: LakeSnapshot, definition: Any, origin: str) -> pl.DataFrame:
    return derive_endpoint(
        definition,
        Origin(kind=origin),  # type: ignore[arg-type]
        events=snap.scan("events"),
        patients=snap.scan("patients"),
        transplants=snap.scan("transplants"),
    ).frame


def test_os_by_riss_with_logrank(lake_server: str, demo_lake: DemoLake) -> None:
    data = _ask(
        lake_server,
        """{ cohort(filter: {diseases: [MM]}) { survival(endpoint: OS, groupByScore: "riss",
        times: [24, 60]) { groups { group n events median { estimate } atTimes { survival } }
        logrank { statistic df pValue } } } }""",
    )["data"]["cohort"]["survival"]
    snap = open_lake(demo_lake.root)
    scored = _scored(snap, [], ["riss"]).filter(pl.col("disease") == "MM")
    frame = _endpoint(snap, overall_survival(), "diagnosis").join(
        scored.select("patient_id", group=pl.col("riss_palumbo2015").struct.field("category")),
        on="patient_id",
    )
    for group in data["groups"]:
        rows = frame.filter(pl.col("group").cast(pl.String) == group["group"])
        km = KaplanMeierFitter().fit(rows["time_days"].to_numpy() / MONTH, rows["status"])
        assert (group["n"], group["events"]) == (rows.height, int(rows["status"].sum()))
        assert group["median"]["estimate"] == pytest.approx(km.median_.estimate, rel=1e-12)
        expected = [p.survival for p in km.survival_at([24.0, 60.0])]
        assert [p["survival"] for p in group["atTimes"]] == pytest.approx(expected, rel=1e-12)
    labels = frame["group"].cast(pl.String).to_numpy()
    test = logrank_test(frame["time_days"].to_numpy() / MONTH, frame["status"], labels)
    assert data["logrank"]["statistic"] == pytest.approx(test.statistic, rel=1e-9)
    assert data["logrank"]["df"] == test.df == 3  # 4 groups (I, II, III, NOT_CLASSIFIABLE) - 1


def test_staging_comparison(lake_server: str, demo_lake: DemoLake) -> None:
    scores = ["riss", "iss", "mm_cytogenetic_risk", "ldh"]
    data = _ask(
        lake_server,
        """{ cohort(filter: {diseases: [MM]}) { stagingComparison(scores: ["riss", "iss",
        "mm_cytogenetic_risk", "ldh"]) { dropped systems { system n events lrStatistic aic
        concordance { cIndex } } } } }""",
    )["data"]["cohort"]["stagingComparison"]
    snap = open_lake(demo_lake.root)
    scored = _scored(snap, [], scores).filter(pl.col("disease") == "MM")
    versions = [REGISTRY.get(s).version for s in scores]
    stages = scored.select(
        "patient_id",
        *(
            pl.when(pl.col(v).struct.field("category").cast(pl.String).str.starts_with("NOT_"))
            .then(None)
            .otherwise(pl.col(v).struct.field("category").cast(pl.String))
            .alias(v)
            for v in versions
        ),
    )
    frame = _endpoint(snap, overall_survival(), "diagnosis").join(stages, on="patient_id")
    systems, _ = compare_staging_systems(
        frame.drop("patient_id"),
        duration_col="time_days",
        event_col="status",
        systems=tuple(versions),
    )
    got = {s["system"]: s for s in data["systems"]}
    for system in systems:
        row = got[system.system]
        assert (row["n"], row["events"]) == (system.n, system.n_events)
        assert row["aic"] == pytest.approx(system.aic, rel=1e-9)
        assert row["concordance"]["cIndex"] == pytest.approx(system.concordance.c_index, rel=1e-9)


def test_eln2022_vs_npm1_reclassification(lake_server: str, demo_lake: DemoLake) -> None:
    """ELN 2022 vs the NPM1 table derived on EU-AMLT, on the validation sites (the study's flow)."""
    data = _ask(
        lake_server,
        """{ cohort(filter: {diseases: [AML], sites: ["FR-AMLRW", "UK-AMLX"],
                            markers: [{marker: NPM1, statuses: [PRESENT]}]}) {
        reclassification(before: "eln2022", after: "harmony_npm1_derived_demo_v1") {
        total compared moved cells { before after n } } } }""",
    )["data"]["cohort"]["reclassification"]
    snap = open_lake(demo_lake.root)
    derived = "harmony_npm1_derived_demo_v1"
    scored = _scored(snap, ["npm1", "site"], ["eln2022", derived]).filter(
        (pl.col("disease") == "AML")
        & (pl.col("npm1") == "present")
        & pl.col("site").is_in(["FR-AMLRW", "UK-AMLX"])
    )
    oracle = reclassification(scored, "eln2022_intensive", derived)
    assert 0 < oracle.n_moved < oracle.n_compared
    assert data["total"] == scored.height
    assert (data["compared"], data["moved"]) == (oracle.n_compared, oracle.n_moved)
    cells = {(c["before"], c["after"]): c["n"] for c in data["cells"] if c["n"] is not None}
    expected = {(b, a): n for b, a, n in oracle.table.iter_rows() if n >= 5}
    assert cells == expected


def test_nrm_with_relapse_competing_and_two_year_os(lake_server: str, demo_lake: DemoLake) -> None:
    data = _ask(
        lake_server,
        """{ cohort(filter: {treatment: {transplant: ALLOGENEIC}}) {
        cumulativeIncidence(endpoint: NRM, origin: ALLO_TRANSPLANT, times: [24]) {
          groups { n causes { cause events atTimes { estimate } } } }
        survival(endpoint: OS, origin: ALLO_TRANSPLANT, times: [24]) {
          groups { n atTimes { survival } } } } }""",
    )["data"]["cohort"]
    snap = open_lake(demo_lake.root)
    allo = attribute_frame(snap, ["had_allogeneic"]).filter(pl.col("had_allogeneic")).collect()
    nrm = _endpoint(snap, non_relapse_mortality(), "allo_transplant").join(
        allo, on="patient_id", how="semi"
    )
    cif = CumulativeIncidenceFitter().fit(nrm["time_days"].to_numpy() / MONTH, nrm["status"])
    (group,) = data["cumulativeIncidence"]["groups"]
    assert group["n"] == nrm.height
    for cause, code in (("event", "1"), ("competing", "2")):
        (got,) = [c for c in group["causes"] if c["cause"] == cause]
        (point,) = cif.curves_[("0", code)].at([24.0])
        assert got["atTimes"][0]["estimate"] == pytest.approx(point.estimate, rel=1e-12)
        assert got["events"] == int((nrm["status"] == int(code)).sum())
    os_ = _endpoint(snap, overall_survival(), "allo_transplant").join(
        allo, on="patient_id", how="semi"
    )
    km = KaplanMeierFitter().fit(os_["time_days"].to_numpy() / MONTH, os_["status"])
    (os_group,) = data["survival"]["groups"]
    assert os_group["n"] == os_.height
    assert os_group["atTimes"][0]["survival"] == pytest.approx(
        km.survival_at([24.0])[0].survival, rel=1e-12
    )


def test_mrfs_after_tki_stop_by_sokal(lake_server: str, demo_lake: DemoLake) -> None:
    """Numbers match when the lake has TKI stops; otherwise the API says EMPTY_COHORT."""
    payload = _ask(
        lake_server,
        """{ cohort(filter: {diseases: [CML]}) { survival(endpoint: MRFS, origin: TKI_STOP,
        groupByScore: "sokal", times: [12]) { groups { group n events } } } }""",
    )
    snap = open_lake(demo_lake.root)
    try:
        frame = derive_endpoint(
            molecular_relapse_free_survival(),
            Origin(kind="tki_stop"),
            events=snap.scan("events"),
            patients=snap.scan("patients").filter(pl.col("disease") == "CML"),
            bcr_abl1=snap.scan("bcr_abl1"),
        ).frame
    except EmptyCohortError:
        assert payload["errors"][0]["extensions"]["code"] == "EMPTY_COHORT"
        return
    scored = _scored(snap, [], ["sokal"]).filter(pl.col("disease") == "CML")
    joined = frame.join(
        scored.select("patient_id", g=pl.col("sokal1984").struct.field("category")),
        on="patient_id",
    )
    groups = payload["data"]["cohort"]["survival"]["groups"]
    for group in groups:
        rows = joined.filter(pl.col("g").cast(pl.String) == group["group"])
        assert group["n"] in (None, rows.height)
    assert sum(g["n"] or 0 for g in groups) <= int(np.int64(joined.height))
