"""Numeric cut groups: labels, membership, exclusion of unknown values and protected releases.

Oracle: :func:`bisect.bisect_right` over the cut points (intervals closed on the left, as R
``cut(x, breaks, right = FALSE)``).
"""

from __future__ import annotations

import bisect

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.access import Caller
from lake.cohort.cuts import Cuts
from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import EVERYONE
from lake.cohort.survival import Grouping, SurvivalRequest
from lake.disclosure import DisclosurePolicy
from lake.errors import AnalysisError
from lake.query.gateway import Cohort, LakeGateway
from tests.lake.test_cohort_query import ListSink
from tests.schema.demo_frames import FrameLake, FrameSource, demo_frames

ANALYST = Caller(user="ana", role="analyst")
STATISTICIAN = Caller(user="stat", role="statistician")
AGE = Cuts("age_at_diagnosis", (60.0, 70.0))

points = st.lists(st.floats(-50, 150, allow_nan=False), min_size=1, max_size=4, unique=True).map(
    lambda xs: tuple(sorted(xs))
)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(points, st.lists(st.none() | st.floats(-100, 200, allow_nan=False), max_size=30))
def test_each_value_falls_in_the_left_closed_interval_of_its_rank(
    at: tuple[float, ...], ages: list[float | None]
) -> None:
    cuts = Cuts("age_at_diagnosis", at)
    labels = cuts.labels()
    frame = pl.DataFrame({"age_at_diagnosis": ages}, schema={"age_at_diagnosis": pl.Float64})
    got = frame.select(cuts.group().cast(pl.String)).to_series().to_list()
    assert got == [None if a is None else labels[bisect.bisect_right(at, a)] for a in ages]
    assert cuts.group().meta.output_name() == "age_at_diagnosis"
    assert len(labels) == len(at) + 1


def test_labels_read_as_the_cut_points_in_ascending_order() -> None:
    assert Cuts("age_at_diagnosis", (65.0,)).labels() == ("<65", ">=65")
    assert Cuts("days_to_allo", (90.0, 180.0, 365.0)).labels() == (
        "<90",
        "90–<180",
        "180–<365",
        ">=365",
    )


@pytest.mark.parametrize(
    ("attribute", "at", "message"),
    [
        ("age_at_diagnosis", (), "at least one cut point"),
        ("age_at_diagnosis", (70.0, 60.0), "strictly ascending"),
        ("age_at_diagnosis", (60.0, 60.0), "strictly ascending"),
        ("age_at_diagnosis", (float("inf"),), "finite"),
        ("sex", (1.0,), "not a numeric attribute"),
    ],
)
def test_invalid_cuts_are_refused(attribute: str, at: tuple[float, ...], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        Cuts(attribute, at)


def test_cut_groups_are_an_ordinal_scale_with_the_lowest_as_reference() -> None:
    levels = Grouping(cuts=AGE).levels()
    assert levels.ranked == levels.codes == ("<60", "60–<70", ">=70")
    assert levels.reference(["60–<70", ">=70", "<60"]) == "<60"


@pytest.fixture
def frames() -> dict[str, pl.DataFrame]:
    frames = demo_frames(300)
    ages = frames["patients"]["age_at_diagnosis"]
    unknown = pl.Series([i % 10 == 0 for i in range(ages.len())])  # 10 % with unknown age
    frames["patients"] = frames["patients"].with_columns(
        age_at_diagnosis=pl.when(unknown).then(None).otherwise(ages)
    )
    return frames


@pytest.fixture
def gateway(frames: dict[str, pl.DataFrame]) -> LakeGateway:
    lake = FrameLake(FrameSource(frames, version=1))
    return LakeGateway(
        open_snapshot=lake.open,
        policy=DisclosurePolicy(min_cell_size=5),
        audit=ListSink(),
        software_version="test",
    )


def _everyone(gateway: LakeGateway) -> Cohort:
    (cohort,) = gateway.cohorts([(1, EVERYONE)])
    assert isinstance(cohort, Cohort)
    return cohort


def _request(grouping: Grouping, *, trend: bool = False) -> SurvivalRequest:
    return SurvivalRequest(
        endpoint=EndpointKey("OS", "diagnosis"),
        grouping=grouping,
        times=(365.0,),
        time_unit="days",
        conf_type="log",
        trend=trend,
    )


def test_survival_by_cuts_excludes_unknown_values_and_tests_the_trend(
    gateway: LakeGateway, frames: dict[str, pl.DataFrame]
) -> None:
    cohort = _everyone(gateway)
    summary = gateway.survival(STATISTICIAN, cohort, request=_request(Grouping(cuts=AGE))).value
    ungrouped = gateway.survival(STATISTICIAN, cohort, request=_request(Grouping())).value
    ages = frames["patients"]["age_at_diagnosis"]
    assert [g.group for g in summary.groups] == ["<60", "60–<70", ">=70"]
    assert [g.n for g in summary.groups] == [
        int((ages < 60).sum()),
        int(((ages >= 60) & (ages < 70)).sum()),
        int((ages >= 70).sum()),
    ]
    assert summary.n_excluded == (ungrouped.n_excluded or 0) + ages.null_count()
    trend = gateway.survival(
        STATISTICIAN, cohort, request=_request(Grouping(cuts=AGE), trend=True)
    ).value.trend
    assert trend is not None
    assert trend.groups == ("<60", "60–<70", ">=70")


def test_protected_releases_lay_their_cells_over_the_requested_cuts(
    gateway: LakeGateway,
) -> None:
    cohort = _everyone(gateway)
    released = gateway.survival(ANALYST, cohort, request=_request(Grouping(cuts=AGE))).value
    assert [g.group for g in released.groups] == ["<60", "60–<70", ">=70"]
    assert released.n_excluded is None or released.n_excluded >= 0
