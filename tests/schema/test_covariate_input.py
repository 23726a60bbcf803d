"""CovariateInput and InteractionInput: every combination becomes a covariate or a coded error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lake.cohort.covariates import Levelled, ModelTerms, Numeric
from schema.errors import BadRequestError, PublicError
from schema.inputs.covariates import (
    CovariateInput,
    InteractionInput,
    NumericTransform,
    model_terms,
)
from schema.types.enums import GroupingAttribute, NumericAttribute

inputs = st.builds(
    CovariateInput,
    attribute=st.none() | st.sampled_from(list(GroupingAttribute)),
    score=st.none() | st.sampled_from(["riss", "iss_greipp2005", "eln2022", "no_such_score"]),
    numeric=st.none() | st.sampled_from(list(NumericAttribute)),
    reference=st.none() | st.text(max_size=5),
    as_trend=st.booleans(),
    transform=st.sampled_from(list(NumericTransform)),
    per=st.none() | st.floats(allow_nan=False),
)


@given(inputs)
def test_a_covariate_input_is_one_covariate_or_a_public_error(given_input: CovariateInput) -> None:
    """Exactly one kind; reference/asTrend only on levels; transform and per only on numerics,
    per exactly with PER_UNITS and positive. Nothing else escapes (it would be masked)."""
    kinds = [given_input.attribute, given_input.score, given_input.numeric]
    try:
        (covariate,) = model_terms([given_input], None).covariates
    except PublicError:
        return
    assert sum(k is not None for k in kinds) == 1
    if isinstance(covariate, Numeric):
        assert given_input.reference is None
        assert not given_input.as_trend
        assert (covariate.transform == "per") == (given_input.per is not None)
        assert covariate.per > 0
    else:
        assert isinstance(covariate, Levelled)
        assert given_input.transform is NumericTransform.NONE
        assert given_input.per is None
        assert not (covariate.trend and covariate.reference is not None)


@given(st.lists(inputs, max_size=4), st.lists(st.tuples(st.text(), st.text()), max_size=3))
def test_model_terms_raise_only_public_errors(
    covariates: list[CovariateInput], pairs: list[tuple[str, str]]
) -> None:
    interactions = [InteractionInput(a=a, b=b) for a, b in pairs]
    try:
        terms = model_terms(covariates, interactions)
    except PublicError:
        return
    assert isinstance(terms, ModelTerms)
    names = [c.name for c in terms.covariates]
    assert len(set(names)) == len(names) >= 1
    assert all({i.a, i.b} <= set(names) and i.a != i.b for i in terms.interactions)


def test_interactions_accept_the_enum_name_or_the_code() -> None:
    terms = model_terms(
        [CovariateInput(attribute=GroupingAttribute["SEX"]), CovariateInput(score="riss")],
        [InteractionInput(a="SEX", b="riss_palumbo2015")],
    )
    (interaction,) = terms.interactions
    assert (interaction.a, interaction.b) == ("sex", "riss_palumbo2015")


def test_an_unknown_interaction_side_lists_the_covariates() -> None:
    sex = [CovariateInput(attribute=GroupingAttribute["SEX"])]
    with pytest.raises(BadRequestError) as refused:
        model_terms(sex, [InteractionInput(a="x", b="sex")])
    assert str(refused.value) == (
        "interactions: x is not a covariate of the model (covariates: sex)"
    )
