"""ISS, R-ISS, R2-ISS, cytogenetic risk and LDH: every worked example of 01-myeloma.md §1.1-1.3."""

from __future__ import annotations

from typing import Any

import pytest

from lake.risk.iss import iss
from lake.risk.ldh import ldh_status
from lake.risk.mm_cytogenetics import mm_cytogenetic_risk
from lake.risk.r2iss import r2iss
from lake.risk.riss import riss
from tests.lake.risk.helpers import evaluate

NC = "NOT_CLASSIFIABLE"


@pytest.mark.parametrize(
    ("beta2m", "albumin", "expected"),
    [
        pytest.param(2.8, 4.0, "I", id="1"),
        pytest.param(2.8, 3.2, "II", id="2"),
        pytest.param(4.2, 40 / 10, "II", id="3-albumin-40g/L"),
        pytest.param(6.1, None, "III", id="4-albumin-missing"),
        pytest.param(254 / 84.7, 36 / 10, "I", id="5-254nmol/L-36g/L"),
        pytest.param(3.0, None, NC, id="6-albumin-missing"),
        pytest.param(5.5, 4.5, "III", id="7-boundary"),
    ],
)
def test_iss_worked_examples(beta2m: float, albumin: float | None, expected: str) -> None:
    result = evaluate(iss(), {"beta2m_mg_l": beta2m, "albumin_g_dl": albumin})
    assert result["category"] == expected
    assert (result["missing_inputs"] == ["baseline.albumin_g_dl"]) == (expected == NC)


def test_iss_beta2m_missing_names_only_beta2m() -> None:
    result = evaluate(iss(), {"beta2m_mg_l": None, "albumin_g_dl": 4.0})
    assert result == {"category": NC, "missing_inputs": ["baseline.beta2m_mg_l"]}


# ISS stage -> (beta2m mg/L, albumin g/dL) reproducing it.
ISS_INPUTS = {"I": (2.0, 4.0), "II": (4.0, 4.0), "III": (6.0, 4.0)}
LDH_INPUTS = {"normal": (150.0, 250.0), "high": (300.0, 250.0), "unknown": (None, 250.0)}


def mm_row(
    stage: str, ldh: str, *, del17p: str, t4_14: str, t14_16: str = "absent", gain1q: str = "absent"
) -> dict[str, Any]:
    beta2m, albumin = ISS_INPUTS[stage]
    ldh_value, uln = LDH_INPUTS[ldh]
    return {
        "beta2m_mg_l": beta2m,
        "albumin_g_dl": albumin,
        "ldh_u_l": ldh_value,
        "ldh_uln_u_l": uln,
        "del17p": del17p,
        "t4_14": t4_14,
        "t14_16": t14_16,
        "gain1q": gain1q,
    }


@pytest.mark.parametrize(
    ("stage", "ca", "ldh", "expected"),
    [
        pytest.param("I", "none", "normal", "I", id="1"),
        pytest.param("I", "none", "high", "II", id="2"),
        pytest.param("III", "t4_14", "normal", "III", id="3"),
        pytest.param("III", "none", "normal", "II", id="4"),
        pytest.param("II", "unknown", "unknown", "II", id="5"),
        pytest.param("I", "unknown", "normal", NC, id="6"),
        pytest.param("III", "unknown", "high", "III", id="7"),
    ],
)
def test_riss_worked_examples(stage: str, ca: str, ldh: str, expected: str) -> None:
    calls = {
        "none": ("absent", "absent", "absent"),
        "t4_14": ("absent", "present", "absent"),
        "unknown": ("not_tested", "not_tested", "not_tested"),
    }[ca]
    row = mm_row(stage, ldh, del17p=calls[0], t4_14=calls[1], t14_16=calls[2])
    result = evaluate(riss(), row)
    assert result["category"] == expected
    if expected == NC:
        assert result["missing_inputs"] == ["genetics.del17p", "genetics.t4_14", "genetics.t14_16"]
    else:
        assert result["missing_inputs"] == []


