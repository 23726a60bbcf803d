"""The exposure effect's tests and counts on arbitrary cohorts, and what it refuses.

Without tied event times the Mantel-Byar statistic (hypergeometric variance) equals the Cox
score test on the counting-process rows (Efron = Breslow = exact without ties), as the module
docs state; ties are where they differ (golden ``exposure.json`` compares both to R).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lake.cohort.endpoints import EndpointKey
from lake.cohort.exposure_effect import ExposureEffectRequest, exposure_effect
from lake.endpoints.exposures import Exposure
from lake.errors import AnalysisError, EmptyCohortError

REQUEST = ExposureEffectRequest(
    endpoint=EndpointKey("OS", "diagnosis"),
    exposure=Exposure(event_type="dli"),
    times=(),
    time_unit="days",
    conf_type="log",
)


#: small random cohorts often have a group without events: the fit diverges (β at β = 0 tests
#: do not), which the engine reports as R does, with a warning
MONOTONE = pytest.mark.filterwarnings("ignore::lake.survival.SurvivalWarning")


@MONOTONE
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(12, 60))
def test_mantel_byar_is_the_score_test_without_ties(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    time = rng.uniform(1.0, 100.0, n)  # continuous: no tied times
    exposure = np.where(rng.uniform(size=n) < 0.5, rng.uniform(-5.0, 100.0, n), np.nan)
    status = rng.integers(0, 2, n)
    rows = np.minimum(time, np.where(np.isnan(exposure), np.inf, exposure))
    assume(status.sum() >= 2 and np.any((exposure < time) & (rows < time)))
    frame = pl.DataFrame(
        {"time_days": time, "status": status, "exposure_days": exposure}
    ).with_columns(pl.col("exposure_days").fill_nan(None))
    try:
        got = exposure_effect(frame, REQUEST)
    except AnalysisError:  # a state without variation or a diverging fit: not this property
        assume(False)
        raise
    if got.mantel_byar.statistic is None:
        # no event where both states are at risk: Mantel-Byar says so, the score test is 0
        assert got.score.statistic == pytest.approx(0.0, abs=1e-9)
    else:
        assert got.mantel_byar.statistic == pytest.approx(got.score.statistic, rel=1e-9)
    exposed_patients = int(np.sum(~np.isnan(exposure) & (exposure < time)))
    assert (got.n, got.n_events, got.n_exposed) == (n, int(status.sum()), exposed_patients)
    assert got.curves[1].n == exposed_patients
    assert got.curves[0].events + got.curves[1].events == status.sum()


def frame(time: list[int], status: list[int], exposure: list[int | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"time_days": time, "status": status, "exposure_days": exposure},
        schema={"time_days": pl.Int64, "status": pl.Int64, "exposure_days": pl.Int64},
    )


@MONOTONE
def test_patients_followed_for_no_time_are_excluded() -> None:
    got = exposure_effect(
        frame([0, 5, 8, 9, 12, 15], [1, 1, 0, 1, 1, 0], [None, None, 3, None, 4, 2]), REQUEST
    )
    assert (got.n, got.n_excluded) == (5, 1)


@pytest.mark.parametrize(
    ("exposure", "message"),
    [([None, None, None, 9], "nobody is exposed"), ([0, -3, 0, 0], "every patient is exposed")],
)
def test_an_exposure_that_does_not_vary_is_refused(
    exposure: list[int | None], message: str
) -> None:
    with pytest.raises(AnalysisError, match=message):
        exposure_effect(frame([4, 6, 8, 9], [1, 0, 1, 1], exposure), REQUEST)


def test_competing_endpoints_and_empty_cohorts_are_refused() -> None:
    with pytest.raises(AnalysisError, match="competing"):
        exposure_effect(frame([4, 6, 8], [1, 2, 0], [2, None, None]), REQUEST)
    with pytest.raises(EmptyCohortError):
        exposure_effect(frame([0, 0], [1, 0], [None, None]), REQUEST)
