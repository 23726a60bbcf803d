"""Property tests of the myeloma staging rules (hypothesis, seeded by hypothesis' database).

- Scalar reference: an independent, row-by-row ISS / R-ISS written from 01-myeloma.md, with
  unknown inputs handled by brute-force enumeration over representative values, must agree with
  the vectorised expressions on every row (classified or not).
- Monotonicity: on fully known rows, raising β2M or LDH, lowering albumin or adding a high-risk
  lesion never lowers the ISS / R-ISS / R2-ISS stage.
- Missing-input rule: blanking one input keeps the category or turns it NOT_CLASSIFIABLE, i.e.
  filling in an input never changes a classified result (also HCT-CI).
"""

from __future__ import annotations

import itertools
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.risk.hctci import INPUTS as HCTCI_INPUTS
from lake.risk.hctci import hctci
from lake.risk.iss import iss
from lake.risk.r2iss import r2iss
from lake.risk.riss import riss
from lake.risk.tristate import ScoreParts
from tests.lake.risk.helpers import cohort

NC = "NOT_CLASSIFIABLE"
STAGE_ORDER = {"I": 1, "II": 2, "III": 3, "IV": 4}
FISH = ("del17p", "t4_14", "t14_16", "gain1q")
ULN = 250.0

b2m = st.one_of(st.none(), st.sampled_from([3.5, 5.5]), st.floats(0.5, 20, allow_nan=False))
albumin = st.one_of(st.none(), st.just(3.5), st.floats(1.5, 5.5, allow_nan=False))
ldh = st.one_of(st.none(), st.just(ULN), st.floats(80, 600, allow_nan=False))
call = st.sampled_from(["present", "absent", "not_tested"])
rows = st.fixed_dictionaries(
    {
        "beta2m_mg_l": b2m,
        "albumin_g_dl": albumin,
        "ldh_u_l": ldh,
        "ldh_uln_u_l": st.just(ULN),
        **dict.fromkeys(FISH, call),
    }
)


def categories(parts: ScoreParts, frame_rows: list[dict[str, Any]]) -> list[str]:
    out = parts.apply(cohort(frame_rows), "s").select(pl.col("s").struct.field("category"))
    return [str(c) for c in out.to_series().to_list()]


# ---------------------------------------------------------------- independent scalar reference
def ref_iss_known(beta2m: float, alb: float) -> str:
    if beta2m >= 5.5:
        return "III"
    if beta2m < 3.5 and alb >= 3.5:
        return "I"
    return "II"


def ref_riss_known(beta2m: float, alb: float, high_ca: bool, high_ldh: bool) -> str:
    stage = ref_iss_known(beta2m, alb)
    if stage == "I" and not high_ca and not high_ldh:
        return "I"
    if stage == "III" and (high_ca or high_ldh):
        return "III"
    return "II"


def completions(row: dict[str, Any]) -> list[tuple[float, float, bool, bool]]:
    """Every combination of representative values for the unknown inputs."""
    b_values = [row["beta2m_mg_l"]] if row["beta2m_mg_l"] is not None else [2.0, 4.0, 6.0]
    a_values = [row["albumin_g_dl"]] if row["albumin_g_dl"] is not None else [3.0, 4.0]
    ldh_values = [row["ldh_u_l"] > ULN] if row["ldh_u_l"] is not None else [False, True]
    calls = [
        [row[n] == "present"] if row[n] != "not_tested" else [False, True]
        for n in ("del17p", "t4_14", "t14_16")
    ]
    return [
        (b, a, any(lesions), high_ldh)
        for b, a, high_ldh, *lesions in itertools.product(b_values, a_values, ldh_values, *calls)
    ]


def unanimous(results: set[str]) -> str:
    return results.pop() if len(results) == 1 else NC


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(rows, min_size=1, max_size=60))
def test_vectorised_iss_and_riss_match_scalar_reference(batch: list[dict[str, Any]]) -> None:
    expected_iss = [
        unanimous({ref_iss_known(b, a) for b, a, _, _ in completions(r)}) for r in batch
    ]
    expected_riss = [unanimous({ref_riss_known(*c) for c in completions(r)}) for r in batch]
    assert categories(iss(), batch) == expected_iss
    assert categories(riss(), batch) == expected_riss


# ------------------------------------------------------------------------------- monotonicity
known_rows = st.fixed_dictionaries(
    {
        "beta2m_mg_l": st.floats(0.5, 20, allow_nan=False),
        "albumin_g_dl": st.floats(1.5, 5.5, allow_nan=False),
        "ldh_u_l": st.floats(80, 600, allow_nan=False),
        "ldh_uln_u_l": st.just(ULN),
        **dict.fromkeys(FISH, st.sampled_from(["present", "absent"])),
    }
)
worsenings = st.one_of(
    st.tuples(st.just("beta2m_mg_l"), st.floats(0, 10, allow_nan=False)),
    st.tuples(st.just("ldh_u_l"), st.floats(0, 300, allow_nan=False)),
    st.tuples(st.just("albumin_g_dl"), st.floats(-2, 0, allow_nan=False)),
    st.tuples(st.sampled_from(FISH), st.just("present")),
)


def worsen(row: dict[str, Any], change: tuple[str, Any]) -> dict[str, Any]:
    name, delta = change
    if isinstance(delta, str):
        return row | {name: delta}
    return row | {name: max(row[name] + delta, 0.5)}


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(st.tuples(known_rows, worsenings), min_size=1, max_size=60))
def test_worse_labs_never_lower_a_stage(
    batch: list[tuple[dict[str, Any], tuple[str, Any]]],
) -> None:
    before = [row for row, _ in batch]
    after = [worsen(row, change) for row, change in batch]
    for parts in (iss(), riss(), r2iss()):
        for old, new in zip(categories(parts, before), categories(parts, after), strict=True):
            assert STAGE_ORDER[new] >= STAGE_ORDER[old]


# ------------------------------------------------------------------------- missing-input rule
def blank(row: dict[str, Any], name: str) -> dict[str, Any]:
    return row | {name: "not_tested" if name in FISH or name in HCTCI_COLUMNS else None}


HCTCI_COLUMNS = tuple(i.column for i in HCTCI_INPUTS)
MM_COLUMNS = ("beta2m_mg_l", "albumin_g_dl", "ldh_u_l", *FISH)


@settings(max_examples=30, deadline=None)
@given(batch=st.lists(st.tuples(rows, st.sampled_from(MM_COLUMNS)), min_size=1, max_size=60))
def test_filling_a_missing_input_never_changes_a_classified_result(
    batch: list[tuple[dict[str, Any], str]],
) -> None:
    filled = [row for row, _ in batch]
    blanked = [blank(row, name) for row, name in batch]
    for parts in (iss(), riss(), r2iss()):
        for full, partial in zip(
            categories(parts, filled), categories(parts, blanked), strict=True
        ):
            assert partial in (full, NC)


hctci_rows = st.fixed_dictionaries(dict.fromkeys(HCTCI_COLUMNS, call))


@settings(max_examples=20, deadline=None)
@given(
    batch=st.lists(st.tuples(hctci_rows, st.sampled_from(HCTCI_COLUMNS)), min_size=1, max_size=60)
)
def test_hctci_missing_input_rule(batch: list[tuple[dict[str, Any], str]]) -> None:
    filled = [row for row, _ in batch]
    blanked = [blank(row, name) for row, name in batch]
    for full, partial in zip(
        categories(hctci(), filled), categories(hctci(), blanked), strict=True
    ):
        assert partial in (full, NC)
