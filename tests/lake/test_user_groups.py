"""User-defined groups: first match in the order given, excluded patients counted, public names."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.access import AuditRecord, Caller
from lake.cohort.covariates import Levelled, ModelTerms
from lake.cohort.endpoints import EndpointKey
from lake.cohort.filters import EVERYONE, And, CategoryIn, CohortFilter, Not, NumericRange
from lake.cohort.groups import MAX_GROUPS, UserGroup, first_match
from lake.cohort.models import CoxRequest
from lake.cohort.survival import Grouping, SurvivalRequest
from lake.disclosure import DisclosurePolicy
from lake.errors import AnalysisError
from lake.query.gateway import Cohort, LakeGateway
from lake.query.release import canonical_json, query_hash
from tests.schema.demo_frames import FrameLake, FrameSource, demo_frames

ANALYST = Caller(user="ana", role="analyst")
STATISTICIAN = Caller(user="stat", role="statistician")
OS = EndpointKey(endpoint="OS", origin="diagnosis")
MEN = CategoryIn("sex", ("M",))
OLDER = NumericRange("age_at_diagnosis", minimum=60.0)


class ListSink:
    def __init__(self) -> None:
        self.records: list[AuditRecord] = []

    def record(self, entry: AuditRecord) -> None:
        self.records.append(entry)


@pytest.fixture
def gateway() -> LakeGateway:
    lake = FrameLake(FrameSource(demo_frames(200), version=1))
    return LakeGateway(
        open_snapshot=lake.open,
        policy=DisclosurePolicy(min_cell_size=1),
        audit=ListSink(),
        software_version="test",
    )


def _cohort(gateway: LakeGateway, f: CohortFilter = EVERYONE) -> Cohort:
    (result,) = gateway.cohorts([(1, f)])
    assert isinstance(result, Cohort)
    return result


def _survival(grouping: Grouping) -> SurvivalRequest:
    return SurvivalRequest(
        endpoint=OS, grouping=grouping, times=(), time_unit="months", conf_type="log"
    )


@settings(max_examples=200, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda k: st.lists(st.lists(st.booleans(), min_size=k, max_size=k), min_size=1, max_size=30)
    )
)
def test_first_match_is_the_first_true_mask_in_order(rows: list[list[bool]]) -> None:
    names = [f"g{i}" for i in range(len(rows[0]))]
    masks = [pl.Series([row[i] for row in rows]) for i in range(len(names))]
    expected = [next((names[i] for i, hit in enumerate(row) if hit), None) for row in rows]
    got = first_match(masks, names)
    assert got.to_list() == expected
    assert got.dtype == pl.Enum(names)


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ((UserGroup("a", EVERYONE),), "2 to"),
        (tuple(UserGroup(f"g{i}", EVERYONE) for i in range(MAX_GROUPS + 1)), "2 to"),
        ((UserGroup("a", EVERYONE), UserGroup("a", MEN)), "repeated: a"),
    ],
)
def test_group_sets_outside_the_rules_are_refused(
    groups: tuple[UserGroup, ...], message: str
) -> None:
    with pytest.raises(AnalysisError, match=message):
        Grouping(groups=groups)


@pytest.mark.parametrize("name", ["", "   ", "x" * 61])
def test_group_names_are_bounded(name: str) -> None:
    with pytest.raises(AnalysisError, match="1 to 60 characters"):
        UserGroup(name, EVERYONE)


def test_groups_take_the_first_match_and_count_the_rest_as_excluded(
    gateway: LakeGateway,
) -> None:
    """Men first, then the older among the others: women under 60 are in no group."""
    grouping = Grouping(groups=(UserGroup("men", MEN), UserGroup("60+", OLDER)))
    everyone = _cohort(gateway)
    summary = gateway.survival(STATISTICIAN, everyone, request=_survival(grouping)).value
    assert [g.group for g in summary.groups] == ["men", "60+"]
    # the oracle: each group asked as its own cohort (first match spelt out as filters)
    alone: list[CohortFilter] = [MEN, And((Not(MEN), OLDER))]
    for group, f in zip(summary.groups, alone, strict=True):
        (single,) = gateway.survival(
            STATISTICIAN, _cohort(gateway, f), request=_survival(Grouping())
        ).value.groups
        assert (group.n, group.events) == (single.n, single.events)
    analysed = sum(g.n or 0 for g in summary.groups)
    assert summary.n_excluded == everyone.size - analysed
    in_none = _cohort(gateway, And((Not(MEN), Not(OLDER)))).size
    assert in_none > 0
    assert summary.n_excluded is not None
    assert summary.n_excluded >= in_none


def test_protected_groups_are_the_names_asked_even_when_empty(gateway: LakeGateway) -> None:
    nobody = And((MEN, Not(MEN)))
    grouping = Grouping(groups=(UserGroup("empty", nobody), UserGroup("all", EVERYONE)))
    summary = gateway.survival(ANALYST, _cohort(gateway), request=_survival(grouping)).value
    assert [g.group for g in summary.groups] == ["empty", "all"]


def test_the_definitions_are_in_the_cache_key_and_old_requests_keep_their_hash() -> None:
    a = Grouping(groups=(UserGroup("a", MEN), UserGroup("b", OLDER)))
    b = Grouping(
        groups=(UserGroup("a", MEN), UserGroup("b", NumericRange("age_at_diagnosis", minimum=61.0)))
    )
    assert query_hash(_survival(a)) != query_hash(_survival(b))
    assert "groups" not in canonical_json(Grouping(score="riss_palumbo2015"))


def test_cox_reference_is_the_first_group(gateway: LakeGateway) -> None:
    men, women = UserGroup("men", MEN), UserGroup("women", Not(MEN))

    def fit(groups: tuple[UserGroup, ...]) -> float:
        names = tuple(g.name for g in groups)
        terms = ModelTerms((Levelled(source="groups", name="group", names=names),))
        request = CoxRequest(OS, terms=terms, groups=groups)
        (coefficient,) = gateway.cox(
            STATISTICIAN, _cohort(gateway), request=request
        ).value.coefficients
        assert coefficient.name == f"group={groups[1].name}"
        return coefficient.coef

    assert fit((men, women)) == pytest.approx(-fit((women, men)), rel=1e-9)
