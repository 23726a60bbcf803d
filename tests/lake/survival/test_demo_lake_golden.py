"""The engine on the demo lake's study cohorts against R (golden/demo.json, golden/edge.json).

The inputs (golden/inputs/demo_*.csv) are the study cohorts derived from the demo lake by
:mod:`tests.lake.survival.demo_cohorts`; the first test derives them again from the session's
freshly built demo lake (new pseudonym key, same bundle) and requires the committed files to be
identical, so the goldens cannot drift from the lake. The others run lake.survival on those
inputs, in months (days / 30.4375, as the API answers), and compare every number make_golden.R
recorded from R survival 3.5.3 / cmprsk 2.2.11 to 1e-6 (relative).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lake.errors import AnalysisError
from lake.risk.registry import REGISTRY
from lake.storage import open_lake
from lake.survival import (
    CoxPHFitter,
    CumulativeIncidenceFitter,
    KaplanMeierFitter,
    compare_staging_systems,
    logrank_test,
    median_follow_up,
    trend_test,
)
from tests.conftest import DemoLake
from tests.lake.survival.conftest import GOLDEN, as_array
from tests.lake.survival.demo_cohorts import COHORTS, EXPOSED, demo_cohorts

MONTH = 30.4375
RTOL = 1e-6
Golden = Callable[[str, str], dict[str, Any]]
Inputs = Callable[[str], pl.DataFrame]

#: golden case -> (input file, group column, times in months, stage order for the trend test)
KM_CASES: dict[str, tuple[str, str | None, list[float], tuple[str, ...] | None]] = {
    "mm_os/riss": ("demo_mm_os", "riss", [24, 60], None),
    "mm_os/riss/staged": ("demo_mm_os", "riss", [24, 60], ("I", "II", "III")),
    "aml_npm1_os/eln2022": ("demo_aml_npm1_os", "eln2022", [12, 24, 60], None),
    "aml_npm1_os/npm1_derived": ("demo_aml_npm1_os", "npm1_derived", [12, 24, 60], None),
    "aml_npm1_os/eln2022/staged": (
        "demo_aml_npm1_os",
        "eln2022",
        [12, 24, 60],
        REGISTRY.get("eln2022").ranked,
    ),
    "aml_npm1_os/npm1_derived/staged": (
        "demo_aml_npm1_os",
        "npm1_derived",
        [12, 24, 60],
        REGISTRY.get("harmony_npm1_derived_demo_v1").ranked,
    ),
    # ELN 2022 EFS: induction failures are events at time 0 (survfit's first step is at t = 0)
    "aml_efs/eln2022": ("demo_aml_efs", "eln2022", [12, 24, 60], None),
    "allo_os/pooled": ("demo_allo_os", None, [12, 24], None),
    "allo_os/disease": ("demo_allo_os", "disease", [12, 24], None),
    "cml_mrfs/sokal": ("demo_cml_mrfs", "sokal", [6, 12, 24], None),
    "cml_mrfs/sokal/staged": (
        "demo_cml_mrfs",
        "sokal",
        [6, 12, 24],
        ("LOW", "INTERMEDIATE", "HIGH"),
    ),
}


def close(mine: Sequence[float | None] | float | None, theirs: Any) -> None:
    """Engine value(s) equal R's to 1e-6 relative; None (engine) and null (R) both mean NaN."""
    values = mine if isinstance(mine, Sequence) else [mine]
    got = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    np.testing.assert_allclose(got, as_array(theirs), rtol=RTOL, atol=1e-300)


@pytest.mark.slow
def test_committed_inputs_are_the_demo_lakes_cohorts(demo_lake: DemoLake) -> None:
    """Re-derived from the freshly built demo lake, every committed demo input is identical."""
    derived = demo_cohorts(open_lake(demo_lake.root))
    assert set(derived) == set(COHORTS) | set(EXPOSED)
    for name, frame in derived.items():
        committed = pl.read_csv(GOLDEN / "inputs" / f"{name}.csv", schema_overrides=frame.schema)
        assert_frame_equal(frame, committed)
        assert frame.height >= 400, name  # every study cohort is a real cohort


