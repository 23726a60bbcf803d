"""Landmark and time-dependent-covariate analyses against R (no immortal-time bias)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
import pytest

from lake.errors import EmptyCohortError
from lake.survival import CoxPHFitter, logrank_test
from lake.survival.landmark import counting_process, landmark_data


def _tdc(golden_input: Callable[..., Any]) -> pl.DataFrame:
    return golden_input("tdc").with_row_index("id")


def test_counting_process_cox_matches_r_and_naive_is_biased(
    golden: Callable[..., Any], golden_input: Callable[..., Any]
) -> None:
    """R: coxph(Surv(tstart, tstop, status) ~ tdc) on the split data vs coxph(... ~ ever)."""
    r = golden("landmark", "tdc")
    naive_r = golden("landmark", "naive")
    d = _tdc(golden_input)
    split = counting_process(
        d, id_col="id", duration_col="time", event_col="status", exposure_time_col="transplant_day"
    )
    assert split.height == r["n_rows"]
    fit = CoxPHFitter().fit(
        split.select("tstart", "tstop", "event", "tdc"),
        duration_col="tstop",
        event_col="event",
        entry_col="tstart",
    )
    assert fit.params_[0] == pytest.approx(r["coef"], rel=1e-6)
    assert fit.standard_errors_[0] == pytest.approx(r["se"], rel=1e-6)
    assert fit.log_likelihood_null_ == pytest.approx(r["loglik"][0], rel=1e-10)
    assert fit.log_likelihood_ == pytest.approx(r["loglik"][1], rel=1e-10)
    naive = CoxPHFitter().fit(
        d.select("time", "status", ever=pl.col("transplant_day").is_not_null().cast(pl.Float64)),
        duration_col="time",
        event_col="status",
    )
    assert naive.params_[0] == pytest.approx(naive_r["coef"], rel=1e-6)
    assert naive.standard_errors_[0] == pytest.approx(naive_r["se"], rel=1e-6)
    # immortal-time bias: the naive HR is far more protective than the true 0.5 the TDC recovers
    assert naive.params_[0] < fit.params_[0] - 0.3


def test_landmark_matches_r(golden: Callable[..., Any], golden_input: Callable[..., Any]) -> None:
    """R: lmd <- d[d$time > 100, ]; coxph(Surv(time - 100, status) ~ tx_by); survdiff(...)."""
    r = golden("landmark", "landmark")
    lm = landmark_data(
        _tdc(golden_input), landmark=100, duration_col="time", exposure_time_col="transplant_day"
    )
    assert lm.frame.height == r["n"]
    assert lm.n_excluded == r["n_excluded"]
    frame = lm.frame.select("time", "status", tx=pl.col("exposed_at_landmark").cast(pl.Float64))
    fit = CoxPHFitter().fit(frame, duration_col="time", event_col="status")
    assert fit.params_[0] == pytest.approx(r["coef"], rel=1e-6)
    assert fit.standard_errors_[0] == pytest.approx(r["se"], rel=1e-6)
    test = logrank_test(frame["time"], frame["status"], frame["tx"])
    assert test.statistic == pytest.approx(r["chisq"], rel=1e-9)


def test_split_edges() -> None:
    d = pl.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "time": [10.0, 10.0, 10.0, 10.0],
            "status": [1, 1, 0, 1],
            "x": [None, 0.0, 4.0, 10.0],
        }
    )
    split = counting_process(
        d, id_col="id", duration_col="time", event_col="status", exposure_time_col="x"
    )
    assert split.rows() == [
        (1, 0.0, 10.0, 1, 0),  # never exposed
        (2, 0.0, 10.0, 1, 1),  # exposed from time 0
        (3, 0.0, 4.0, 0, 0),  # split at 4: event only on the exposed interval
        (3, 4.0, 10.0, 0, 1),
        (4, 0.0, 10.0, 1, 0),  # exposure at the end of follow-up does not count
    ]


def test_landmark_with_nobody_left_raises() -> None:
    d = pl.DataFrame({"time": [1.0, 2.0], "status": [1, 1], "x": [None, None]})
    with pytest.raises(EmptyCohortError, match="landmark"):
        landmark_data(d, landmark=5, duration_col="time", exposure_time_col="x")
