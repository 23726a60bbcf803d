"""Cohort fields through the real schema, checked against independent Polars counts."""

from __future__ import annotations

import polars as pl
import pytest

from tests.schema.conftest import Execute, ListSink
from tests.schema.demo_frames import demo_frames

PATIENTS = demo_frames(200)["patients"]

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


BREAKDOWN = """
query Breakdown($filter: CohortFilterInput) {
  cohort(filter: $filter) {
    size { value suppressed provenance { lakeVersion queryHash minCellSize } }
    breakdown(attribute: SEX) { total categories { category n suppressed } }
  }
}
"""


async def test_breakdown_by_sex_of_older_patients_matches_polars(execute: Execute) -> None:
    result = await execute(BREAKDOWN, {"filter": {"age": {"min": 65}, "sites": ["AMS"]}})
    assert result.errors is None
    data = result.data["cohort"]  # type: ignore[index]
    expected = (
        PATIENTS.filter((pl.col("age_at_diagnosis") >= 65) & (pl.col("site") == "AMS"))
        .group_by("sex")
        .len()
        .sort("sex")
    )
    assert [(c["category"], c["n"]) for c in data["breakdown"]["categories"]] == list(
        expected.iter_rows()
    )
    assert data["size"]["value"] == expected.get_column("len").sum()
    assert data["size"]["provenance"]["lakeVersion"] == 3
    assert data["size"]["provenance"]["minCellSize"] == 5


async def test_small_cohort_is_suppressed(execute: Execute) -> None:
    result = await execute(BREAKDOWN, {"filter": {"age": {"min": 84.5}}})
    assert result.errors is None
    exact = PATIENTS.filter(pl.col("age_at_diagnosis") >= 84.5).height
    assert 0 < exact < 5
    size = result.data["cohort"]["size"]  # type: ignore[index]
    assert size == {"value": None, "suppressed": True, "provenance": size["provenance"]}


async def test_and_or_not_combine(execute: Execute) -> None:
    query = """query($f: CohortFilterInput) { cohort(filter: $f) { size { value } } }"""
    f = {"anyOf": [{"sexes": ["F"]}, {"age": {"max": 50}}], "not": {"sites": ["ROT"]}}
    result = await execute(query, {"f": f})
    assert result.errors is None
    expected = PATIENTS.filter(
        ((pl.col("sex") == "F") | (pl.col("age_at_diagnosis") <= 50)) & (pl.col("site") != "ROT")
    ).height
    assert result.data == {"cohort": {"size": {"value": expected}}}


async def test_histogram_and_completeness(execute: Execute) -> None:
    query = """{ cohort {
      histogram(attribute: AGE_AT_DIAGNOSIS, bins: 3, lower: 40, upper: 85) {
        bins { lower upper n } missing }
      completeness(categorical: [DEL17P]) { fields { attribute known notTested missing } }
    } }"""
    result = await execute(query)
    assert result.errors is None
    data = result.data["cohort"]  # type: ignore[index]
    ages = PATIENTS.get_column("age_at_diagnosis")
    # bins [40, 55), [55, 70), [70, 85] by hand
    expected = [
        ((ages >= 40) & (ages < 55)).sum(),
        ((ages >= 55) & (ages < 70)).sum(),
        ((ages >= 70) & (ages <= 85)).sum(),
    ]
    assert [b["n"] for b in data["histogram"]["bins"]] == expected
    del17p = demo_frames(200)["genetics"].get_column("del17p")
    (field,) = data["completeness"]["fields"]
    assert field["notTested"] == (del17p == "not_tested").sum()
    assert field["known"] == 200 - field["notTested"]


async def test_bad_arguments_answer_with_public_codes(execute: Execute) -> None:
    result = await execute("""{ cohort(filter: {age: {min: 80, max: 20}}) { size { value } } }""")
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "BAD_REQUEST"}
    assert "min (80.0) is greater than max (20.0)" in error.message


async def test_empty_cohort_and_unknown_version(execute: Execute) -> None:
    result = await execute("""{ cohort(lakeVersion: 2) { breakdown(attribute: SEX) { total } } }""")
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "EMPTY_COHORT"}
    result = await execute("""{ cohort(lakeVersion: 9) { size { value } } }""")
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "LAKE_UNAVAILABLE"}