def _stage_rows(d: pl.DataFrame, group: str | None, stages: tuple[str, ...] | None) -> pl.DataFrame:
    d = d.with_columns(time=pl.col("time") / MONTH)
    if group is None:
        return d.with_columns(group=pl.lit("all"))
    d = d.with_columns(group=pl.col(group))
    return d if stages is None else d.filter(pl.col("group").is_in(stages))


@pytest.mark.parametrize("case", sorted(KM_CASES))
def test_km_by_group_and_logrank(case: str, golden: Golden, golden_input: Inputs) -> None:
    """survfit per group (median + CI, reverse-KM follow-up, summary(times=)) and survdiff."""
    assert golden("demo", "month_days") == MONTH  # R ran on days / 30.4375, as the API does
    name, group, times, stages = KM_CASES[case]
    d = _stage_rows(golden_input(name), group, stages)
    r = golden("demo", case)
    assert sorted(r["groups"]) == sorted(d["group"].unique())
    for label, expected in r["groups"].items():
        rows = d.filter(pl.col("group") == label)
        t, e = rows["time"].to_numpy(), rows["status"].to_numpy()
        assert (t.size, int(e.sum())) == (expected["n"], expected["events"])
        km = KaplanMeierFitter(conf_type="log").fit(t, e)
        median = km.median_
        close(
            [median.estimate, median.lower, median.upper],
            [expected["median"], expected["median_lower"], expected["median_upper"]],
        )
        follow = median_follow_up(t, e)
        close(
            [follow.estimate, follow.lower, follow.upper],
            [expected["follow_up"], expected["follow_up_lower"], expected["follow_up_upper"]],
        )
        at = km.survival_at(times)
        assert [p.time for p in at] == expected["at"]["time"]
        assert [p.n_at_risk for p in at] == expected["at"]["n_risk"]
        for field, column in (
            ("survival", "surv"),
            ("std_err", "std_err"),
            ("lower", "lower"),
            ("upper", "upper"),
        ):
            close([getattr(p, field) for p in at], expected["at"][column])
    if "logrank" not in r:
        return
    lr = r["logrank"]
    test = logrank_test(d["time"], d["status"], d["group"].to_numpy())
    close(test.statistic, lr["chisq"])
    close(test.p_value, lr["p"])
    assert test.df == lr["df"]
    order = [test.groups.index(g) for g in lr["groups"]]  # R: factor level order
    close([test.observed[i] for i in order], lr["observed"])
    close([test.expected[i] for i in order], lr["expected"])
    if stages is not None:
        code = d["group"].replace_strict(
            {s: i for i, s in enumerate(stages)}, return_dtype=pl.Int64
        )
        trend = trend_test(d["time"], d["status"], code.to_numpy())
        close(trend.statistic, lr["trend_chisq"])
        close(trend.p_value, lr["trend_p"])


def test_staging_comparison(golden: Golden, golden_input: Inputs) -> None:
    """coxph(~ factor(system, levels)) per system on the complete cases: C, LR, AIC.

    The stages are each score's category Enum (its declared order, as R was given it).
    """
    versions = COHORTS["demo_mm_os"][3]
    systems = ("riss", "iss", "cyto", "ldh")
    d = golden_input("demo_mm_os").with_columns(
        pl.when(pl.col(s).str.starts_with("NOT_"))
        .then(None)
        .otherwise(pl.col(s))
        .cast(pl.Enum(REGISTRY.get(versions[s][0]).categories))
        .alias(s)
        for s in systems
    )
    r = golden("demo", "mm_os/staging")
    rows, dropped = compare_staging_systems(
        d, duration_col="time", event_col="status", systems=systems
    )
    assert dropped == d.height - r["n"]
    for row in rows:
        expected = r[row.system]
        assert (row.n, row.n_events) == (r["n"], r["events"])
        assert list(row.stages) == expected["stages"]
        c = row.concordance
        close(
            [c.c_index, c.std_err, c.lower, c.upper],
            [
                expected["concordance"],
                expected["concordance_se"],
                expected["concordance_lower"],
                expected["concordance_upper"],
            ],
        )
        close(
            [row.lr_statistic, row.lr_p_value, row.aic],
            [expected["lr"], expected["lr_p"], expected["aic"]],
        )
        assert row.lr_df == expected["lr_df"]


