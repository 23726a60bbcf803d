"""Kaplan-Meier against R survfit / quantile.survfit / summary.survfit and the 05 fixtures."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lake.errors import AnalysisError, EmptyCohortError
from lake.survival import KaplanMeierFitter, SurvivalWarning, median_follow_up

D1_TIME = [2, 3, 3, 5, 6, 7, 8, 10, 12, 15, 16, 20]
D1_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0]


@pytest.mark.parametrize("case", ["d1", "e3", "mm_os"])
@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_survfit_golden(
    case: str,
    conf_type: Any,
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: survfit(Surv(time, status) ~ 1, conf.type=conf_type); quantile(fit, c(.25,.5,.75))."""
    r = golden("km", f"{case}/{conf_type}")
    d = golden_input(case)
    kmf = KaplanMeierFitter(conf_type=conf_type).fit(d["time"], d["status"])
    np.testing.assert_allclose(kmf.timeline_, r_array(r["time"]), rtol=1e-12)
    np.testing.assert_allclose(kmf.n_at_risk_, r_array(r["n_risk"]), rtol=1e-12)
    np.testing.assert_array_equal(kmf.n_events_, r_array(r["n_event"]))
    np.testing.assert_allclose(kmf.survival_, r_array(r["surv"]), rtol=1e-9)
    # jsonlite writes R's Inf (se once S = 0) as null
    se = np.where(np.isinf(kmf.std_err_), np.nan, kmf.std_err_)
    np.testing.assert_allclose(se, r_array(r["std_err"]), rtol=1e-9)
    np.testing.assert_allclose(kmf.lower_, r_array(r["lower"]), rtol=1e-9)
    np.testing.assert_allclose(kmf.upper_, r_array(r["upper"]), rtol=1e-9)
    for p, est, lo, hi in zip(
        (0.25, 0.5, 0.75),
        *(r_array(r[k]) for k in ("quantile", "quantile_lower", "quantile_upper")),
        strict=True,
    ):
        q = kmf.quantile(p)
        for mine, theirs in ((q.estimate, est), (q.lower, lo), (q.upper, hi)):
            assert (mine is None) == bool(np.isnan(theirs))
            if mine is not None:
                assert mine == pytest.approx(theirs, abs=1e-9)


