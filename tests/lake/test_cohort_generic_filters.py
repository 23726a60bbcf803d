"""Generic cohort filters: numeric ranges, categorical codes and list membership.

Oracle: the same condition evaluated in plain Python on each row. Unknown values never match a
condition, so a filter and its negation partition the patients.
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.filters import CategoryIn, ListMembership, Not, NumericRange, compile_filter
from lake.errors import AnalysisError
from lake.model import AGENTS, DONOR_TYPES

values = st.lists(st.none() | st.floats(0, 100, allow_nan=False), min_size=1, max_size=30)
bounds = st.none() | st.floats(0, 100, allow_nan=False)
donors = st.lists(st.none() | st.sampled_from(DONOR_TYPES), min_size=1, max_size=30)
agent_lists = st.lists(st.lists(st.sampled_from(AGENTS[:5]), max_size=4), min_size=1, max_size=30)
codes = st.lists(st.sampled_from(AGENTS[:5]), max_size=3, unique=True)


def _matches(frame: pl.DataFrame, f: object) -> list[bool]:
    return frame.select(compile_filter(f)).to_series().to_list()  # type: ignore[arg-type]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(values, bounds, bounds)
def test_numeric_range_keeps_known_values_within_the_bounds(
    ages: list[float | None], low: float | None, high: float | None
) -> None:
    if (low is None and high is None) or (low is not None and high is not None and low > high):
        with pytest.raises(AnalysisError):
            NumericRange("age_at_diagnosis", low, high)
        return
    f = NumericRange("age_at_diagnosis", low, high)
    frame = pl.DataFrame({"age_at_diagnosis": ages}, schema={"age_at_diagnosis": pl.Float64})
    expected = [
        a is not None and (low is None or a >= low) and (high is None or a <= high) for a in ages
    ]
    assert _matches(frame, f) == expected
    negated = _matches(frame, Not(f))
    assert [x != y for x, y in zip(expected, negated, strict=True)] == [True] * len(ages)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(donors, st.lists(st.sampled_from(DONOR_TYPES), min_size=1, max_size=3, unique=True))
def test_categorical_codes_match_exactly_and_unknown_never(
    given_donors: list[str | None], accepted: list[str]
) -> None:
    f = CategoryIn("allo_donor_type", tuple(accepted))
    frame = pl.DataFrame({"allo_donor_type": given_donors}, schema={"allo_donor_type": pl.String})
    expected = [d is not None and d in accepted for d in given_donors]
    assert _matches(frame, f) == expected
    assert _matches(frame, Not(f)) == [not e for e in expected]


def test_flags_filter_by_true_or_false() -> None:
    frame = pl.DataFrame({"allo_in_cr1": [True, False, None]})
    assert _matches(frame, CategoryIn("allo_in_cr1", ("true",))) == [True, False, False]
    assert _matches(frame, CategoryIn("allo_in_cr1", ("false",))) == [False, True, False]


@settings(max_examples=80, deadline=None, derandomize=True)
@given(agent_lists, codes, codes)
def test_list_membership_is_any_of_and_all_of(
    held: list[list[str]], any_of: list[str], all_of: list[str]
) -> None:
    if not any_of and not all_of:
        with pytest.raises(AnalysisError, match="give any, all or both"):
            ListMembership("line1_agents", tuple(any_of), tuple(all_of))
        return
    f = ListMembership("line1_agents", tuple(any_of), tuple(all_of))
    frame = pl.DataFrame({"line1_agents": held}, schema={"line1_agents": pl.List(pl.String)})
    expected = [(not any_of or bool(set(h) & set(any_of))) and set(all_of) <= set(h) for h in held]
    assert _matches(frame, f) == expected
    assert _matches(frame, Not(f)) == [not e for e in expected]


def test_invalid_attributes_and_codes_name_the_valid_ones() -> None:
    with pytest.raises(AnalysisError, match=r"valid: .*matched_related"):
        CategoryIn("allo_donor_type", ("sibling",))
    with pytest.raises(AnalysisError, match=r"not a numeric attribute; valid: .*age_at_diagnosis"):
        NumericRange("sex", minimum=1)
    with pytest.raises(AnalysisError, match="not a categorical attribute"):
        CategoryIn("agents_received", ("imatinib",))  # a list: filter by membership
    with pytest.raises(AnalysisError, match="not a list attribute"):
        ListMembership("sex", any_of=("M",))
    with pytest.raises(AnalysisError, match=r"unknown code.*valid: .*imatinib"):
        ListMembership("agents_received", all_of=("aspirin",))