@pytest.mark.parametrize(
    ("case", "name", "group"),
    [
        ("allo_nrm/pooled", "demo_allo_nrm", None),
        ("allo_nrm/disease", "demo_allo_nrm", "disease"),
        ("aml_cir/pooled", "demo_aml_cir", None),
        ("aml_cir/eln2022", "demo_aml_cir", "eln2022"),
    ],
)
def test_cumulative_incidence(
    case: str, name: str, group: str | None, golden: Golden, golden_input: Inputs
) -> None:
    """cuminc curves (est, var), timepoints() at 12 and 24 months and Gray's test per cause."""
    d = golden_input(name).with_columns(time=pl.col("time") / MONTH)
    r = golden("demo", case)
    groups = None if group is None else d[group].to_numpy()
    fitter = CumulativeIncidenceFitter().fit(d["time"], d["cause"], groups=groups)
    curves = [k for k in r if " " in k]
    assert len(curves) == len(fitter.curves_)
    for (label, cause), curve in fitter.curves_.items():
        expected = r[f"{'1' if group is None else label} {cause}"]
        close(curve.time.tolist(), expected["time"])
        close(curve.estimate.tolist(), expected["est"])
        np.testing.assert_allclose(curve.variance, as_array(expected["var"]), rtol=RTOL, atol=1e-15)
        at = curve.at(expected["at"]["time"])
        close([p.estimate for p in at], expected["at"]["est"])
        close([p.variance for p in at], expected["at"]["var"])
    if group is None:  # cuminc has no Tests for one group: no statistic, with the reason
        one_group = (None, "one group: Gray's test compares two or more groups")
        got = {c: (t.statistic, t.reason) for c, t in fitter.tests_.items()}
        assert got == dict.fromkeys(("1", "2"), one_group)
        counts = d["cause"].value_counts()
        assert {str(c): n for c, n in counts.iter_rows()} == r["events"]
        return
    tests = r["tests"]
    for cause, stat, pv, df in zip(
        tests["cause"], tests["stat"], tests["pv"], tests["df"], strict=True
    ):
        result = fitter.tests_[cause]
        close(result.statistic, stat)
        # cmprsk reports pv = 1 - pchisq(stat, df): exact to ~1e-16 absolute only
        np.testing.assert_allclose(result.p_value or np.nan, pv, rtol=RTOL, atol=1e-15)
        assert result.df == df


# ---- hand-made edge cases (golden/edge.json) -----------------------------------------------


def test_all_censored(golden: Golden, golden_input: Inputs) -> None:
    """R survdiff: chi-square 0 on -1 df (no test); coxph: coef NA; cuminc: refuses (error).

    The engine says the same thing its own way: no statistic (with the reason), Cox refuses
    with an AnalysisError, and cumulative incidence refuses too unless the causes to report
    are named; then every curve is F = 0 with variance 0 and Gray's test has a reason.
    """
    d = golden_input("all_censored")
    r = golden("edge", "all_censored/survdiff")
    test = logrank_test(d["time"], d["status"], d["grp"].to_numpy())
    assert (r["chisq"], r["df"], r["p"]) == (0, -1, None)
    assert (test.statistic, test.p_value, test.df) == (None, None, 0)
    assert test.reason == "no events in at least two groups"
    close(test.observed, r["observed"])
    close(test.expected, r["expected"])
    cox = golden("edge", "all_censored/coxph")
    assert (cox["coef"], cox["n_event"]) == (None, 0)
    design = d.with_columns(x=(pl.col("grp") == "B").cast(pl.Float64)).drop("grp")
    with pytest.raises(AnalysisError, match="no events"):
        CoxPHFitter().fit(design, duration_col="time", event_col="status")
    assert "error" in golden("edge", "all_censored/cuminc")
    with pytest.raises(AnalysisError, match="no event of any cause"):
        CumulativeIncidenceFitter().fit(d["time"], d["status"], groups=d["grp"].to_numpy())
    fitter = CumulativeIncidenceFitter().fit(
        d["time"], d["status"], groups=d["grp"].to_numpy(), report_causes=[1]
    )
    for curve in fitter.curves_.values():
        assert (curve.estimate.tolist(), curve.variance.tolist()) == ([0.0, 0.0], [0.0, 0.0])
    assert fitter.tests_["1"].statistic is None
    assert fitter.tests_["1"].reason == "no events of cause 1 in any group"


