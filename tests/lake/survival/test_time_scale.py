"""Counting on whole days and reporting in another unit gives the answers of fitting in that unit.

The service fits Kaplan-Meier curves on integer days with ``time_scale`` (days per reported
unit), where it used to divide the days into months first; every reported figure must stay what
the divided fit gave (issue 11: "every answer stays identical"). Oracle: the same fitter on
``days / scale``, the previous path.
"""

from __future__ import annotations

from dataclasses import replace
from random import Random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.errors import AnalysisError
from lake.survival import (
    CumulativeIncidenceFitter,
    KaplanMeierFitter,
    grouped_counts,
    logrank_counts,
    logrank_test,
    median_follow_up,
    median_follow_ups,
)
from lake.survival._input import survival_arrays
from lake.survival._risksets import counts_between
from lake.survival.results import QuantileEstimate

SCALES = (1.0, 7.0, 30.4375, 365.25)


@st.composite
def cohorts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, float]:
    n = draw(st.integers(1, 60))
    days = np.array(draw(st.lists(st.integers(1, 400), min_size=n, max_size=n)), dtype=float)
    events = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    entry = None
    if draw(st.booleans()):
        fraction = np.array(draw(st.lists(st.floats(0, 0.9), min_size=n, max_size=n)))
        entry = np.floor(days * fraction)
    return days, events, entry, draw(st.sampled_from(SCALES))


def _same_quantile(a: QuantileEstimate, b: QuantileEstimate) -> None:
    for field in ("estimate", "lower", "upper"):
        got, expected = getattr(a, field), getattr(b, field)
        assert got == (None if expected is None else pytest.approx(expected, rel=1e-12))


@pytest.mark.filterwarnings("ignore::lake.survival.SurvivalWarning")
@settings(max_examples=200, deadline=None)
@given(cohorts(), st.lists(st.floats(0, 500), min_size=1, max_size=5))
def test_fitting_days_with_a_scale_equals_fitting_divided_times(
    cohort: tuple[np.ndarray, np.ndarray, np.ndarray | None, float], asked_days: list[float]
) -> None:
    days, events, entry, scale = cohort
    counted = KaplanMeierFitter().fit(days, events, entry=entry, time_scale=scale)
    divided = KaplanMeierFitter().fit(
        days / scale, events, entry=None if entry is None else entry / scale
    )
    np.testing.assert_allclose(counted.timeline_, divided.timeline_, rtol=1e-12)
    for name in ("survival_", "std_err_", "lower_", "upper_", "n_at_risk_", "n_events_"):
        np.testing.assert_array_equal(getattr(counted, name), getattr(divided, name))
    for p in (0.25, 0.5, 0.75):
        _same_quantile(counted.quantile(p), divided.quantile(p))
    # times asked in the reported unit, away from the observed days (a time on a step is
    # answered the same either way; a float just beside one may round to either side)
    times = sorted({(np.floor(d) + 0.5) / scale for d in asked_days})
    assert counted.survival_at(times) == divided.survival_at(times)
    assert counted.counts_between(times) == divided.counts_between(times)
    assert counted.cumulative_hazard_at(times) == divided.cumulative_hazard_at(times)
    tau = times[-1]
    rmst, oracle = counted.restricted_mean(tau), divided.restricted_mean(tau)
    assert rmst.estimate == pytest.approx(oracle.estimate, rel=1e-12)
    assert rmst.std_err == pytest.approx(oracle.std_err, rel=1e-12, abs=1e-15)
    _same_quantile(
        median_follow_up(days, events, entry=entry, time_scale=scale),
        median_follow_up(days / scale, events, entry=None if entry is None else entry / scale),
    )


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf")])
def test_a_time_scale_must_be_a_positive_number(scale: float) -> None:
    with pytest.raises(AnalysisError, match="time_scale must be a positive number"):
        KaplanMeierFitter().fit([1.0, 2.0], time_scale=scale)


