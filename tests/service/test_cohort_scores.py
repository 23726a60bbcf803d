"""Scores of per-measurement inputs through the API on the demo lake: every cohort use answers.

``mr_level`` and ``tki_stop`` are computed per patient (:mod:`lake.risk.per_patient`) and work
wherever a score is asked for on a cohort; ``imwg_assessment`` cannot be (the lake holds no serial
M-protein) and says so, in ``lake { scores }`` and in every refusal.

Oracle for ``mr_level``: the demo lake's Delta tables read directly, each CML patient's last
BCR::ABL1 sample on or before the first TKI stop (else the last follow-up) picked in plain Python
and levelled by the 03-cml.md §3.6 table (Cross 2015) written out here again.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from typing import Any

import httpx
import pytest

from lake.storage import open_lake
from tests.conftest import DemoLake

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
MIN_CELL = 5
CML = "diseases: [CML]"


def level(detectable: bool, is_pct: float | None, copies: int | None) -> str:
    """03-cml.md §3.6: the molecular response level of one sample."""
    if detectable:
        assert is_pct is not None
        bands = ((0.001, "MR5"), (0.0032, "MR4.5"), (0.01, "MR4"), (0.1, "MMR"))
        return next((name for limit, name in bands if is_pct <= limit), "NONE")
    if copies is None:
        return "NOT_CLASSIFIABLE"
    bands = ((100_000, "MR5"), (32_000, "MR4.5"), (10_000, "MR4"))
    return next((name for limit, name in bands if copies >= limit), "INDETERMINATE")


@cache
def mr_levels_at_evaluation(root: str) -> Counter[str]:
    """Each CML patient's level at the first TKI stop, else at the last follow-up."""
    lake = open_lake(root)
    cml = set(lake.scan("patients").filter(disease="CML").collect().get_column("patient_id"))
    evaluation: dict[str, Any] = {}
    stops: dict[str, Any] = {}
    for row in lake.scan("events").collect().iter_rows(named=True):
        pid, day = row["patient_id"], row["event_date"]
        if row["event_type"] == "tki_stop":
            stops[pid] = min(day, stops.get(pid, day))
        elif row["event_type"] == "last_follow_up":
            evaluation[pid] = max(day, evaluation.get(pid, day))
    evaluation |= stops
    last: dict[str, dict[str, Any]] = {}
    for row in lake.scan("bcr_abl1").collect().iter_rows(named=True):
        pid = row["patient_id"]
        if pid not in evaluation or row["sample_date"] > evaluation[pid]:
            continue
        if pid not in last or row["sample_date"] > last[pid]["sample_date"]:
            last[pid] = row
    return Counter(
        level(last[p]["detectable"], last[p]["is_pct"], last[p]["abl1_copies"])
        if p in last
        else "NOT_CLASSIFIABLE"
        for p in cml
    )


async def ask(client: httpx.AsyncClient, query: str) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query})
    payload: dict[str, Any] = response.json()
    return payload


async def test_mr_level_distribution_is_each_patients_level_at_evaluation(
    lake_client: httpx.AsyncClient, demo_lake: DemoLake
) -> None:
    expected = mr_levels_at_evaluation(str(demo_lake.root))
    assert not [n for n in expected.values() if 0 < n < MIN_CELL]  # every count is released
    payload = await ask(
        lake_client,
        f'{{ cohort(filter: {{{CML}}}) {{ risk(score: "mr_level") {{ total '
        "categories { category n } } } }",
    )
    assert "errors" not in payload
    risk = payload["data"]["cohort"]["risk"]
    assert risk["total"] == sum(expected.values())
    assert {c["category"]: c["n"] for c in risk["categories"] if c["n"]} == dict(expected)


