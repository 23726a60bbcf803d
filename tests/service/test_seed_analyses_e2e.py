"""The seed studies' key analyses, one GraphQL document each, asked of a real server.

``examples/seed-analyses/*.graphql`` is the catalogue (its README lists them with the seed
document each comes from); every file is one query a statistician can paste into GraphiQL. Each
is asked over HTTP as a statistician (governed: exact answers) on the demo lake and must answer
without errors; its check below asserts what the analysis is for: the effect the synthetic
generator planted (:mod:`loaders.synthetic.hazards`) is recovered where one was planted, and the
numbers agree with each other (counts add up, ratios are the ratio of their parts). The exact
figures against R are the business of ``test_studies_e2e.py`` and the golden tests.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from loaders.synthetic.hazards import AML_OS_COMUTATION, CML_MOLECULAR_RELAPSE, MM_OS
from tests.service.conftest import ask

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CATALOGUE = Path(__file__).parents[2] / "examples" / "seed-analyses"
Data = dict[str, Any]


def _coefficients(cox: Data) -> dict[str, Data]:
    return {c["name"].split("=")[-1]: c for c in cox["coefficients"]}


def _groups(summary: Data) -> dict[str | None, Data]:
    return {g["group"]: g for g in summary["groups"]}


def _at(group: Data, time: float) -> float:
    (point,) = (p for p in group["atTimes"] if p["time"] == time)
    value: float = point.get("survival", point.get("estimate"))
    return value


def _harmful(cox: Data, levels: tuple[str, ...]) -> None:
    """Hazard ratios increase along ``levels`` and each 95 % CI lies above 1."""
    coefs = _coefficients(cox)
    ratios = [coefs[level]["hazardRatio"] for level in levels]
    assert ratios == sorted(ratios)
    assert all(coefs[level]["lower"] > 1 for level in levels)


def _planted_within(cox: Data, levels: tuple[str, ...], planted: tuple[float, ...]) -> None:
    """The planted hazard ratio of each level lies in the model's 95 % CI."""
    coefs = _coefficients(cox)
    for level, ratio in zip(levels, planted, strict=True):
        assert coefs[level]["lower"] <= ratio <= coefs[level]["upper"], (level, ratio)


def mm_01(data: Data) -> None:
    survival, cox = data["cohort"]["survival"], data["cohort"]["coxModel"]
    groups = _groups(survival)
    medians = [groups[s]["median"]["estimate"] for s in ("I", "II", "III")]
    assert medians == sorted(medians, reverse=True)
    assert survival["trend"]["pValue"] < 1e-6
    assert MM_OS.hazard_ratios[1:] == tuple(sorted(MM_OS.hazard_ratios[1:]))
    _harmful(cox, ("II", "III"))
    _planted_within(cox, ("II",), MM_OS.hazard_ratios[1:2])


def mm_02(data: Data) -> None:
    survival = data["cohort"]["survival"]
    groups = _groups(survival)
    assert groups["I"]["median"]["estimate"] > groups["III"]["median"]["estimate"]
    assert survival["trend"]["pValue"] < 1e-6


def mm_03(data: Data) -> None:
    systems = {s["system"].split("_")[0]: s for s in data["cohort"]["stagingComparison"]["systems"]}
    # R-ISS carries the planted hazards: it separates better than ISS, CA or LDH alone
    for alone in ("iss", "mm", "ldh"):
        assert systems["riss"]["aic"] < systems[alone]["aic"]
        assert systems["riss"]["concordance"]["cIndex"] > systems[alone]["concordance"]["cIndex"]


def mm_04(data: Data) -> None:
    for name in ("issToRiss", "rissToR2iss"):
        table = data["cohort"][name]
        assert 0 < table["moved"] < table["compared"]
        assert table["shareMoved"] == pytest.approx(table["moved"] / table["compared"])
    cells = data["cohort"]["issToRiss"]["cells"]
    moved = sum(c["n"] for c in cells if c["before"] != c["after"] and "NOT" not in c["after"])
    assert moved == data["cohort"]["issToRiss"]["moved"]


def mm_05(data: Data) -> None:
    cohort = data["cohort"]
    assert cohort["iss"]["trend"]["pValue"] < 1e-6
    for factor, high in (("ca", "HIGH"), ("ldh", "HIGH")):
        groups = _groups(cohort[factor])
        low = next(g for g in groups if g not in (high, "NOT_CLASSIFIABLE", "NOT_APPLICABLE"))
        assert groups[high]["median"]["estimate"] < groups[low]["median"]["estimate"]


