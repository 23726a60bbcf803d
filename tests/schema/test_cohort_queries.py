"""Cohort fields through the real schema, checked against independent Polars counts."""

from __future__ import annotations

import re

import anyio
import polars as pl
import pytest

from lake.access import Caller
from lake.cohort.covariates import Levelled, ModelTerms
from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import EVERYONE
from lake.cohort.models import CoxRequest
from lake.cohort.survival import Grouping, SurvivalRequest
from lake.errors import AnalysisError
from lake.query.gateway import LakeGateway
from tests.schema.conftest import Execute, ListSink
from tests.schema.demo_frames import demo_frames

PATIENTS = demo_frames(200)["patients"]
#: The ways of forming groups, in the order groupBy's messages list them.
WAYS = "attribute, score, cuts, groups, exposure"

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
    assert result.errors[0].extensions == {"code": "NOT_FOUND"}
    assert result.errors[0].message == "the lake has no version 9; the newest is 3"


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
        "graphql:query cohort",
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
  survival(endpoint: OS, groupBy: {attribute: SEX}, times: [12, 24], timeUnit: MONTHS) {
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


FOUR_SURVIVALS = """fragment Four on Cohort {
  s1: survival(endpoint: OS) { excluded } s2: survival(endpoint: PFS) { excluded }
  s3: survival(endpoint: OS, groupBy: {attribute: SEX}) { excluded } s4: survival(endpoint: OS,
      trend: true) {
    excluded } }"""


async def test_cost_counts_a_fragment_at_every_spread(execute: Execute) -> None:
    # 4 cohorts (1 each) spreading 4 survivals (10 each): 4 + 16 * 10 = 164 > 60
    spreads = " ".join(f"c{i}: cohort {{ ...Four }}" for i in range(4))
    result = await execute(f"{FOUR_SURVIVALS} {{ {spreads} }}")
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "COST_LIMIT_EXCEEDED"}
    assert "query cost 164 exceeds the limit of 60" in error.message
    # the same through a nested fragment and an inline fragment: 2 * (1 + 40) = 82
    nested = "fragment Outer on Cohort { ... on Cohort { ...Four } }"
    result = await execute(
        f"{FOUR_SURVIVALS} {nested} {{ a: cohort {{ ...Outer }} b: cohort {{ ...Outer }} }}"
    )
    assert result.errors is not None
    assert "query cost 82 exceeds" in result.errors[0].message
    # a fragment spread once stays within the limit (1 + 40)
    result = await execute(f"{FOUR_SURVIVALS} {{ cohort {{ ...Four }} }}")
    assert result.errors is None


async def test_fragment_cycles_are_refused_not_recursed(execute: Execute) -> None:
    query = """fragment A on Cohort { size { value } ...B } fragment B on Cohort { ...A }
      { cohort { ...A } }"""
    result = await execute(query)
    assert result.errors is not None
    assert any("cannot spread fragment" in e.message.lower() for e in result.errors)


@pytest.mark.parametrize(
    ("field", "endpoint", "origin", "valid"),
    [
        ("survival", "MRFS", "DIAGNOSIS", "TKI_STOP"),
        ("cumulativeIncidence", "NRM", "DIAGNOSIS", "ALLO_TRANSPLANT"),
        ("survival", "GRFS", "TKI_STOP", "ALLO_TRANSPLANT"),
        ("coxModel", "MRECTFS", "ALLO_TRANSPLANT", "TKI_STOP"),
        ("fineGray", "NRM", "DIAGNOSIS", "ALLO_TRANSPLANT"),
    ],
)
async def test_an_endpoint_answers_only_from_its_origins(
    execute: Execute, field: str, endpoint: str, origin: str, valid: str
) -> None:
    covariates = ", covariates: [{attribute: SEX}]" if field in ("coxModel", "fineGray") else ""
    result = await execute(
        f"{{ cohort {{ {field}(endpoint: {endpoint}, timeZero: {{origin: {origin}}}"
        f"{covariates}) {{ endpoint }} }} }}"
    )
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "BAD_REQUEST"}
    assert error.message == (
        f"endpoint {endpoint} is not defined from origin {origin}; "
        f"valid origins for {endpoint}: {valid}"
    )


LIST_ATTRIBUTES = ("AGENTS_RECEIVED", "STRATEGIES", "EVENT_TYPES")


