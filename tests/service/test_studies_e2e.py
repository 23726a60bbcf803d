"""Each study question answered through HTTP by a real uvicorn server over the demo lake.

Two oracles. (1) The same statistics assembled independently from lake/ functions (tables scanned
and joined directly, not through the service's patient-aligned column cache), so the glue
(cohort selection, grouping, endpoint alignment, unit conversion) is what is checked. (2) The R
golden values of the demo lake's study cohorts (tests/lake/survival/golden/demo.json, written by
make_golden.R from R survival 3.5.3 / cmprsk 2.2.11 on inputs re-derived from the demo lake by
tests/lake/survival/test_demo_lake_golden.py): medians with CI, survival at times with CI and
number at risk, log-rank and trend tests, C-index / LR / AIC, cumulative incidence and Gray's
test. The API returns floats at full precision (JSON of Python floats, no rounding), so they are
compared to 1e-6 relative; counts are compared after the minimum cell size (5) is applied to
R's counts, as the service applies it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from lake.cohort.frame import attribute_frame
from lake.endpoints import (
    Origin,
    derive_endpoint,
    molecular_relapse_free_survival,
    non_relapse_mortality,
    overall_survival,
)
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
from tests.service.conftest import ask

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
MONTH = 30.4375
MIN_CELL = 5  # lake_settings(min_cell_size=5)
GOLDEN = Path(__file__).parents[1] / "lake" / "survival" / "golden" / "demo.json"
RTOL = 1e-6


@cache
def _golden(case: str) -> dict[str, Any]:
    """One case of the demo-lake R goldens."""
    cases: dict[str, dict[str, Any]] = json.loads(GOLDEN.read_text())
    return cases[case]


def _released(n: int) -> int | None:
    """A count as the service releases it (withheld below the minimum cell size)."""
    return n if n == 0 or n >= MIN_CELL else None


def _close(got: float | None, expected: float | None, *, abs_tol: float = 0.0) -> None:
    """An API float equals R's to 1e-6 relative; null (R NA, not reached) on both sides."""
    if expected is None:
        assert got is None
    else:
        assert got == pytest.approx(expected, rel=RTOL, abs=abs_tol)


def _on_curve(value: float | None, end: float) -> float | None:
    """R's value as the service releases it: nothing beyond the released curve's last step."""
    return value if value is not None and value <= end else None


def _check_quantile(got: dict[str, Any], r: dict[str, Any], prefix: str, end: float) -> None:
    for field, suffix in (("estimate", ""), ("lower", "_lower"), ("upper", "_upper")):
        _close(got[field], _on_curve(r[f"{prefix}{suffix}"], end))


def _check_km_groups(groups: list[dict[str, Any]], golden: dict[str, Any]) -> None:
    """survfit per group: n, events, median and median follow-up with CI, summary(times=)."""
    assert sorted(g["group"] or "all" for g in groups) == sorted(golden)
    for group in groups:
        r = golden[group["group"] or "all"]
        assert r["n"] >= MIN_CELL  # every study group is released
        assert (group["n"], group["events"]) == (r["n"], _released(r["events"]))
        # the released step function ends before fewer than 5 are at risk (checked against the
        # engine's curve in test_os_by_riss_with_logrank); estimates stop where it stops
        steps = group["steps"]
        assert all(step["nAtRisk"] >= MIN_CELL for step in steps)
        end = steps[-1]["time"] if steps else -np.inf
        _check_quantile(group["median"], r, "median", end)
        _check_quantile(group["medianFollowUp"], r, "follow_up", end)
        at = r["at"]
        assert [p["time"] for p in group["atTimes"]] == at["time"]
        for i, point in enumerate(group["atTimes"]):
            if _released(at["n_risk"][i]) is None:
                assert (point["survival"], point["nAtRisk"]) == (None, None)
                continue
            assert point["nAtRisk"] == at["n_risk"][i]
            if point["time"] > end:
                assert (point["survival"], point["lower"], point["upper"]) == (None, None, None)
                continue
            for field, column in (("survival", "surv"), ("lower", "lower"), ("upper", "upper")):
                _close(point[field], at[column][i])


