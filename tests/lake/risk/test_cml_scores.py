"""Sokal, Hasford, EUTOS and ELTS: every worked example of 03-cml.md §3.5, plus C1 bounds."""

from __future__ import annotations

from typing import Any

import pytest

from lake.risk.elts import elts
from lake.risk.eutos import eutos
from lake.risk.hasford import hasford
from lake.risk.sokal import sokal
from tests.lake.risk.helpers import evaluate

NC = "NOT_CLASSIFIABLE"


def cml(**values: float | None) -> dict[str, Any]:
    names = {
        "age": "age_at_diagnosis",
        "spleen": "spleen_cm",
        "platelets": "platelets_10e9_l",
        "blasts": "pb_blasts_pct",
        "eos": "eosinophils_pct",
        "baso": "basophils_pct",
    }
    return {"cml_phase": "chronic", **{names[k]: v for k, v in values.items()}}


@pytest.mark.parametrize(
    ("age", "spleen", "platelets", "blasts", "expected"),
    [
        (45, 0, 250, 1, (0.6571, "LOW")),
        (60, 5, 450, 2, (1.0714, "INTERMEDIATE")),
        (70, 12, 900, 4, (2.3093, "HIGH")),
        (35, 0, 180, 0.5, (0.5533, "LOW")),
        (55, 3, 600, 2.1, (1.0113, "INTERMEDIATE")),
    ],
)
def test_sokal_worked_examples(
    age: float, spleen: float, platelets: float, blasts: float, expected: tuple[float, str]
) -> None:
    row = cml(age=age, spleen=spleen, platelets=platelets, blasts=blasts)
    result = evaluate(sokal(), row)
    assert (round(result["points"], 4), result["category"]) == expected


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ((45, 0, 1, 2, 1, 250), (141.0, "LOW")),
        ((60, 5, 2, 3, 3, 450), (1321.2, "INTERMEDIATE")),
        ((70, 12, 4, 5, 6, 1600), (2910.2, "HIGH")),
        ((50, 10, 5, 6, 2, 800), (1626.4, "HIGH")),
    ],
)
def test_hasford_worked_examples(
    inputs: tuple[float, float, float, float, float, float], expected: tuple[float, str]
) -> None:
    age, spleen, blasts, eos, baso, platelets = inputs
    row = cml(age=age, spleen=spleen, blasts=blasts, eos=eos, baso=baso, platelets=platelets)
    result = evaluate(hasford(), row)
    assert (round(result["points"], 1), result["category"]) == expected


@pytest.mark.parametrize(
    ("baso", "spleen", "expected"),
    [
        (2, 0, (14, "LOW")),
        (5, 10, (75, "LOW")),
        (3, 16, (85, "LOW")),
        (10, 5, (90, "HIGH")),
        (9, 7, (91, "HIGH")),
        (5, 13, (87, "LOW")),  # boundary 87 -> low
        (4, 15, (88, "HIGH")),  # 88 -> high
    ],
)
def test_eutos_worked_examples(baso: float, spleen: float, expected: tuple[float, str]) -> None:
    result = evaluate(eutos(), cml(baso=baso, spleen=spleen))
    assert (result["points"], result["category"]) == expected


@pytest.mark.parametrize(
    ("age", "spleen", "blasts", "platelets", "expected"),
    [
        (45, 0, 1, 250, (1.1538, "LOW")),
        (35, 0, 0.5, 180, (1.1271, "LOW")),
        (60, 5, 2, 450, (1.6697, "INTERMEDIATE")),
        (70, 12, 4, 900, (2.4489, "HIGH")),
        (80, 2, 1, 300, (2.2575, "HIGH")),
    ],
)
def test_elts_worked_examples(
    age: float, spleen: float, blasts: float, platelets: float, expected: tuple[float, str]
) -> None:
    row = cml(age=age, spleen=spleen, blasts=blasts, platelets=platelets)
    result = evaluate(elts(), row)
    assert (round(result["points"], 4), result["category"]) == expected


def test_unknown_input_bounded_by_valid_range() -> None:
    """EUTOS, basophils 13%: 91 + 4 x spleen (0..40 cm) >= 91 > 87 -> HIGH, score not computable."""
    result = evaluate(eutos(), cml(baso=13, spleen=None))
    assert (result["category"], result["points"], result["points_min"]) == ("HIGH", None, 91)
    assert result["missing_inputs"] == []


def test_unknown_input_that_matters_blocks() -> None:
    result = evaluate(eutos(), cml(baso=2, spleen=None))
    assert result["category"] == NC
    assert result["missing_inputs"] == ["baseline.spleen_cm"]


@pytest.mark.parametrize(("phase", "expected"), [("blast", "NOT_APPLICABLE"), (None, NC)])
def test_chronic_phase_only(phase: str | None, expected: str) -> None:
    row = {**cml(baso=2, spleen=0), "cml_phase": phase}
    assert evaluate(eutos(), row)["category"] == expected
