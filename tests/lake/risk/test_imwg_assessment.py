"""IMWG 2016 response derived from measurements (01-myeloma.md §1.4): worked examples, PD
thresholds, branch selection, missing inputs, and hypothesis properties.

The worked examples give only the salient values. Each test row is the example's stated data
verbatim plus, separately, the completion the example takes for granted (written out so that a
reader can see it adds no response): the example is the first assessment after baseline, so the
nadir is the baseline; "nothing else" means no plasmacytoma and no imaging or circulating-cell
progression. Without a completion an input that could change the category is unknown, and the
row is NOT_CLASSIFIABLE (tested below).
"""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.cohort.risk import score_attributes
from lake.errors import AnalysisError
from lake.risk.imwg_assessment import FRAME, SCHEMA, imwg_assessment, progression
from lake.risk.imwg_response import RANKS
from lake.risk.registry import REGISTRY

NC = "NOT_CLASSIFIABLE"
NOTHING_ELSE: dict[str, Any] = {
    "plasmacytoma_baseline": False,
    "imaging_progression": False,
    "circulating_pc_progression": False,
}
LAB_RANGE = {"flc_ratio_lower": 0.26, "flc_ratio_upper": 1.65}  # §1.4 "commonly 0.26-1.65"


def assess(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The result struct of each row (absent columns are unknown), as the registry computes it."""
    frame = pl.DataFrame(rows, schema=SCHEMA)
    return imwg_assessment().apply(frame, "s").get_column("s").to_list()


def category(row: dict[str, Any]) -> str:
    return str(assess([row])[0]["category"])


def pd_condition(row: dict[str, Any]) -> bool | None:
    frame = pl.DataFrame([row], schema=SCHEMA)
    value: bool | None = frame.select(progression()).item()
    return value


def first_assessment(**values: float) -> dict[str, float]:
    """Baseline and current values, the nadir being the baseline (no assessment in between)."""
    row = dict(values)
    for prefix in ("serum_m", "urine_m"):
        unit = "g_dl" if prefix == "serum_m" else "mg_24h"
        if f"{prefix}_baseline_{unit}" in row:
            row[f"{prefix}_nadir_{unit}"] = row[f"{prefix}_baseline_{unit}"]
    return row


EXAMPLES = [
    pytest.param(
        {
            "serum_m_baseline_g_dl": 3.0,
            "serum_m_g_dl": 1.2,
            "urine_m_baseline_mg_24h": 800.0,
            "urine_m_mg_24h": 150.0,
        },
        first_assessment(serum_m_baseline_g_dl=3.0, urine_m_baseline_mg_24h=800.0) | NOTHING_ELSE,
        "PR",
        id="example-1",
    ),
    pytest.param(
        {
            "serum_m_baseline_g_dl": 3.0,
            "serum_m_g_dl": 0.2,
            "urine_m_mg_24h": 99.0,  # "urine M < 100 mg/24 h"
            "serum_ife_positive": True,
        },
        first_assessment(serum_m_baseline_g_dl=3.0) | NOTHING_ELSE,
        "VGPR",
        id="example-2",
    ),
    pytest.param(
        {
            "serum_ife_positive": False,
            "urine_ife_positive": False,
            "marrow_pc_pct": 3.0,
            "plasmacytoma_baseline": False,
            "flc_ratio": 0.9,
            "clonal_pc_ihc": False,
        },
        # the lab range; FLC values giving the ratio 0.9 (kappa 1.8 involved, lambda 2.0),
        # unchanged from their nadir (no PD by dFLC)
        LAB_RANGE
        | {"flc_involved_mg_dl": 1.8, "flc_uninvolved_mg_dl": 2.0, "dflc_nadir_mg_dl": -0.2}
        | {"imaging_progression": False, "circulating_pc_progression": False},
        "sCR",
        id="example-3",
    ),
    pytest.param(
        {
            "serum_m_baseline_g_dl": 3.0,
            "serum_m_g_dl": 2.0,
            "urine_m_baseline_mg_24h": 1000.0,
            "urine_m_mg_24h": 400.0,  # -60%
        },
        first_assessment(serum_m_baseline_g_dl=3.0, urine_m_baseline_mg_24h=1000.0) | NOTHING_ELSE,
        "MR",
        id="example-4",
    ),
    pytest.param(
        {"serum_m_nadir_g_dl": 0.8, "serum_m_g_dl": 1.4},
        {},  # PD whatever the unknown inputs are
        "PD",
        id="example-5",
    ),
    pytest.param(
        {"serum_m_nadir_g_dl": 0.4, "serum_m_g_dl": 0.6},
        # "SD unless better category met": a measurable baseline (not NE) at which no better
        # category is met -- serum 1.0 g/dL, urine 400 mg/24 h unchanged (MR needs urine -50%)
        {
            "serum_m_baseline_g_dl": 1.0,
            "urine_m_baseline_mg_24h": 400.0,
            "urine_m_nadir_mg_24h": 400.0,
            "urine_m_mg_24h": 400.0,
        }
        | NOTHING_ELSE,
        "SD",
        id="example-6",
    ),
]


@pytest.mark.parametrize(("stated", "completion", "expected"), EXAMPLES)
def test_worked_examples(stated: dict[str, Any], completion: dict[str, Any], expected: str) -> None:
    result = assess([completion | stated])[0]
    assert (result["category"], result["missing_inputs"]) == (expected, [])
    assert result["points"] == RANKS[expected]


def test_example_6_gives_a_better_category_when_one_is_met() -> None:
    """The same PD data with serum the only disease (urine not measurable): -40% is MR."""
    row = NOTHING_ELSE | {
        "serum_m_baseline_g_dl": 1.0,
        "serum_m_nadir_g_dl": 0.4,
        "serum_m_g_dl": 0.6,
        "urine_m_baseline_mg_24h": 0.0,
        "urine_m_mg_24h": 0.0,
    }
    assert category(row) == "MR"


# ----------------------------------------------------------------------------- PD thresholds
# Values are binary-exact so that "exactly +25%" and "exactly +0.5 g/dL" are exact in floats.
PD_BACKGROUND = NOTHING_ELSE | {
    "serum_m_baseline_g_dl": 3.0,  # measurable: the dFLC and marrow PD branches do not apply
    "urine_m_mg_24h": 0.0,
}


@pytest.mark.parametrize(
    ("nadir", "now", "is_pd"),
    [
        pytest.param(2.0, 2.5, True, id="exactly+25%-and-exactly+0.5"),
        pytest.param(2.0, 2.4375, False, id="+22%-and-+0.44"),
        pytest.param(1.0, 1.5, True, id="+50%-and-exactly+0.5"),
        pytest.param(1.0, 1.4921875, False, id="+49%-but-below+0.5"),
        pytest.param(4.0, 5.0, True, id="exactly+25%-and-+1.0"),
        pytest.param(4.0, 4.96875, False, id="+24%-and-+0.97"),
        pytest.param(5.0, 6.0, True, id="nadir-5:+1.0-suffices-at-+20%"),
        pytest.param(5.0, 5.96875, False, id="nadir-5:+0.97-is-not-enough"),
        pytest.param(4.75, 5.75, False, id="nadir-below-5:+1.0-at-+21%-is-not-PD"),
        pytest.param(0.8, 1.4, True, id="example-5:+75%-and-+0.6"),
        pytest.param(0.4, 0.6, False, id="example-6:+50%-but-only-+0.2"),
    ],
)
def test_serum_pd_thresholds(nadir: float, now: float, is_pd: bool) -> None:
    row = PD_BACKGROUND | {"serum_m_nadir_g_dl": nadir, "serum_m_g_dl": now}
    assert pd_condition(row) is is_pd
    assert (category(row | {"serum_ife_positive": True}) == "PD") is is_pd


@pytest.mark.parametrize(
    ("nadir", "now", "is_pd"),
    [
        pytest.param(800.0, 1000.0, True, id="exactly+25%-and-exactly+200"),
        pytest.param(800.0, 999.0, False, id="+24.9%-and-+199"),
        pytest.param(400.0, 600.0, True, id="+50%-and-exactly+200"),
        pytest.param(400.0, 599.0, False, id="+50%-but-+199"),
    ],
)
def test_urine_pd_thresholds(nadir: float, now: float, is_pd: bool) -> None:
    row = PD_BACKGROUND | {
        "serum_m_g_dl": 0.0,
        "urine_m_nadir_mg_24h": nadir,
        "urine_m_mg_24h": now,
    }
    assert pd_condition(row) is is_pd


def test_new_lesion_is_pd_even_in_a_deep_response() -> None:
    row = first_assessment(serum_m_baseline_g_dl=3.0, serum_m_g_dl=0.0, urine_m_mg_24h=0.0)
    assert category(row | NOTHING_ELSE | {"imaging_progression": True}) == "PD"


# ------------------------------------------------------------------------------ branch rules
# dFLC rises from 20 to 40 mg/dL (+100%, +20 > 10): PD where the dFLC branch applies.
DFLC_RISE = NOTHING_ELSE | {
    "flc_involved_mg_dl": 41.0,
    "flc_uninvolved_mg_dl": 1.0,
    "dflc_nadir_mg_dl": 20.0,
    "serum_m_g_dl": 0.2,
    "serum_m_nadir_g_dl": 0.2,
    "urine_m_mg_24h": 0.0,
}


def test_dflc_rise_is_ignored_while_serum_is_measurable() -> None:
    row = DFLC_RISE | {"serum_m_baseline_g_dl": 3.0}
    assert pd_condition(row) is False
    assert category(row) == "VGPR"  # serum -93%, urine 0


def test_dflc_rise_is_ignored_while_urine_is_measurable() -> None:
    row = DFLC_RISE | {"serum_m_baseline_g_dl": 0.5, "urine_m_baseline_mg_24h": 200.0}
    assert pd_condition(row) is False


def test_dflc_rise_is_pd_when_serum_and_urine_are_not_measurable() -> None:
    row = DFLC_RISE | {"serum_m_baseline_g_dl": 0.5, "urine_m_baseline_mg_24h": 199.0}
    assert category(row) == "PD"


def test_dflc_rise_from_a_negative_nadir_counts_in_full() -> None:
    """dFLC -2 -> +9 mg/dL (involved 11, uninvolved 2): an increase of 11 > 10 mg/dL is PD."""
    row = DFLC_RISE | {
        "serum_m_baseline_g_dl": 0.5,
        "urine_m_baseline_mg_24h": 199.0,
        "dflc_nadir_mg_dl": -2.0,
        "flc_involved_mg_dl": 11.0,
        "flc_uninvolved_mg_dl": 2.0,
        "marrow_pc_pct": 5.0,  # no PD by marrow
    }
    assert pd_condition(row) is True
    assert pd_condition(row | {"flc_involved_mg_dl": 10.0}) is False  # +10 is not > 10


def test_dflc_rise_with_unknown_baseline_is_not_classifiable() -> None:
    result = assess([DFLC_RISE | {"urine_m_baseline_mg_24h": 100.0}])[0]
    assert result["category"] == NC
    assert f"{FRAME}.serum_m_baseline_g_dl" in result["missing_inputs"]


FLC_ONLY = (
    NOTHING_ELSE
    | LAB_RANGE
    | {
        "serum_m_baseline_g_dl": 0.3,
        "serum_m_nadir_g_dl": 0.3,
        "serum_m_g_dl": 0.3,
        "serum_ife_positive": True,
        "urine_m_baseline_mg_24h": 50.0,
        "urine_m_nadir_mg_24h": 50.0,
        "urine_m_mg_24h": 50.0,
        "flc_involved_baseline_mg_dl": 50.0,
        "flc_uninvolved_baseline_mg_dl": 1.0,  # dFLC 49
        "flc_ratio_baseline": 50.0,
        "dflc_nadir_mg_dl": 49.0,
        "flc_involved_mg_dl": 20.0,  # dFLC 19: -61%
        "flc_uninvolved_mg_dl": 1.0,
    }
)


def test_dflc_reduction_gives_pr_when_only_flc_is_measurable() -> None:
    assert category(FLC_ONLY) == "PR"
    assert category(FLC_ONLY | {"flc_involved_mg_dl": 26.0}) == "SD"  # dFLC 25: -49%


def test_dflc_reduction_is_not_used_when_serum_is_measurable() -> None:
    """Serum 1.0 -> 0.9 g/dL (-10%) decides: the -61% dFLC does not make it PR."""
    row = FLC_ONLY | {"serum_m_baseline_g_dl": 1.0, "serum_m_nadir_g_dl": 1.0, "serum_m_g_dl": 0.9}
    assert category(row) == "SD"


def test_flc_needs_an_abnormal_ratio_by_the_lab_range_to_be_measurable() -> None:
    """Ratio 1.6 is normal in 0.26-1.65: nothing is measurable, marrow 20% < 30% -> NE."""
    row = FLC_ONLY | {
        "flc_ratio_baseline": 1.6,
        "marrow_pc_baseline_pct": 20.0,
        "marrow_pc_nadir_pct": 5.0,
        "marrow_pc_pct": 5.0,
    }
    assert category(row) == "NE"
    assert category(row | {"flc_ratio_upper": 1.5}) == "PR"


def test_marrow_branch_only_when_serum_urine_and_flc_are_not_measurable() -> None:
    # -62.5% from a baseline >= 30%; the nadir is the baseline (no PD by marrow)
    marrow = {"marrow_pc_baseline_pct": 40.0, "marrow_pc_nadir_pct": 40.0, "marrow_pc_pct": 15.0}
    not_measurable_flc = FLC_ONLY | {"flc_involved_baseline_mg_dl": 9.0} | marrow
    assert category(not_measurable_flc | {"flc_involved_mg_dl": 9.0}) == "PR"
    with_flc = FLC_ONLY | marrow | {"flc_involved_mg_dl": 26.0}  # FLC measurable, dFLC -49%
    assert category(with_flc) == "SD"


# ---------------------------------------------------------------------------- missing inputs
EXAMPLE_1 = EXAMPLES[0].values[1] | EXAMPLES[0].values[0]


@pytest.mark.parametrize(
    "blocking",
    ["urine_m_mg_24h", "serum_m_g_dl", "imaging_progression", "plasmacytoma_baseline"],
)
def test_a_blocking_unknown_input_is_named(blocking: str) -> None:
    result = assess([EXAMPLE_1 | {blocking: None}])[0]
    assert result["category"] == NC
    assert f"{FRAME}.{blocking}" in result["missing_inputs"]
    assert result["points"] is None


def test_unknown_inputs_that_cannot_change_the_category_are_ignored() -> None:
    """Example 1 leaves IFE (M-protein on electrophoresis), marrow, FLC and IHC unknown."""
    unknown = [name for name in SCHEMA if name not in EXAMPLE_1]
    assert {"serum_ife_positive", "marrow_pc_pct", "flc_ratio", "clonal_pc_ihc"} <= set(unknown)
    assert category(EXAMPLE_1) == "PR"


def test_registered_with_the_pinned_criteria_version() -> None:
    score = REGISTRY.get("imwg_assessment")
    assert score.version == "imwg_2016"
    assert score.categories == ("PD", "SD", "MR", "PR", "VGPR", "CR", "sCR", "NE")
    assert set(score.inputs) == {f"{FRAME}.{name}" for name in SCHEMA}
    out = REGISTRY.compute(pl.DataFrame([EXAMPLE_1], schema=SCHEMA).lazy(), ["imwg_2016"])
    assert out.collect().get_column("imwg_2016").struct.field("category").item() == "PR"


def test_a_cohort_distribution_refuses_the_per_assessment_inputs() -> None:
    with pytest.raises(AnalysisError, match=r"cannot be used on a cohort: .* does not store"):
        score_attributes(REGISTRY.get("imwg_2016"))


# -------------------------------------------------------------------------------- properties
def amount(high: float, *edges: float) -> st.SearchStrategy[float]:
    return st.one_of(st.sampled_from([0.0, *edges]), st.floats(0, high, allow_nan=False))


@st.composite
def known_rows(draw: st.DrawFn, *, measurable_serum: bool = False) -> dict[str, Any]:
    """A fully known, consistent assessment (a negative IFE has no M-protein on electrophoresis)."""
    serum = draw(amount(8, 0.5, 5.0))
    urine = draw(amount(2000, 100.0, 200.0))
    row: dict[str, Any] = {
        "serum_m_baseline_g_dl": draw(
            st.floats(1, 8, allow_nan=False) if measurable_serum else amount(8, 1.0)
        ),
        "serum_m_g_dl": serum,
        "serum_m_nadir_g_dl": draw(amount(8, 0.5, 5.0)),
        "urine_m_baseline_mg_24h": draw(amount(2000, 200.0)),
        "urine_m_mg_24h": urine,
        "urine_m_nadir_mg_24h": draw(amount(2000, 200.0)),
        "serum_ife_positive": serum > 0 or draw(st.booleans()),
        "urine_ife_positive": urine > 0 or draw(st.booleans()),
        "flc_involved_baseline_mg_dl": draw(amount(200, 10.0)),
        "flc_uninvolved_baseline_mg_dl": draw(amount(5)),
        "flc_ratio_baseline": draw(st.sampled_from([0.1, 0.9, 1.65, 20.0])),
        "flc_involved_mg_dl": draw(amount(200, 10.0)),
        "flc_uninvolved_mg_dl": draw(amount(5)),
        "dflc_nadir_mg_dl": draw(st.one_of(st.just(-2.0), amount(200))),
        "flc_ratio": draw(st.sampled_from([0.1, 0.26, 0.9, 1.65, 20.0])),
        "marrow_pc_baseline_pct": draw(amount(100, 30.0)),
        "marrow_pc_pct": draw(amount(100, 5.0, 10.0)),
        "marrow_pc_nadir_pct": draw(amount(100)),
        "clonal_pc_ihc": draw(st.booleans()),
        "plasmacytoma_baseline": draw(st.booleans()),
        "plasmacytoma_reduction_pct": draw(st.sampled_from([0.0, 25.0, 50.0, 99.0, 100.0])),
        "imaging_progression": draw(st.booleans()),
        "circulating_pc_progression": draw(st.booleans()),
    }
    return row | LAB_RANGE


@settings(max_examples=30, deadline=None)
@given(
    batch=st.lists(
        st.tuples(known_rows(measurable_serum=True), st.floats(0, 1, allow_nan=False)),
        min_size=1,
        max_size=25,
    )
)
def test_deeper_serum_reduction_never_gives_a_shallower_category(
    batch: list[tuple[dict[str, Any], float]],
) -> None:
    before = [row for row, _ in batch]
    after = [row | {"serum_m_g_dl": row["serum_m_g_dl"] * factor} for row, factor in batch]
    pairs = zip(assess(before), assess(after), strict=True)
    for old, new in pairs:
        if "PD" in (old["category"], new["category"]):
            continue
        assert RANKS[new["category"]] >= RANKS[old["category"]]


@settings(max_examples=30, deadline=None)
@given(
    batch=st.lists(st.tuples(known_rows(), st.sampled_from(list(SCHEMA))), min_size=1, max_size=25)
)
def test_filling_a_missing_input_only_keeps_or_resolves_not_classifiable(
    batch: list[tuple[dict[str, Any], str]],
) -> None:
    filled = assess([row for row, _ in batch])
    blanked = assess([row | {name: None} for row, name in batch])
    for full, partial, (_, name) in zip(filled, blanked, batch, strict=True):
        assert full["category"] != NC
        assert partial["category"] in (full["category"], NC)
        expected_missing = [f"{FRAME}.{name}"] if partial["category"] == NC else []
        assert partial["missing_inputs"] == expected_missing
