"""Protected survival estimators: without noise they are the exact engine's (= R) answers.

On data whose events fall before the censorings within each interval of the grid, the life
table's product-limit, Greenwood variance, log-rank and trend tests and Aalen-Johansen
incidence are exactly Kaplan-Meier, survdiff and cuminc; the tests feed the exact table
(no noise) through the protected release and compare with :mod:`lake.survival`.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.endpoints import EndpointKey
from lake.cohort.incidence import IncidenceRequest
from lake.cohort.survival import Grouping, SurvivalRequest
from lake.privacy.life_table import Grid, Layout, NoisyTable
from lake.privacy.mechanism import Noise, add_noise
from lake.privacy.survival import crossing, incidence_plan, survival_plan
from lake.survival import CumulativeIncidenceFitter, KaplanMeierFitter, logrank_test, trend_test

WIDTH = 30.0
GRID = Grid.of(WIDTH, 40 * WIDTH)
SILENT = Noise(epsilon=1.0, sensitivity=1, scale=0.0, margin=0, variance=0.0)


def cohort(seed: int, n: int, groups: int = 3, kinds: int = 1) -> pl.DataFrame:
    """Times on the grid: events at 0.3 of an interval, censorings at 0.7 (after them)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, n)
    interval = np.minimum(rng.geometric(0.04 * (1 + group)), 45) - 1
    status = rng.integers(0, kinds + 1, n)
    time = (interval + np.where(status > 0, 0.3, 0.7)) * WIDTH
    return pl.DataFrame(
        {
            "time_days": time,
            "status": status,
            "group": [f"g{g}" for g in group],
        }
    )


def request(times: tuple[float, ...] = (), trend: bool = False) -> SurvivalRequest:
    return SurvivalRequest(
        endpoint=EndpointKey("OS", "diagnosis"),
        grouping=Grouping(attribute="sex"),
        times=times,
        time_unit="days",
        conf_type="log",
        trend=trend,
    )


def exact_release(frame: pl.DataFrame, levels: tuple[str | None, ...], req: SurvivalRequest):  # type: ignore[no-untyped-def]
    plan = survival_plan(
        lambda: frame,
        groups=levels,
        strata=(),
        grid=GRID,
        request=req,
        ranked=[level for level in levels if level is not None],
        endpoint="OS",
        origin="diagnosis",
        floor=0,
    )
    return plan.release(plan.counts(), SILENT)


@given(seed=st.integers(0, 10_000), n=st.integers(20, 300))
@settings(max_examples=25, deadline=None)
def test_without_noise_the_curve_is_kaplan_meier(seed: int, n: int) -> None:
    frame = cohort(seed, n)
    levels = ("g0", "g1", "g2", None)
    ends = tuple(float(t) for t in GRID.ends())
    summary = exact_release(frame, levels, request(times=ends))
    for group in summary.groups[:3]:
        rows = frame.filter(pl.col("group") == group.group)
        if rows["status"].sum() == 0:
            continue
        within = rows.filter(pl.col("time_days") < GRID.horizon_days)
        fit = KaplanMeierFitter().fit(rows["time_days"].to_numpy(), rows["status"].to_numpy())
        expected = fit.survival_at(list(ends))
        assert group.n == rows.height
        assert group.events == int(within["status"].sum())
        for point, truth in zip(group.at_times, expected, strict=True):
            if point.survival is None or truth.survival is None:
                continue
            assert point.survival == pytest.approx(truth.survival, abs=1e-12)
            if truth.lower is not None and point.lower is not None:
                assert point.lower == pytest.approx(truth.lower, abs=1e-9)


@given(seed=st.integers(0, 10_000))
@settings(max_examples=20, deadline=None)
def test_without_noise_the_tests_are_survdiff(seed: int) -> None:
    frame = cohort(seed, 250).filter(pl.col("time_days") < GRID.horizon_days)
    summary = exact_release(frame, ("g0", "g1", "g2"), request(trend=True))
    codes = frame["group"].str.slice(1).cast(pl.Int64).to_numpy()
    plain = logrank_test(frame["time_days"].to_numpy(), frame["status"].to_numpy(), codes)
    trend = trend_test(frame["time_days"].to_numpy(), frame["status"].to_numpy(), codes)
    assert summary.logrank is not None
    assert summary.trend is not None
    assert summary.logrank.statistic == pytest.approx(plain.statistic, rel=1e-9)
    assert summary.logrank.df == plain.df
    assert summary.trend.statistic == pytest.approx(trend.statistic, rel=1e-9)