@pytest.mark.parametrize("attribute", LIST_ATTRIBUTES)
@pytest.mark.parametrize(
    "field",
    [
        "survival(endpoint: OS, groupBy: {{attribute: {a}}}) {{ endpoint }}",
        "survival(endpoint: OS, strata: {a}) {{ endpoint }}",
        "cumulativeIncidence(endpoint: RELAPSE, timeZero: {{origin: ALLO_TRANSPLANT}}, "
        "groupBy: {{attribute: {a}}}) "
        "{{ endpoint }}",
        "coxModel(endpoint: OS, covariates: [{{attribute: {a}}}]) {{ endpoint }}",
        "coxModel(endpoint: OS, covariates: [{{numeric: AGE_AT_DIAGNOSIS}}], strata: {a}) "
        "{{ endpoint }}",
    ],
)
async def test_list_attributes_cannot_group_an_analysis(
    execute: Execute, attribute: str, field: str
) -> None:
    result = await execute(f"{{ cohort {{ {field.format(a=attribute)} }} }}")
    assert result.errors is not None
    typed, explained = result.errors
    assert f"Value '{attribute}' does not exist in 'GroupingAttribute' enum" in typed.message
    assert explained.extensions == {"code": "BAD_REQUEST"}
    found = re.search(r"(\w+): (?:\[?\{\{(\w+): )?\[?\{a\}", field)
    assert found is not None
    argument = ".".join(filter(None, found.groups()))
    assert explained.message.startswith(
        f"{argument}: {attribute} can hold several values per patient"
    )
    assert "filter the cohort by it instead" in explained.message


@pytest.mark.parametrize("attribute", LIST_ATTRIBUTES)
async def test_list_attributes_still_break_down(execute: Execute, attribute: str) -> None:
    result = await execute(f"{{ cohort {{ breakdown(attribute: {attribute}) {{ total }} }} }}")
    assert result.errors is None
    assert result.data == {"cohort": {"breakdown": {"total": 200}}}


def test_the_lake_refuses_to_group_by_a_list_attribute(gateway: LakeGateway) -> None:
    caller = Caller(user="tester", role="statistician")
    (cohort,) = gateway.cohorts([(None, EVERYONE)])
    assert not isinstance(cohort, Exception)
    os = EndpointKey(endpoint="OS", origin="diagnosis")
    survival = SurvivalRequest(
        endpoint=os,
        grouping=Grouping(attribute="agents_received"),
        times=(),
        time_unit="months",
        conf_type="log",
    )
    with pytest.raises(AnalysisError, match="groupBy: agents_received can hold several values"):
        gateway.survival(caller, cohort, request=survival)
    cox = CoxRequest(
        endpoint=os,
        terms=ModelTerms((Levelled("attribute", "sex"), Levelled("attribute", "event_types"))),
    )
    with pytest.raises(AnalysisError, match=r"coxModel: event_types .* filter the cohort by it"):
        gateway.cox(caller, cohort, request=cox)


async def test_endpoint_listing_names_the_origins_validation_accepts(execute: Execute) -> None:
    result = await execute("{ lake { endpoints { name event competingEvent origins } } }")
    assert result.errors is None
    listed = {e["name"]: e for e in result.data["lake"]["endpoints"]}  # type: ignore[index]
    # 04-transplant.md §4.1 (day 0 = allogeneic transplant), 03-cml.md §3.8 (from TKI stop)
    assert listed["NRM"]["origins"] == ["ALLO_TRANSPLANT"]
    assert listed["NRM"]["event"] == "death without prior relapse/progression"
    assert listed["MRFS"]["origins"] == ["TKI_STOP"]
    assert listed["OS"]["origins"] == ["DIAGNOSIS", "TREATMENT_LINE", "ALLO_TRANSPLANT", "TKI_STOP"]
    assert listed["OS"]["competingEvent"] is None
    for name, endpoint in listed.items():
        for origin in ("DIAGNOSIS", "ALLO_TRANSPLANT", "TKI_STOP"):
            if origin in endpoint["origins"]:
                EndpointKey(endpoint=name, origin=origin.lower())  # type: ignore[arg-type]
            else:
                with pytest.raises(AnalysisError, match=f"not defined from origin {origin}"):
                    EndpointKey(endpoint=name, origin=origin.lower())  # type: ignore[arg-type]


async def test_treatment_lines_is_an_integer_range(execute: Execute) -> None:
    query = (
        "query($l: IntRangeInput) { cohort(filter: {treatment: {lines: $l}}) { size { value } } }"
    )
    result = await execute(query, {"l": {"min": 1.5}})
    assert result.errors is not None
    assert "Int cannot represent non-integer value: 1.5" in result.errors[0].message
    # every demo patient has exactly one line (demo_frames)
    result = await execute(query, {"l": {"min": 1, "max": 1}})
    assert result.data == {"cohort": {"size": {"value": 200}}}
    result = await execute(query, {"l": {"min": 2}})
    assert result.data == {"cohort": {"size": {"value": 0}}}


async def test_concurrent_identical_requests_compute_once(
    execute: Execute, gateway: LakeGateway
) -> None:
    results: list[object] = []

    async def one() -> None:
        results.append((await execute(SURVIVAL, {"f": {"sites": ["ROT"]}})).data)

    async with anyio.create_task_group() as group:
        for _ in range(6):
            group.start_soon(one)
    assert len(results) == 6
    assert all(r == results[0] for r in results)
    assert (gateway.results.misses, gateway.results.hits) == (1, 5)


