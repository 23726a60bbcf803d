"""Kaplan-Meier and log-rank options against R (golden ``km_options.json``): Nelson-Aalen,
quartiles, restricted mean, counts between times, Fleming-Harrington G(rho, gamma) weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lake.errors import AnalysisError
from lake.survival import KaplanMeierFitter, logrank_test, restricted_mean, trend_test

RTOL = 1e-9
CASES = {"d1": "d1", "d1/tau_beyond": "d1", "e3": "e3", "mm_os": "mm_os"}


def _fit(golden_input: Callable[..., Any], name: str) -> KaplanMeierFitter:
    d = golden_input(name)
    return KaplanMeierFitter().fit(d["time"], d["status"])


@pytest.mark.parametrize("case", ["d1", "e3", "mm_os"])
def test_nelson_aalen_golden(
    case: str,
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: survfit(Surv(time, status) ~ 1)$cumhaz and $std.chaz at every time."""
    r = golden("km_options", case)
    kmf = _fit(golden_input, case)
    hazard, se = kmf.cumulative_hazard()
    np.testing.assert_array_equal(kmf.timeline_, r_array(r["time"]))
    np.testing.assert_allclose(hazard, r_array(r["cumhaz"]), rtol=RTOL)
    np.testing.assert_allclose(se, r_array(r["std_chaz"]), rtol=RTOL)


