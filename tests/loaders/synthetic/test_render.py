"""Rendering agrees with the loader's own parsing: units, decimal comma, codes, dates."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lake.model import TABLES_BY_NAME
from loaders.convert import to_number
from loaders.synthetic.profile import Col, FileProfile
from loaders.synthetic.render import SITE_UNIT_FACTORS, render_column
from loaders.units import conversion_factor


@pytest.mark.parametrize(("column", "unit"), sorted(SITE_UNIT_FACTORS))
def test_site_unit_factors_invert_the_loaders_conversion(column: str, unit: str) -> None:
    table = next(t for t in TABLES_BY_NAME.values() if column in t.schema)
    factor = conversion_factor(table.column(column), unit)
    assert factor * SITE_UNIT_FACTORS[(column, unit)] == pytest.approx(1.0, rel=1e-12)


def _file(*, decimal_comma: bool) -> FileProfile:
    return FileProfile(
        path="x.csv",
        format="csv",
        id_column="id",
        columns=(),
        date_format="%d/%m/%Y",
        missing=("",),
        decimal_comma=decimal_comma,
    )


@settings(derandomize=True, max_examples=200)
@given(
    hundredths=st.integers(min_value=10, max_value=40_000),
    unit=st.sampled_from(["nmol/L", "mg/dL", None]),
    decimal_comma=st.booleans(),
)
def test_beta2m_round_trips_through_the_site_unit(
    hundredths: int, unit: str | None, decimal_comma: bool
) -> None:
    value = hundredths / 100
    col = Col("b2m", to="baseline.beta2m_mg_l", unit=unit)
    text = (
        pl.DataFrame({"beta2m_mg_l": [value]})
        .select(render_column(col, _file(decimal_comma=decimal_comma)))
        .to_series()
    )
    factor = conversion_factor(TABLES_BY_NAME["baseline"].column("beta2m_mg_l"), unit or "mg/L")
    parsed = (
        pl.DataFrame({"t": text})
        .select(to_number(pl.col("t"), decimal_comma=decimal_comma, factor=factor))
        .item()
    )
    assert parsed == pytest.approx(value, abs=1e-9)


def test_codes_and_dates_render_in_the_site_spelling() -> None:
    frame = pl.DataFrame({"sex": ["M", "F", None], "diagnosis_date": [dt.date(2021, 3, 5)] * 3})
    file = _file(decimal_comma=True)
    sex = Col("sesso", to="patients.sex", codes={"Uomo": "M", "Donna": "F", "U": "M"})
    date = Col("data", to="patients.diagnosis_date")
    out = frame.select(render_column(sex, file), render_column(date, file))
    assert out["sesso"].to_list() == ["Uomo", "Donna", None]
    assert out["data"].to_list() == ["05/03/2021"] * 3