def mm_06(data: Data) -> None:
    groups = _groups(data["cohort"]["survival"])
    assert {"BELOW_40", "AT_LEAST_40"} <= set(groups)
    assert all(0 <= _at(g, 60) <= _at(g, 24) <= 1 for g in groups.values() if g["n"])


def mm_13(data: Data) -> None:
    groups = _groups(data["cohort"]["survival"])
    assert groups["trial"]["median"]["estimate"] > groups["real_world"]["median"]["estimate"]
    # real-world hazards were planted 1.4x those of trial patients at the same latent R-ISS
    real_world = _coefficients(data["cohort"]["coxModel"])["real_world"]
    assert real_world["lower"] > 1


def mm_08(data: Data) -> None:
    survival = data["cohort"]["survival"]
    groups = _groups(survival)
    assert list(groups) == ["bortezomib", "lenalidomide", "thalidomide"]  # the order given
    assert survival["logrank"]["df"] == len(groups) - 1


def mm_09(data: Data) -> None:
    cohort = data["cohort"]
    ever, landmark, effect = cohort["ever"], cohort["landmark"], cohort["exposureEffect"]
    never, transplanted = _groups(ever)["false"], _groups(ever)["true"]
    # no transplant effect was planted, but ASCT comes 4 to 6 months into progression-free
    # follow-up: grouping by "ever" credits the transplanted with that time (immortal time)
    assert transplanted["median"]["estimate"] > never["median"]["estimate"] + 6
    # the time-varying analysis and the landmark do not: the CI of the hazard ratio holds 1
    ratio = effect["hazardRatio"]
    assert ratio["lower"] < 1 < ratio["upper"]
    assert math.exp(ratio["coef"]) == pytest.approx(ratio["hazardRatio"])
    assert (ratio["name"], ratio["unit"]) == ("exposed", "vs unexposed")
    assert landmark["logrank"]["pValue"] > 0.05
    # the same patients throughout: ever-transplanted = exposed during follow-up, each
    # Simon-Makuch curve counts the patients who spend time in its state
    assert effect["n"] == never["n"] + transplanted["n"]
    assert effect["exposed"] == transplanted["n"]
    curves = {c["group"]: c for c in effect["curves"]}
    assert curves["exposed"]["n"] == effect["exposed"]
    assert curves["unexposed"]["events"] + curves["exposed"]["events"] == effect["events"]
    # the landmark analysis keeps the patients still progression-free and followed at day 365
    assert sum(g["n"] for g in landmark["groups"]) + landmark["excluded"] == effect["n"]
    assert {g["group"] for g in landmark["groups"]} == {"unexposed", "exposed"}


def mm_10(data: Data) -> None:
    cohort = data["cohort"]
    assert {g["group"] for g in cohort["pfs"]["groups"]} >= {"fixed_duration", "continuous"}
    units = {c["name"]: c["unit"] for c in cohort["coxModel"]["coefficients"]}
    assert units["line1_strategy=continuous"] == "vs fixed_duration"


def mm_12(data: Data) -> None:
    cox = data["cohort"]["coxModel"]
    _harmful(cox, ("II", "III"))
    _planted_within(cox, ("II",), MM_OS.hazard_ratios[1:2])
    terms = [t["term"] for t in cox["proportionalHazards"]["terms"]]
    assert len(terms) == 3  # one test per term: R-ISS (2 levels together), age, sex
    assert next(c for c in cox["coefficients"] if c["name"] == "age_at_diagnosis")["unit"] == (
        "per 10 years"
    )


def aml_01(data: Data) -> None:
    risk = data["cohort"]["risk"]
    assert risk["total"] == data["cohort"]["size"]["value"]
    assert sum(c["n"] for c in risk["categories"]) == risk["total"]


def aml_02(data: Data) -> None:
    survival, cox = data["cohort"]["survival"], data["cohort"]["coxModel"]
    assert survival["trend"]["pValue"] < 1e-10
    levels = ("INTERMEDIATE", "ADVERSE")
    _harmful(cox, levels)
    _planted_within(cox, levels, AML_OS_COMUTATION.hazard_ratios[1:])


def aml_03(data: Data) -> None:
    table = data["cohort"]["reclassification"]
    assert 0.2 < table["shareMoved"] < 0.8  # the study reports 42.7 %


