"""Over a real uvicorn server: answers keep the caller's order of ``times``, and a field that
fails is null with its own error while the fields beside it answer."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.service.conftest import STATISTICIAN_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ASKED = [24.0, 12.0, 24.0, 6.0]


def _post(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"x-api-key": STATISTICIAN_KEY, "accept": "application/graphql-response+json"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


ALLO_TIMES = """query($t: [Float!]) { cohort(filter: {treatment: {transplant: ALLOGENEIC}}) {
  cumulativeIncidence(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}, times: $t) {
    groups { causes { cause atTimes { time estimate lower upper nAtRisk reason } } } }
  survival(endpoint: OS, timeZero: {origin: ALLO_TRANSPLANT}, times: $t) {
    groups { atTimes { time survival lower upper nAtRisk reason } } } } }"""


def test_times_answer_in_the_order_asked(lake_server: str) -> None:
    asked = _post(lake_server, ALLO_TIMES, {"t": ASKED})
    ascending = _post(lake_server, ALLO_TIMES, {"t": sorted(set(ASKED))})
    assert "errors" not in asked
    answers = asked["data"]["cohort"]
    (os_group,) = answers["survival"]["groups"]
    (os_sorted,) = ascending["data"]["cohort"]["survival"]["groups"]
    by_time = {p["time"]: p for p in os_sorted["atTimes"]}
    assert [p["time"] for p in os_group["atTimes"]] == ASKED
    assert os_group["atTimes"] == [by_time[t] for t in ASKED]
    assert os_group["atTimes"][0]["survival"] < os_group["atTimes"][1]["survival"]
    (group,) = answers["cumulativeIncidence"]["groups"]
    (group_sorted,) = ascending["data"]["cohort"]["cumulativeIncidence"]["groups"]
    for cause, cause_sorted in zip(group["causes"], group_sorted["causes"], strict=True):
        by_time = {p["time"]: p for p in cause_sorted["atTimes"]}
        assert [p["time"] for p in cause["atTimes"]] == ASKED
        assert cause["atTimes"] == [by_time[t] for t in ASKED]
        assert cause["atTimes"][0]["estimate"] > cause["atTimes"][3]["estimate"]


def test_a_failing_field_is_null_beside_answered_ones(live_server: str) -> None:
    # the in-memory lake has no TKI stop: the Cox model fails (EMPTY_COHORT), survival answers
    payload = _post(
        live_server,
        """{ cohort { size { value } survival(endpoint: OS) { groups { n } }
             coxModel(endpoint: MRECTFS, timeZero: {origin: TKI_STOP},
                      covariates: [{attribute: SEX}]) { n } } }""",
    )
    assert payload["data"] == {
        "cohort": {"size": {"value": 200}, "survival": {"groups": [{"n": 200}]}, "coxModel": None}
    }
    (error,) = payload["errors"]
    assert error["path"] == ["cohort", "coxModel"]
    assert error["extensions"] == {"code": "EMPTY_COHORT"}
    assert "no patient left" in error["message"]


def test_a_failing_cohort_is_null_beside_an_answered_one(live_server: str) -> None:
    payload = _post(
        live_server,
        """{ bad: cohort(filter: {age: {min: 9, max: 1}}) { size { value } }
             good: cohort { size { value } } }""",
    )
    assert payload["data"] == {"bad": None, "good": {"size": {"value": 200}}}
    (error,) = payload["errors"]
    assert (error["path"], error["extensions"]) == (["bad"], {"code": "BAD_REQUEST"})