@st.composite
def competing_cohorts(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    n = draw(st.integers(2, 60))
    days = np.array(draw(st.lists(st.integers(0, 400), min_size=n, max_size=n)), dtype=float)
    causes = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=float)
    groups = np.array(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    return days, causes, groups, draw(st.sampled_from(SCALES))


@settings(max_examples=200, deadline=None)
@given(competing_cohorts(), st.lists(st.floats(0, 500), min_size=1, max_size=5))
def test_cumulative_incidence_on_days_with_a_scale_equals_fitting_divided_times(
    cohort: tuple[np.ndarray, np.ndarray, np.ndarray, float], asked_days: list[float]
) -> None:
    days, causes, groups, scale = cohort
    counted = CumulativeIncidenceFitter().fit(
        days, causes, groups=groups, report_causes=[1, 2], time_scale=scale
    )
    divided = CumulativeIncidenceFitter().fit(
        days / scale, causes, groups=groups, report_causes=[1, 2]
    )
    assert counted.curves_.keys() == divided.curves_.keys()
    times = sorted({(np.floor(d) + 0.5) / scale for d in asked_days})
    for key, curve in counted.curves_.items():
        oracle = divided.curves_[key]
        np.testing.assert_allclose(curve.time, oracle.time, rtol=1e-12)
        np.testing.assert_array_equal(curve.estimate, oracle.estimate)
        np.testing.assert_array_equal(curve.variance, oracle.variance)
        assert curve.final == oracle.final
        assert curve.at(times) == oracle.at(times)
    assert counted.tests_ == divided.tests_


def test_cumulative_incidence_time_scale_must_be_a_positive_number() -> None:
    with pytest.raises(AnalysisError, match="time_scale must be a positive number"):
        CumulativeIncidenceFitter().fit([1.0, 2.0], [1, 0], time_scale=0.0)


@pytest.mark.filterwarnings("ignore::lake.survival.SurvivalWarning")
@settings(max_examples=200, deadline=None)
@given(cohorts(), st.integers(1, 4), st.randoms(use_true_random=False))
def test_all_groups_from_one_count_equal_each_group_fitted_and_the_logrank_test(
    cohort: tuple[np.ndarray, np.ndarray, np.ndarray | None, float],
    n_groups: int,
    random: Random,
) -> None:
    days, events, _, scale = cohort
    codes = np.array([random.randrange(n_groups) for _ in days])
    present = np.unique(codes)
    codes = np.searchsorted(present, codes)  # codes 0..G-1, each group non-empty
    counted = grouped_counts(days, events, codes, n_groups=present.size)
    fitted = KaplanMeierFitter(conf_type="log-log").fit_groups(counted, time_scale=scale)
    follow_ups = median_follow_ups(counted, time_scale=scale)
    for rho, gamma in ((0.0, 0.0), (1.0, 0.0), (0.0, 1.0)) if present.size > 1 else ():
        assert logrank_counts(counted, rho=rho, gamma=gamma) == logrank_test(
            days, events, codes, rho=rho, gamma=gamma
        )
    for g, (curve, follow_up) in enumerate(zip(fitted, follow_ups, strict=True)):
        rows = codes == g
        alone = KaplanMeierFitter(conf_type="log-log").fit(
            days[rows], events[rows], time_scale=scale
        )
        for name in ("timeline_", "survival_", "std_err_", "lower_", "upper_", "n_at_risk_"):
            np.testing.assert_array_equal(getattr(curve, name), getattr(alone, name))
        assert curve.median_ == alone.median_
        ends = sorted({float(d) / scale for d in days})
        assert curve.counts_between(ends) == alone.counts_between(ends)
        # read from the risk table, as counting the group's rows gives them
        counted_rows = counts_between(
            survival_arrays(days[rows], events[rows]), np.asarray(ends) * scale
        )
        assert curve.counts_between(ends) == [
            replace(c, time=t) for c, t in zip(counted_rows, ends, strict=True)
        ]
        assert follow_up == median_follow_up(days[rows], events[rows], time_scale=scale)