@pytest.mark.parametrize("case", ["d1", "e3", "mm_os"])
@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_summary_times_golden(
    case: str,
    conf_type: Any,
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: summary(survfit(Surv(time, status) ~ 1, conf.type = conf_type), times = times) with
    times c(365, 730, 1825) for mm_os, c(4, 9) otherwise."""
    r = golden("km", f"{case}/{conf_type}")["at"]
    d = golden_input(case)
    times = [365, 730, 1825] if case == "mm_os" else [4, 9]
    at = KaplanMeierFitter(conf_type=conf_type).fit(d["time"], d["status"]).survival_at(times)
    np.testing.assert_array_equal([a.time for a in at], r_array(r["time"]))
    np.testing.assert_allclose([a.survival for a in at], r_array(r["surv"]), rtol=1e-9)
    np.testing.assert_allclose([a.std_err for a in at], r_array(r["std_err"]), rtol=1e-9)
    assert [a.n_at_risk for a in at] == r_array(r["n_risk"]).astype(int).tolist()


def test_delayed_entry_golden(
    golden: Callable[..., Any], golden_input: Callable[..., Any], r_array: Callable[..., Any]
) -> None:
    """R: survfit(Surv(tstart, tstop, status) ~ 1) on left-truncated data."""
    r = golden("km", "delayed/log")
    d = golden_input("delayed")
    kmf = KaplanMeierFitter().fit(d["tstop"], d["status"], entry=d["tstart"])
    np.testing.assert_array_equal(kmf.timeline_, r_array(r["time"]))
    np.testing.assert_array_equal(kmf.n_events_, r_array(r["n_event"]))
    np.testing.assert_allclose(kmf.n_at_risk_, r_array(r["n_risk"]), rtol=1e-12)
    np.testing.assert_allclose(kmf.survival_, r_array(r["surv"]), rtol=1e-9)
    se = np.where(np.isinf(kmf.std_err_), np.nan, kmf.std_err_)  # jsonlite: Inf -> null
    np.testing.assert_allclose(se, r_array(r["std_err"]), rtol=1e-9)


def test_reverse_km_median_follow_up_golden(
    golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: quantile(survfit(Surv(time, 1 - status) ~ 1), 0.5)."""
    r = golden("km", "mm_os/reverse")
    d = golden_input("mm_os")
    med = median_follow_up(d["time"], d["status"])
    assert med.estimate == pytest.approx(r["median"], abs=1e-9)
    assert med.lower == pytest.approx(r["lower"], abs=1e-9)
    assert med.upper == pytest.approx(r["upper"], abs=1e-9)


def test_e1_table_from_domain_reference() -> None:
    """05-survival-statistics.md E1 (4-decimal table) and the summary() se of S at t=6."""
    kmf = KaplanMeierFitter().fit(D1_TIME, D1_STATUS)
    event_rows = kmf.n_events_ > 0
    np.testing.assert_allclose(
        kmf.survival_[event_rows],
        [0.9167, 0.8333, 0.7407, 0.6481, 0.5401, 0.4321, 0.2881],
        atol=5e-5,
    )
    np.testing.assert_allclose(
        kmf.lower_[event_rows],
        [0.7729, 0.6470, 0.5259, 0.4211, 0.3084, 0.2121, 0.0987],
        atol=5e-5,
    )
    assert kmf.survival_at([6])[0].std_err == pytest.approx(0.1426, abs=5e-5)


@pytest.mark.parametrize(("conf_type", "lower"), [("log", 6.0), ("log-log", 3.0), ("plain", 5.0)])
def test_e2_median_ci_upper_not_reached(conf_type: Any, lower: float) -> None:
    """05 E2: median 10 for every transform; upper limit NA (None, never NaN)."""
    med = KaplanMeierFitter(conf_type=conf_type).fit(D1_TIME, D1_STATUS).median_
    assert (med.estimate, med.lower, med.upper) == (10.0, lower, None)


def test_e3_midpoint_rule() -> None:
    """05 E3: events at 1..10, S = 0.5 on [5, 6) -> median 5.5; quartiles 3 and 8."""
    kmf = KaplanMeierFitter().fit(range(1, 11))
    assert kmf.median_.estimate == 5.5
    assert kmf.quantile(0.25).estimate == 3.0
    assert kmf.quantile(0.75).estimate == 8.0


def test_all_censored_warns_and_median_is_none() -> None:
    with pytest.warns(SurvivalWarning, match="no events"):
        kmf = KaplanMeierFitter().fit([1, 2, 3], [0, 0, 0])
    assert kmf.median_.estimate is None
    np.testing.assert_array_equal(kmf.survival_, [1.0, 1.0, 1.0])


def test_one_patient_and_all_tied() -> None:
    """One death: S drops to 0, se is infinite and the log band undefined (R: Inf, NA)."""
    kmf = KaplanMeierFitter().fit([4.0], [1])
    assert kmf.survival_.tolist() == [0.0]
    assert np.isinf(kmf.std_err_[0])
    at = kmf.survival_at([4.0])[0]
    assert at.survival == 0.0
    assert at.lower is None
    assert kmf.median_.estimate == 4.0
    tied = KaplanMeierFitter().fit([5, 5, 5, 5], [1, 1, 1, 1])
    assert tied.median_.estimate == 5.0


def test_a_curve_at_zero_is_zero_past_its_last_time() -> None:
    """R: summary(survfit(Surv(c(1, 2, 3), c(1, 1, 1)) ~ 1), times = c(2, 5), extend = TRUE):
    surv 1/3 and 0, n.risk 2 and 0. Once S reaches 0 it stays 0 (no one is left to survive);
    a curve whose last time is a censoring is not known past it (summary drops that time)."""
    kmf = KaplanMeierFitter().fit([1, 2, 3], [1, 1, 1])
    inside, past = kmf.survival_at([2, 5])
    assert inside.survival == pytest.approx(1 / 3)
    assert (past.time, past.survival, past.std_err, past.n_at_risk, past.reason) == (
        5.0,
        0.0,
        None,
        0,
        None,
    )
    assert (past.lower, past.upper) == (None, None)  # the log band is undefined at S = 0
    plain = KaplanMeierFitter(conf_type="plain").fit([1, 2, 3], [1, 1, 1]).survival_at([5])[0]
    last = KaplanMeierFitter(conf_type="plain").fit([1, 2, 3], [1, 1, 1]).survival_at([3])[0]
    assert (plain.survival, plain.lower, plain.upper) == (0.0, last.lower, last.upper)
    (censored,) = KaplanMeierFitter().fit([1, 2, 3], [1, 1, 0]).survival_at([5])
    assert (censored.survival, censored.reason) == (None, "beyond last follow-up")


def test_invalid_input_raises() -> None:
    with pytest.raises(EmptyCohortError):
        KaplanMeierFitter().fit([])
    with pytest.raises(AnalysisError, match="missing"):
        KaplanMeierFitter().fit([1.0, float("nan")])
    with pytest.raises(AnalysisError, match=">= 0"):
        KaplanMeierFitter().fit([-1.0, 2.0])
    with pytest.raises(AnalysisError, match="0 \\(censored\\)"):
        KaplanMeierFitter().fit([1.0, 2.0], [1, 2])


def test_lifelines_agrees_on_curve_but_not_median_rule() -> None:
    """Oracle: lifelines' KM equals ours; its median ignores R's midpoint rule (05 E3)."""
    from lifelines import KaplanMeierFitter as LifelinesKM

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = LifelinesKM().fit(list(range(1, 11)))
    ours = KaplanMeierFitter().fit(range(1, 11))
    np.testing.assert_allclose(
        theirs.survival_function_.to_numpy().ravel()[1:], ours.survival_, rtol=1e-12
    )
    assert theirs.median_survival_time_ == 5.0
    assert ours.median_.estimate == 5.5


def test_step_function_frame_uses_nulls_for_undefined_limits() -> None:
    """One death at t=4 of one patient: S = 0, se Inf and log band NA in R -> null here."""
    frame = KaplanMeierFitter().fit([4.0, 6.0], [0, 1]).step_function()
    assert frame.columns == [
        "time",
        "n_risk",
        "n_event",
        "n_censor",
        "survival",
        "std_err",
        "lower",
        "upper",
    ]
    assert frame.row(1) == (6.0, 1.0, 1.0, 0.0, 0.0, None, None, None)
    assert frame.row(0)[4:] == (1.0, 0.0, 1.0, 1.0)


@pytest.mark.parametrize("case", ["all_censored", "all_tied"])
def test_degenerate_survfit_golden(
    case: str,
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: survfit(Surv(time, status) ~ 1); quantile(); summary(times = c(2, 5)) on edge cases.

    all_censored: S stays 1, every quantile NA. all_tied: six deaths at t=5, S = 0, se Inf,
    band NA, median 5 with both limits NA.
    """
    r = golden("km", f"{case}/log")
    d = golden_input(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SurvivalWarning)
        kmf = KaplanMeierFitter().fit(d["time"], d["status"])
    np.testing.assert_array_equal(kmf.timeline_, r_array(r["time"]))
    np.testing.assert_array_equal(kmf.n_at_risk_, r_array(r["n_risk"]))
    np.testing.assert_array_equal(kmf.n_events_, r_array(r["n_event"]))
    np.testing.assert_allclose(kmf.survival_, r_array(r["surv"]), rtol=1e-12)
    se = np.where(np.isinf(kmf.std_err_), np.nan, kmf.std_err_)  # jsonlite: Inf -> null
    np.testing.assert_allclose(se, r_array(r["std_err"]), rtol=1e-12)
    np.testing.assert_allclose(kmf.lower_, r_array(r["lower"]), rtol=1e-12)
    np.testing.assert_allclose(kmf.upper_, r_array(r["upper"]), rtol=1e-12)
    for p, est, lo, hi in zip(
        (0.25, 0.5, 0.75),
        r_array(r["quantile"]),
        r_array(r["quantile_lower"]),
        r_array(r["quantile_upper"]),
        strict=True,
    ):
        q = kmf.quantile(p)
        assert q.estimate == (None if np.isnan(est) else est)
        assert q.lower == (None if np.isnan(lo) else lo)
        assert q.upper == (None if np.isnan(hi) else hi)
    at = kmf.survival_at([2, 5])
    assert [a.time for a in at] == r_array(r["at"]["time"]).tolist()
    assert [a.survival for a in at] == r_array(r["at"]["surv"]).tolist()
    assert [a.std_err for a in at] == [
        None if np.isnan(v) else v for v in r_array(r["at"]["std_err"])
    ]
    assert [a.n_at_risk for a in at] == r_array(r["at"]["n_risk"]).astype(int).tolist()
