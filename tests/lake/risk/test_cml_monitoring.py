"""Molecular response levels (03-cml.md §3.6 examples) and ELN 2020 TKI-stop tiers (§3.7)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from lake.risk.molecular_response import molecular_response
from lake.risk.tki_stop import tki_stop

NC = "NOT_CLASSIFIABLE"


def sample(is_pct: float | None, copies: int | None) -> pl.DataFrame:
    return pl.DataFrame(
        {"detectable": [is_pct is not None], "is_pct": [is_pct], "abl1_copies": [copies]},
        schema={"detectable": pl.Boolean, "is_pct": pl.Float64, "abl1_copies": pl.Int64},
    )


@pytest.mark.parametrize(
    ("is_pct", "copies", "expected"),
    [
        (0.05, 50_000, "MMR"),
        (0.008, 40_000, "MR4"),
        (0.002, 50_000, "MR4.5"),
        (None, 40_000, "MR4.5"),  # undetectable
        (None, 12_000, "MR4"),
        (None, 8_000, "INDETERMINATE"),
        (0.1, 1_000, "MMR"),  # boundary <= 0.1%, copies irrelevant when detectable
        (0.1, None, "MMR"),
        (0.2, 50_000, "NONE"),
        (None, None, NC),  # undetectable without sensitivity
    ],
)
def test_molecular_response_examples(
    is_pct: float | None, copies: int | None, expected: str
) -> None:
    frame = sample(is_pct, copies)
    result = molecular_response().apply(frame, "s").select("s").unnest("s").row(0, named=True)
    assert result["category"] == expected


def test_log_reduction_points() -> None:
    frame = sample(0.001, 50_000)
    result = molecular_response().apply(frame, "s").select("s").unnest("s").row(0, named=True)
    assert result["points"] == pytest.approx(5.0)


ELIGIBLE: dict[str, Any] = {
    "cml_phase": "chronic",
    "bcr_abl1_transcript": "e14a2",
    "tki_line": 1,
    "switched_for_intolerance_only": None,
    "second_generation_tki": False,
    "tki_years": 6.0,
    "mr4_years": 2.5,
    "mr45_years": 1.0,
    "prior_treatment_failure": False,
}


def tki_row(**changes: Any) -> dict[str, Any]:
    return ELIGIBLE | changes


def evaluate_tki(row: dict[str, Any]) -> dict[str, Any]:
    schema = {
        "cml_phase": pl.String, "bcr_abl1_transcript": pl.String, "tki_line": pl.Int16,
        "switched_for_intolerance_only": pl.Boolean, "second_generation_tki": pl.Boolean,
        "tki_years": pl.Float64, "mr4_years": pl.Float64, "mr45_years": pl.Float64,
        "prior_treatment_failure": pl.Boolean,
    }  # fmt: skip
    frame = pl.DataFrame([row], schema=schema)
    result: dict[str, Any] = tki_stop().apply(frame, "s").select("s").unnest("s").row(0, named=True)
    return result


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        pytest.param(tki_row(), "MINIMAL", id="6y-TKI-2.5y-MR4"),
        pytest.param(tki_row(mr4_years=3.5), "OPTIMAL", id="MR4-over-3y"),
        pytest.param(tki_row(mr45_years=2.5), "OPTIMAL", id="MR4.5-over-2y"),
        pytest.param(tki_row(tki_years=4.5), "NOT_ELIGIBLE", id="imatinib-4.5y"),
        pytest.param(tki_row(tki_years=4.5, second_generation_tki=True), "MINIMAL", id="2G-4.5y"),
        pytest.param(
            tki_row(tki_years=4.5, second_generation_tki=True, mr4_years=3.5),
            "MINIMAL",
            id="optimal-needs-5y",
        ),
        pytest.param(tki_row(bcr_abl1_transcript="atypical"), "NOT_ELIGIBLE", id="atypical"),
        pytest.param(
            tki_row(tki_line=2, switched_for_intolerance_only=True), "MINIMAL", id="2L-intol"
        ),
        pytest.param(
            tki_row(tki_line=2, switched_for_intolerance_only=False),
            "NOT_ELIGIBLE",
            id="2L-resistance",
        ),
        pytest.param(tki_row(prior_treatment_failure=True), "NOT_ELIGIBLE", id="failure"),
        pytest.param(tki_row(cml_phase="accelerated"), "NOT_ELIGIBLE", id="not-chronic"),
        pytest.param(tki_row(mr4_years=1.5), "NOT_ELIGIBLE", id="DMR-1.5y"),
    ],
)
def test_tki_stop_tiers(row: dict[str, Any], expected: str) -> None:
    assert evaluate_tki(row)["category"] == expected


def test_tki_stop_unknowns() -> None:
    """Only inputs that could change the tier are named (03-cml.md §3.7 minimal criteria).

    A first-line patient: whether a switch was for intolerance only concerns second-line TKIs,
    so the unknown switch reason is not named, only the untested transcript.
    """
    blocked = evaluate_tki(tki_row(bcr_abl1_transcript="not_tested"))
    assert (blocked["category"], blocked["missing_inputs"]) == (
        NC,
        ["genetics.bcr_abl1_transcript"],
    )
    second_line = evaluate_tki(tki_row(tki_line=2, bcr_abl1_transcript="not_tested"))
    assert second_line["missing_inputs"] == [
        "genetics.bcr_abl1_transcript",
        "tki_stop_inputs.switched_for_intolerance_only",
    ]
    # A known failure settles it whatever else is unknown.
    assert evaluate_tki(tki_row(prior_treatment_failure=True, mr4_years=None))["category"] == (
        "NOT_ELIGIBLE"
    )
