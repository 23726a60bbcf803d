"""Render a site's export frames from the truth and the site's file profiles.

Each export column is one Polars expression over the harmonised source: renamed, recoded to the
site's spelling, converted to the site's unit, dates formatted with the file's pattern, numbers
written with the site's decimal mark and missing values spelled one of the site's ways. Parquet
keeps numbers typed; every other value is text, as site exports are.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl
from lake.model import PATIENTS, TABLES_BY_NAME, Column

from loaders.spec_targets import EVENT_ATTRIBUTES
from loaders.synthetic.profile import Col, FileProfile
from loaders.synthetic.truth import Truth

#: Multiplier from the canonical unit to a site unit, per (model column, site unit).
SITE_UNIT_FACTORS: Final[dict[tuple[str, str], float]] = {
    ("beta2m_mg_l", "nmol/L"): 84.7,
    ("beta2m_mg_l", "mg/dL"): 0.1,
    ("albumin_g_dl", "g/L"): 10.0,
    ("creatinine_mg_dl", "µmol/L"): 88.4,
    ("hemoglobin_g_dl", "g/L"): 10.0,
    ("hemoglobin_g_dl", "mmol/L"): 1 / 1.611,
    ("platelets_10e9_l", "/µL"): 1000.0,
    ("wbc_10e9_l", "/µL"): 1000.0,
    ("weight_kg", "lb"): 1 / 0.4536,
}
PER_PATIENT_TABLES: Final = ("patients", "baseline", "genetics", "comorbidities")


def model_column(col: Col) -> Column:
    """The harmonised column an export column maps to (events for ``event`` columns)."""
    if col.event is not None:
        return TABLES_BY_NAME["events"].column(col.attribute or "event_date")
    if col.to is None:
        raise ValueError(f"export column {col.source!r} maps to nothing")
    table, name = col.to.split(".")
    return TABLES_BY_NAME[table].column(name)


def source_name(col: Col) -> str:
    """Name of ``col``'s harmonised value in :func:`harmonised_source`."""
    if col.event is not None:
        return f"{col.event}:{col.attribute or 'event_date'}"
    return (col.to or "").split(".")[1]


def site_factor(col: Col) -> float:
    """Canonical -> site unit multiplier of ``col`` (1 when reported canonically)."""
    if col.unit is None:
        return 1.0
    return SITE_UNIT_FACTORS[(model_column(col).name, col.unit)]


def harmonised_source(truth: Truth, file: FileProfile) -> pl.DataFrame:
    """The harmonised rows a file renders: joined per-patient tables or one multi-row table."""
    if file.table is not None:
        frame = truth.tables[file.table]
        if file.event_types is not None:
            frame = frame.filter(pl.col("event_type").is_in(list(file.event_types)))
        return frame
    frame = truth.tables["patients"]
    for name in PER_PATIENT_TABLES[1:]:
        if name in truth.tables:
            other = truth.tables[name].drop("site")
            frame = frame.join(other, on="patient_id", how="left", maintain_order="left")
    for event in sorted({c.event for c in file.columns if c.event is not None}):
        rows = truth.tables["events"].filter(pl.col("event_type") == event)
        picked = rows.select(
            "patient_id",
            *(pl.col(a).alias(f"{event}:{a}") for a in ("event_date", *EVENT_ATTRIBUTES)),
        )
        frame = frame.join(picked, on="patient_id", how="left", maintain_order="left")
    return frame


def render_frame(truth: Truth, file: FileProfile, rng: np.random.Generator) -> pl.DataFrame:
    """The export frame of ``file``: id column first, then the profile's columns."""
    source = harmonised_source(truth, file)
    _check_constants(source, file)
    exprs = [pl.col("patient_id").alias(file.id_column)]
    exprs += [render_column(col, file) for col in file.columns]
    frame = source.select(exprs)
    if file.format == "parquet":
        return frame
    return frame.with_columns(
        _spell_missing(frame[c.source], file.missing, rng) for c in file.columns
    )


def render_column(col: Col, file: FileProfile) -> pl.Expr:
    """One export column as an expression over the harmonised source."""
    column = model_column(col)
    value = pl.col(source_name(col))
    dtype = column.dtype
    if dtype == pl.Date():
        return value.dt.strftime(file.date_format).alias(col.source)
    if isinstance(dtype, pl.List):
        inverse = _inverse(col)
        items = value.list.eval(pl.element().replace_strict(inverse, return_dtype=pl.String))
        return items.list.join(col.split or "+").alias(col.source)
    if dtype == pl.Boolean():
        text = value.cast(pl.String).str.to_lowercase()
        return text.replace_strict(_inverse(col), default=None).alias(col.source)
    if col.codes is not None:
        return value.replace_strict(_inverse(col), default=None).alias(col.source)
    if dtype == pl.Float64():
        number = (value * site_factor(col)).round(col.decimals)
        if file.format == "parquet":
            return number.alias(col.source)
        text = number.cast(pl.String)
        if file.decimal_comma:
            text = text.str.replace(".", ",", literal=True)
        return text.alias(col.source)
    return value.cast(pl.String).alias(col.source)


def _inverse(col: Col) -> dict[str, str]:
    """Harmonised code -> the site's first spelling of it (booleans as ``true``/``false``)."""
    inverse: dict[str, str] = {}
    for spelling, code in (col.codes or {}).items():
        key = str(code).lower() if isinstance(code, bool) else code
        inverse.setdefault(key, spelling)
    return inverse


def _spell_missing(
    series: pl.Series, missing: tuple[str, ...], rng: np.random.Generator
) -> pl.Series:
    """Nulls become the file's missing spellings, chosen at random per cell."""
    nulls = series.is_null().to_numpy()
    spellings = pl.Series(list(missing), dtype=pl.String)
    choice = spellings.gather(pl.Series(rng.integers(0, len(missing), int(nulls.sum()))))
    return series.cast(pl.String).scatter(np.flatnonzero(nulls), choice)


def _check_constants(source: pl.DataFrame, file: FileProfile) -> None:
    """A constant must hold for every row of the truth it stands for."""
    for target, value in file.constants.items():
        table, name = target.split(".")
        if table != "patients" or name not in PATIENTS.schema:
            raise ValueError(f"constant {target} is not a patients column")
        values = source[name].unique().to_list()
        if values != [value]:
            raise ValueError(f"constant {target}={value!r} contradicts the truth {values[:3]}")
