"""The analysis store keeps its columns under the memory budget, dropping the least used."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.columns import CohortColumns
from lake.cohort.endpoints import EndpointKey
from lake.cohort.store_budget import StoreBudget
from lake.storage import open_lake
from tests.conftest import DemoLake


class Holder:
    """Columns of made-up sizes, recording which the budget dropped."""

    def __init__(self) -> None:
        self.dropped: list[str] = []

    def drop(self, name: str) -> None:
        self.dropped.append(name)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 1000),
    st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(1, 400)), max_size=30),
)
def test_the_store_fits_its_budget_after_each_build_and_drops_the_least_recent_first(
    budget: int, builds: list[tuple[str, int]]
) -> None:
    store, holder = StoreBudget(budget), Holder()
    held: dict[str, int] = {}
    for name, size in builds:
        before = len(holder.dropped)
        store.admit(holder, {name: size}, keep=[name])
        held[name] = size
        dropped = holder.dropped[before:]
        for gone in dropped:
            held.pop(gone)
        # the column just built is kept; the others go oldest first until the store fits
        assert name in held
        assert store.use().bytes == sum(held.values())
        assert store.use().bytes <= budget or list(held) == [name]
        if dropped:
            oldest = [k for k in list(held) + dropped if k in dropped]
            assert dropped == oldest
        held[name] = held.pop(name)  # the most recent last, as the store orders them
    assert store.use().evictions == len(holder.dropped)


@pytest.mark.slow
def test_a_dropped_column_is_rebuilt_with_the_same_values(demo_lake: DemoLake) -> None:
    source = open_lake(demo_lake.root)
    key = EndpointKey(endpoint="OS", origin="diagnosis")
    roomy = CohortColumns(source)
    expected = (
        roomy.endpoint(key),
        roomy.attribute_group("sex"),
        roomy.attributes(["age_at_diagnosis"]),
    )
    tight = CohortColumns(source, StoreBudget(1))  # every build drops the columns read before
    for _ in range(2):
        got = (
            tight.endpoint(key),
            tight.attribute_group("sex"),
            tight.attributes(["age_at_diagnosis"]),
        )
        assert got[0].equals(expected[0])
        assert got[1].equals(expected[1])
        assert got[2].equals(expected[2])
    assert tight.budget.use().evictions >= 4
    # the group by sex is the kept sex column itself: counted once
    assert roomy.budget.use().bytes == sum(
        int(f.estimated_size()) for f in (*expected, roomy.ids())
    )
    assert isinstance(expected[1].dtype, pl.Enum)
    assert expected[0].schema == pl.Schema({"time_days": pl.Int32, "status": pl.Int8})