def _check_test(got: dict[str, Any], chisq: float, p: float, df: int) -> None:
    _close(got["statistic"], chisq)
    _close(got["pValue"], p)
    assert got["df"] == df


KM_FIELDS = """groups { group n events median { estimate lower upper }
          medianFollowUp { estimate lower upper } atTimes { time survival lower upper nAtRisk }
          steps { time survival nAtRisk events } }
        logrank { statistic df pValue }"""


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
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [MM]}}) {{ survival(endpoint: OS,
            groupBy: {{score: "riss"}},
        times: [24, 60]) {{ {KM_FIELDS} }} }} }}""",
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
        # the plotted curve: the engine's steps, none resting on fewer than 5 at risk
        curve = km.step_function().head(len(group["steps"]))
        assert [s["time"] for s in group["steps"]] == pytest.approx(curve["time"].to_list())
        assert [s["survival"] for s in group["steps"]] == pytest.approx(curve["survival"].to_list())
        assert [s["events"] for s in group["steps"]] == curve["n_event"].cast(int).to_list()
        assert min(s["nAtRisk"] for s in group["steps"]) >= 5
        assert km.n_at_risk_.min() < 5  # the curve's tail is not shown
    labels = frame["group"].cast(pl.String).to_numpy()
    test = logrank_test(frame["time_days"].to_numpy() / MONTH, frame["status"], labels)
    assert data["logrank"]["statistic"] == pytest.approx(test.statistic, rel=1e-9)
    assert data["logrank"]["df"] == test.df == 3  # 4 groups (I, II, III, NOT_CLASSIFIABLE) - 1
    r = _golden("mm_os/riss")
    _check_km_groups(data["groups"], r["groups"])
    _check_test(data["logrank"], r["logrank"]["chisq"], r["logrank"]["p"], r["logrank"]["df"])


def test_os_by_riss_trend_on_staged_patients(lake_server: str) -> None:
    """The trend test across I < II < III (NOT_CLASSIFIABLE has no place on the scale)."""
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [MM], riskGroups: [{{score: "riss",
        categories: ["I", "II", "III"]}}]}}) {{ survival(endpoint: OS, groupBy: {{score: "riss"}},
        trend: true, times: [24, 60]) {{ {KM_FIELDS} trend {{ statistic df pValue }} }} }} }}""",
    )["data"]["cohort"]["survival"]
    r = _golden("mm_os/riss/staged")
    _check_km_groups(data["groups"], r["groups"])
    lr = r["logrank"]
    _check_test(data["logrank"], lr["chisq"], lr["p"], lr["df"])
    _check_test(data["trend"], lr["trend_chisq"], lr["trend_p"], 1)


def test_trend_leaves_out_unclassifiable_patients(lake_server: str) -> None:
    """Unfiltered, the trend test is still the staged one: NOT_CLASSIFIABLE is not a stage IV."""
    data = ask(
        lake_server,
        """{ cohort(filter: {diseases: [MM]}) { survival(endpoint: OS, groupBy: {score: "riss"},
        trend: true) { groups { group } trend { statistic df pValue groups } } } }""",
    )["data"]["cohort"]["survival"]
    assert "NOT_CLASSIFIABLE" in [g["group"] for g in data["groups"]]
    assert data["trend"]["groups"] == ["I", "II", "III"]
    lr = _golden("mm_os/riss/staged")["logrank"]
    _check_test(data["trend"], lr["trend_chisq"], lr["trend_p"], 1)


