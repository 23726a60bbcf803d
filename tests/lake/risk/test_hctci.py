"""HCT-CI: every worked example of 04-transplant.md §4.2."""

from __future__ import annotations

import pytest

from lake.risk.hctci import INPUTS, hctci
from tests.lake.risk.helpers import evaluate

ALL_ABSENT = {i.column: "absent" for i in INPUTS}


@pytest.mark.parametrize(
    ("present", "not_tested", "expected"),
    [
        pytest.param((), (), (0, 0, 0, "LOW"), id="1-none"),
        pytest.param(("diabetes", "obesity"), (), (2, 2, 2, "INTERMEDIATE"), id="2-insulin-bmi37"),
        pytest.param(("prior_solid_tumour",), (), (3, 3, 3, "HIGH"), id="3-breast-cancer"),
        pytest.param(
            ("pulmonary_moderate", "renal_moderate_severe", "psychiatric"),
            (),
            (5, 5, 5, "HIGH"),
            id="4-fev1-70-creat-2.4-depression",
        ),
        pytest.param(
            ("hepatic_mild", "hepatic_moderate_severe"), (), (3, 3, 3, "HIGH"), id="5-hepatic-once"
        ),
        pytest.param(("cardiac", "heart_valve_disease"), (), (4, 4, 4, "HIGH"), id="6-cad-valve"),
        pytest.param(
            ("psychiatric",),
            ("pulmonary_moderate", "pulmonary_severe"),
            (None, 1, 4, "NOT_CLASSIFIABLE"),
            id="7-pft-not-done",
        ),
    ],
)
def test_hctci_worked_examples(
    present: tuple[str, ...], not_tested: tuple[str, ...], expected: tuple[object, ...]
) -> None:
    row = {
        **ALL_ABSENT,
        **dict.fromkeys(present, "present"),
        **dict.fromkeys(not_tested, "not_tested"),
    }
    result = evaluate(hctci(), row)
    got = (result["points"], result["points_min"], result["points_max"], result["category"])
    assert got == expected
    expected_missing = [f"comorbidities.{n}" for n in not_tested]
    assert result["missing_inputs"] == (
        expected_missing if expected[3] == "NOT_CLASSIFIABLE" else []
    )


def test_known_high_regardless_of_unknowns() -> None:
    row = {i.column: "not_tested" for i in INPUTS} | {"prior_solid_tumour": "present"}
    assert evaluate(hctci(), row)["category"] == "HIGH"