def test_all_tied(golden: Golden, golden_input: Inputs) -> None:
    """Six deaths at one time: survdiff's variance is singular (R errors, the engine has no
    statistic); coxph gives coef 0 with the Efron se and loglik, C undefined with 15 pairs tied on
    time; cuminc gives F = 1 at t = 5, and Gray's test is undefined (cmprsk flags stat = -1)."""
    d = golden_input("all_tied")
    assert "singular" in golden("edge", "all_tied/survdiff")["error"]
    test = logrank_test(d["time"], d["status"], d["grp"].to_numpy())
    assert (test.statistic, test.reason) == (None, "singular variance: groups not separable")
    r = golden("edge", "all_tied/coxph")
    design = d.with_columns(x=(pl.col("grp") == "B").cast(pl.Float64)).drop("grp")
    fit = CoxPHFitter().fit(design, duration_col="time", event_col="status")
    (coef,) = fit.coefficients_
    close([coef.coef, coef.se], [r["coef"], r["se"]])
    close(fit.likelihood_ratio_test_.statistic, r["lr"])
    close([fit.log_likelihood_null_, fit.log_likelihood_], r["loglik"])
    assert fit.concordance_ is not None
    assert r["concordance"] is None
    assert fit.concordance_.c_index is None
    concordant, discordant, tied_x, tied_y, tied_xy = r["concordance_counts"]
    c = fit.concordance_
    assert (c.concordant, c.discordant, c.tied_risk, c.tied_time, c.tied_both) == (
        concordant,
        discordant,
        tied_x,
        tied_y,
        tied_xy,
    )
    cr = golden("edge", "all_tied/cuminc")
    fitter = CumulativeIncidenceFitter().fit(d["time"], d["status"], groups=d["grp"].to_numpy())
    for (label, cause), curve in fitter.curves_.items():
        expected = cr[f"{label} {cause}"]
        close(curve.time.tolist(), expected["time"])
        close(curve.estimate.tolist(), expected["est"])
        close(curve.variance.tolist(), expected["var"])
    assert cr["tests"]["stat"] == -1  # cmprsk's marker for a singular variance
    gray = fitter.tests_["1"]
    assert (gray.statistic, gray.p_value) == (None, None)
    assert gray.reason is not None
    assert "singular" in gray.reason
    assert fitter.tests_["1"].statistic is None


def test_delayed_entry(golden: Golden, golden_input: Inputs) -> None:
    """survfit(Surv(tstart, tstop, status)): summary(times = c(4, 9)) and the median with CI.

    survdiff refuses counting-process data ("Right censored data only"); the engine's log-rank
    with entry times equals coxph(Surv(tstart, tstop, status) ~ x, ties = "exact")$score, the
    score test survdiff equals without entry. cmprsk's cuminc has no entry-time argument.
    """
    d = golden_input("delayed")
    r = golden("edge", "delayed/km_at")
    assert golden("edge", "delayed/survdiff")["error"] == "Right censored data only"
    test = logrank_test(d["tstop"], d["status"], d["x"], entry=d["tstart"])
    close(test.statistic, golden("edge", "delayed/score_exact")["chisq"])
    km = KaplanMeierFitter(conf_type="log").fit(d["tstop"], d["status"], entry=d["tstart"])
    at = km.survival_at([4.0, 9.0])
    assert [p.n_at_risk for p in at] == r["n_risk"]
    for field, column in (
        ("survival", "surv"),
        ("std_err", "std_err"),
        ("lower", "lower"),
        ("upper", "upper"),
    ):
        close([getattr(p, field) for p in at], r[column])
    median = km.median_
    close(
        [median.estimate, median.lower, median.upper],
        [r["median"], r["median_lower"], r["median_upper"]],
    )


