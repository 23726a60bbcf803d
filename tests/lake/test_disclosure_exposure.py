"""Disclosure of an exposure effect: a Cox model's rule for the fit, Kaplan-Meier's for curves."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from lake.cohort.endpoints import EndpointKey
from lake.cohort.exposure_effect import ExposureEffectRequest, exposure_effect
from lake.disclosure import DisclosurePolicy, disclose_exposure_effect
from lake.endpoints.exposures import Exposure
from lake.errors import EmptyCohortError

REQUEST = ExposureEffectRequest(
    endpoint=EndpointKey("OS", "diagnosis"),
    exposure=Exposure(transplant_type="allogeneic"),
    times=(30.0, 90.0),
    time_unit="days",
    conf_type="log",
)


def cohort(n: int, exposed: int, seed: int = 7) -> pl.DataFrame:
    """``n`` patients followed 1..200 days, the first ``exposed`` exposed at day 20."""
    rng = np.random.default_rng(seed)
    time = rng.integers(21, 200, n)
    return pl.DataFrame(
        {
            "time_days": time,
            "status": rng.integers(0, 2, n),
            "exposure_days": [20 if i < exposed else None for i in range(n)],
        }
    )


def test_a_small_exposed_group_is_withheld_but_the_model_released() -> None:
    frame = cohort(60, exposed=3).with_columns(  # two of the three exposed die
        status=pl.when(pl.int_range(pl.len()) < 3)
        .then(pl.Series([1, 0, 1] + [0] * 57))
        .otherwise(pl.col("status"))
    )
    exact = exposure_effect(frame, REQUEST)
    released = disclose_exposure_effect(exact, DisclosurePolicy(min_cell_size=5))
    assert released.hazard_ratio == exact.hazard_ratio
    assert released.mantel_byar.statistic == exact.mantel_byar.statistic
    assert released.n_exposed is None  # 3 of 60
    unexposed, exposed = released.curves
    assert (exposed.n, exposed.events, exposed.at_times, exposed.steps) == (None, None, (), ())
    assert unexposed.n == exact.curves[0].n
    assert released.mantel_byar.observed == released.mantel_byar.expected == ()


def test_without_small_cells_nothing_is_withheld() -> None:
    exact = exposure_effect(cohort(200, exposed=80), REQUEST)
    assert disclose_exposure_effect(exact, DisclosurePolicy(min_cell_size=1)) == exact


def test_a_model_on_fewer_than_k_events_is_refused() -> None:
    frame = cohort(30, exposed=10).with_columns(  # 3 events, one of them exposed
        status=pl.int_range(pl.len()).is_in([0, 15, 20]).cast(pl.Int64)
    )
    exact = exposure_effect(frame, REQUEST)
    with pytest.raises(EmptyCohortError, match="fewer than"):
        disclose_exposure_effect(exact, DisclosurePolicy(min_cell_size=5))
