"""Disclosure of staging-system comparisons: counts as cells, refusal on few patients or events.

Each comparison is computed by the lake (:func:`lake.cohort.models.staging_summary`) from a
seeded frame and then disclosed, as the query boundary does; the oracle is the frame itself.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.endpoints import EndpointKey
from lake.cohort.models import StagingRequest, staging_summary
from lake.disclosure import DisclosurePolicy, disclose_staging
from lake.errors import EmptyCohortError
from tests.lake.test_disclosure_survival import K, assert_no_lone_withheld_cell

pytestmark = pytest.mark.filterwarnings("ignore::lake.survival.SurvivalWarning")
POLICY = DisclosurePolicy(min_cell_size=K)
REQUEST = StagingRequest(endpoint=EndpointKey("OS", "diagnosis"), scores=("three", "two"))


def staging_frame(
    *, n: int, events: int, unstaged: int = 0, no_endpoint: int = 0, seed: int = 0
) -> pl.DataFrame:
    """``n`` complete cases (distinct times, ``events`` of them events) staged by both systems.

    ``three`` cycles I, II, III and ``two`` HIGH, STANDARD over the complete cases, so every
    stage is present; ``unstaged`` patients with the endpoint are NOT_CLASSIFIABLE by
    ``three``, and ``no_endpoint`` patients have no time. Scores are structs with a
    ``category``, as the lake's score columns.
    """
    rng = np.random.default_rng(seed)
    total = n + unstaged + no_endpoint
    times = rng.permutation(np.arange(1.0, n + unstaged + 1.0)).tolist()
    status = [1] * events + [0] * (n - events)
    three = [("I", "II", "III")[i % 3] for i in range(n)] + ["NOT_CLASSIFIABLE"] * unstaged
    return pl.DataFrame(
        {
            "time_days": times + [None] * no_endpoint,
            "status": status + rng.integers(0, 2, unstaged).tolist() + [0] * no_endpoint,
            "three": three + ["I"] * no_endpoint,
            "two": [("HIGH", "STANDARD")[i % 2] for i in range(total)],
        },
        schema={"time_days": pl.Float64, "status": pl.Int64, "three": pl.String, "two": pl.String},
    ).with_columns(pl.struct(pl.col(s).alias("category")).alias(s) for s in ("three", "two"))


@settings(max_examples=40, derandomize=True, deadline=None)
@given(
    n=st.integers(min_value=K, max_value=40),
    censored=st.integers(min_value=0, max_value=12),
    unstaged=st.integers(min_value=0, max_value=12),
    no_endpoint=st.integers(min_value=0, max_value=12),
)
def test_staging_counts_cannot_be_recovered_by_subtraction(
    n: int, censored: int, unstaged: int, no_endpoint: int
) -> None:
    events = max(n - censored, K)
    frame = staging_frame(n=n, events=events, unstaged=unstaged, no_endpoint=no_endpoint)
    released = disclose_staging(staging_summary(frame, REQUEST), POLICY)
    # complete cases and dropped patients add up to the cohort, whose size is released
    assert_no_lone_withheld_cell([n, unstaged + no_endpoint], [released.n, released.n_dropped])
    # events and patients without the event add up to n; the latter are shown as n - events
    if released.n is not None:
        shown = None if released.n_events is None else released.n - released.n_events
        assert_no_lone_withheld_cell([events, n - events], [released.n_events, shown])


def test_small_dropped_and_censored_counts_take_their_complements_with_them() -> None:
    exact = staging_summary(staging_frame(n=40, events=38, unstaged=3), REQUEST)
    assert (exact.n, exact.n_events, exact.n_dropped) == (40, 38, 3)
    released = disclose_staging(exact, POLICY)
    # dropped 3 would be 43 - 40; events 38 would give the 2 survivors as 40 - 38
    assert (released.n, released.n_events, released.n_dropped) == (None, None, None)
    assert released.systems == exact.systems
    exact = staging_summary(staging_frame(n=40, events=30, no_endpoint=6), REQUEST)
    assert disclose_staging(exact, POLICY) == exact


def test_a_comparison_on_few_events_is_refused() -> None:
    frame = staging_frame(n=30, events=1, seed=2)
    exact = staging_summary(frame, REQUEST)
    # why: l(0) = (2 df - AIC - LR) / 2 = -log R(t1), the event's risk set, from any system
    t1 = frame.filter(pl.col("status") == 1).item(0, "time_days")
    at_risk = frame.filter(pl.col("time_days") >= t1).height
    for system in exact.systems:
        null_loglik = (2 * system.lr_df - system.aic - system.lr_statistic) / 2
        assert null_loglik == pytest.approx(-math.log(at_risk), rel=1e-9)
    with pytest.raises(EmptyCohortError, match="fewer than 5 events"):
        disclose_staging(exact, POLICY)
    assert disclose_staging(exact, DisclosurePolicy(min_cell_size=1)) == exact


def test_a_comparison_on_few_patients_is_refused() -> None:
    exact = staging_summary(staging_frame(n=4, events=4, no_endpoint=20), REQUEST)
    with pytest.raises(EmptyCohortError, match="fewer than 5 patients"):
        disclose_staging(exact, POLICY)


def test_a_small_stage_leaves_the_statistics_released() -> None:
    # one patient in stage III of `three`: the C-index, LR and AIC are figures of all 40
    frame = staging_frame(n=40, events=30, seed=3).with_columns(
        three=pl.struct(
            category=pl.when(pl.int_range(pl.len()) == 0)
            .then(pl.lit("III"))
            .otherwise(pl.col("three").struct.field("category").replace("III", "II"))
        )
    )
    exact = staging_summary(frame, REQUEST)
    released = disclose_staging(exact, POLICY)
    assert released == exact
    three = next(s for s in released.systems if s.system == "three")
    assert (three.stages, three.lr_df) == (("I", "II", "III"), 2)
