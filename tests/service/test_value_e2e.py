"""ESMO-MCBS grading of published summary statistics through a real uvicorn server.

Inputs are the worked examples of 06-value-frameworks.md §6.1 (examples 1 and 9) and a published
trial summary (VIALE-A: DiNardo CD et al. N Engl J Med 2020;383:617-629); any role may ask (no
lake data), and the UNCONFIRMED rules come from the service settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lake.errors import ConfigError
from lake.value import EsmoRules, Threshold
from service.settings import settings_from_mapping
from tests.service.conftest import (
    ANALYST_KEY,
    STATISTICIAN_KEY,
    AppFactory,
    ask,
    audit_records,
    serving,
)

pytestmark = [pytest.mark.e2e]
FIELDS = """framework form sheet preliminaryGrade grade substantialBenefit evidence label
  criteria adjustments unconfirmedRules { setting enabled effect } reason"""


def grade(url: str, study: str, key: str = ANALYST_KEY) -> dict[str, object]:
    payload = ask(url, f"{{ esmoMcbs(study: {study}) {{ {FIELDS} }} }}", key)
    assert "errors" not in payload, payload
    graded: dict[str, object] = payload["data"]["esmoMcbs"]
    return graded


@pytest.fixture
def value_server(app_factory: AppFactory) -> Iterator[str]:
    rules = EsmoRules(form2b_grade2_short=Threshold(0.65, 0.0))
    with serving(app_factory(esmo_mcbs=rules)) as url:
        yield url


def test_worked_example_1_with_quality_of_life_as_an_analyst(
    value_server: str, tmp_path: Path
) -> None:
    """Example 1 (control 10, experimental 13.5 months, HR 0.60, 0.48-0.75) is grade 4; with
    significantly improved QoL (example 6) grade 5."""
    study = """{comparison: {endpoint: OS, hazardRatio: {estimate: 0.60, lower: 0.48, upper: 0.75},
      controlMedianMonths: 10, experimentalMedianMonths: 13.5, qualityOfLife: IMPROVED}}"""
    graded = grade(value_server, study)
    assert graded["framework"] == "esmo_mcbs_v1.1"
    assert (graded["form"], graded["preliminaryGrade"], graded["grade"]) == ("2a", 4, 5)
    assert graded["substantialBenefit"] is True
    assert graded["label"] == "ESMO-MCBS v1.1 Form 2a grade 5 (randomised evidence)"
    assert graded["adjustments"] == ["+1: significantly improved quality of life"]
    audit = audit_records(
        tmp_path / "audit.jsonl", 1, lambda r: r.get("action") == "ValueGradeRequest"
    )
    assert any(r.get("action") == "ValueGradeRequest" and r["user"] == "ana" for r in audit)


def test_real_world_evidence_is_labelled(value_server: str) -> None:
    """VIALE-A's numbers typed as real-world evidence keep their grade, labelled as such."""
    study = """{comparison: {endpoint: OS, hazardRatio: {estimate: 0.66, lower: 0.52, upper: 0.85},
      controlMedianMonths: 9.6, experimentalMedianMonths: 14.7, evidence: REAL_WORLD}}"""
    graded = grade(value_server, study)
    assert graded["grade"] == 4
    assert graded["evidence"] == "REAL_WORLD"
    assert str(graded["label"]).endswith("(real-world evidence)")


def test_form_2b_uses_the_unconfirmed_rule_from_the_settings(value_server: str) -> None:
    study = """{comparison: {endpoint: PFS, hazardRatio: {estimate: 0.6, lower: 0.5, upper: 0.7},
      controlMedianMonths: 5, experimentalMedianMonths: 6}}"""
    graded = grade(value_server, study)
    assert graded["grade"] == 2
    rules = {r["setting"]: r for r in graded["unconfirmedRules"]}  # type: ignore[attr-defined]
    assert rules["form2b_grade2_short"]["enabled"] is True
    assert rules["form2b_grade1_short"]["enabled"] is False


def test_worked_example_9_single_arm(value_server: str) -> None:
    graded = grade(value_server, "{singleArm: {orrPercent: 45, dorMonths: 7}}")
    assert (graded["form"], graded["grade"], graded["evidence"]) == ("3", 2, "SINGLE_ARM")
    assert graded["unconfirmedRules"] == [
        {
            "setting": "form3_max_grade",
            "enabled": False,
            "effect": "disabled: the adjusted grade is not capped below 5",
        }
    ]