def test_riss_standard_risk_needs_t14_16_tested() -> None:
    row = mm_row("I", "normal", del17p="absent", t4_14="absent", t14_16="not_tested")
    assert evaluate(riss(), row)["missing_inputs"] == ["genetics.t14_16"]


@pytest.mark.parametrize(
    ("stage", "ldh", "fish", "expected"),
    [
        pytest.param("I", "normal", ("absent", "absent", "absent"), (0, 0, 0, "I"), id="1"),
        pytest.param("I", "normal", ("absent", "absent", "present"), (0.5, 0.5, 0.5, "II"), id="2"),
        pytest.param("II", "normal", ("absent", "absent", "absent"), (1, 1, 1, "II"), id="3"),
        pytest.param(
            "II", "normal", ("absent", "absent", "present"), (1.5, 1.5, 1.5, "III"), id="4"
        ),
        pytest.param("III", "high", ("present", "absent", "absent"), (3.5, 3.5, 3.5, "IV"), id="5"),
        pytest.param("I", "normal", ("absent", "absent", "not_tested"), (None, 0, 0.5, NC), id="6"),
        pytest.param(
            "III", "high", ("present", "absent", "not_tested"), (None, 3.5, 4, "IV"), id="7"
        ),
    ],
)
def test_r2iss_worked_examples(
    stage: str,
    ldh: str,
    fish: tuple[str, str, str],
    expected: tuple[float | None, float, float, str],
) -> None:
    """``fish`` = (del17p, t4_14, gain1q); ``expected`` = (points, min, max, group) from the doc."""
    del17p, t4_14, gain1q = fish
    row = mm_row(stage, ldh, del17p=del17p, t4_14=t4_14, t14_16="not_tested", gain1q=gain1q)
    result = evaluate(r2iss(), row)
    got = (result["points"], result["points_min"], result["points_max"], result["category"])
    assert got == expected


def test_r2iss_ignores_t14_16() -> None:
    """t(14;16) is not an R2-ISS item: untested or present, the stage is unchanged."""
    row = mm_row("I", "normal", del17p="absent", t4_14="absent", t14_16="present")
    assert evaluate(r2iss(), row)["category"] == "I"


def test_r2iss_unknown_iss_ranges_over_possible_stages() -> None:
    """β2M 3.0, albumin unknown: ISS I or II (0..1) + del(17p) (1) -> 1..2 points: II or III."""
    row = mm_row("I", "normal", del17p="present", t4_14="absent")
    row["albumin_g_dl"] = None
    row["beta2m_mg_l"] = 3.0
    result = evaluate(r2iss(), row)
    assert (result["points_min"], result["points_max"], result["category"]) == (1, 2, NC)
    assert result["missing_inputs"] == ["baseline.albumin_g_dl"]


@pytest.mark.parametrize(
    ("del17p", "t4_14", "t14_16", "expected"),
    [
        ("absent", "absent", "absent", "STANDARD"),
        ("present", "not_tested", "not_tested", "HIGH"),
        ("absent", "absent", "present", "HIGH"),
        ("absent", "not_tested", "absent", NC),
        (None, "absent", "absent", NC),
    ],
)
def test_cytogenetic_risk(del17p: str | None, t4_14: str, t14_16: str, expected: str) -> None:
    row = {"del17p": del17p, "t4_14": t4_14, "t14_16": t14_16}
    assert evaluate(mm_cytogenetic_risk(), row)["category"] == expected


@pytest.mark.parametrize(
    ("ldh", "uln", "expected", "ratio"),
    [
        (250.0, 250.0, "NORMAL", 1.0),  # equal to ULN is not above it
        (251.0, 250.0, "HIGH", 251 / 250),
        (300.0, None, NC, None),  # no ULN: never substitute a global constant (C3)
        (None, 250.0, NC, None),
    ],
)
def test_ldh_against_site_uln(
    ldh: float | None, uln: float | None, expected: str, ratio: float | None
) -> None:
    result = evaluate(ldh_status(), {"ldh_u_l": ldh, "ldh_uln_u_l": uln})
    assert result["category"] == expected
    assert result["points"] == ratio
