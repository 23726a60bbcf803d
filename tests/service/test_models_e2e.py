"""Cox and Fine-Gray models through HTTP on the demo lake, against R (golden/models.json).

A statistician (governed, exact) asks a real uvicorn server; every number equals R's on the same
cohort (make_golden.R, R survival 3.5.3 / cmprsk 2.2.11, on inputs/demo_mm_os_cov.csv and
demo_allo_nrm_cov.csv re-derived from the demo lake by tests/lake/survival/test_demo_lake_golden.py)
to 1e-6 relative: coxph coefficients, standard errors, the three tests, concordance and cox.zph
(transform "km", one test per term) for Breslow ties with an ordinal score as a trend, a chosen
reference level with a per-10-years numeric, a natural log and an interaction, and log2 with
strata; cmprsk::crr for both causes of NRM. Counts follow the minimum cell size (5), as served.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.conftest import ANALYST_KEY, STATISTICIAN_KEY

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
GOLDEN = Path(__file__).parents[1] / "lake" / "survival" / "golden" / "models.json"
MM = "{diseases: [MM]}"
ALLO = "{treatment: {transplant: ALLOGENEIC}}"
COX_FIELDS = """ties n events dropped coefficients { name unit coef hazardRatio se }
  likelihoodRatio { statistic df } wald { statistic } score { statistic } aic
  concordance { cIndex stdErr }
  proportionalHazards { transform terms { term test { statistic df pValue } }
                        globalTest { statistic df pValue } }"""


@cache
def _golden(case: str) -> dict[str, Any]:
    cases: dict[str, dict[str, Any]] = json.loads(GOLDEN.read_text())
    return cases[case]


def _ask(url: str, query: str, key: str = STATISTICIAN_KEY) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql", json={"query": query}, headers={"x-api-key": key}, timeout=120
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def _model(url: str, cohort: str, field: str, arguments: str, fields: str) -> dict[str, Any]:
    data = _ask(url, f"{{ cohort(filter: {cohort}) {{ {field}({arguments}) {{ {fields} }} }} }}")
    assert "errors" not in data, data["errors"]
    model: dict[str, Any] = data["data"]["cohort"][field]
    return model


def _close(got: list[float] | float, expected: list[float] | float) -> None:
    assert got == pytest.approx(expected, rel=1e-6, abs=1e-12)


def _check_cox(cox: dict[str, Any], r: dict[str, Any], names: list[str], terms: list[str]) -> None:
    """Every coxph / cox.zph figure of one golden case; ``names``/``terms`` the API's labels in
    R's column / term order."""
    assert (cox["n"], cox["events"]) == (r["n"], r["events"])
    assert cox["ties"] == r["ties"].upper()
    coefficients = cox["coefficients"]
    assert [c["name"] for c in coefficients] == names
    _close([c["coef"] for c in coefficients], r["coef"])
    _close([c["se"] for c in coefficients], r["se"])
    lr = cox["likelihoodRatio"]
    _close(
        [lr["statistic"], cox["wald"]["statistic"], cox["score"]["statistic"]],
        [r["lr"], r["wald"], r["score"]],
    )
    assert lr["df"] == len(names)
    _close(cox["aic"], r["aic"])
    _close(
        [cox["concordance"]["cIndex"], cox["concordance"]["stdErr"]],
        [r["concordance"], r["concordance_se"]],
    )
    zph = cox["proportionalHazards"]
    assert zph["transform"] == "km"
    assert [t["term"] for t in zph["terms"]] == terms
    assert r["zph_terms"][-1] == "GLOBAL"
    tests = [t["test"] for t in zph["terms"]] + [zph["globalTest"]]
    _close([t["statistic"] for t in tests], r["zph_chisq"])
    _close([t["pValue"] for t in tests], r["zph_p"])
    assert [t["df"] for t in tests] == r["zph_df"]


