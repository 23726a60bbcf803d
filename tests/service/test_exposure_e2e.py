"""Time-dependent exposures through HTTP: a real uvicorn server over the demo lake.

Two oracles. (1) The landmark groups by exposure status, counted directly from the Delta tables
(polars over ``patients``, ``events`` and ``transplants``; no lake/ derivation): a patient is in
a landmark-L analysis of OS from diagnosis when their follow-up ends (first death, else the last
dated event) after diagnosis + L, and exposed when their first transplant of the type is on or
before diagnosis + L. (2) The R goldens of tests/lake/survival/golden/exposure.json (make_golden.R:
tmerge, coxph, the Mantel-Byar sums, survfit on counting-process data; survdiff by status at the
landmark) on the demo-lake inputs, compared to 1e-6 relative; time points beyond a curve's
released end (minimum cell size 5) are withheld by the service and not compared.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from lake.access import GOVERNED_ROLES
from lake.storage import open_lake
from tests.conftest import DemoLake
from tests.service.conftest import ANALYST_KEY, ask

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
GOLDEN = Path(__file__).parents[1] / "lake" / "survival" / "golden" / "exposure.json"


@cache
def _golden(case: str) -> dict[str, Any]:
    cases: dict[str, dict[str, Any]] = json.loads(GOLDEN.read_text())
    return cases[case]


def _close(got: float | None, expected: float | None) -> None:
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=1e-6)


def _landmark_oracle(
    demo_lake: DemoLake, disease: str, transplant_type: str, landmark: int
) -> tuple[int, int, int]:
    """(patients in the landmark analysis, exposed at the landmark, ever exposed among them)."""
    snap = open_lake(demo_lake.root)
    patients = (
        snap.scan("patients")
        .filter(pl.col("disease") == disease)
        .select("patient_id", "diagnosis_date")
    )
    events = (
        snap.scan("events")
        .group_by("patient_id")
        .agg(
            death=pl.col("event_date").filter(pl.col("event_type") == "death").min(),
            last=pl.col("event_date").max(),
        )
    )
    transplants = (
        snap.scan("transplants")
        .filter(pl.col("transplant_type") == transplant_type)
        .group_by("patient_id")
        .agg(first=pl.col("transplant_date").min())
    )
    zero = pl.col("diagnosis_date") + pl.duration(days=landmark)
    rows = (
        patients.join(events, on="patient_id")
        .join(transplants, on="patient_id", how="left")
        .filter(pl.coalesce("death", "last") > zero)
        .collect()
    )
    exposed = rows.filter(pl.col("first") <= zero)
    return rows.height, exposed.height, int(rows.get_column("first").is_not_null().sum())


@pytest.mark.parametrize(
    ("disease", "transplant", "landmark"),
    [("AML", "ALLOGENEIC", 180), ("MM", "ALLOGENEIC", 180), ("MM", "AUTOLOGOUS", 180)],
)
def test_landmark_groups_by_status_at_the_landmark(
    lake_server: str, demo_lake: DemoLake, disease: str, transplant: str, landmark: int
) -> None:
    n, exposed, ever = _landmark_oracle(demo_lake, disease, transplant.lower(), landmark)
    flag = "HAD_ALLOGENEIC" if transplant == "ALLOGENEIC" else "HAD_AUTOLOGOUS"
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [{disease}]}}) {{
        atLandmark: survival(endpoint: OS, timeZero: {{landmarkDays: {landmark}}},
          groupBy: {{exposure: {{transplant: {transplant}}}}}) {{ groups {{ group n }} }}
        ever: survival(endpoint: OS, timeZero: {{landmarkDays: {landmark}}},
          groupBy: {{attribute: {flag}}}) {{ groups {{ group n }} }} }} }}""",
    )
    assert "errors" not in data, data
    cohort = data["data"]["cohort"]
    groups = {g["group"]: g["n"] for g in cohort["atLandmark"]["groups"]}
    assert groups.get("exposed") == (exposed or None)
    assert groups.get("unexposed") == n - exposed
    # the biased question: "ever transplanted" counts those transplanted after the landmark
    flags = {g["group"]: g["n"] for g in cohort["ever"]["groups"]}
    assert flags.get("true") == ever > exposed


def test_landmark_by_status_equals_r(lake_server: str) -> None:
    """AML OS 180 days after diagnosis by allo transplant status at day 180 (R survdiff)."""
    data = ask(
        lake_server,
        """{ cohort(filter: {diseases: [AML]}) { survival(endpoint: OS,
        timeZero: {landmarkDays: 180}, groupBy: {exposure: {transplant: ALLOGENEIC}},
        times: [12, 24]) { groups { group n events atTimes { survival lower upper } }
        logrank { statistic pValue } } } }""",
    )
    assert "errors" not in data, data
    survival = data["data"]["cohort"]["survival"]
    r = _golden("aml_os_allo_lm180/at_landmark")
    assert [g["group"] for g in survival["groups"]] == ["unexposed", "exposed"]
    for group in survival["groups"]:
        expected = r["groups"][group["group"]]
        assert (group["n"], group["events"]) == (expected["n"], expected["events"])
        for i, point in enumerate(group["atTimes"]):
            for field, column in (("survival", "surv"), ("lower", "lower"), ("upper", "upper")):
                _close(point[field], expected["at"][column][i])
    _close(survival["logrank"]["statistic"], r["logrank"]["chisq"])
    _close(survival["logrank"]["pValue"], r["logrank"]["p"])
    assert _golden("aml_os_allo_lm180/ever")["n_exposed"] > r["groups"]["exposed"]["n"]