def aml_04(data: Data) -> None:
    for origin in ("trial", "realWorld"):
        survival = data[origin]["survival"]
        assert survival["trend"]["pValue"] < 1e-6
        groups = _groups(survival)
        assert groups["FAVORABLE"]["median"]["estimate"] > groups["ADVERSE"]["median"]["estimate"]


def aml_06(data: Data) -> None:
    coefs = {c["name"]: c for c in data["cohort"]["coxModel"]["coefficients"]}
    # planted: FLT3-ITD and DNMT3A raise the hazard, IDH and TET2 protect (favourable group)
    assert coefs["flt3_itd=present"]["lower"] > 1
    assert coefs["dnmt3a=present"]["lower"] > 1
    assert coefs["idh1=present"]["upper"] < 1
    assert coefs["tet2=present"]["upper"] < 1
    assert "flt3_itd=present:dnmt3a=present" in coefs


def aml_07(data: Data) -> None:
    efs = _groups(data["cohort"]["survival"])
    assert _at(efs["FAVORABLE"], 24) > _at(efs["ADVERSE"], 24)
    incidence = data["cohort"]["cumulativeIncidence"]
    relapse = {
        g["group"]: next(c for c in g["causes"] if c["cause"] == "event")
        for g in incidence["groups"]
    }
    assert _at(relapse["ADVERSE"], 24) > _at(relapse["FAVORABLE"], 24)


def cml_01(data: Data) -> None:
    (group,) = data["cohort"]["survival"]["groups"]
    assert 0 < _at(group, 24) < _at(group, 12) < _at(group, 6) < 1


def cml_02(data: Data) -> None:
    cohort = data["cohort"]
    assert cohort["sokal"]["trend"]["pValue"] < 1e-3
    levels = ("INTERMEDIATE", "HIGH")
    _planted_within(cohort["coxModel"], levels, CML_MOLECULAR_RELAPSE.hazard_ratios[1:])
    assert _coefficients(cohort["coxModel"])["HIGH"]["lower"] > 1


def cml_03(data: Data) -> None:
    cox = data["cohort"]["coxModel"]
    names = {c["name"] for c in cox["coefficients"]}
    assert {"tki_years_at_stop", "mr4_years_at_stop"} <= names
    _planted_within(cox, ("HIGH",), CML_MOLECULAR_RELAPSE.hazard_ratios[2:])


def cml_04(data: Data) -> None:
    incidence = data["cohort"]["cumulativeIncidence"]
    relapse = {
        g["group"]: next(c for c in g["causes"] if c["cause"] == "event")
        for g in incidence["groups"]
    }
    assert _at(relapse["HIGH"], 24) > _at(relapse["LOW"], 24)


def cml_05(data: Data) -> None:
    survival = data["cohort"]["survival"]
    groups = _groups(survival)
    assert list(groups) == ["second-generation TKI", "imatinib only"]
    assert survival["excluded"] + sum(g["n"] for g in groups.values()) > 0


def cml_06(data: Data) -> None:
    cohort = data["cohort"]
    for name in ("eligibility", "depth"):
        assert sum(c["n"] for c in cohort[name]["categories"]) == cohort["size"]["value"]


def allo_01(data: Data) -> None:
    (os,) = data["cohort"]["os"]["groups"]
    (pfs,) = data["cohort"]["pfs"]["groups"]
    assert 0 < _at(pfs, 24) <= _at(os, 24) < 1  # progression or death comes no later than death


def allo_03(data: Data) -> None:
    for kind in ("acute", "chronic"):
        (group,) = data["cohort"][kind]["groups"]
        event = next(c for c in group["causes"] if c["cause"] == "event")
        assert event["events"] > 0
        assert 0 < event["atTimes"][0]["estimate"] <= event["atTimes"][-1]["estimate"] < 1


def allo_04(data: Data) -> None:
    groups = data["cohort"]["cumulativeIncidence"]["groups"]
    nrm = {g["group"]: next(c for c in g["causes"] if c["cause"] == "event") for g in groups}
    assert _at(nrm["HIGH"], 24) > _at(nrm["LOW"], 24)  # planted HCT-CI hazards 1 / 1.6 / 2.6


