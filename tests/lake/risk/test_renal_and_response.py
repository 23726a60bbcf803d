"""Cockcroft-Gault, CKD-EPI 2021 (01-myeloma.md §1.5) and the IMWG response rank (§1.4)."""

from __future__ import annotations

import polars as pl
import pytest

from lake.risk.ckd_epi import ckd_epi
from lake.risk.cockcroft_gault import cockcroft_gault
from lake.risk.imwg_response import best_response_over_lines, imwg_response
from tests.lake.risk.helpers import cohort, evaluate

NC = "NOT_CLASSIFIABLE"


@pytest.mark.parametrize(
    ("age", "sex", "weight", "creatinine", "expected"),
    [
        pytest.param(65, "M", 70, 1.0, (72.9, "AT_LEAST_40"), id="1"),
        pytest.param(65, "F", 70, 1.0, (62.0, "AT_LEAST_40"), id="2"),
        pytest.param(75, "F", 60, 2.0, (23.0, "BELOW_40"), id="3"),
        pytest.param(50, "M", 80, 0.8, (125.0, "AT_LEAST_40"), id="4"),
        pytest.param(65, "M", 70, 150 / 88.4, (43.0, "AT_LEAST_40"), id="5-150umol/L"),
    ],
)
def test_cockcroft_gault_worked_examples(
    age: float, sex: str, weight: float, creatinine: float, expected: tuple[float, str]
) -> None:
    row = {"age_at_diagnosis": age, "sex": sex, "weight_kg": weight, "creatinine_mg_dl": creatinine}
    result = evaluate(cockcroft_gault(), row)
    assert (round(result["points"], 1), result["category"]) == expected


def test_cockcroft_gault_cut_off_is_strict() -> None:
    """(140-68)*40/(72*1.0) = 40.0 exactly: not below 40."""
    row = {"age_at_diagnosis": 68, "sex": "M", "weight_kg": 40, "creatinine_mg_dl": 1.0}
    assert evaluate(cockcroft_gault(), row)["category"] == "AT_LEAST_40"


def test_cockcroft_gault_missing_weight() -> None:
    row = {"age_at_diagnosis": 60, "sex": "M", "weight_kg": None, "creatinine_mg_dl": 1.0}
    result = evaluate(cockcroft_gault(), row)
    assert result == {"category": NC, "points": None, "missing_inputs": ["baseline.weight_kg"]}


@pytest.mark.parametrize(
    ("creatinine", "age", "sex", "expected", "category"),
    [
        pytest.param(1.0, 65, "M", 83.5, "G2", id="1"),
        pytest.param(1.0, 65, "F", 62.5, "G2", id="2"),
        pytest.param(0.6, 40, "F", 116.3, "G1", id="3"),
        pytest.param(2.0, 75, "M", 34.2, "G3b", id="4"),
        pytest.param(1.3, 80, "F", 41.6, "G3b", id="5"),
    ],
)
def test_ckd_epi_worked_examples(
    creatinine: float, age: float, sex: str, expected: float, category: str
) -> None:
    row = {"creatinine_mg_dl": creatinine, "age_at_diagnosis": age, "sex": sex}
    result = evaluate(ckd_epi(), row)
    assert round(result["points"], 1) == expected
    assert result["category"] == category


def test_ckd_epi_not_applicable_to_children() -> None:
    row = {"creatinine_mg_dl": 0.5, "age_at_diagnosis": 12, "sex": "F"}
    assert evaluate(ckd_epi(), row)["category"] == "NOT_APPLICABLE"


@pytest.mark.parametrize(
    ("response", "rank", "category"),
    [("PD", 1, "PD"), ("PR", 4, "PR"), ("sCR", 7, "sCR"), ("NE", None, NC), (None, None, NC)],
)
def test_imwg_rank(response: str | None, rank: int | None, category: str) -> None:
    result = evaluate(imwg_response(), {"best_response": response})
    assert (result["points"], result["category"]) == (rank, category)


def test_best_response_over_lines_is_kleene_max() -> None:
    lines = cohort(
        [
            {"patient_id": "a", "best_response": "PR"},
            {"patient_id": "a", "best_response": "VGPR"},
            {"patient_id": "b", "best_response": "sCR"},
            {"patient_id": "b", "best_response": "NE"},  # nothing beats sCR
            {"patient_id": "c", "best_response": "CR"},
            {"patient_id": "c", "best_response": None},  # could have been sCR
        ]
    )
    best = best_response_over_lines(lines.lazy()).sort("patient_id").collect()
    assert best.get_column("best_response").cast(pl.String).to_list() == ["VGPR", "sCR", NC]
    assert best.get_column("rank").to_list() == [5, 7, None]
