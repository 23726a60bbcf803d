"""The CR1 rule (model 1.2.0): ``in_first_remission`` is true exactly when the disease status at
transplant is CR1; the loader derives the flag from the status, never the status from the flag."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from lake.model import DISEASE_STATUSES, FIRST_REMISSION_STATUS
from loaders.derived import derive_columns

STATUS = st.none() | st.sampled_from(DISEASE_STATUSES)
FLAG = st.none() | st.booleans()


@given(st.lists(st.tuples(STATUS, FLAG), min_size=1, max_size=30))
def test_the_flag_follows_the_status_and_a_given_flag_is_kept(
    rows: list[tuple[str | None, bool | None]],
) -> None:
    frame = pl.DataFrame(
        rows, schema={"disease_status": pl.String, "in_first_remission": pl.Boolean}, orient="row"
    )
    derived = derive_columns("transplants", frame)
    assert derived["disease_status"].to_list() == frame["disease_status"].to_list()
    for (status, flag), out in zip(rows, derived["in_first_remission"], strict=True):
        if flag is not None:
            assert out is flag  # a given flag is never overwritten (agreement is a check)
        elif status is None:
            assert out is None  # not collected stays null
        else:
            assert out is (status == FIRST_REMISSION_STATUS)


@given(st.lists(STATUS, min_size=1, max_size=30))
def test_a_site_giving_only_the_status_gets_the_flag(statuses: list[str | None]) -> None:
    frame = pl.DataFrame({"disease_status": statuses}, schema={"disease_status": pl.String})
    derived = derive_columns("transplants", frame)["in_first_remission"].to_list()
    assert derived == [None if s is None else s == FIRST_REMISSION_STATUS for s in statuses]


def test_other_tables_and_status_less_transplants_are_untouched() -> None:
    flags = pl.DataFrame({"in_first_remission": [True, None]})
    assert derive_columns("transplants", flags).equals(flags)
    events = pl.DataFrame({"disease_status": ["CR1"]})
    assert derive_columns("events", events).equals(events)