def allo_05(data: Data) -> None:
    cohort = data["cohort"]
    shr = {c["name"].split("=")[1]: c["hazardRatio"] for c in cohort["fineGray"]["coefficients"]}
    assert shr["RIC"] > 1  # planted cause-specific relapse hazards 1 / 1.3 / 1.6
    assert shr["NMA"] > 1
    assert {g["group"] for g in cohort["cumulativeIncidence"]["groups"]} == {"MAC", "RIC", "NMA"}


def allo_07(data: Data) -> None:
    early = data["early"]
    assert early["size"]["value"] == sum(c["n"] for c in early["allo"]["categories"])


def allo_08(data: Data) -> None:
    incidence = data["cohort"]["cumulativeIncidence"]
    chronic = {
        g["group"]: next(c for c in g["causes"] if c["cause"] == "event")
        for g in incidence["groups"]
    }
    # planted: chronic GVHD 50 % after a peripheral-blood graft against 28 % after marrow
    assert _at(chronic["peripheral_blood"], 24) > _at(chronic["bone_marrow"], 24)
    event_test = next(t for t in incidence["grayTests"] if t["cause"] == "event")
    assert event_test["test"]["pValue"] < 0.01


def allo_09(data: Data) -> None:
    incidence = data["cohort"]["cumulativeIncidence"]
    nrm = {
        g["group"]: next(c for c in g["causes"] if c["cause"] == "event")
        for g in incidence["groups"]
    }
    assert list(nrm) == ["<3", ">=3"]
    assert _at(nrm[">=3"], 24) > _at(nrm["<3"], 24)  # planted: NRM hazard x 2 after grade >= 3


def allo_06(data: Data) -> None:
    cohort = data["cohort"]
    grades = cohort["worstGrade"]
    assert sum(b["n"] for b in grades["bins"]) + grades["missing"] == grades["total"]
    assert sum(c["n"] for c in cohort["dli"]["categories"]) == cohort["dli"]["total"]


def value_01(data: Data) -> None:
    cohort = data["cohort"]
    (arm,) = cohort["pfsHazard"]["coefficients"]
    # no arm effect was planted: the CI holds 1; the HR is exp(coef) and the CI is symmetric in it
    assert arm["lower"] < 1 < arm["upper"]
    assert math.exp(arm["coef"]) == pytest.approx(arm["hazardRatio"])
    assert math.log(arm["lower"]) + math.log(arm["upper"]) == pytest.approx(2 * arm["coef"])
    assert {g["group"] for g in cohort["pfs"]["groups"]} == {"TD", "VTD"}


CHECKS: dict[str, Callable[[Data], None]] = {
    "mm-01": mm_01,
    "mm-02": mm_02,
    "mm-03": mm_03,
    "mm-04": mm_04,
    "mm-05": mm_05,
    "mm-06": mm_06,
    "mm-08": mm_08,
    "mm-09": mm_09,
    "mm-10": mm_10,
    "mm-12": mm_12,
    "mm-13": mm_13,
    "aml-01": aml_01,
    "aml-02": aml_02,
    "aml-03": aml_03,
    "aml-04": aml_04,
    "aml-06": aml_06,
    "aml-07": aml_07,
    "cml-01": cml_01,
    "cml-02": cml_02,
    "cml-03": cml_03,
    "cml-04": cml_04,
    "cml-05": cml_05,
    "cml-06": cml_06,
    "allo-01": allo_01,
    "allo-03": allo_03,
    "allo-04": allo_04,
    "allo-05": allo_05,
    "allo-06": allo_06,
    "allo-07": allo_07,
    "allo-08": allo_08,
    "allo-09": allo_09,
    "value-01": value_01,
}
FILES = sorted(CATALOGUE.glob("*.graphql"))


def _key(path: Path) -> str:
    found = re.match(r"([a-z]+-\d+)-", path.name)
    assert found is not None, f"{path.name}: name it <study>-<nn>-<slug>.graphql"
    return found.group(1)


def test_every_analysis_has_a_check_and_a_line_in_the_readme() -> None:
    readme = (CATALOGUE / "README.md").read_text()
    assert sorted(_key(f) for f in FILES) == sorted(CHECKS)
    for path in FILES:
        assert f"`{path.name}`" in readme, f"{path.name} is not listed in the README"
        assert path.read_text().startswith("# Seed "), f"{path.name}: say which seed it answers"


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_seed_analysis(lake_server: str, path: Path) -> None:
    payload = ask(lake_server, path.read_text())
    assert "errors" not in payload, payload["errors"]
    CHECKS[_key(path)](payload["data"])