def test_without_noise_incidence_is_aalen_johansen() -> None:
    frame = cohort(5, 400, groups=2, kinds=2).filter(pl.col("time_days") < GRID.horizon_days)
    times = tuple(float(t) for t in GRID.ends()[:30])
    req = IncidenceRequest(
        endpoint=EndpointKey("NRM", "allo_transplant"),
        grouping=Grouping(attribute="sex"),
        times=times,
        time_unit="days",
    )
    plan = incidence_plan(
        lambda: frame,
        groups=("g0", "g1"),
        grid=GRID,
        request=req,
        endpoint="NRM",
        origin="allo_transplant",
        floor=0,
    )
    summary = plan.release(plan.counts(), SILENT)
    fit = CumulativeIncidenceFitter().fit(
        frame["time_days"].to_numpy(),
        frame["status"].to_numpy(),
        groups=frame["group"].str.slice(1).cast(pl.Int64).to_numpy(),
        report_causes=[1, 2],
    )
    for g, group in enumerate(summary.groups):
        for k, cause in enumerate(group.causes, start=1):
            truth = fit.curves_[(str(g), str(k))].at(np.asarray(times))
            for point, exact in zip(cause.at_times, truth, strict=True):
                if exact.estimate is None or point.estimate is None:
                    continue
                assert point.estimate == pytest.approx(exact.estimate, abs=1e-12)


def test_every_patient_is_in_exactly_one_cell() -> None:
    frame = cohort(1, 500).with_columns(
        time_days=pl.when(pl.int_range(pl.len()) % 7 == 0).then(None).otherwise("time_days")
    )
    layout = Layout(groups=("g0", "g1", "g2"), strata=(None,), kinds=1, grid=GRID)
    counts = layout.cells(frame)
    assert counts.sum() == frame.height
    assert counts[0] == frame["time_days"].null_count()


@given(seed=st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_one_patient_changes_the_table_by_one(seed: int) -> None:
    """The L1 sensitivity the plan claims (1) holds for adding any one patient."""
    rng = np.random.default_rng(seed)
    frame = cohort(seed, 100)
    extra = pl.DataFrame(
        {
            "time_days": [float(rng.uniform(0, 2 * GRID.horizon_days))],
            "status": [int(rng.integers(0, 2))],
            "group": [f"g{rng.integers(0, 3)}"],
        }
    )
    layout = Layout(groups=("g0", "g1", "g2"), strata=(None,), kinds=1, grid=GRID)
    before, after = layout.cells(frame), layout.cells(pl.concat([frame, extra]))
    assert np.abs(after - before).sum() == 1


def test_noisy_curves_stay_within_bounds_and_track_the_truth() -> None:
    frame = cohort(3, 3000, groups=1)
    noise = Noise.of(epsilon=1.0, sensitivity=1)
    layout = Layout(groups=("g0",), strata=(None,), kinds=1, grid=GRID)
    exact = layout.cells(frame)
    _, cells, beyond = layout.split(add_noise(exact, noise))
    table = NoisyTable.of(cells[0, 0], float(beyond[0, 0]), 1, noise)
    assert np.all(np.diff(table.at_risk) <= 1e-9)
    assert np.all(table.events >= 0)
    assert np.all(table.events[:, 1] <= table.at_risk + 1e-9)
    _, true_cells, true_beyond = layout.split(exact)
    truth = NoisyTable.of(true_cells[0, 0], float(true_beyond[0, 0]), 1, SILENT)
    assert np.max(np.abs(table.at_risk[:20] - truth.at_risk[:20])) < 8 * np.sqrt(81 * 1.84)


def test_the_life_table_median_interpolates_within_the_crossing_interval() -> None:
    times = np.array([3.0, 6.0, 9.0])
    assert crossing(times, np.array([0.8, 0.4, 0.2])) == pytest.approx(3.0 + 0.3 / 0.4 * 3.0)
    assert crossing(times, np.array([0.9, 0.7, 0.6])) is None
    assert crossing(times, np.array([np.nan, 0.5, 0.2])) == pytest.approx(6.0 * 0.5 / 0.5)
    assert crossing(times, np.array([0.5, 0.5, 0.2])) == 3.0 * 0.5 / 0.5


@given(seed=st.integers(0, 10_000))
@settings(max_examples=20, deadline=None)
def test_without_noise_the_median_lies_in_the_interval_of_the_kaplan_meier_median(
    seed: int,
) -> None:
    frame = cohort(seed, 400, groups=1)
    summary = exact_release(frame, ("g0",), request())
    median = summary.groups[0].median
    exact = KaplanMeierFitter().fit(frame["time_days"].to_numpy(), frame["status"].to_numpy())
    if exact.median_.estimate is None or median is None or median.estimate is None:
        return
    interval = np.floor(exact.median_.estimate / WIDTH)
    assert interval * WIDTH <= median.estimate <= (interval + 1) * WIDTH
