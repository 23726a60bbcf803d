"""Fine-Gray regression against cmprsk::crr (coefficients, sandwich se, log-likelihoods)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lake.errors import AnalysisError
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