def test_breslow_ties_with_a_score_as_trend(lake_server: str) -> None:
    cox = _model(
        lake_server,
        MM,
        "coxModel",
        """endpoint: OS, ties: BRESLOW, covariates: [{score: "iss", asTrend: true},
        {attribute: SEX}, {numeric: AGE_AT_DIAGNOSIS}]""",
        COX_FIELDS,
    )
    r = _golden("mm_os/breslow_trend")
    assert r["names"] == ["iss_trend", "sexF", "age"]
    names = ["iss_greipp2005", "sex=F", "age_at_diagnosis"]
    _check_cox(cox, r, names, ["iss_greipp2005", "sex", "age_at_diagnosis"])
    assert [c["unit"] for c in cox["coefficients"]] == [
        "per step of I < II < III",
        "vs M",
        "per year",
    ]


def test_reference_level_per_10_years_log_and_interaction(lake_server: str) -> None:
    cox = _model(
        lake_server,
        MM,
        "coxModel",
        """endpoint: OS, covariates: [{score: "riss", reference: "II"},
        {numeric: AGE_AT_DIAGNOSIS, transform: PER_UNITS, per: 10},
        {numeric: BETA2M_MG_L, transform: LOG}, {attribute: SEX}],
        interactions: [{a: "AGE_AT_DIAGNOSIS", b: "SEX"}]""",
        COX_FIELDS,
    )
    r = _golden("mm_os/reference_log_per10_interaction")
    assert r["names"] == [
        "riss_ref2I",
        "riss_ref2III",
        "I(age/10)",
        "log(b2m)",
        "sexF",
        "I(age/10):sexF",
    ]
    names = [
        "riss_palumbo2015=I",
        "riss_palumbo2015=III",
        "age_at_diagnosis",
        "log(beta2m_mg_l)",
        "sex=F",
        "age_at_diagnosis:sex=F",
    ]
    terms = ["riss_palumbo2015", "age_at_diagnosis", "log(beta2m_mg_l)", "sex"]
    _check_cox(cox, r, names, [*terms, "age_at_diagnosis:sex"])
    assert cox["dropped"] > 0  # beta-2 microglobulin is missing for some patients
    assert [c["unit"] for c in cox["coefficients"]] == [
        "vs II",
        "vs II",
        "per 10 years",
        "per e-fold of mg/L (natural log)",
        "vs M",
        None,
    ]


def test_log2_with_strata(lake_server: str) -> None:
    cox = _model(
        lake_server,
        MM,
        "coxModel",
        """endpoint: OS, strata: SEX, covariates: [{numeric: AGE_AT_DIAGNOSIS, transform: LOG2},
        {score: "riss"}]""",
        COX_FIELDS,
    )
    r = _golden("mm_os/log2_strata")
    names = ["log2(age_at_diagnosis)", "riss_palumbo2015=II", "riss_palumbo2015=III"]
    _check_cox(cox, r, names, ["log2(age_at_diagnosis)", "riss_palumbo2015"])
    assert cox["coefficients"][0]["unit"] == "per doubling of years"


def test_proportional_hazards_check_only_when_selected(lake_server: str) -> None:
    """Without the field the answer is the same model (one query hash per selection)."""
    cox = _model(
        lake_server,
        MM,
        "coxModel",
        'endpoint: OS, covariates: [{score: "riss"}]',
        "coefficients { coef } ... on CoxModel { proportionalHazards { globalTest { df } } }",
    )
    assert cox["proportionalHazards"]["globalTest"]["df"] == 2
    bare = _model(
        lake_server,
        MM,
        "coxModel",
        'endpoint: OS, covariates: [{score: "riss"}]',
        "coefficients { coef }",
    )
    assert bare["coefficients"] == cox["coefficients"]


