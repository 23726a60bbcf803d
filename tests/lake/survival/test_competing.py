"""Aalen-Johansen CIF and Gray's test against cmprsk::cuminc and the 05 E6 fixture."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from lake.errors import AnalysisError
from lake.survival import CumulativeIncidenceFitter, KaplanMeierFitter

D3_TIME = list(range(1, 13))
D3_STATUS = [1, 2, 0, 1, 2, 1, 0, 2, 1, 0, 0, 0]
D3_GRP = list("ABABABABABAB")


def _check_curves(
    fitter: CumulativeIncidenceFitter, r: dict[str, Any], r_array: Callable[..., Any]
) -> None:
    names = [k for k in r if k != "tests"]
    assert sorted(names) == sorted(f"{g} {c}" for g, c in fitter.curves_)
    for (group, cause), curve in fitter.curves_.items():
        expected = r[f"{group} {cause}"]
        np.testing.assert_allclose(curve.time, r_array(expected["time"]), rtol=1e-12)
        np.testing.assert_allclose(curve.estimate, r_array(expected["est"]), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(curve.variance, r_array(expected["var"]), rtol=1e-9, atol=1e-14)


def _check_tests(
    fitter: CumulativeIncidenceFitter, r: dict[str, Any], r_array: Callable[..., Any]
) -> None:
    tests = r["tests"]
    for cause, stat, pv, df in zip(
        tests["cause"],
        r_array(tests["stat"]),
        r_array(tests["pv"]),
        r_array(tests["df"]),
        strict=True,
    ):
        result = fitter.tests_[cause]
        assert result.statistic == pytest.approx(stat, rel=1e-6)
        assert result.p_value == pytest.approx(pv, rel=1e-6)
        assert result.df == df


def test_cuminc_d3_golden(golden: Callable[..., Any], r_array: Callable[..., Any]) -> None:
    """R: cuminc(d$time, d$status, d$grp) on D3 (est, var, Tests)."""
    fitter = CumulativeIncidenceFitter().fit(D3_TIME, D3_STATUS, groups=D3_GRP)
    _check_curves(fitter, golden("competing", "d3"), r_array)
    _check_tests(fitter, golden("competing", "d3"), r_array)


def test_cuminc_pooled_golden(golden: Callable[..., Any], r_array: Callable[..., Any]) -> None:
    """R: cuminc(d$time, d$status) on D3: one group (named "1" by cuminc, "0" here)."""
    fitter = CumulativeIncidenceFitter().fit(D3_TIME, D3_STATUS)
    r = golden("competing", "d3/pooled")
    for cause in ("1", "2"):
        curve, expected = fitter.curves_[("0", cause)], r[f"1 {cause}"]
        np.testing.assert_array_equal(curve.time, r_array(expected["time"]))
        np.testing.assert_allclose(curve.estimate, r_array(expected["est"]), rtol=1e-9)
        np.testing.assert_allclose(curve.variance, r_array(expected["var"]), rtol=1e-9)
    for cause in ("1", "2"):  # cuminc gives no Tests for one group: None with the reason
        test = fitter.tests_[cause]
        assert (test.statistic, test.p_value, test.df) == (None, None, 0)
        assert test.reason is not None
        assert "one group" in test.reason


@pytest.mark.parametrize(
    ("case", "options"),
    [("allo", {}), ("allo/strata", {"strata": True}), ("allo/rho1", {"rho": 1.0})],
)
def test_cuminc_allo_golden(
    case: str,
    options: dict[str, Any],
    golden: Callable[..., Any],
    golden_input: Callable[..., Any],
    r_array: Callable[..., Any],
) -> None:
    """R: cuminc(time, cause, donor [, strata = ric] [, rho = 1]), 2,000 patients, 3 groups."""
    d = golden_input("allo")
    fitter = CumulativeIncidenceFitter(rho=options.get("rho", 0.0)).fit(
        d["time"],
        d["cause"],
        groups=d["donor"],
        strata=d["ric"] if options.get("strata") else None,
    )
    _check_curves(fitter, golden("competing", case), r_array)
    _check_tests(fitter, golden("competing", case), r_array)


def test_e6_domain_values_and_invariant() -> None:
    """05 E6 table; RI + NRM + event-free = 1 at t = 12; naive 1 - KM overestimates (0.4762)."""
    fitter = CumulativeIncidenceFitter().fit(D3_TIME, D3_STATUS)
    relapse = fitter.curves_[("0", "1")].at([3, 6, 9, 12])
    nrm = fitter.curves_[("0", "2")].at([3, 6, 9, 12])
    np.testing.assert_allclose(
        [a.estimate for a in relapse], [0.0833, 0.2685, 0.3796, 0.3796], atol=5e-5
    )
    np.testing.assert_allclose(
        [a.variance for a in relapse], [0.00694, 0.02008, 0.02802, 0.02802], atol=5e-6
    )
    np.testing.assert_allclose(
        [a.estimate for a in nrm], [0.0833, 0.1759, 0.2870, 0.2870], atol=5e-5
    )
    np.testing.assert_allclose(
        [a.variance for a in nrm], [0.00700, 0.01445, 0.02387, 0.02387], atol=5e-6
    )
    event_free = KaplanMeierFitter().fit(D3_TIME, [int(s > 0) for s in D3_STATUS])
    s12 = event_free.survival_at([12])[0].survival
    assert s12 is not None
    assert relapse[-1].estimate + nrm[-1].estimate + s12 == pytest.approx(1.0, abs=1e-12)
    naive = KaplanMeierFitter().fit(D3_TIME, [int(s == 1) for s in D3_STATUS])
    naive12 = naive.survival_at([12])[0].survival
    assert naive12 is not None
    assert 1 - naive12 == pytest.approx(0.4762, abs=5e-5)


def test_cif_confidence_limits_bracket_the_estimate() -> None:
    fitter = CumulativeIncidenceFitter().fit(D3_TIME, D3_STATUS)
    at = fitter.curves_[("0", "1")].at([0.5, 9])
    assert at[0].lower is None  # F = 0: the log(-log) interval is undefined
    assert at[1].lower is not None
    assert at[1].upper is not None
    assert at[1].lower < at[1].estimate < at[1].upper


def test_gray_test_degenerate_and_invalid() -> None:
    fitter = CumulativeIncidenceFitter().fit(
        [1, 2, 3, 4], [1, 1, 0, 0], groups=["a", "a", "b", "b"]
    )
    # group b has no cause-1 event; R: cuminc(c(1,2,3,4), c(1,1,0,0), c("a","a","b","b"))$Tests
    assert fitter.tests_["1"].statistic == pytest.approx(2.81508078994614, rel=1e-9)
    assert fitter.tests_["1"].p_value == pytest.approx(0.0933821949985613, rel=1e-9)
    with pytest.raises(AnalysisError):
        CumulativeIncidenceFitter().fit([1, 2], [1])


def _corners(fitter: CumulativeIncidenceFitter, key: tuple[str, str]) -> list[list[float]]:
    curve = fitter.curves_[key]
    return [curve.time.tolist(), curve.estimate.tolist(), curve.variance.tolist()]


def test_incidence_reaching_one_matches_cuminc() -> None:
    """R: cuminc(c(1, 2, 2, 3, 4), rep(1, 5)): F = 1 at t = 4 with var 0.04 (cmprsk's Aalen
    variance is not 0 there); and cuminc(c(1, 2, 3, 3, 4), c(2, 1, 1, 0, 1)): cause 1 ends at
    0.8 with var 0.2, cause 2 at 0.2 with var 0.04."""
    every = CumulativeIncidenceFitter().fit([1, 2, 2, 3, 4], [1, 1, 1, 1, 1])
    t, f, v = _corners(every, ("0", "1"))
    assert t == [0, 1, 1, 2, 2, 3, 3, 4, 4, 4]
    np.testing.assert_allclose(f, [0, 0, 0.2, 0.2, 0.6, 0.6, 0.8, 0.8, 1, 1], rtol=1e-12)
    r_var = [0, 0, 0.04, 0.04, 0.0633333333333334, 0.0633333333333334]
    r_var += [0.0558333333333336, 0.0558333333333336, 0.04, 0.04]
    np.testing.assert_allclose(v, r_var, rtol=1e-12, atol=1e-15)
    (at_one,) = every.curves_[("0", "1")].at([4])
    assert (at_one.estimate, at_one.lower, at_one.upper) == (1.0, None, None)
    mixed = CumulativeIncidenceFitter().fit([1, 2, 3, 3, 4], [2, 1, 1, 0, 1])
    t, f, v = _corners(mixed, ("0", "1"))
    assert t == [0, 2, 2, 3, 3, 4, 4, 4]
    np.testing.assert_allclose(f, [0, 0, 0.2, 0.2, 0.4, 0.4, 0.8, 0.8], rtol=1e-12)
    r_var = [0, 0, 0.0425, 0.0425, 0.0677777777777778, 0.0677777777777778, 0.2, 0.2]
    np.testing.assert_allclose(v, r_var, rtol=1e-12)
    np.testing.assert_allclose(_corners(mixed, ("0", "2"))[2], [0, 0, 0.04, 0.04], rtol=1e-12)


def test_limits_at_rounded_one_and_huge_variance_are_defined() -> None:
    """F(3) of cause 2 below is 1 up to rounding (0.9999999999999999): no limits, not (0, 1)
    from an overflowing transform; F(2) = 0.357 with var 0.057 keeps its finite limits."""
    fitter = CumulativeIncidenceFitter().fit(
        [0, 3, 2, 2, 0, 2, 1], [2, 2, 0, 0, 0, 2, 0], report_causes=[1, 2]
    )
    at2, at3 = fitter.curves_[("0", "2")].at([2, 3])
    assert at3.estimate == pytest.approx(1.0, abs=1e-12)
    assert (at3.lower, at3.upper) == (None, None)
    assert at2.lower is not None
    assert at2.upper is not None
    assert 0.0 < at2.lower < at2.estimate < at2.upper < 1.0


def test_cause_without_events_in_a_group_is_zero() -> None:
    """R: cuminc(1:6, c(1, 2, 1, 1, 0, 1), rep(c("a", "b"), each = 3)): group b has no cause-2
    event, its curve is (0, 6) with est 0 and var 0; Tests stat 2.16541353383459 (p
    0.141146647531306) for cause 1 and 0.941176470588235 (p 0.331975467082737) for cause 2."""
    fitter = CumulativeIncidenceFitter().fit(
        [1, 2, 3, 4, 5, 6], [1, 2, 1, 1, 0, 1], groups=list("aaabbb")
    )
    assert _corners(fitter, ("b", "2")) == [[0, 6], [0, 0], [0, 0]]
    np.testing.assert_allclose(_corners(fitter, ("b", "1"))[2], [0, 0, 1 / 9, 1 / 9, 4 / 9, 4 / 9])
    for cause, stat, pv in (
        ("1", 2.16541353383459, 0.141146647531306),
        ("2", 0.941176470588235, 0.331975467082737),
    ):
        assert fitter.tests_[cause].statistic == pytest.approx(stat, rel=1e-12)
        assert fitter.tests_[cause].p_value == pytest.approx(pv, rel=1e-12)


def test_no_events_gives_zero_incidence_or_a_clear_error() -> None:
    """All censored: cuminc(1:3, c(0, 0, 0)) fails ("NAs in foreign function call"). Here the
    causes to report give F = 0, var 0 and a Gray test with a reason; without them there is
    nothing to report and the error says so."""
    with pytest.raises(AnalysisError, match="no event of any cause"):
        CumulativeIncidenceFitter().fit([1, 2, 3], [0, 0, 0])
    fitter = CumulativeIncidenceFitter().fit(
        [1, 2, 3, 4], [0, 0, 0, 0], groups=["a", "a", "b", "b"], report_causes=[1, 2]
    )
    assert sorted(fitter.curves_) == [("a", "1"), ("a", "2"), ("b", "1"), ("b", "2")]
    (point,) = fitter.curves_[("a", "1")].at([2])
    assert (point.estimate, point.variance, point.lower, point.upper) == (0.0, 0.0, None, None)
    for cause in ("1", "2"):
        test = fitter.tests_[cause]
        assert (test.statistic, test.p_value, test.df) == (None, None, 1)
        assert test.reason == f"no events of cause {cause} in any group"


def test_times_outside_follow_up() -> None:
    """Before time 0 F is 0 (R timepoints(cuminc(c(1, 2, 3, 3, 4), c(2, 1, 1, 0, 1)),
    c(0.5, 2, 4)): est 0, 0.2, 0.8 and var 0, 0.0425, 0.2 for cause 1). Beyond the largest
    time of a group whose last patient is censored F is not estimable (timepoints: NA)."""
    curve = CumulativeIncidenceFitter().fit([1, 2, 3, 3, 4], [2, 1, 1, 0, 1]).curves_[("0", "1")]
    got = curve.at([-1, 0.5, 2, 4])
    assert [p.estimate for p in got] == pytest.approx([0.0, 0.0, 0.2, 0.8], rel=1e-12)
    assert [p.variance for p in got] == pytest.approx([0.0, 0.0, 0.0425, 0.2], rel=1e-12)
    censored = CumulativeIncidenceFitter().fit([1, 2, 3, 3, 4], [2, 1, 1, 0, 0])
    (beyond,) = censored.curves_[("0", "1")].at([10])
    assert (beyond.estimate, beyond.variance, beyond.lower, beyond.upper) == (None,) * 4
    assert beyond.reason == "beyond last follow-up"


def test_incidence_is_known_past_the_end_when_everyone_had_an_event() -> None:
    """cuminc(c(1, 2, 3, 3, 4), c(2, 1, 1, 0, 1)): the last patient at risk has the event at
    t = 4, so nobody can have another one: F(10) = F(4) = 0.8 with var 0.2 for cause 1 and
    0.2 (var 0.04) for cause 2, where cmprsk's timepoints gives NA (the service's convention,
    as summary(survfit, extend = TRUE) for a survival curve that reached 0)."""
    fitter = CumulativeIncidenceFitter().fit([1, 2, 3, 3, 4], [2, 1, 1, 0, 1])
    for cause, estimate, variance in (("1", 0.8, 0.2), ("2", 0.2, 0.04)):
        at_end, beyond = fitter.curves_[("0", cause)].at([4, 10])
        assert beyond.estimate == pytest.approx(estimate, rel=1e-12)
        assert beyond.variance == pytest.approx(variance, rel=1e-12)
        assert (beyond.time, beyond.lower, beyond.upper, beyond.reason) == (
            10.0,
            at_end.lower,
            at_end.upper,
            None,
        )


def test_invalid_causes_raise() -> None:
    with pytest.raises(AnalysisError, match="causes holds"):
        CumulativeIncidenceFitter().fit([1, 2, 3], [1, float("nan"), 0])
    with pytest.raises(AnalysisError, match="groups has 2 rows"):
        CumulativeIncidenceFitter().fit([1, 2, 3], [1, 2, 0], groups=["a", "b"])