def test_invalid_and_ambiguous_inputs_are_bad_requests(value_server: str) -> None:
    reversed_ci = ask(
        value_server,
        """{ esmoMcbs(study: {comparison: {endpoint: OS, controlMedianMonths: 10,
        experimentalMedianMonths: 12, hazardRatio: {estimate: 0.6, lower: 0.7, upper: 0.8}}})
        { grade } }""",
        ANALYST_KEY,
    )
    assert reversed_ci["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "hazardRatio" in reversed_ci["errors"][0]["message"]
    both = ask(
        value_server,
        "{ esmoMcbs(study: {singleArm: {orrPercent: 45}, comparison: null}) { grade } }",
        ANALYST_KEY,
    )
    assert "errors" in both


def test_the_settings_file_fills_the_unconfirmed_rules() -> None:
    settings = settings_from_mapping(
        {
            "lake_root": "lake",
            "esmo_mcbs": {"form2b_grade1_long": {"hr_lower_max": 0.8, "gain_months": 0}},
        }
    )
    assert settings.esmo_mcbs == EsmoRules(form2b_grade1_long=Threshold(0.8, 0.0))
    with pytest.raises(ConfigError, match="unknown esmo_mcbs setting"):
        settings_from_mapping({"lake_root": "lake", "esmo_mcbs": {"form2c": 1}})


LAKE_GRADE = """{ cohort(filter: {diseases: [MM]}) { esmoMcbs(
    experimental: {sites: ["AMS"]}, control: {sites: ["ROT"]}, design: EXTERNAL_CONTROL,
    endpoint: OS, balanceNumeric: [AGE_AT_DIAGNOSIS], balanceCategorical: [SEX]) {
  grade { form grade evidence label reason unconfirmedRules { setting enabled } }
  design hazardRatio { estimate lower upper }
  experimental { n events median } control { n events median medianLower }
  landmarks { years controlPercent experimentalPercent }
  balance { covariate smdBefore smdAfter } effectiveControlSize excluded
  provenance { lakeVersion queryHash access } } } }"""


def test_lake_comparison_for_a_statistician(live_server: str) -> None:
    """Two sites of the in-memory lake as a single arm against an external control: the answer
    carries the weighted HR, medians, balance before/after and the single-arm label."""
    payload = ask(live_server, LAKE_GRADE, STATISTICIAN_KEY)
    assert "errors" not in payload, payload
    graded = payload["data"]["cohort"]["esmoMcbs"]
    assert graded["design"] == "EXTERNAL_CONTROL"
    assert graded["grade"]["evidence"] == "SINGLE_ARM"
    assert graded["grade"]["label"].endswith("(single-arm evidence)")
    assert graded["grade"]["form"] == "2a"
    hr = graded["hazardRatio"]
    assert hr["lower"] < hr["estimate"] < hr["upper"]
    assert graded["experimental"]["n"] + graded["control"]["n"] == 200
    assert [b["covariate"] for b in graded["balance"]] == ["age_at_diagnosis", "sex=M"]
    for row in graded["balance"]:  # balanced after weighting (|SMD| < 0.1, Austin & Stuart)
        assert abs(row["smdAfter"]) < 0.1
        assert row["smdBefore"] != row["smdAfter"]
    assert 0 < graded["effectiveControlSize"] <= graded["control"]["n"]
    assert graded["provenance"]["access"] == "GOVERNED"
    again = ask(live_server, LAKE_GRADE, STATISTICIAN_KEY)["data"]["cohort"]["esmoMcbs"]
    assert again == graded


def test_lake_comparison_is_refused_to_protected_roles(live_server: str) -> None:
    payload = ask(live_server, LAKE_GRADE, ANALYST_KEY)
    (error,) = payload["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "propensity score" in error["message"]
    assert payload["data"]["cohort"]["esmoMcbs"] is None


README_LAKE_EXAMPLE = """{ cohort(filter: {diseases: [MM]}) {
    esmoMcbs(experimental: {dataOrigins: [TRIAL]}, control: {dataOrigins: [REAL_WORLD]},
             design: EXTERNAL_CONTROL, endpoint: OS,
             balanceNumeric: [AGE_AT_DIAGNOSIS], balanceCategorical: [SEX]) {
      grade { grade label reason unconfirmedRules { setting enabled } }
      hazardRatio { estimate lower upper }
      experimental { n median } control { n median }
      balance { covariate smdBefore smdAfter } effectiveControlSize
      provenance { lakeVersion queryHash access } } } }"""


@pytest.mark.slow
def test_readme_lake_example_on_the_demo_lake(lake_server: str) -> None:
    """The README's example: myeloma trial patients against a real-world external control."""
    payload = ask(lake_server, README_LAKE_EXAMPLE, STATISTICIAN_KEY)
    assert "errors" not in payload, payload
    graded = payload["data"]["cohort"]["esmoMcbs"]
    assert graded["grade"]["label"].startswith("ESMO-MCBS v1.1 Form 2a")
    assert graded["grade"]["label"].endswith("(single-arm evidence)")
    assert graded["experimental"]["n"] >= 5
    assert graded["control"]["n"] >= 5
    for row in graded["balance"]:
        assert abs(row["smdAfter"]) < 0.1
