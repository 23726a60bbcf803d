"""Protected Kaplan-Meier options: post-processing of the noisy life table, free once the table
is received; without noise they are the exact engine's answers on the grid.

The data put events at 0.3 and censorings at 0.7 of a grid interval (as test_life_table.py), so
each interval holds one event time and the grid's counts are the exact ones.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.access import Caller
from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import EVERYONE
from lake.cohort.survival import Grouping, SurvivalRequest
from lake.cohort.survival_options import SurvivalOptions, Weights
from lake.disclosure import DisclosurePolicy
from lake.errors import AccessDeniedError
from lake.query.gateway import LakeGateway
from lake.survival import KaplanMeierFitter, logrank_test
from tests.lake.privacy.test_life_table import GRID, WIDTH, cohort, exact_release
from tests.lake.test_cohort_query import ListSink
from tests.schema.demo_frames import FrameLake, FrameSource, demo_frames

ENDS = (3 * WIDTH, 6 * WIDTH, 12 * WIDTH)
OPTIONS = SurvivalOptions(
    quartiles=True,
    cumulative_hazard=True,
    restricted_mean_tau=10.5 * WIDTH,
    interval_ends=ENDS,
    weights=Weights(rho=1.0, gamma=1.0),
)


def request(options: SurvivalOptions, times: tuple[float, ...] = ()) -> SurvivalRequest:
    return SurvivalRequest(
        endpoint=EndpointKey("OS", "diagnosis"),
        grouping=Grouping(attribute="sex"),
        times=times,
        time_unit="days",
        conf_type="log",
        options=options,
    )


@given(seed=st.integers(0, 10_000))
@settings(max_examples=20, deadline=None)
def test_without_noise_the_options_are_the_engine_answers(seed: int) -> None:
    frame = cohort(seed, 250).filter(pl.col("time_days") < GRID.horizon_days)
    ends = tuple(float(t) for t in GRID.ends()[:15])
    summary = exact_release(frame, ("g0", "g1", "g2"), request(OPTIONS, times=ends))
    for group in summary.groups:
        rows = frame.filter(pl.col("group") == group.group)
        time, status = rows["time_days"].to_numpy(), rows["status"].to_numpy()
        km = KaplanMeierFitter().fit(time, status)
        # Nelson-Aalen at the interval ends (one event time per interval)
        for point, truth in zip(group.at_times, km.cumulative_hazard_at(list(ends)), strict=True):
            if point.survival is None or truth.cumulative_hazard is None:
                continue
            assert point.cumulative_hazard == pytest.approx(truth.cumulative_hazard, abs=1e-12)
            assert point.cumulative_hazard_se == pytest.approx(truth.std_err, abs=1e-12)
        # counts per interval: the grid's cells are the exact counts
        assert group.intervals is not None
        for counts, truth in zip(group.intervals, km.counts_between(list(ENDS)), strict=True):
            if counts.reason is None:
                assert (counts.n_at_risk, counts.events, counts.censored) == (
                    truth.n_at_risk,
                    truth.n_events,
                    truth.n_censored,
                )
        # the restricted mean of the step curve that drops at interval ends = the engine's on
        # times moved to the end of their interval
        moved = (np.floor(time / WIDTH) + 1) * WIDTH
        rmst = KaplanMeierFitter().fit(moved, status).restricted_mean(10.5 * WIDTH)
        assert group.restricted_mean is not None
        if group.restricted_mean.reason is None:
            assert group.restricted_mean.estimate == pytest.approx(rmst.estimate, rel=1e-12)
            assert group.restricted_mean.std_err == pytest.approx(rmst.std_err, rel=1e-9)
        assert group.quartiles is not None
        assert [q.probability for q in group.quartiles] == [0.25, 0.5, 0.75]
        assert group.quartiles[1] == group.median
    codes = frame["group"].str.slice(1).cast(pl.Int64).to_numpy()
    fh = logrank_test(frame["time_days"], frame["status"], codes, rho=1.0, gamma=1.0)
    assert summary.weighted is not None
    assert summary.weighted.statistic == pytest.approx(fh.statistic, rel=1e-9)
    assert summary.weighted.test_name.startswith("Fleming-Harrington (rho=1, gamma=1)")


def test_interval_ends_off_the_grid_are_refused_naming_the_governed_roles() -> None:
    frame = cohort(1, 100)
    off = replace(OPTIONS, interval_ends=(3 * WIDTH, 100.0))
    with pytest.raises(AccessDeniedError, match=r"\[100\.0\].*statistician, admin"):
        exact_release(frame, ("g0", "g1", "g2"), request(off))
    beyond = replace(OPTIONS, interval_ends=(GRID.horizon_days + WIDTH,))
    with pytest.raises(AccessDeniedError, match="not on the public survival grid"):
        exact_release(frame, ("g0", "g1", "g2"), request(beyond))


@pytest.fixture
def gateway() -> LakeGateway:
    lake = FrameLake(FrameSource(demo_frames(300), version=1))
    return LakeGateway(
        open_snapshot=lake.open,
        policy=DisclosurePolicy(min_cell_size=5),
        audit=ListSink(),
        software_version="test",
    )


def test_options_are_free_after_the_curves_and_a_refusal_costs_nothing(
    gateway: LakeGateway,
) -> None:
    analyst = Caller(user="ana", role="analyst")
    (cohort_,) = gateway.cohorts([(1, EVERYONE)])
    assert not isinstance(cohort_, Exception)
    months = replace(
        request(SurvivalOptions(), times=(12.0, 24.0)), time_unit="months", conf_type="log"
    )
    with pytest.raises(AccessDeniedError, match="multiple of 3 months"):
        gateway.survival(
            analyst,
            cohort_,
            request=replace(months, options=SurvivalOptions(interval_ends=(12.0, 13.0))),
        )
    assert gateway.ledger.user_balance("ana").spent == 0.0
    plain = gateway.survival(analyst, cohort_, request=months)
    asked = gateway.survival(
        analyst,
        cohort_,
        request=replace(months, options=replace(OPTIONS, interval_ends=(12.0, 24.0, 36.0))),
    )
    assert plain.provenance.privacy is not None
    assert asked.provenance.privacy is not None
    assert (plain.provenance.privacy.charged, asked.provenance.privacy.charged) == (1.0, 0.0)
    assert plain.provenance.query_hash != asked.provenance.query_hash
    # the same noisy table: the curves agree, the options add to them
    for before, after in zip(plain.value.groups, asked.value.groups, strict=True):
        assert before.steps == after.steps
        assert before.median == after.median
        assert after.intervals is not None
        assert [c.end for c in after.intervals] == [12.0, 24.0, 36.0]
    assert asked.value.weighted is not None
    assert asked.value.weighted.test_name.endswith("(noisy life table)")
