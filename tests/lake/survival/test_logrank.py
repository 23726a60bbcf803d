"""Log-rank family against R survdiff and the 05 fixtures (E4, D2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lake.errors import AnalysisError, EmptyCohortError
from lake.survival import grouped_counts, logrank_counts, logrank_test, trend_test

D1_TIME = [2, 3, 3, 5, 6, 7, 8, 10, 12, 15, 16, 20]
D1_STATUS = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0]
D1_GRP = list("ABABABABABAB")
D1_STRAT = [1] * 6 + [2] * 6


def _check(result: Any, r: dict[str, Any], r_array: Callable[..., Any]) -> None:
    assert result.statistic == pytest.approx(r["chisq"], rel=1e-9)
    assert result.df == r["df"]
    assert result.p_value == pytest.approx(r["p"], rel=1e-7)
    np.testing.assert_allclose(result.observed, r_array(r["observed"]), rtol=1e-9)
    np.testing.assert_allclose(result.expected, r_array(r["expected"]), rtol=1e-9)


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [("d1", {}), ("d1/strat", {"strata": D1_STRAT}), ("d1/rho1", {"rho": 1.0})],
)
def test_survdiff_d1_golden(
    case: str, kwargs: dict[str, Any], golden: Callable[..., Any], r_array: Callable[..., Any]
) -> None:
    """R: survdiff(Surv(time, status) ~ grp [+ strata(strat)], rho = 0 | 1) on D1."""
    _check(logrank_test(D1_TIME, D1_STATUS, D1_GRP, **kwargs), golden("logrank", case), r_array)


def test_survdiff_d2_golden(
    golden: Callable[..., Any], golden_input: Callable[..., Any], r_array: Callable[..., Any]
) -> None:
    """R: survdiff(Surv(time, status) ~ x) on D2 (tied event times, censoring tied with them)."""
    d = golden_input("d2")
    _check(logrank_test(d["time"], d["status"], d["x"]), golden("logrank", "d2"), r_array)


@pytest.mark.parametrize(
    ("case", "options"),
    [
        ("mm_os/iss", {"rho": 0.0}),
        ("mm_os/iss/strat_sex", {"rho": 0.0, "stratify": True}),
        ("mm_os/iss/rho1", {"rho": 1.0}),
        ("mm_os/iss/rho0.5", {"rho": 0.5}),
    ],
)
def test_survdiff_three_groups_golden(
    case: str,
    options: dict[str, Any],
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: survdiff(Surv(time, status) ~ iss [+ strata(sex)], rho = rho) on 3,000 patients."""
    d = golden_input("mm_os")
    strata = d["sex"] if options.get("stratify") else None
    result = logrank_test(d["time"], d["status"], d["iss"], strata=strata, rho=options["rho"])
    _check(result, golden("logrank", case), r_array)


def test_trend_golden(golden: Callable[..., Any], golden_input: Callable[..., Any]) -> None:
    """R: u = sum(s*(O-E)); v = t(s) %*% survdiff(...)$var %*% s; chisq = u^2/v, s = 1:3."""
    r = golden("logrank", "mm_os/iss")
    d = golden_input("mm_os")
    result = trend_test(d["time"], d["status"], d["iss"])
    assert result.statistic == pytest.approx(r["trend_chisq"], rel=1e-9)
    assert result.p_value == pytest.approx(r["trend_p"], rel=1e-6, abs=1e-300)
    assert result.df == 1


def test_e4_and_d2_domain_values() -> None:
    """05 E4: chi2 0.0103, p 0.919, O_A 3, E_A 3.13; stratified chi2 0.000664; D2 0.2696."""
    plain = logrank_test(D1_TIME, D1_STATUS, D1_GRP)
    assert plain.statistic == pytest.approx(0.0103, abs=5e-5)
    assert plain.p_value == pytest.approx(0.919, abs=5e-4)
    assert plain.observed[0] == 3.0
    assert plain.expected[0] == pytest.approx(3.13, abs=5e-3)
    strat = logrank_test(D1_TIME, D1_STATUS, D1_GRP, strata=D1_STRAT)
    assert strat.statistic == pytest.approx(0.000664, abs=5e-7)
    d2 = logrank_test(
        [1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7],
        [1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0],
        [0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1, 0],
    )
    assert d2.statistic == pytest.approx(0.2696, abs=5e-5)


