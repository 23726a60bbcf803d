"""Unit conversions against 01-myeloma.md §1.0 and their algebraic properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lake.model import BASELINE
from loaders.units import accepted_units, conversion_factor, normalise_unit

col = BASELINE.column


@pytest.mark.parametrize(
    ("column", "unit", "reported", "canonical"),
    [
        # 01-myeloma.md §1.0 and §1.1 worked example 5: 254 nmol/L = 2.999 mg/L
        ("beta2m_mg_l", "nmol/L", 254.0, 254 / 84.7),
        ("beta2m_mg_l", "µg/mL", 3.5, 3.5),
        ("beta2m_mg_l", "ug/mL", 3.5, 3.5),
        ("beta2m_mg_l", "mg/dL", 0.55, 5.5),
        # §1.1 example 3: 40 g/L = 4.0 g/dL
        ("albumin_g_dl", "g/L", 40.0, 4.0),
        ("ldh_u_l", "µkat/L", 4.0, 240.0),
        ("creatinine_mg_dl", "µmol/L", 88.4, 1.0),
        ("creatinine_mg_dl", "umol/L", 176.8, 2.0),
        ("weight_kg", "lb", 100.0, 45.36),
        ("platelets_10e9_l", "10^3/µL", 250.0, 250.0),
        ("platelets_10e9_l", "/µL", 250_000.0, 250.0),
        ("wbc_10e9_l", "x10^9/L", 7.5, 7.5),
        ("hemoglobin_g_dl", "g/L", 120.0, 12.0),
        ("hemoglobin_g_dl", "mmol/L", 8.0, 8.0 * 1.611),
    ],
)
def test_documented_conversions(column: str, unit: str, reported: float, canonical: float) -> None:
    assert reported * conversion_factor(col(column), unit) == pytest.approx(canonical, rel=1e-12)


def test_beta2m_thresholds_match_the_documented_molar_values() -> None:
    # §1.0: 3.5 mg/L ≈ 296 nmol/L and 5.5 mg/L ≈ 466 nmol/L
    factor = conversion_factor(col("beta2m_mg_l"), "nmol/L")
    assert 296 * factor == pytest.approx(3.5, abs=0.01)
    assert 466 * factor == pytest.approx(5.5, abs=0.01)


@pytest.mark.parametrize(
    ("column", "unit"),
    [("albumin_g_dl", "U/L"), ("ldh_u_l", "mg/dL"), ("beta2m_mg_l", "µmol/L"), ("weight_kg", "cm")],
)
def test_incompatible_unit_is_refused_with_the_accepted_list(column: str, unit: str) -> None:
    with pytest.raises(ValueError, match="accepted units"):
        conversion_factor(col(column), unit)


def test_unitless_column_refuses_a_unit() -> None:
    with pytest.raises(ValueError, match="unitless"):
        conversion_factor(BASELINE.column("site"), "mg/L")


@pytest.mark.parametrize("spelling", ["µg/mL", "μg/mL", "ug/ml", "mcg/mL", " UG / ML "])
def test_micro_spellings_are_equivalent(spelling: str) -> None:
    assert normalise_unit(spelling) == "ug/ml"


_units = st.sampled_from(
    [(c.name, u) for c in BASELINE.columns if c.unit is not None for u in accepted_units(c)]
)
_values = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False)


@given(_units, _values)
def test_round_trip_through_the_canonical_unit(target: tuple[str, str], value: float) -> None:
    factor = conversion_factor(col(target[0]), target[1])
    assert (value * factor) / factor == pytest.approx(value, rel=1e-12)


@given(_units, _values, _values)
def test_conversion_is_strictly_monotonic(target: tuple[str, str], a: float, b: float) -> None:
    factor = conversion_factor(col(target[0]), target[1])
    assert factor > 0
    if a < b:
        assert a * factor < b * factor


@given(_units)
def test_canonical_unit_converts_with_factor_one(target: tuple[str, str]) -> None:
    column = col(target[0])
    assert column.unit is not None
    assert conversion_factor(column, column.unit) == 1.0