async def test_provenance_names_the_lake_request_and_the_operation(
    execute: Execute, audit: ListSink
) -> None:
    asked = (
        "query Size { cohort(filter: {sexes: [F]}) { "
        "size { provenance { queryHash operationHash } } } }"
    )
    spaced = asked.replace(" { ", "  {\n ")
    aliased = asked.replace("size {", "n: size {")
    answers = []
    for query in (asked, spaced, aliased):
        result = await execute(query)
        assert result.errors is None
        (cohort,) = result.data.values()  # type: ignore[union-attr]
        answers.append(next(iter(cohort.values()))["provenance"])
    size, graphql = (
        [r for r in audit.records if r.action == "SizeRequest"],
        [r for r in audit.records if r.action == "graphql:query cohort"],
    )
    # queryHash: the normalised lake request, as audited for the release
    assert [a["queryHash"] for a in answers] == [r.query_hash for r in size]
    assert len({a["queryHash"] for a in answers}) == 1
    # operationHash: the normalised GraphQL operation, as audited for the request
    assert [a["operationHash"] for a in answers] == [r.query_hash for r in graphql]
    assert answers[0]["operationHash"] == answers[1]["operationHash"]  # whitespace is normalised
    assert answers[0]["operationHash"] != answers[2]["operationHash"]  # a different document


async def test_treatment_line_origin(execute: Execute) -> None:
    """Every demo patient starts line 1 on the diagnosis day: the two origins give one answer."""
    ask = (
        "{{ cohort {{ survival(endpoint: OS, {origin}, groupBy: {{attribute: SEX}}, times: [12]) "
        "{{ origin {fields} }} }} }}"
    )
    fields = "groups { group n events median { estimate lower upper } atTimes { survival } }"
    by_line = await execute(
        ask.format(origin="timeZero: {origin: TREATMENT_LINE, line: 1}", fields=fields)
    )
    by_diagnosis = await execute(ask.format(origin="timeZero: {origin: DIAGNOSIS}", fields=fields))
    assert by_line.errors is None
    assert by_diagnosis.errors is None
    line = by_line.data["cohort"]["survival"]  # type: ignore[index]
    diagnosis = by_diagnosis.data["cohort"]["survival"]  # type: ignore[index]
    assert line["origin"] == "treatment line 1"
    assert line["groups"] == diagnosis["groups"]
    assert sum(g["n"] for g in line["groups"]) == PATIENTS.height


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            "timeZero: {origin: TREATMENT_LINE}",
            "line is required with origin TREATMENT_LINE and only with it",
        ),
        ("timeZero: {origin: DIAGNOSIS, line: 1}", "line is required with origin TREATMENT_LINE"),
        ("timeZero: {origin: TREATMENT_LINE, line: 0}", "line must be 1 or more (got 0)"),
        ("timeZero: {landmarkDays: -1}", "timeZero.landmarkDays must be 0 or more (got -1)"),
        (
            "groupBy: {}",
            f"groupBy: give exactly one of {WAYS} (got none)",
        ),
        (
            'groupBy: {attribute: SEX, score: "iss"}',
            f"groupBy: give exactly one of {WAYS} (got attribute, score)",
        ),
    ],
)
async def test_treatment_line_origin_bad_requests(
    execute: Execute, arguments: str, message: str
) -> None:
    result = await execute(f"{{ cohort {{ survival(endpoint: OS, {arguments}) {{ origin }} }} }}")
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "BAD_REQUEST"}
    assert message in error.message


@pytest.mark.parametrize(
    ("cohort_filter", "message"),
    [
        ("{numeric: [{attribute: AGE_AT_DIAGNOSIS}]}", "numeric age_at_diagnosis: give min"),
        ("{numeric: [{attribute: AGE_AT_DIAGNOSIS, min: 70, max: 60}]}", "min (70.0) is greater"),
        ('{categorical: [{attribute: SEX, values: ["X"]}]}', "valid: M, F"),
        ("{categorical: [{attribute: SEX, values: []}]}", "give at least one value"),
        ("{lists: [{attribute: LINE1_AGENTS}]}", "give any, all or both"),
        ('{lists: [{attribute: LINE1_AGENTS, all: ["aspirin"]}]}', "unknown code(s) ['aspirin']"),
    ],
)
async def test_generic_filters_refuse_bad_conditions(
    execute: Execute, cohort_filter: str, message: str
) -> None:
    result = await execute(f"{{ cohort(filter: {cohort_filter}) {{ size {{ value }} }} }}")
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "BAD_REQUEST"}
    assert message in error.message


@pytest.mark.parametrize(
    ("cuts", "message"),
    [
        ("{attribute: AGE_AT_DIAGNOSIS, at: []}", "groupBy.cuts.at: give at least one cut point"),
        ("{attribute: AGE_AT_DIAGNOSIS, at: [70, 60]}", "strictly ascending"),
    ],
)
async def test_cuts_refuse_bad_points(execute: Execute, cuts: str, message: str) -> None:
    result = await execute(
        f"{{ cohort {{ survival(endpoint: OS, groupBy: {{cuts: {cuts}}}) {{ origin }} }} }}"
    )
    assert result.errors is not None
    (error,) = result.errors
    assert error.extensions == {"code": "BAD_REQUEST"}
    assert message in error.message