def test_staging_comparison(lake_server: str, demo_lake: DemoLake) -> None:
    scores = ["riss", "iss", "mm_cytogenetic_risk", "ldh"]
    data = ask(
        lake_server,
        """{ cohort(filter: {diseases: [MM]}) { stagingComparison(scores: ["riss", "iss",
        "mm_cytogenetic_risk", "ldh"]) { dropped systems { system stages n events lrStatistic
        lrDf lrPValue aic concordance { cIndex stdErr lower upper } } } } }""",
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
    r = _golden("mm_os/staging")
    assert data["dropped"] == scored.height - r["n"]
    for version, name in zip(versions, ("riss", "iss", "cyto", "ldh"), strict=True):
        row, expected = got[version], r[name]
        assert (row["n"], row["events"]) == (r["n"], r["events"])
        assert (row["stages"], row["lrDf"]) == (expected["stages"], expected["lr_df"])
        _close(row["lrStatistic"], expected["lr"])
        _close(row["lrPValue"], expected["lr_p"])
        _close(row["aic"], expected["aic"])
        c = row["concordance"]
        _close(c["cIndex"], expected["concordance"])
        _close(c["stdErr"], expected["concordance_se"])
        _close(c["lower"], expected["concordance_lower"])
        _close(c["upper"], expected["concordance_upper"])


AML_NPM1 = """diseases: [AML], sites: ["FR-AMLRW", "UK-AMLX"],
                            markers: [{marker: NPM1, statuses: [PRESENT]}]"""


def test_eln2022_vs_npm1_reclassification(lake_server: str, demo_lake: DemoLake) -> None:
    """ELN 2022 vs the NPM1 table derived on EU-AMLT, on the validation sites (the study's flow)."""
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{{AML_NPM1}}}) {{
        reclassification(before: "eln2022", after: "harmony_npm1_derived_demo_v1") {{
        total compared moved cells {{ before after n }} }} }} }}""",
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


@pytest.mark.parametrize(
    ("score", "case"),
    [
        ("eln2022", "aml_npm1_os/eln2022"),
        ("harmony_npm1_derived_demo_v1", "aml_npm1_os/npm1_derived"),
    ],
)
def test_npm1_aml_os_by_eln2022_and_derived_table(lake_server: str, score: str, case: str) -> None:
    """OS of the same validation patients under each classification, log-rank and trend tests.

    Groups come in the declared order FAVORABLE < INTERMEDIATE < ADVERSE (not as text), and the
    trend test scores them so: R's trend on the staged patients with those levels.
    """
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{{AML_NPM1}}}) {{ survival(endpoint: OS,
            groupBy: {{score: "{score}"}},
        trend: true, times: [12, 24, 60]) {{ {KM_FIELDS} trend {{ statistic df pValue groups }}
        }} }} }}""",
    )["data"]["cohort"]["survival"]
    r = _golden(case)
    _check_km_groups(data["groups"], r["groups"])
    _check_test(data["logrank"], r["logrank"]["chisq"], r["logrank"]["p"], r["logrank"]["df"])
    order = ["FAVORABLE", "INTERMEDIATE", "ADVERSE"]
    assert [g["group"] for g in data["groups"]] == [*order, "NOT_CLASSIFIABLE"]
    assert data["trend"]["groups"] == order
    staged = _golden(f"{case}/staged")["logrank"]
    _check_test(data["trend"], staged["trend_chisq"], staged["trend_p"], 1)


def _check_incidence(
    groups: list[dict[str, Any]], r: dict[str, Any], names: dict[str, str]
) -> None:
    """cuminc timepoints() per group and cause; limits from R's variance, log(-log) transform
    F^exp(+-z sqrt(var) / (F log F)) (the service's documented convention, not cmprsk output)."""
    z = 1.959963984540054
    for group in groups:
        label = names[group["group"] or "all"]
        assert sorted(c["cause"] for c in group["causes"]) == ["competing", "event"]
        for cause in group["causes"]:
            code = "1" if cause["cause"] == "event" else "2"
            curve = r[f"{label} {code}"]["at"]
            assert len(cause["atTimes"]) == len(curve["time"])
            for i, point in enumerate(cause["atTimes"]):
                assert point["time"] == curve["time"][i]
                f, var = curve["est"][i], curve["var"][i]
                _close(point["estimate"], f)
                half = z * np.sqrt(var) / (f * np.log(f))
                _close(point["lower"], f ** np.exp(-half))
                _close(point["upper"], f ** np.exp(half))


