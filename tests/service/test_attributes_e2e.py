"""Generated attributes, generic filters and numeric cut groups through HTTP on the demo lake.

Oracles: the transplant attributes counted straight from the demo lake's ``transplants`` table
(first allogeneic transplant per patient, in plain Polars over the scanned table); the cut groups
against the same question asked once per age band with the generic numeric filter (groups and
filters must agree patient for patient, so n, events and medians are equal).
"""

from __future__ import annotations

from typing import Any

import httpx
import polars as pl
import pytest

from lake.model import DONOR_TYPES
from lake.storage import open_lake
from tests.conftest import DemoLake
from tests.service.conftest import ANALYST_KEY, STATISTICIAN_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
AGE_CUTS = "{attribute: AGE_AT_DIAGNOSIS, at: [65, 75]}"
KNOWN_AGE = "{numeric: [{attribute: AGE_AT_DIAGNOSIS, min: 0}]}"
BANDS = {
    "<65": f"allOf: [{KNOWN_AGE}, "
    "{not: {numeric: [{attribute: AGE_AT_DIAGNOSIS, min: 65}]}}]",
    "65–<75": "allOf: [{numeric: [{attribute: AGE_AT_DIAGNOSIS, min: 65}]}, "
    "{not: {numeric: [{attribute: AGE_AT_DIAGNOSIS, min: 75}]}}]",
    ">=75": "numeric: [{attribute: AGE_AT_DIAGNOSIS, min: 75}]",
}
GROUPS = "groups { group n events median { estimate lower upper } }"


def _ask(url: str, query: str, key: str = STATISTICIAN_KEY) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"x-api-key": key}, timeout=120
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def _first_allo(demo_lake: DemoLake) -> pl.DataFrame:
    """Per allogeneic recipient: the first allogeneic transplant's row (independent oracle)."""
    transplants = open_lake(demo_lake.root).scan("transplants").collect()
    return (
        transplants.filter(pl.col("transplant_type") == "allogeneic")
        .sort("transplant_date")
        .unique("patient_id", keep="first")
    )


def test_a_generated_transplant_attribute_filters_and_groups(
    lake_server: str, demo_lake: DemoLake
) -> None:
    first = _first_allo(demo_lake)
    data = _ask(
        lake_server,
        """{ ric: cohort(filter: {categorical: [{attribute: ALLO_CONDITIONING, values: ["RIC"]}]})
             { size { value } }
           allo: cohort(filter: {treatment: {transplant: ALLOGENEIC}}) {
             breakdown(attribute: ALLO_DONOR_TYPE) { categories { category n } }
             survival(endpoint: OS, timeZero: {origin: ALLO_TRANSPLANT},
                      groupBy: {attribute: ALLO_DONOR_TYPE}) { groups { group n } } } }""",
    )
    assert "errors" not in data, data
    assert data["data"]["ric"]["size"]["value"] == first.filter(conditioning="RIC").height
    expected = dict(first.get_column("donor_type").value_counts().iter_rows())
    counts = data["data"]["allo"]["breakdown"]["categories"]
    assert {c["category"] for c in counts} == set(expected)
    assert all(c["n"] is None or c["n"] == expected[c["category"]] for c in counts)
    labels = [g["group"] for g in data["data"]["allo"]["survival"]["groups"]]
    assert [g for g in labels if g is not None] == [d for d in DONOR_TYPES if d in labels]


def test_invalid_codes_are_a_bad_request_naming_the_valid_ones(lake_server: str) -> None:
    data = _ask(
        lake_server,
        """{ cohort(filter: {categorical: [{attribute: ALLO_DONOR_TYPE, values: ["sibling"]}]})
             { size { value } } }""",
    )
    (error,) = data["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "matched_related" in error["message"]


def test_survival_by_age_cuts_equals_the_same_question_per_age_band(lake_server: str) -> None:
    data = _ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [MM]}}) {{
            survival(endpoint: OS, groupBy: {{cuts: {AGE_CUTS}}}, trend: true) {{
              excluded {GROUPS} trend {{ statistic pValue }} }} }} }}""",
    )
    assert "errors" not in data, data
    survival = data["data"]["cohort"]["survival"]
    assert [g["group"] for g in survival["groups"]] == list(BANDS)
    assert survival["trend"]["pValue"] is not None
    for group in survival["groups"]:
        band = _ask(
            lake_server,
            f"""{{ cohort(filter: {{diseases: [MM], {BANDS[group["group"]]}}}) {{
                survival(endpoint: OS) {{ {GROUPS} }} }} }}""",
        )
        assert "errors" not in band, band
        (alone,) = band["data"]["cohort"]["survival"]["groups"]
        assert {**alone, "group": group["group"]} == group


def test_protected_cut_groups_are_the_requested_bands(lake_server: str) -> None:
    data = _ask(
        lake_server,
        f"""{{ cohort(filter: {{treatment: {{transplant: ALLOGENEIC}}}}) {{
            cumulativeIncidence(endpoint: NRM, timeZero: {{origin: ALLO_TRANSPLANT}},
              groupBy: {{cuts: {AGE_CUTS}}}) {{ groups {{ group n }}
              provenance {{ access }} }} }} }}""",
        key=ANALYST_KEY,
    )
    assert "errors" not in data, data
    incidence = data["data"]["cohort"]["cumulativeIncidence"]
    assert incidence["provenance"]["access"] == "PROTECTED"
    assert [g["group"] for g in incidence["groups"]] == list(BANDS)
