"""ELN 2022: every worked example of 02-aml.md §2.1, the U1-U5 policies, and C1 soundness.

The exactness property compares the vectorised lookup table with an independent scalar
implementation of the documented algorithm evaluated under EVERY completion of the unknown
markers: the category is the unanimous completion result, else NOT_CLASSIFIABLE.
"""

from __future__ import annotations

import itertools
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.risk.eln2022 import (
    ADVERSE_CYTOGENETICS,
    INPUTS,
    MR_GENES,
    OTHER_MARKERS,
    Eln2022Policies,
    eln2022,
)
from tests.lake.risk.helpers import cohort, evaluate

NC = "NOT_CLASSIFIABLE"
MARKERS = (*OTHER_MARKERS, *ADVERSE_CYTOGENETICS, *MR_GENES)
NEGATIVE: dict[str, Any] = dict.fromkeys(MARKERS, "absent") | {"tp53_vaf": None}


def case(**changes: Any) -> dict[str, Any]:
    return NEGATIVE | changes


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(case(npm1="present"), "FAVORABLE", id="1"),
        pytest.param(case(npm1="present", flt3_itd="present"), "INTERMEDIATE", id="2"),
        pytest.param(case(npm1="present", minus7="present"), "ADVERSE", id="3-P1"),
        pytest.param(case(t8_21="present", asxl1="present"), "FAVORABLE", id="4-P3"),
        pytest.param(case(runx1="present"), "ADVERSE", id="5"),
        pytest.param(case(t9_11="present", asxl1="present"), "INTERMEDIATE", id="6-P2"),
        pytest.param(case(tp53="present", tp53_vaf=5.0), "INTERMEDIATE", id="7-vaf-5"),
        pytest.param(case(cebpa_bzip="present"), "FAVORABLE", id="8"),
        pytest.param(case(npm1="present", flt3_itd="not_tested"), NC, id="9"),
        pytest.param(
            case(minus5_del5q="present", npm1="not_tested", tp53="not_tested"), "ADVERSE", id="10"
        ),
    ],
)
def test_eln2022_worked_examples(row: dict[str, Any], expected: str) -> None:
    assert evaluate(eln2022(), row)["category"] == expected


def test_missing_flt3_itd_is_named() -> None:
    """Worked example 9: FLT3-ITD decides FAVORABLE vs INTERMEDIATE; TP53 is wild-type, so its
    VAF (unknown) cannot change the result and is not named."""
    result = evaluate(eln2022(), case(npm1="present", flt3_itd="not_tested"))
    assert result["missing_inputs"] == ["genetics.flt3_itd"]
    mutated = evaluate(eln2022(), case(npm1="present", flt3_itd="not_tested", tp53="present"))
    assert mutated["missing_inputs"] == ["genetics.flt3_itd", "genetics.tp53_vaf"]


@pytest.mark.parametrize(
    ("row", "policy", "default", "alternative"),
    [
        (case(inv16="present", tp53="present", tp53_vaf=30.0), "u1_tp53_with_favorable",
         "ADVERSE", "FAVORABLE"),
        (case(t8_21="present", minus7="present"), "u2_cbf_with_adverse_lesion",
         "FAVORABLE", "LESION_RISK"),
        (case(cebpa_bzip="present", flt3_itd="present"), "u3_cebpa_with_flt3_itd",
         "INTERMEDIATE", "FAVORABLE"),
        (case(npm1="present", flt3_itd="present", asxl1="present"), "u4_npm1_itd_mr_gene",
         "ADVERSE", "INTERMEDIATE"),
        (case(t9_11="present", minus7="present"), "u5_t9_11_with_adverse_cytogenetics",
         "INTERMEDIATE", "ADVERSE"),
    ],
)  # fmt: skip
def test_policies_switch_only_their_edge(
    row: dict[str, Any], policy: str, default: str, alternative: str
) -> None:
    assert evaluate(eln2022(), row)["category"] == default
    changed = Eln2022Policies(**{policy: alternative})  # type: ignore[arg-type]
    expected = "ADVERSE" if alternative == "LESION_RISK" else alternative
    assert evaluate(eln2022(changed), row)["category"] == expected


def reference(known: dict[str, bool], tp53_vaf_ge_10: bool) -> str:
    """Scalar ELN 2022 algorithm of 02-aml.md on fully known inputs (default policies)."""
    adverse_cyto = any(known[n] for n in ADVERSE_CYTOGENETICS)
    fav = known["t8_21"] or known["inv16"] or known["cebpa_bzip"]
    fav = fav or (known["npm1"] and not known["flt3_itd"] and not adverse_cyto)
    if known["t9_11"]:
        return "INTERMEDIATE"
    if known["tp53"] and tp53_vaf_ge_10:
        return "ADVERSE"
    if known["npm1"] and adverse_cyto:
        return "ADVERSE"
    if known["t8_21"] or known["inv16"]:
        return "FAVORABLE"
    if adverse_cyto:
        return "ADVERSE"
    if fav and not known["flt3_itd"]:
        return "FAVORABLE"
    if any(known[n] for n in MR_GENES):
        return "ADVERSE"
    return "INTERMEDIATE"


def all_completions(row: dict[str, Any]) -> set[str]:
    unknown = [n for n in MARKERS if row[n] == "not_tested"]
    vaf = row["tp53_vaf"]
    vaf_options = [True, False] if vaf is None else [vaf >= 10]
    results = set()
    for values in itertools.product([True, False], repeat=len(unknown)):
        known = {n: row[n] == "present" for n in MARKERS} | dict(zip(unknown, values, strict=True))
        results |= {reference(known, v) for v in vaf_options}
    return results


relevant = st.sampled_from(
    ["npm1", "flt3_itd", "t8_21", "inv16", "t9_11", "cebpa_bzip", "tp53", "minus7", "asxl1"]
)


profiles = st.fixed_dictionaries(
    {"calls": st.dictionaries(relevant, st.sampled_from(["present", "absent", "not_tested"]))},
    optional={"vaf": st.sampled_from([None, 5.0, 30.0])},
)


@settings(max_examples=25, deadline=None)
@given(profiles=st.lists(profiles, min_size=1, max_size=40))
def test_category_is_exact_against_enumeration(profiles: list[dict[str, Any]]) -> None:
    rows = [NEGATIVE | p["calls"] | {"tp53_vaf": p.get("vaf")} for p in profiles]
    frame = cohort(rows).select(pl.col(i.column) for i in INPUTS)
    got = frame.select(eln2022().to_struct().struct.field("category")).to_series().to_list()
    for row, category in zip(rows, got, strict=True):
        completions = all_completions(row)
        assert category == (completions.pop() if len(completions) == 1 else NC)


def test_vectorised_matches_reference_on_every_known_profile() -> None:
    """All 2^9 profiles of the relevant markers, everything else negative, TP53 VAF 30%."""
    names = ["npm1", "flt3_itd", "t8_21", "inv16", "t9_11", "cebpa_bzip", "tp53", "minus7", "asxl1"]
    rows = [
        NEGATIVE
        | {"tp53_vaf": 30.0}
        | {n: ("present" if v else "absent") for n, v in zip(names, bits, strict=True)}
        for bits in itertools.product([True, False], repeat=len(names))
    ]
    frame = cohort(rows).select(pl.col(i.column) for i in INPUTS)
    got = frame.select(eln2022().to_struct().struct.field("category")).to_series().to_list()
    expected = [
        reference({n: r[n] == "present" for n in MARKERS}, tp53_vaf_ge_10=True) for r in rows
    ]
    assert got == expected