@pytest.mark.parametrize(
    ("case", "stages"),
    [("mm_rw_os_entry/riss", None), ("mm_rw_os_entry/riss/staged", ("I", "II", "III"))],
)
def test_delayed_entry_registry_cohort(
    case: str, stages: tuple[str, ...] | None, golden: Golden, golden_input: Inputs
) -> None:
    """The German registry's OS by R-ISS with delayed entry: per group
    survfit(Surv(entry, time, status)) (median with CI, summary(times = c(24, 60))), the reverse
    Kaplan-Meier survfit(Surv(entry, time, 1 - status)) and the log-rank and trend tests with
    (entry, stop] risk sets (make_golden.R's logrank_entry, checked there against survdiff and
    coxph(ties = "exact")$score)."""
    d = _stage_rows(golden_input("demo_mm_rw_os_entry"), "riss", stages).with_columns(
        entry=pl.col("entry") / MONTH
    )
    r = golden("demo", case)
    assert sorted(r["groups"]) == sorted(d["group"].unique())
    for label, expected in r["groups"].items():
        rows = d.filter(pl.col("group") == label)
        t, e, en = rows["time"].to_numpy(), rows["status"].to_numpy(), rows["entry"].to_numpy()
        assert (t.size, int(e.sum())) == (expected["n"], expected["events"])
        km = KaplanMeierFitter(conf_type="log").fit(t, e, entry=en)
        close(
            [km.median_.estimate, km.median_.lower, km.median_.upper],
            [expected["median"], expected["median_lower"], expected["median_upper"]],
        )
        follow = median_follow_up(t, e, entry=en)
        close(
            [follow.estimate, follow.lower, follow.upper],
            [expected["follow_up"], expected["follow_up_lower"], expected["follow_up_upper"]],
        )
        at = km.survival_at([24.0, 60.0])
        # Deliberate difference: the engine's number at risk is the risk set at t itself,
        # #(entry < t <= stop); R's summary(times = t) reports the risk set of the first
        # observed time >= t, which also counts patients entering in between.
        assert [p.n_at_risk for p in at] == [_at_risk(en, t, u) for u in (24.0, 60.0)]
        observed = np.unique(t)
        r_times = [observed[observed >= u].min() for u in (24.0, 60.0)]
        assert [_at_risk(en, t, u) for u in r_times] == expected["at"]["n_risk"]
        for field, column in (("survival", "surv"), ("std_err", "std_err"), ("lower", "lower")):
            close([getattr(p, field) for p in at], expected["at"][column])
        close([p.upper for p in at], expected["at"]["upper"])
    lr = r["logrank"]
    groups, entry = d["group"].to_numpy(), d["entry"].to_numpy()
    test = logrank_test(d["time"], d["status"], groups, entry=entry)
    close([test.statistic, test.p_value], [lr["chisq"], lr["p"]])
    assert test.df == lr["df"]
    if stages is not None:
        code = d["group"].replace_strict({s: i for i, s in enumerate(stages)}).to_numpy()
        trend = trend_test(d["time"], d["status"], code, entry=entry)
        close([trend.statistic, trend.p_value], [lr["trend_chisq"], lr["trend_p"]])


def _at_risk(entry: np.ndarray, stop: np.ndarray, t: float) -> int:
    return int(((entry < t) & (stop >= t)).sum())


def test_delayed_entry_cox_model(golden: Golden, golden_input: Inputs) -> None:
    """coxph(Surv(entry, time, status) ~ factor(riss)) on the registry's staged patients (Efron):
    coefficients, standard errors, log-likelihoods, the three tests and the concordance."""
    d = golden_input("demo_mm_rw_os_entry").filter(pl.col("riss").is_in(["I", "II", "III"]))
    r = golden("demo", "mm_rw_os_entry/cox")
    design = d.select(
        time=pl.col("time") / MONTH,
        status="status",
        entry=pl.col("entry") / MONTH,
        ii=(pl.col("riss") == "II").cast(pl.Float64),
        iii=(pl.col("riss") == "III").cast(pl.Float64),
    )
    fit = CoxPHFitter().fit(design, duration_col="time", event_col="status", entry_col="entry")
    assert (fit.n_, fit.n_events_) == (r["n"], r["events"])
    close(fit.params_.tolist(), r["coef"])
    close(fit.standard_errors_.tolist(), r["se"])
    close(
        [fit.likelihood_ratio_test_.statistic, fit.wald_test_.statistic, fit.score_test_.statistic],
        [r["lr"], r["wald"], r["score"]],
    )
    assert fit.concordance_ is not None
    close(fit.concordance_.c_index, r["concordance"])