def test_lifelines_oracle_two_groups(golden_input: Callable[..., Any]) -> None:
    """Independent oracle: lifelines.statistics.logrank_test on ISS I vs III."""
    from lifelines.statistics import logrank_test as ll_logrank

    d = golden_input("mm_os")
    two = d.filter(d["iss"] != 2)
    a, b = two.filter(two["iss"] == 1), two.filter(two["iss"] == 3)
    theirs = ll_logrank(
        a["time"].to_numpy(), b["time"].to_numpy(), a["status"].to_numpy(), b["status"].to_numpy()
    )
    ours = logrank_test(two["time"], two["status"], two["iss"])
    assert ours.statistic == pytest.approx(theirs.test_statistic, rel=1e-9)


def test_degenerate_inputs() -> None:
    """No events -> statistic None with a reason; one group -> EmptyCohortError."""
    none = logrank_test([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"])
    assert none.statistic is None
    assert none.p_value is None
    assert none.reason is not None
    with pytest.raises(EmptyCohortError, match="two non-empty groups"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    with pytest.raises(AnalysisError, match="scores"):
        trend_test([1, 2, 3, 4], [1, 1, 0, 1], ["a", "b", "c", "c"], scores=[1, 2])
    # all six die at t=5: hypergeometric variance d(n-d)/(n-1) = 0 (R's solve() fails)
    tied = logrank_test([5] * 6, [1] * 6, list("ABABAB"))
    assert tied.statistic is None
    assert tied.reason is not None
    assert "singular" in tied.reason


@pytest.mark.parametrize(
    ("case", "kwargs"),
    [("d1", {}), ("d1/strat", {"strata": D1_STRAT}), ("d1/rho1", {"rho": 1.0})],
)
def test_entry_before_every_time_is_survdiff(
    case: str, kwargs: dict[str, Any], golden: Callable[..., Any], r_array: Callable[..., Any]
) -> None:
    """With every entry before the first time the (entry, stop] risk sets are survdiff's."""
    entry = np.full(len(D1_TIME), -1.0)
    result = logrank_test(D1_TIME, D1_STATUS, D1_GRP, entry=entry, **kwargs)
    _check(result, golden("logrank", case), r_array)


def test_entry_shrinks_the_risk_sets_of_the_late_entrants() -> None:
    """Oracle: O, E by hand for two groups where B's patients enter at time 4.

    Event times 2, 3, 5, 6 (A), 7 (B). At 2 and 3 only A is at risk (E_A = d); from 5 on both.
    """
    time = [2, 3, 5, 6, 7, 8, 9, 10]
    status = [1, 1, 1, 1, 1, 0, 0, 0]
    group = ["A", "A", "A", "A", "B", "B", "B", "A"]
    entry = [0, 0, 0, 0, 4, 4, 4, 0]
    result = logrank_test(time, status, group, entry=entry)
    # at risk (A, B): t=2 (5, 0), t=3 (4, 0), t=5 (3, 3), t=6 (2, 3), t=7 (1, 3)
    expected_a = 1 + 1 + 3 / 6 + 2 / 5 + 1 / 4
    assert result.observed == (4.0, 1.0)
    assert result.expected[0] == pytest.approx(expected_a)
    assert result.expected[1] == pytest.approx(5 - expected_a)
    trend = trend_test(time, status, group, entry=entry)
    assert trend.statistic == pytest.approx(result.statistic)  # two groups: the same test


@pytest.mark.parametrize(("rho", "gamma"), [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)])
def test_a_weighted_logrank_without_events_says_so(rho: float, gamma: float) -> None:
    """No events: a Fleming-Harrington test has no weights to compute and gives the reason,
    as the plain log-rank does (it raised a shape error; found by hypothesis)."""
    days, censored = np.ones(6), np.zeros(6, dtype=bool)
    groups = np.array([0, 1, 0, 1, 0, 1])
    result = logrank_test(days, censored, groups, rho=rho, gamma=gamma)
    assert result.p_value is None
    assert result.reason == "no events in at least two groups"
    assert (
        logrank_counts(grouped_counts(days, censored, groups, n_groups=2), rho=rho, gamma=gamma)
        == result
    )
