"""Fine-Gray regression against cmprsk::crr (coefficients, sandwich se, log-likelihoods)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lake.errors import AnalysisError, EmptyCohortError
from lake.survival.finegray import FineGrayFitter


@pytest.mark.parametrize(("case", "fail_code"), [("allo/crr", 1), ("allo/crr2", 2)])
def test_crr_allo_golden(
    case: str,
    fail_code: int,
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: crr(time, cause, cbind(ric, haplo, mud), failcode = fail_code); sqrt(diag(fit$var))."""
    r = golden("competing", case)
    d = golden_input("allo")
    x = np.column_stack(
        [d["ric"].to_numpy(), (d["donor"] == "HAPLO").to_numpy(), (d["donor"] == "MUD").to_numpy()]
    ).astype(np.float64)
    fit = FineGrayFitter().fit(d["time"], d["cause"], x, fail_code=fail_code)
    assert fit.converged_
    np.testing.assert_allclose(fit.params_, r_array(r["coef"]), rtol=1e-9)
    np.testing.assert_allclose(fit.standard_errors_, r_array(r["se"]), rtol=1e-9)
    assert fit.log_likelihood_ == pytest.approx(r["loglik"], rel=1e-12)
    assert fit.log_likelihood_null_ == pytest.approx(r["loglik_null"], rel=1e-12)


def test_crr_d3_golden(golden: Callable[..., Any], r_array: Callable[..., Any]) -> None:
    """R: crr(time, status, grp == "B") on the 12-patient D3 fixture."""
    r = golden("competing", "d3/crr")
    time = list(range(1, 13))
    status = [1, 2, 0, 1, 2, 1, 0, 2, 1, 0, 0, 0]
    group_b = [i % 2 for i in range(12)]
    fit = FineGrayFitter().fit(time, status, group_b)
    np.testing.assert_allclose(fit.params_, r_array(r["coef"]), rtol=1e-9)
    np.testing.assert_allclose(fit.standard_errors_, r_array(r["se"]), rtol=1e-9)
    assert fit.log_likelihood_ == pytest.approx(r["loglik"], rel=1e-12)
    assert fit.log_likelihood_null_ == pytest.approx(r["loglik_null"], rel=1e-12)


def test_no_event_of_the_cause_raises() -> None:
    with pytest.raises(AnalysisError, match="no event of cause 1"):
        FineGrayFitter().fit([1, 2, 3], [2, 0, 2], [0.0, 1.0, 0.0])


def _allo_fit(golden_input: Callable[..., Any]) -> FineGrayFitter:
    d = golden_input("allo")
    x = np.column_stack(
        [d["ric"].to_numpy(), (d["donor"] == "HAPLO").to_numpy(), (d["donor"] == "MUD").to_numpy()]
    ).astype(np.float64)
    return FineGrayFitter().fit(d["time"], d["cause"], x, names=("ric", "haplo", "mud"))


def test_summary_matches_summary_crr(golden_input: Callable[..., Any]) -> None:
    """R (cmprsk 2.2-11) on allo: fg <- crr(time, cause, cbind(ric, haplo, mud)); s <- summary(fg)
    s$coef[, "exp(coef)"], s$conf.int[, c("2.5%", "97.5%")], s$coef[, "z"], unrounded
    2 * pnorm(-abs(fg$coef / sqrt(diag(fg$var)))), s$logtest and pchisq(s$logtest, 3,
    lower.tail = FALSE); Wald t(fg$coef) %*% solve(fg$var) %*% fg$coef; fg$n."""
    fit = _allo_fit(golden_input)
    r_hr = [1.391368206535759, 0.760658927427459, 0.929258490657437]
    r_lower = [1.226111452273422, 0.640282650032301, 0.807233260534824]
    r_upper = [1.578898461937560, 0.903666535155845, 1.069729636619310]
    r_z = [5.11984000484594, -3.11238821165757, -1.02148841884545]
    r_p = [3.05794979058897e-07, 0.0018558028298906, 0.307023093248966]
    got = fit.coefficients_
    assert [c.name for c in got] == ["ric", "haplo", "mud"]
    np.testing.assert_allclose([c.hazard_ratio for c in got], r_hr, rtol=1e-9)
    np.testing.assert_allclose([c.lower for c in got], r_lower, rtol=1e-9)
    np.testing.assert_allclose([c.upper for c in got], r_upper, rtol=1e-9)
    np.testing.assert_allclose([c.z for c in got], r_z, rtol=1e-9)
    np.testing.assert_allclose([c.p_value for c in got], r_p, rtol=1e-7)
    lr = fit.likelihood_ratio_test_
    assert (lr.statistic, lr.df) == (pytest.approx(35.7829894510432, rel=1e-9), 3)
    assert lr.p_value == pytest.approx(8.32272762351524e-08, rel=1e-7)
    wald = fit.wald_test_
    assert (wald.statistic, wald.df) == (pytest.approx(36.6425383388202, rel=1e-9), 3)
    assert wald.p_value == pytest.approx(5.47656101324698e-08, rel=1e-7)
    assert (fit.n_, fit.n_events_) == (2000, int((golden_input("allo")["cause"] == 1).sum()))


def test_invalid_input_raises_with_a_reason() -> None:
    """Degenerate designs give an AnalysisError naming the problem, never a numpy error or a
    NaN coefficient (crr: NaN rows are dropped, a constant covariate stops the solver)."""
    time, status = [1, 2, 3, 4, 5, 6], [1, 2, 0, 1, 1, 0]
    with pytest.raises(AnalysisError, match="covariate age has the same value"):
        FineGrayFitter().fit(time, status, [3.0] * 6, names=["age"])
    with pytest.raises(AnalysisError, match="same value for every patient"):
        FineGrayFitter().fit([4.0], [1], [1.0])
    with pytest.raises(AnalysisError, match="covariate x1 holds 1 missing"):
        FineGrayFitter().fit(time, status, [0.0, 1.0, float("nan"), 1.0, 0.0, 1.0])
    collinear = np.array([[0, 1, 0, 1, 1, 0], [0, 2, 0, 2, 2, 0]], dtype=np.float64).T
    with pytest.raises(AnalysisError, match="collinear"):
        FineGrayFitter().fit(time, status, collinear)
    with pytest.raises(AnalysisError, match="causes holds"):
        FineGrayFitter().fit(time, [1, 2, 0, None, 1, 0], [0, 1, 0, 1, 1, 0])
    with pytest.raises(AnalysisError, match=">= 0"):
        FineGrayFitter().fit([-1, 2], [1, 1], [0.0, 1.0])
    with pytest.raises(AnalysisError, match="one row per patient"):
        FineGrayFitter().fit(time, status, [0.0, 1.0])
    with pytest.raises(EmptyCohortError):
        FineGrayFitter().fit([], [], [])


def test_zero_robust_variance_is_an_error() -> None:
    """R: crr(c(2, 2, 2), c(1, 1, 1), c(1, 1, 0)): every patient fails at t = 2, coef 0, var 0,
    summary z NaN. Here an AnalysisError instead of a NaN z."""
    with pytest.raises(AnalysisError, match="robust variance of x1 is 0"):
        FineGrayFitter().fit([2, 2, 2], [1, 1, 1], [1.0, 1.0, 0.0])
