"""Kaplan-Meier options on governed access: exact answers equal the engine's (= R, see
tests/lake/survival/test_km_options.py), disclosed by the curve's rules, and only when asked."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.endpoints import EndpointKey
from lake.cohort.survival import Grouping, SurvivalRequest, survival_summary
from lake.cohort.survival_options import NO_OPTIONS, SurvivalOptions, Weights
from lake.disclosure import DisclosurePolicy, disclose_survival
from lake.errors import AnalysisError
from lake.query.release import canonical_json, query_hash
from lake.survival import KaplanMeierFitter, logrank_test

pytestmark = pytest.mark.filterwarnings("ignore::lake.survival.SurvivalWarning")
POLICY = DisclosurePolicy(min_cell_size=5)
EVERY_OPTION = SurvivalOptions(
    quartiles=True,
    cumulative_hazard=True,
    restricted_mean_tau=600.0,
    interval_ends=(200.0, 400.0, 800.0, 5000.0),
    weights=Weights(rho=1.0, gamma=1.0),
)


def request(options: SurvivalOptions = NO_OPTIONS) -> SurvivalRequest:
    return SurvivalRequest(
        endpoint=EndpointKey("OS", "diagnosis"),
        grouping=Grouping(attribute="x"),
        times=(100.0, 400.0, 2000.0),
        time_unit="days",
        conf_type="log",
        options=options,
    )


def frame(n: int, *, seed: int, event_rate: float = 0.6, groups: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "time_days": rng.integers(1, 1500, n).astype(np.float64),
            "status": (rng.random(n) < event_rate).astype(np.int64),
            "group": [f"g{i}" for i in rng.integers(0, groups, n)],
        }
    )


def test_default_request_computes_no_option_and_keeps_its_hash() -> None:
    summary = survival_summary(frame(200, seed=1), request())
    assert summary.weighted is None
    for group in summary.groups:
        assert (group.quartiles, group.restricted_mean, group.intervals) == (None, None, None)
        assert all(p.cumulative_hazard is None for p in group.at_times)
        # the se of S comes free with S (2000 days lies beyond the last follow-up)
        assert [p.std_err is not None for p in group.at_times] == [True, True, False]
    # options at their default leave the hash (cache, audit, privacy ledger) as before them
    assert "options" not in canonical_json(request())
    assert query_hash(request()) != query_hash(request(EVERY_OPTION))


def test_exact_options_are_the_engine_answers() -> None:
    rows = frame(300, seed=2)
    summary = survival_summary(rows, request(EVERY_OPTION))
    for group in summary.groups:
        sub = rows.filter(pl.col("group") == group.group)
        km = KaplanMeierFitter().fit(sub["time_days"].to_numpy(), sub["status"].to_numpy())
        assert group.quartiles == tuple(km.quantile(p) for p in (0.25, 0.5, 0.75))
        rmst = km.restricted_mean(600.0)
        assert group.restricted_mean is not None
        assert (group.restricted_mean.estimate, group.restricted_mean.std_err) == (
            rmst.estimate,
            rmst.std_err,
        )
        counts = km.counts_between([200.0, 400.0, 800.0, 5000.0])
        assert group.intervals is not None
        assert [(c.start, c.end) for c in group.intervals] == [
            (0.0, 200.0),
            (200.0, 400.0),
            (400.0, 800.0),
            (800.0, 5000.0),
        ]
        assert [(c.n_at_risk, c.events, c.censored) for c in group.intervals] == [
            (c.n_at_risk, c.n_events, c.n_censored) for c in counts
        ]
        hazards = km.cumulative_hazard_at([100.0, 400.0, 2000.0])
        assert [p.cumulative_hazard for p in group.at_times] == [
            h.cumulative_hazard for h in hazards
        ]
        assert [p.cumulative_hazard_se for p in group.at_times] == [h.std_err for h in hazards]
    test = logrank_test(rows["time_days"], rows["status"], rows["group"], rho=1.0, gamma=1.0)
    assert summary.weighted is not None
    assert summary.weighted.statistic == pytest.approx(test.statistic, rel=1e-12)
    assert summary.weighted.test_name == "Fleming-Harrington (rho=1, gamma=1)"
    assert summary.weighted.groups == ("g0", "g1")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"restricted_mean_tau": 0.0}, "restrictedMeanTau"),
        ({"interval_ends": (10.0, 5.0)}, "increase"),
        ({"interval_ends": (0.0, 5.0)}, "positive"),
        ({"interval_ends": tuple(float(t) for t in range(1, 52))}, "at most 50"),
    ],
)
def test_invalid_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        SurvivalOptions(**options)  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="rho"):
        Weights(rho=-1.0)


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    n=st.integers(min_value=5, max_value=80),
    seed=st.integers(min_value=0, max_value=10_000),
    rate=st.floats(min_value=0.0, max_value=1.0),
    tau=st.floats(min_value=1.0, max_value=1600.0),
)
def test_disclosed_options_rest_on_the_released_curve(
    n: int, seed: int, rate: float, tau: float
) -> None:
    """Quartiles, the restricted mean and interval counts end where the released curve ends;
    released interval counts are sums of released steps (nothing new), the rest withheld."""
    options = replace(EVERY_OPTION, restricted_mean_tau=tau)
    rows = frame(n, seed=seed, event_rate=rate, groups=1)
    exact = survival_summary(rows, request(options)).groups[0]
    released = disclose_survival(survival_summary(rows, request(options)), POLICY).groups[0]
    steps = released.steps
    end = steps[-1].time if steps else -np.inf
    assert released.quartiles is not None
    assert exact.quartiles is not None
    for got, truth in zip(released.quartiles, exact.quartiles, strict=True):
        for value, true in ((got.estimate, truth.estimate), (got.upper, truth.upper)):
            assert value == (true if true is not None and true <= end else None)
    rmst = released.restricted_mean
    assert rmst is not None
    if tau <= end:
        assert rmst == exact.restricted_mean
    else:
        assert (rmst.estimate, rmst.std_err) == (None, None)
        assert rmst.reason is not None
    assert released.intervals is not None
    for interval in released.intervals:
        if interval.end > end:
            assert (interval.n_at_risk, interval.events, interval.censored) == (None, None, None)
            continue
        first = interval.start == 0.0  # the first interval is [0, end], the others (start, end]
        inside = [s for s in steps if (first or s.time > interval.start) and s.time <= interval.end]
        assert interval.events == sum(s.events for s in inside)
        assert interval.censored == sum(s.censored for s in inside)
        assert interval.n_at_risk is not None
        assert interval.n_at_risk >= POLICY.min_cell_size
    for point in released.at_times:
        if point.survival is None:
            assert (point.std_err, point.cumulative_hazard) == (None, None)


def test_a_withheld_group_releases_no_option_and_no_observed_expected() -> None:
    rows = pl.concat([frame(200, seed=4), frame(3, seed=5).with_columns(group=pl.lit("tiny"))])
    released = disclose_survival(survival_summary(rows, request(EVERY_OPTION)), POLICY)
    tiny = next(g for g in released.groups if g.group == "tiny")
    assert (tiny.n, tiny.quartiles, tiny.intervals) == (None, (), ())
    assert tiny.restricted_mean is not None
    assert tiny.restricted_mean.estimate is None
    assert released.weighted is not None
    assert released.weighted.statistic is not None  # the test is released ...
    assert released.weighted.observed == ()  # ... its per-group counts are not