@pytest.mark.parametrize(("cause", "failcode"), [("EVENT", 1), ("COMPETING", 2)])
def test_fine_gray_equals_crr(lake_server: str, cause: str, failcode: int) -> None:
    """cmprsk::crr(time, cause, cbind(disease == "MM", age / 10), failcode) on NRM from allo-HSCT,
    with AML as the chosen reference of disease."""
    fg = _model(
        lake_server,
        ALLO,
        "fineGray",
        f"""endpoint: NRM, timeZero: {{origin: ALLO_TRANSPLANT}}, cause: {cause},
        covariates: [{{attribute: DISEASE, reference: "AML"}},
        {{numeric: AGE_AT_DIAGNOSIS, transform: PER_UNITS, per: 10}}]""",
        """cause n events dropped excluded converged
        coefficients { name unit coef hazardRatio se lower upper pValue }
        likelihoodRatio { statistic df } wald { statistic df }""",
    )
    r = _golden(f"allo_nrm/crr{failcode}")
    assert r["r_function"] == "cmprsk::crr"
    assert (fg["cause"], fg["n"], fg["events"], fg["dropped"]) == (cause, r["n"], r["events"], 0)
    assert fg["converged"] is r["converged"] is True
    coefficients = fg["coefficients"]
    assert [c["name"] for c in coefficients] == ["disease=MM", "age_at_diagnosis"]
    assert [c["unit"] for c in coefficients] == ["vs AML", "per 10 years"]
    for field, column in (
        ("coef", "coef"),
        ("se", "se"),
        ("hazardRatio", "shr"),
        ("lower", "lower"),
        ("upper", "upper"),
        ("pValue", "p"),
    ):
        _close([c[field] for c in coefficients], r[column])
    _close(fg["likelihoodRatio"]["statistic"], 2 * (r["loglik"] - r["loglik_null"]))


@pytest.mark.parametrize("field", ["coxModel", "fineGray"])
def test_protected_roles_are_refused_naming_the_governed_roles(
    lake_server: str, field: str
) -> None:
    endpoint = "OS" if field == "coxModel" else "NRM, timeZero: {origin: ALLO_TRANSPLANT}"
    data = _ask(
        lake_server,
        f"""{{ cohort(filter: {ALLO}) {{ {field}(endpoint: {endpoint},
        covariates: [{{attribute: DISEASE}}]) {{ n }} }} }}""",
        key=ANALYST_KEY,
    )
    (error,) = data["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert error["path"] == ["cohort", field]
    assert "not released on protected access" in error["message"]
    assert "statistician" in error["message"]


@pytest.mark.parametrize(
    ("disease", "covariates", "message"),
    [
        ("MM", '{score: "riss", reference: "IV"}', "reference 'IV' is not one of its levels"),
        ("MM", "{attribute: SEX, asTrend: true}", "sex is not ordinal"),
        ("CML", "{numeric: SPLEEN_CM, transform: LOG}", "complete case(s) have spleen_cm <= 0"),
        ("MM", "{numeric: AGE_AT_DIAGNOSIS, per: 10}", "give per exactly with transform PER_UNITS"),
        ("MM", '{attribute: SEX, score: "riss"}', "give exactly one of attribute, score, numeric"),
    ],
)
def test_covariates_the_lake_cannot_model_are_bad_requests(
    lake_server: str, disease: str, covariates: str, message: str
) -> None:
    data = _ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [{disease}]}}) {{ coxModel(endpoint: OS,
        covariates: [{covariates}]) {{ n }} }} }}""",
    )
    (error,) = data["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert message in error["message"]


def test_interactions_name_covariates_of_the_model(lake_server: str) -> None:
    data = _ask(
        lake_server,
        """{ cohort(filter: {diseases: [MM]}) { coxModel(endpoint: OS,
        covariates: [{attribute: SEX}], interactions: [{a: "SEX", b: "riss"}]) { n } } }""",
    )
    (error,) = data["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert (
        "interactions: riss is not a covariate of the model (covariates: sex)" in error["message"]
    )
