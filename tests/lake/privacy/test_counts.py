"""Protected count releases: public cells, the sensitivity each plan claims, post-processing."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.errors import AccessDeniedError
from lake.model import AGENTS
from lake.privacy.counts import breakdown_plan, completeness_plan, histogram_plan, size_plan
from lake.privacy.domains import attribute_levels, numeric_range
from lake.privacy.mechanism import Noise

SEXES = st.sampled_from(["M", "F", None])
AGES = st.one_of(st.none(), st.floats(min_value=-5, max_value=120, allow_nan=False))
AGENT_LISTS = st.lists(st.sampled_from(AGENTS[:6]), max_size=4, unique=True)
PATIENT = st.fixed_dictionaries(
    {"sex": SEXES, "age_at_diagnosis": AGES, "agents_received": AGENT_LISTS, "npm1": SEXES}
)


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    schema = {
        "sex": pl.String,
        "age_at_diagnosis": pl.Float64,
        "agents_received": pl.List(pl.String),
        "npm1": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def plans(data: pl.DataFrame):  # type: ignore[no-untyped-def]
    def load() -> pl.DataFrame:
        return data

    return [
        size_plan(lambda: data.height, floor=0),
        breakdown_plan(load, attribute="sex", levels=("M", "F", None), floor=0),
        breakdown_plan(
            load,
            attribute="agents_received",
            levels=attribute_levels("agents_received", sites=[]),
            floor=0,
        ),
        histogram_plan(load, attribute="age_at_diagnosis", bins=7, lower=20.0, upper=90.0, floor=0),
        completeness_plan(load, attributes=("sex", "age_at_diagnosis"), floor=0),
    ]


@given(rows=st.lists(PATIENT, max_size=40), extra=PATIENT)
@settings(max_examples=60, deadline=None)
def test_one_patient_moves_each_release_by_at_most_its_sensitivity(
    rows: list[dict[str, object]], extra: dict[str, object]
) -> None:
    before = plans(frame(rows))
    after = plans(frame([*rows, extra]))
    for old, new in zip(before, after, strict=True):
        assert old.sensitivity == new.sensitivity  # from the request, never the data
        assert np.abs(new.counts() - old.counts()).sum() <= old.sensitivity


@given(rows=st.lists(PATIENT, max_size=40))
@settings(max_examples=40, deadline=None)
def test_partitions_add_up_to_the_cohort(rows: list[dict[str, object]]) -> None:
    data = frame(rows)
    _, by_sex, _, histogram, completeness = plans(data)
    assert by_sex.counts().sum() == data.height
    assert histogram.counts().sum() == data.height  # below, bins, above and missing
    assert (completeness.counts().reshape(2, 3).sum(axis=1) == data.height).all()


def test_release_is_post_processing_of_the_noisy_vector_only() -> None:
    data = frame([{"sex": "M", "age_at_diagnosis": 50.0, "agents_received": [], "npm1": None}])
    plan = breakdown_plan(lambda: data, attribute="sex", levels=("M", "F", None), floor=5)
    noise = Noise.of(epsilon=1.0, sensitivity=1)
    released = plan.release(np.array([12, -3, 2]), noise)
    assert [(c.category, c.n) for c in released.counts] == [("M", 12), ("F", 0), (None, None)]
    assert released.total == 14  # the clipped noisy cells, never the exact size


def test_every_declared_value_is_a_cell_even_when_empty() -> None:
    data = frame([{"sex": "F", "age_at_diagnosis": 50.0, "agents_received": [], "npm1": None}])
    plan = breakdown_plan(lambda: data, attribute="sex", levels=("M", "F", None), floor=0)
    assert plan.counts().tolist() == [0, 1, 0]


def test_free_text_has_no_public_levels_and_edges_come_from_the_model() -> None:
    with pytest.raises(AccessDeniedError, match="free text"):
        attribute_levels("source_study", sites=["A"])
    assert attribute_levels("site", sites=["B", "A"]) == ("A", "B", None)
    assert attribute_levels("had_allogeneic", sites=[]) == ("false", "true", None)
    assert numeric_range("age_at_diagnosis") == (0.0, 110.0)


def test_an_undeclared_value_is_refused_not_counted_elsewhere() -> None:
    data = frame([{"sex": "X", "age_at_diagnosis": 50.0, "agents_received": [], "npm1": None}])
    plan = breakdown_plan(lambda: data, attribute="sex", levels=("M", "F", None), floor=0)
    with pytest.raises(AccessDeniedError, match="outside its declared list"):
        plan.counts()