EFFECT = """n events exposed excluded
hazardRatio { name coef hazardRatio se pValue lower upper }
likelihoodRatio { statistic } wald { statistic } score { statistic }
mantelByar { testName statistic df pValue groups }
curves { group n events median { estimate lower upper }
  atTimes { time survival stdErr lower upper } steps { time } }"""


@pytest.mark.parametrize(
    ("case", "disease", "endpoint", "transplant"),
    [("aml_os_allo", "AML", "OS", "ALLOGENEIC"), ("mm_pfs_auto", "MM", "PFS", "AUTOLOGOUS")],
)
def test_exposure_effect_equals_r(
    lake_server: str, case: str, disease: str, endpoint: str, transplant: str
) -> None:
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [{disease}]}}) {{ exposureEffect(endpoint: {endpoint},
        exposure: {{transplant: {transplant}}}, times: [6, 12, 24, 60]) {{ {EFFECT} }} }} }}""",
    )
    assert "errors" not in data, data
    effect = data["data"]["cohort"]["exposureEffect"]
    r = _golden(case)
    assert (effect["n"], effect["events"], effect["exposed"]) == (
        r["n"],
        r["events"],
        r["n_exposed"],
    )
    hr = effect["hazardRatio"]
    assert hr["name"] == "exposed"
    for field, key in (
        ("coef", "coef"),
        ("se", "se"),
        ("hazardRatio", "hazard_ratio"),
        ("lower", "lower"),
        ("upper", "upper"),
        ("pValue", "p"),
    ):
        _close(hr[field], r[key])
    _close(effect["likelihoodRatio"]["statistic"], r["lr"])
    _close(effect["wald"]["statistic"], r["wald"])
    _close(effect["score"]["statistic"], r["score"])
    test = effect["mantelByar"]
    assert (test["testName"], test["df"], test["groups"]) == (
        "Mantel-Byar",
        1,
        ["unexposed", "exposed"],
    )
    _close(test["statistic"], r["mantel_byar"]["chisq"])
    _close(test["pValue"], r["mantel_byar"]["p"])
    assert [c["group"] for c in effect["curves"]] == ["unexposed", "exposed"]
    for curve in effect["curves"]:
        expected = r["curves"][curve["group"]]
        assert (curve["n"], curve["events"]) == (expected["n"], expected["events"])
        end = curve["steps"][-1]["time"]
        _close(curve["median"]["estimate"], expected["median"])
        by_time = dict(zip(expected["at"]["time"], range(len(expected["at"]["time"])), strict=True))
        for point in curve["atTimes"]:
            if point["time"] > end or point["time"] not in by_time:
                continue  # beyond the released curve (or past R's last time): not compared
            i = by_time[point["time"]]
            for field, column in (
                ("survival", "surv"),
                ("stdErr", "std_err"),
                ("lower", "lower"),
                ("upper", "upper"),
            ):
                _close(point[field], expected["at"][column][i])


def test_protected_roles_are_refused_naming_the_governed_roles(lake_server: str) -> None:
    data = ask(
        lake_server,
        """{ cohort(filter: {diseases: [AML]}) { exposureEffect(endpoint: OS,
        exposure: {transplant: ALLOGENEIC}) { n } } }""",
        key=ANALYST_KEY,
    )
    (error,) = data["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert all(role in error["message"] for role in GOVERNED_ROLES)


def test_protected_landmark_by_status_has_the_two_public_groups(lake_server: str) -> None:
    """The noisy life table of protected roles lays out both groups, whatever the cohort."""
    data = ask(
        lake_server,
        """{ cohort(filter: {diseases: [MM]}) { survival(endpoint: OS,
        timeZero: {landmarkDays: 180}, groupBy: {exposure: {transplant: ALLOGENEIC}}) {
        groups { group } provenance { access } } } }""",
        key=ANALYST_KEY,
    )
    assert "errors" not in data, data
    survival = data["data"]["cohort"]["survival"]
    assert survival["provenance"]["access"] == "PROTECTED"
    assert [g["group"] for g in survival["groups"]] == ["unexposed", "exposed"]


@pytest.mark.parametrize(
    "exposure", ["{}", "{transplant: ALLOGENEIC, treatmentLine: 2}", "{treatmentLine: 0}"]
)
def test_an_exposure_is_exactly_one_valid_field(lake_server: str, exposure: str) -> None:
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [MM]}}) {{ exposureEffect(endpoint: OS,
        exposure: {exposure}) {{ n }} }} }}""",
    )
    (error,) = data["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "exposure" in error["message"]