async def test_one_request_resolves_a_cohort_once(execute: Execute, audit: ListSink) -> None:
    query = """query Many { cohort(filter: {sexes: [M]}) {
      a: breakdown(attribute: SITE) { total }
      b: breakdown(attribute: DEL17P) { total }
      size { value } } }"""
    result = await execute(query)
    assert result.errors is None
    releases = [r.action for r in audit.records]
    assert sorted(releases) == [
        "BreakdownRequest",
        "BreakdownRequest",
        "SizeRequest",
        "graphql:Many",
    ]
    assert audit.records[-1].lake_version == 3
    assert audit.records[-1].outcome == "ok"


async def test_limits_reject_deep_costly_and_aliased_queries(execute: Execute) -> None:
    aliases = " ".join(f"a{i}: size {{ value }}" for i in range(30))
    result = await execute(f"{{ cohort {{ {aliases} }} }}")
    assert result.errors is not None
    assert "aliases" in result.errors[0].message.lower()
    costly = " ".join(f"b{i}: breakdown(attribute: SEX) {{ total }}" for i in range(19))
    result = await execute(f"{{ c1: cohort {{ {costly} }} c2: cohort {{ {costly} }} }}")
    assert result.errors is not None
    assert any((e.extensions or {}).get("code") == "COST_LIMIT_EXCEEDED" for e in result.errors)


SURVIVAL = """query OS($f: CohortFilterInput) { cohort(filter: $f) {
  survival(endpoint: OS, groupBy: SEX, times: [12, 24], timeUnit: MONTHS) {
    groups { group n events median { estimate lower upper } atTimes { time survival nAtRisk }
             steps { time survival lower upper nAtRisk events censored } }
    logrank { statistic df pValue }
  } } }"""


async def test_survival_by_group_matches_the_survival_engine(execute: Execute) -> None:
    from lake.survival import KaplanMeierFitter, logrank_test

    result = await execute(SURVIVAL, {"f": {"sites": ["AMS"]}})
    assert result.errors is None
    summary = result.data["cohort"]["survival"]  # type: ignore[index]
    # oracle: OS from diagnosis built here by hand from the demo frames (death else last contact)
    frames = demo_frames(200)
    events = (
        frames["events"]
        .group_by("patient_id")
        .agg(end=pl.col("event_date").max(), died=(pl.col("event_type") == "death").any())
    )
    os_frame = (
        frames["patients"]
        .filter(pl.col("site") == "AMS")
        .join(events, on="patient_id")
        .with_columns(
            months=(pl.col("end") - pl.col("diagnosis_date")).dt.total_days() / 30.4375,
            status=pl.col("died").cast(pl.Int8),
        )
        .sort("sex")
    )
    for group in summary["groups"]:
        rows = os_frame.filter(pl.col("sex") == group["group"])
        kmf = KaplanMeierFitter().fit(rows["months"].to_numpy(), rows["status"].to_numpy())
        assert group["n"] == rows.height
        assert group["events"] == rows["status"].sum()
        # the released curve is the engine's step function, cut before 5 are at risk
        steps = pl.DataFrame(group["steps"])
        curve = kmf.step_function().head(steps.height)
        assert steps["time"].to_list() == pytest.approx(curve["time"].to_list())
        assert steps["survival"].to_list() == pytest.approx(curve["survival"].to_list())
        assert steps["nAtRisk"].to_list() == curve["n_risk"].cast(int).to_list()
        assert steps["events"].to_list() == curve["n_event"].cast(int).to_list()
        assert steps["nAtRisk"].min() >= 5
        # the median is released where it lies on the released curve
        end = steps["time"].max()
        median = kmf.median_.estimate
        if median is not None and median <= end:
            assert group["median"]["estimate"] == pytest.approx(median)
        else:
            assert group["median"]["estimate"] is None
        assert [p["nAtRisk"] for p in group["atTimes"]] == [
            p.n_at_risk for p in kmf.survival_at([12, 24])
        ]
    test = logrank_test(os_frame["months"], os_frame["status"], os_frame["sex"])
    assert summary["logrank"]["pValue"] == pytest.approx(test.p_value)
