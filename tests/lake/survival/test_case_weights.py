"""Case weights against R (golden/weighted.json from make_golden.R, R survival 3.5.3, on
inputs/weighted.csv from make_inputs.py): survfit(Surv(time, status) ~ 1, weights = w) with its
default robust (infinitesimal jackknife) variance, and coxph(Surv(time, status) ~ arm + age,
weights = w, robust = TRUE) for Efron and Breslow ties, to 1e-6 relative."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest

from lake.errors import AnalysisError
from lake.survival.cox import CoxPHFitter
from lake.survival.kaplan_meier import KaplanMeierFitter

GOLDEN = Path(__file__).parent / "golden"
DATA = pl.read_csv(GOLDEN / "inputs" / "weighted.csv")
R: dict[str, Any] = json.loads((GOLDEN / "weighted.json").read_text())


def close(actual: object, expected: object) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=1e-6, atol=1e-12
    )


@pytest.mark.parametrize("arm", [0, 1])
def test_weighted_kaplan_meier_matches_survfit(arm: int) -> None:
    golden = R["km"][f"arm{arm}"]
    group = DATA.filter(pl.col("arm") == arm)
    fit = KaplanMeierFitter().fit(group["time"], group["status"], weights=group["w"])
    close(fit.timeline_, golden["time"])
    close(fit.survival_, golden["surv"])
    close(fit.n_at_risk_, golden["n_risk"])
    close(fit.n_events_, golden["n_event"])
    close(fit.lower_, golden["lower"])
    close(fit.upper_, golden["upper"])
    # R reports a robust fit's std.err on the survival scale (se of S): S * se(-log S)
    close(fit.survival_ * fit.std_err_, golden["std_err"])
    assert fit.median_.estimate == golden["median"]
    assert fit.median_.lower == golden["median_lower"]
    assert fit.median_.upper == golden["median_upper"]
    points = fit.survival_at(golden["at"]["time"])
    close([p.survival for p in points], golden["at"]["surv"])
    close([p.lower for p in points], golden["at"]["lower"])


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_weighted_cox_with_robust_variance_matches_coxph(ties: str) -> None:
    golden = R["cox"][ties]
    frame = DATA.select("time", "status", "arm", "age", "w")
    robust = CoxPHFitter(ties=ties).fit(  # type: ignore[arg-type]
        frame, duration_col="time", event_col="status", weights_col="w", robust=True
    )
    close(robust.params_, golden["coef"])
    close(robust.standard_errors_, golden["robust_se"])
    close([robust.log_likelihood_null_, robust.log_likelihood_], golden["loglik"])
    naive = CoxPHFitter(ties=ties).fit(  # type: ignore[arg-type]
        frame, duration_col="time", event_col="status", weights_col="w"
    )
    close(naive.standard_errors_, golden["naive_se"])
    arm = robust.coefficients_[0]
    assert arm.lower == pytest.approx(np.exp(arm.coef - 1.959963984540054 * arm.se), rel=1e-12)


def test_unit_weights_change_nothing() -> None:
    frame = DATA.with_columns(pl.lit(1.0).alias("w"))
    weighted = CoxPHFitter().fit(frame, duration_col="time", event_col="status", weights_col="w")
    plain = CoxPHFitter().fit(frame.drop("w"), duration_col="time", event_col="status")
    close(weighted.params_, plain.params_)
    close(weighted.standard_errors_, plain.standard_errors_)
    km = KaplanMeierFitter().fit(DATA["time"], DATA["status"], weights=np.ones(DATA.height))
    close(km.survival_, KaplanMeierFitter().fit(DATA["time"], DATA["status"]).survival_)


def test_invalid_weights_are_refused() -> None:
    with pytest.raises(AnalysisError, match="weights must be >= 0"):
        KaplanMeierFitter().fit([1, 2, 3], [1, 0, 1], weights=[1.0, -1.0, 1.0])
    with pytest.raises(AnalysisError, match="weights has 2 rows"):
        KaplanMeierFitter().fit([1, 2, 3], [1, 0, 1], weights=[1.0, 1.0])
    with pytest.raises(AnalysisError, match="delayed entry"):
        KaplanMeierFitter().fit([2, 3], [1, 1], entry=[0, 1], weights=[1.0, 2.0])


@pytest.mark.parametrize("case", ["strata", "entry"])
def test_weighted_robust_cox_with_strata_or_delayed_entry(case: str) -> None:
    """R: coxph(Surv(time, status) ~ age + strata(arm), weights = w, robust = TRUE) and
    coxph(Surv(entry, time, status) ~ arm + age, ...) with entry = floor(time / 10)."""
    golden = R[case]
    frame = DATA.with_columns((pl.col("time") // 10).alias("entry"))
    if case == "strata":
        fit = CoxPHFitter().fit(
            frame.select("time", "status", "age", "arm", "w"),
            duration_col="time",
            event_col="status",
            strata_col="arm",
            weights_col="w",
            robust=True,
        )
    else:
        fit = CoxPHFitter().fit(
            frame.select("time", "status", "entry", "arm", "age", "w"),
            duration_col="time",
            event_col="status",
            entry_col="entry",
            weights_col="w",
            robust=True,
        )
    close(fit.params_, golden["coef"])
    close(fit.standard_errors_, golden["robust_se"])
    close([fit.log_likelihood_null_, fit.log_likelihood_], golden["loglik"])