async def test_mr_level_groups_filters_and_models_tfr_from_the_stop(
    lake_client: httpx.AsyncClient, demo_lake: DemoLake
) -> None:
    expected = mr_levels_at_evaluation(str(demo_lake.root))
    tfr = "endpoint: MRFS, timeZero: {origin: TKI_STOP}"
    payload = await ask(
        lake_client,
        f"""{{ cohort(filter: {{{CML}}}) {{
          survival({tfr}, groupBy: {{score: "mr_level"}}) {{ groups {{ group n }} }}
          coxModel({tfr}, covariates: [{{score: "mr_level"}}]) {{ n coefficients {{ name }} }}
          stagingComparison({tfr}, scores: ["sokal", "mr_level"]) {{ systems {{ system n }} }}
          reclassification(before: "sokal", after: "mr_level") {{ total }} }}
        deep: cohort(filter: {{{CML}, riskGroups: [{{score: "mr_level",
                                                      categories: ["MR4.5", "MR5"]}}]}}) {{
          size {{ value }} }} }}""",
    )
    assert "errors" not in payload, payload.get("errors")
    cohort = payload["data"]["cohort"]
    assert {g["group"] for g in cohort["survival"]["groups"]} == set(expected)
    assert cohort["coxModel"]["n"] > 0
    assert cohort["coxModel"]["coefficients"]
    systems = cohort["stagingComparison"]["systems"]
    assert [s["system"] for s in systems] == ["sokal1984", "mr_level_cross2015"]
    assert cohort["reclassification"]["total"] == sum(expected.values())
    assert payload["data"]["deep"]["size"]["value"] == expected["MR4.5"] + expected["MR5"]


async def test_tki_stop_tiers_and_what_the_lake_lacks(lake_client: httpx.AsyncClient) -> None:
    payload = await ask(
        lake_client,
        f'{{ cohort(filter: {{{CML}}}) {{ size {{ value }} risk(score: "tki_stop") {{ '
        "categories { category n missingInputs { input n } } } "
        "survival(endpoint: MRFS, timeZero: {origin: TKI_STOP}, "
        'groupBy: {score: "tki_stop"}) { groups { n } } '
        "} }",
    )
    assert "errors" not in payload, payload.get("errors")
    cohort = payload["data"]["cohort"]
    categories = {c["category"]: c for c in cohort["risk"]["categories"]}
    assert sum(c["n"] for c in categories.values()) == cohort["size"]["value"]
    # the switch reason and prior failures are not in the model: nobody is certainly eligible
    assert categories["OPTIMAL"]["n"] == categories["MINIMAL"]["n"] == 0
    assert categories["NOT_ELIGIBLE"]["n"] > 0
    unclassified = categories["NOT_CLASSIFIABLE"]
    missing = {m["input"]: m["n"] for m in unclassified["missingInputs"]}
    assert missing["tki_stop_inputs.prior_treatment_failure"] == unclassified["n"] > 0


async def test_imwg_assessment_is_listed_as_unusable_and_refused_with_the_reason(
    lake_client: httpx.AsyncClient,
) -> None:
    listed = await ask(
        lake_client, "{ lake { scores { name version usableOnCohorts perPatient } } }"
    )
    scores = {s["name"]: s for s in listed["data"]["lake"]["scores"]}
    assert not scores["imwg_assessment"]["usableOnCohorts"]
    assert "does not store" in scores["imwg_assessment"]["perPatient"]
    assert scores["mr_level"]["usableOnCohorts"]
    assert "first TKI stop" in scores["mr_level"]["perPatient"]
    assert (scores["iss"]["usableOnCohorts"], scores["iss"]["perPatient"]) == (True, None)
    assert [n for n, s in scores.items() if not s["usableOnCohorts"]] == ["imwg_assessment"]
    for query in (
        '{ cohort(filter: {diseases: [MM]}) { risk(score: "imwg_assessment") { total } } }',
        '{ cohort(filter: {riskGroups: [{score: "imwg_assessment", categories: ["CR"]}]}) '
        "{ size { value } } }",
    ):
        refused = await ask(lake_client, query)
        (error,) = refused["errors"]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert "cannot be used on a cohort" in error["message"]