@pytest.mark.parametrize("case", ["d1", "e3", "mm_os"])
def test_summary_times_counts_and_hazard_golden(
    case: str,
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: summary(fit, times=, extend=TRUE): n.risk, n.event and n.censor since the previous
    time; cumhaz and std.chaz up to the last observed time (beyond it the engine says None)."""
    r = golden("km_options", case)["at"]
    kmf = _fit(golden_input, case)
    counts = kmf.counts_between(r["time"])
    assert [c.time for c in counts] == r["time"]
    assert [c.n_at_risk for c in counts] == r["n_risk"]
    assert [c.n_events for c in counts] == r["n_event"]
    assert [c.n_censored for c in counts] == r["n_censor"]
    last = kmf.timeline_[-1]
    for point, h, se in zip(
        kmf.cumulative_hazard_at(r["time"]), r["cumhaz"], r["std_chaz"], strict=True
    ):
        if point.time > last:
            assert (point.cumulative_hazard, point.std_err) == (None, None)
        else:
            assert point.cumulative_hazard == pytest.approx(h, rel=RTOL, abs=1e-15)
            assert point.std_err == pytest.approx(se, rel=RTOL, abs=1e-15)


@pytest.mark.parametrize("case", list(CASES))
def test_restricted_mean_golden(
    case: str, golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: survival:::survmean(fit, rmean = tau), i.e. print(fit, rmean = tau): rmean and
    se(rmean); tau beyond the last time extends the last S (d1/tau_beyond: tau 30 > 20)."""
    r = golden("km_options", case)
    rmst = _fit(golden_input, CASES[case]).restricted_mean(r["tau"])
    assert rmst.tau == r["tau"]
    assert rmst.estimate == pytest.approx(r["rmean"], rel=RTOL)
    assert rmst.std_err == pytest.approx(r["rmean_se"], rel=RTOL)


@pytest.mark.parametrize("case", ["d1", "e3", "mm_os"])
def test_quartiles_golden(
    case: str,
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: quantile(fit, probs = c(0.25, 0.5, 0.75)) with its log-band limits."""
    r = golden("km_options", case)
    kmf = _fit(golden_input, case)
    for i, p in enumerate((0.25, 0.5, 0.75)):
        q = kmf.quantile(p)
        for mine, key in (
            (q.estimate, "quantile"),
            (q.lower, "quantile_lower"),
            (q.upper, "quantile_upper"),
        ):
            theirs = r_array(r[key])[i]
            assert (mine is None) == bool(np.isnan(theirs))
            if mine is not None:
                assert mine == pytest.approx(theirs, rel=RTOL)


@pytest.mark.parametrize(
    ("case", "groups"),
    [
        ("d1/fh_1_0", "grp"),
        ("d1/fh_1_1", "grp"),
        ("d1/fh_0_1", "grp"),
        ("d1/fh_0.5_2", "grp"),
        ("mm_os/iss/fh_1_0", "iss"),
        ("mm_os/iss/fh_1_1", "iss"),
        ("mm_os/iss/fh_0_1", "iss"),
    ],
)
def test_fleming_harrington_golden(
    case: str, groups: str, golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: survMisc::comp(ten(Surv(time, status) ~ g), p = rho, q = gamma); (1, 0) is
    survdiff(rho = 1) (Peto-Peto), whose value the logrank goldens hold too."""
    r = golden("km_options", case)
    d = golden_input(case.split("/", maxsplit=1)[0])
    result = logrank_test(d["time"], d["status"], d[groups], rho=r["rho"], gamma=r["gamma"])
    assert result.statistic == pytest.approx(r["chisq"], rel=RTOL)
    assert result.df == r["df"]
    assert result.p_value == pytest.approx(r["p"], rel=1e-6)


def test_peto_name_and_weighted_observed_expected(
    golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: survdiff(rho = 1)$obs and $exp are weighted; O - E sums to 0 over groups."""
    r = golden("logrank", "mm_os/iss/rho1")
    d = golden_input("mm_os")
    result = logrank_test(d["time"], d["status"], d["iss"], rho=1.0)
    assert result.test_name == "Peto-Peto (rho=1)"
    np.testing.assert_allclose(result.observed, r["observed"], rtol=RTOL)
    np.testing.assert_allclose(result.expected, r["expected"], rtol=RTOL)
    fh = logrank_test(d["time"], d["status"], d["iss"], rho=1.0, gamma=1.0)
    assert fh.test_name == "Fleming-Harrington (rho=1, gamma=1)"
    assert sum(fh.observed) == pytest.approx(sum(fh.expected), rel=1e-12)


def test_gamma_weighs_late_differences() -> None:
    """Curves equal early and apart late: G(0, 1) sees more than G(1, 0) (Peto)."""
    rng = np.random.default_rng(7)
    early = rng.uniform(0, 10, 400)
    late_a, late_b = rng.uniform(10, 20, 300), rng.uniform(10, 40, 300)
    time = np.concatenate([early, late_a, early, late_b])
    group = np.repeat([0, 1], 700)
    status = np.ones(time.size)
    peto = logrank_test(time, status, group, rho=1.0).statistic
    late = logrank_test(time, status, group, gamma=1.0).statistic
    assert peto is not None
    assert late is not None
    assert late > 3 * peto
    assert trend_test(time, status, group, gamma=1.0).statistic == pytest.approx(late, rel=1e-9)


def test_options_reject_invalid_input(golden_input: Callable[..., Any]) -> None:
    kmf = _fit(golden_input, "d1")
    with pytest.raises(AnalysisError, match="tau"):
        kmf.restricted_mean(0.0)
    with pytest.raises(AnalysisError, match="increasing"):
        kmf.counts_between([9, 4])
    with pytest.raises(AnalysisError, match="rho"):
        logrank_test([1, 2], [1, 1], [0, 1], rho=-1.0)
    assert (
        restricted_mean(
            np.array([5.0]), np.array([0.5]), np.array([1.0]), np.array([1.0]), 2.0
        ).estimate
        == 2.0
    )


@pytest.mark.parametrize("tau", [1e155, 1e300, 1.7e308])
def test_a_restricted_mean_too_large_to_square_is_refused_naming_tau(tau: float) -> None:
    """The variance squares areas of size ~tau: a tau whose square overflows is an error that
    names it (the fuzzer's restrictedMeanTau 1e308 was an internal error)."""
    fitter = KaplanMeierFitter().fit([1.0, 2.0, 3.0, 4.0], [1, 0, 1, 0])
    with pytest.raises(AnalysisError, match=r"tau = .* overflows"):
        fitter.restricted_mean(tau)
    assert fitter.restricted_mean(1e150).estimate == pytest.approx(1e150 * 0.375, rel=1e-12)