def test_aml_efs_and_cir_by_eln2022(lake_server: str) -> None:
    """ELN 2022 Table 9 outcome measures by ELN 2022 risk, against R: EFS from diagnosis
    (induction failures are events at time 0) and CIR from the first complete remission."""
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [AML]}}) {{
        survival(endpoint: EFS, groupBy: {{score: "eln2022"}}, times: [12, 24,
            60]) {{ {KM_FIELDS} }}
        cumulativeIncidence(endpoint: CIR, timeZero: {{origin: COMPLETE_REMISSION}},
            groupBy: {{score: "eln2022"}},
                            times: [12, 24]) {{
          groups {{ group n causes {{ cause events atTimes {{ time estimate lower upper }} }} }}
          grayTests {{ cause test {{ statistic df pValue }} }} }} }} }}""",
    )["data"]["cohort"]
    efs = _golden("aml_efs/eln2022")
    _check_km_groups(data["survival"]["groups"], efs["groups"])
    lr = efs["logrank"]
    _check_test(data["survival"]["logrank"], lr["chisq"], lr["p"], lr["df"])
    incidence = data["cumulativeIncidence"]
    r = _golden("aml_cir/eln2022")
    labels = {g["group"]: g["group"] for g in incidence["groups"]}
    assert sorted(f"{label} 1" for label in labels) == sorted(k for k in r if k.endswith(" 1"))
    _check_incidence(incidence["groups"], r, labels)
    tests = {t["cause"]: t["test"] for t in incidence["grayTests"]}
    for i, code in enumerate(r["tests"]["cause"]):
        got = tests["event" if code == "1" else "competing"]
        _close(got["statistic"], r["tests"]["stat"][i])
        _close(got["pValue"], r["tests"]["pv"][i], abs_tol=1e-15)
        assert got["df"] == r["tests"]["df"][i]


def test_nrm_with_relapse_competing_and_two_year_os(lake_server: str, demo_lake: DemoLake) -> None:
    data = ask(
        lake_server,
        """{ cohort(filter: {treatment: {transplant: ALLOGENEIC}}) {
        cumulativeIncidence(endpoint: NRM, timeZero: {origin: ALLO_TRANSPLANT}, times: [12, 24]) {
          groups { group n causes { cause events atTimes { time estimate lower upper } } } }
        survival(endpoint: OS, timeZero: {origin: ALLO_TRANSPLANT}, times: [12, 24]) {
          groups { group n events median { estimate lower upper }
                   medianFollowUp { estimate lower upper }
                   atTimes { time survival lower upper nAtRisk }
                   steps { time survival nAtRisk events } } } } }""",
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
        assert got["atTimes"][1]["estimate"] == pytest.approx(point.estimate, rel=1e-12)
        assert got["events"] == int((nrm["status"] == int(code)).sum())
    os_ = _endpoint(snap, overall_survival(), "allo_transplant").join(
        allo, on="patient_id", how="semi"
    )
    km = KaplanMeierFitter().fit(os_["time_days"].to_numpy() / MONTH, os_["status"])
    (os_group,) = data["survival"]["groups"]
    assert os_group["n"] == os_.height
    assert os_group["atTimes"][1]["survival"] == pytest.approx(
        km.survival_at([24.0])[0].survival, rel=1e-12
    )
    r = _golden("allo_nrm/pooled")
    assert group["n"] == r["n"]
    assert {c["cause"]: c["events"] for c in group["causes"]} == {
        "event": _released(r["events"]["1"]),
        "competing": _released(r["events"]["2"]),
    }
    _check_incidence([group], r, {"all": "1"})  # cuminc names its single group "1"
    _check_km_groups(data["survival"]["groups"], _golden("allo_os/pooled")["groups"])


def test_nrm_and_os_after_allo_by_disease(lake_server: str) -> None:
    """Myeloma vs AML after allogeneic HSCT: Gray's test per cause, OS log-rank."""
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{treatment: {{transplant: ALLOGENEIC}}}}) {{
        cumulativeIncidence(endpoint: NRM, timeZero: {{origin: ALLO_TRANSPLANT}},
            groupBy: {{attribute: DISEASE}},
                            times: [12, 24]) {{
          groups {{ group n causes {{ cause events atTimes {{ time estimate lower upper }} }} }}
          grayTests {{ cause test {{ statistic df pValue }} }} }}
        survival(endpoint: OS, timeZero: {{origin: ALLO_TRANSPLANT}},
            groupBy: {{attribute: DISEASE}}, times: [12, 24]) {{
          {KM_FIELDS} }} }} }}""",
    )["data"]["cohort"]
    incidence = data["cumulativeIncidence"]
    r = _golden("allo_nrm/disease")
    assert sorted(g["group"] for g in incidence["groups"]) == ["AML", "MM"]
    _check_incidence(incidence["groups"], r, {"AML": "AML", "MM": "MM"})
    tests = {t["cause"]: t["test"] for t in incidence["grayTests"]}
    assert sorted(tests) == ["competing", "event"]
    for i, code in enumerate(r["tests"]["cause"]):
        got = tests["event" if code == "1" else "competing"]
        _close(got["statistic"], r["tests"]["stat"][i])
        # cmprsk reports pv = 1 - pchisq(stat, df): exact to ~1e-16 absolute only
        _close(got["pValue"], r["tests"]["pv"][i], abs_tol=1e-15)
        assert got["df"] == r["tests"]["df"][i]
    os_r = _golden("allo_os/disease")
    _check_km_groups(data["survival"]["groups"], os_r["groups"])
    lr = os_r["logrank"]
    _check_test(data["survival"]["logrank"], lr["chisq"], lr["p"], lr["df"])


def test_mrfs_after_tki_stop_by_sokal(lake_server: str, demo_lake: DemoLake) -> None:
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [CML]}}) {{ survival(endpoint: MRFS,
            timeZero: {{origin: TKI_STOP}},
        groupBy: {{score: "sokal"}}, times: [6, 12, 24]) {{ {KM_FIELDS} }} }} }}""",
    )["data"]["cohort"]["survival"]
    snap = open_lake(demo_lake.root)
    frame = derive_endpoint(
        molecular_relapse_free_survival(death="event"),
        Origin(kind="tki_stop"),
        events=snap.scan("events"),
        patients=snap.scan("patients").filter(pl.col("disease") == "CML"),
        bcr_abl1=snap.scan("bcr_abl1"),
    ).frame
    scored = _scored(snap, [], ["sokal"]).filter(pl.col("disease") == "CML")
    joined = frame.join(
        scored.select("patient_id", g=pl.col("sokal1984").struct.field("category")),
        on="patient_id",
    )
    groups = data["groups"]
    assert sum(g["n"] for g in groups) == joined.height >= 400
    for group in groups:
        rows = joined.filter(pl.col("g").cast(pl.String) == group["group"])
        assert (group["n"], group["events"]) == (rows.height, int(rows["status"].sum()))
        km = KaplanMeierFitter().fit(rows["time_days"].to_numpy() / MONTH, rows["status"])
        expected = [p.survival for p in km.survival_at([6.0, 12.0, 24.0])]
        assert [p["survival"] for p in group["atTimes"]] == pytest.approx(expected, rel=1e-12)
    r = _golden("cml_mrfs/sokal")
    _check_km_groups(groups, r["groups"])
    _check_test(data["logrank"], r["logrank"]["chisq"], r["logrank"]["p"], r["logrank"]["df"])


def test_mrfs_after_tki_stop_trend_across_sokal(lake_server: str) -> None:
    """The trend test across LOW < INTERMEDIATE < HIGH, on the patients Sokal classifies."""
    data = ask(
        lake_server,
        f"""{{ cohort(filter: {{diseases: [CML], riskGroups: [{{score: "sokal",
        categories: ["LOW", "INTERMEDIATE", "HIGH"]}}]}}) {{ survival(endpoint: MRFS,
        timeZero: {{origin: TKI_STOP}}, groupBy: {{score: "sokal"}}, trend: true, times: [6, 12,
            24]) {{
        {KM_FIELDS} trend {{ statistic df pValue }} }} }} }}""",
    )["data"]["cohort"]["survival"]
    r = _golden("cml_mrfs/sokal/staged")
    _check_km_groups(data["groups"], r["groups"])
    lr = r["logrank"]
    _check_test(data["logrank"], lr["chisq"], lr["p"], lr["df"])
    _check_test(data["trend"], lr["trend_chisq"], lr["trend_p"], 1)
