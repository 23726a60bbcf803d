"""Survival from a kept cell index equals survival from the cohort's rows (issue 11).

So does the exact life table a protected release adds its noise to.

The counting path (:mod:`lake.cohort.counting`) numbers each patient's (group, event, day) cell
once per lake version and counts a cohort with one bincount; the row path assembles the cohort's
frame and counts its rows (:func:`lake.cohort.survival.survival_summary`). Both must give the
same answer, to the last bit: property tests on random cohorts, then the demo lake through the
gateway for every grouping the index serves.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.access import AuditRecord, Caller
from lake.cohort.counting import MAX_CELLS, cell_index, count_cells
from lake.cohort.cuts import Cuts
from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import And, CategoryIn, CohortFilter
from lake.cohort.survival import (
    Grouping,
    SurvivalRequest,
    counted_survival,
    needs_rows,
    survival_summary,
)
from lake.cohort.survival_options import SurvivalOptions
from lake.disclosure import DisclosurePolicy
from lake.endpoints.exposures import Exposure
from lake.errors import AnalysisError, EmptyCohortError
from lake.privacy.life_table import Grid, Layout
from lake.query.gateway import Cohort, LakeGateway
from lake.storage import LakeOpener
from tests.conftest import DemoLake

OS = EndpointKey(endpoint="OS", origin="diagnosis")
LEVELS = ("LOW", "MID", "HIGH")


def _request(**changes: object) -> SurvivalRequest:
    fields: dict[str, object] = {
        "endpoint": OS,
        "grouping": Grouping(),
        "times": (3.0, 12.0, 40.0),
        "time_unit": "months",
        "conf_type": "log",
    }
    fields.update(changes)
    return SurvivalRequest(**fields)  # type: ignore[arg-type]


@st.composite
def lakes(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.Series]:
    """Patient-aligned endpoint and group columns of a small lake, and a cohort mask."""
    n = draw(st.integers(1, 60))
    times = draw(st.lists(st.one_of(st.none(), st.integers(0, 2000)), min_size=n, max_size=n))
    status = [draw(st.integers(0, 1)) if t is not None else None for t in times]
    kind = draw(st.sampled_from(["enum", "text", "flag", "none"]))
    values: list[object | None]
    if kind == "enum":
        values = draw(st.lists(st.sampled_from([*LEVELS, None]), min_size=n, max_size=n))
        group = pl.Series("group", values, dtype=pl.Enum(LEVELS))
    elif kind == "text":
        values = draw(st.lists(st.sampled_from(["b", "a", "c", None]), min_size=n, max_size=n))
        group = pl.Series("group", values, dtype=pl.String)
    elif kind == "flag":
        values = draw(st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n))
        group = pl.Series("group", values, dtype=pl.Boolean)
    else:
        group = pl.Series("group", [None] * n, dtype=pl.String)
    frame = pl.DataFrame(
        {
            "time_days": pl.Series(times, dtype=pl.Int32),
            "status": pl.Series(status, dtype=pl.Int8),
            "group": group,
        }
    )
    mask = pl.Series(draw(st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n)))
    return frame, mask.cast(pl.Boolean)


@given(
    lakes(),
    st.booleans(),
    st.sampled_from(["days", "months", "years"]),
    st.sampled_from(["log", "log-log", "plain"]),
    st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_counted_survival_equals_the_row_path(
    lake: tuple[pl.DataFrame, pl.Series],
    partial: bool,
    unit: str,
    conf_type: str,
    options: bool,
) -> None:
    frame, mask = lake
    request = _request(
        time_unit=unit,
        conf_type=conf_type,
        options=SurvivalOptions(
            quartiles=True,
            cumulative_hazard=True,
            restricted_mean_tau=20.0,
            interval_ends=(6.0, 24.0),
        )
        if options
        else SurvivalOptions(),
    )
    # the row path: the cohort's rows; with partial groups a patient in no group has no time
    rows = frame.filter(mask)
    if partial:
        rows = rows.with_columns(
            time_days=pl.when(pl.col("group").is_not_null()).then(pl.col("time_days"))
        )
    index = cell_index(frame["time_days"], frame["status"], frame["group"], partial=partial)
    try:
        expected = survival_summary(rows, request)
    except EmptyCohortError as error:
        if index is not None:
            with pytest.raises(EmptyCohortError, match=str(error)[:40]):
                count_cells(index, mask)
        return
    assert index is not None
    counts = count_cells(index, mask)
    assert counted_survival(counts.counted, counts.labels, counts.excluded, request) == expected


@given(lakes(), st.booleans(), st.sampled_from([7.0, 30.0, 91.3125]), st.integers(1, 40))
@settings(max_examples=200, deadline=None)
def test_a_protected_life_table_from_counts_equals_the_rows_one(
    lake: tuple[pl.DataFrame, pl.Series], partial: bool, width: float, intervals: int
) -> None:
    frame, mask = lake
    rows = frame.filter(mask)
    if partial:
        rows = rows.with_columns(
            time_days=pl.when(pl.col("group").is_not_null()).then(pl.col("time_days"))
        )
    index = cell_index(frame["time_days"], frame["status"], frame["group"], partial=partial)
    if index is None or rows.get_column("time_days").is_null().all():
        return  # the gateway reads the rows then
    values = rows.get_column("group").cast(pl.String).unique().to_list()
    levels = (*sorted(v for v in values if v is not None), None)
    layout = Layout(groups=levels, strata=(None,), kinds=1, grid=Grid(width, intervals))
    counts = count_cells(index, mask)
    assert layout.counted_cells(counts).tolist() == layout.cells(rows).tolist()


def test_the_index_declines_what_only_rows_answer() -> None:
    time = pl.Series([10, 20, 30], dtype=pl.Int32)
    competing = pl.Series([0, 1, 2], dtype=pl.Int8)
    assert cell_index(time, competing, None, partial=False) is None
    negative = pl.Series([-1, 20, 30], dtype=pl.Int32)
    assert cell_index(negative, pl.Series([0, 1, 0], dtype=pl.Int8), None, partial=False) is None
    nobody = pl.Series([None, None], dtype=pl.Int32)
    assert cell_index(nobody, pl.Series([None, None], dtype=pl.Int8), None, partial=False) is None
    wide = pl.Series([0, MAX_CELLS], dtype=pl.Int32)
    assert cell_index(wide, pl.Series([0, 1], dtype=pl.Int8), None, partial=False) is None


def test_counts_refuse_what_needs_rows() -> None:
    index = cell_index(
        pl.Series([10, 20], dtype=pl.Int32), pl.Series([1, 0], dtype=pl.Int8), None, partial=False
    )
    assert index is not None
    counts = count_cells(index, pl.Series([True, True]))
    for request in (_request(trend=True), _request(delayed_entry=True), _request(strata="sex")):
        assert needs_rows(request)
        with pytest.raises(AnalysisError, match="needs the cohort's rows"):
            counted_survival(counts.counted, counts.labels, counts.excluded, request)


class _NoAudit:
    def record(self, entry: AuditRecord) -> None:
        """Audit nothing: the test compares values."""


STATISTICIAN = Caller(user="stat", role="statistician")


@pytest.fixture(scope="module")
def gateway(demo_lake: DemoLake) -> LakeGateway:
    return LakeGateway(
        open_snapshot=LakeOpener(demo_lake.root),
        policy=DisclosurePolicy(min_cell_size=5),
        audit=_NoAudit(),
        software_version="test",
    )


GROUPINGS = (
    Grouping(),
    Grouping(attribute="sex"),
    Grouping(attribute="site"),
    Grouping(attribute="cml_phase"),
    Grouping(score="riss_palumbo2015"),
    Grouping(cuts=Cuts("age_at_diagnosis", (60.0, 70.0))),
    Grouping(exposure=Exposure(transplant_type="allogeneic")),
)
COHORTS: tuple[CohortFilter, ...] = (
    CategoryIn(attribute="disease", values=("MM",)),
    CategoryIn(attribute="disease", values=("MM", "AML", "CML")),
    And(()),  # everyone: a filter without conditions
)


@pytest.mark.slow
@pytest.mark.parametrize("grouping", GROUPINGS, ids=repr)
@pytest.mark.parametrize("cohort_filter", COHORTS, ids=["mm", "three", "everyone"])
def test_the_gateway_counts_as_the_rows_do_on_the_demo_lake(
    gateway: LakeGateway, grouping: Grouping, cohort_filter: CohortFilter
) -> None:
    (cohort,) = gateway.cohorts([(None, cohort_filter)])
    assert isinstance(cohort, Cohort)
    for request in (
        _request(grouping=grouping),
        _request(grouping=grouping, time_unit="days", follow_up=False),
        _request(grouping=grouping, options=SurvivalOptions(quartiles=True, interval_ends=(12.0,))),
    ):
        counts = gateway._counted(cohort, request.endpoint, grouping)
        assert counts is not None  # the index serves every grouping but user-defined groups
        rows = gateway._frame(cohort, endpoint=request.endpoint, grouping=grouping)
        assert gateway._survival(cohort, request) == survival_summary(rows, request)
    counted = int(np.sum(counts.counted.counts)) + counts.excluded
    assert counted == cohort.size
