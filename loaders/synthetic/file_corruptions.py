"""The corruptions applicable to a rendered (non-OMOP) export file, derived from its profile."""

from __future__ import annotations

import numpy as np
import polars as pl

from loaders.synthetic.corrupt import (
    UNPARSEABLE,
    Corruption,
    Row,
    format_number,
    impossible_date,
    shifted_date,
    unknown_code,
)
from loaders.synthetic.profile import Col, FileProfile
from loaders.synthetic.render import model_column, site_factor


def file_corruptions(file: FileProfile, frame: pl.DataFrame) -> list[Corruption]:
    """Every corruption the columns of ``file`` allow, one per (kind, column)."""
    result = [Corruption("duplicate_id", file.id_column, lambda row, _rng: row[file.id_column])]
    for col in file.columns:
        column = model_column(col)
        dtype = column.dtype
        if dtype == pl.Date() and col.attribute is None and frame[col.source].dtype == pl.String:
            result.append(Corruption("impossible_date", col.source,
                                     lambda _row, rng: impossible_date(file.date_format, rng)))
        elif col.codes is not None and col.split is None:
            result.append(Corruption("unknown_code", col.source,
                                     unknown_code([*col.codes, *file.missing])))
        elif (dtype == pl.Float64() or dtype.is_integer()) and column.valid_range is not None:
            result.append(Corruption("out_of_range", col.source, _out_of_range(col, file)))
            if file.format != "parquet" and dtype == pl.Float64():
                result.append(Corruption("unparseable_number", col.source,
                                         lambda _row, rng: UNPARSEABLE[int(rng.integers(0, 4))]))
    death = _death_column(file)
    diagnosis = next((c.source for c in file.columns if c.to == "patients.diagnosis_date"), None)
    if death is not None and diagnosis is not None:
        result.append(Corruption("death_before_diagnosis", death, _before(diagnosis, file)))
    return result


def fresh_patient_id(original: object, j: int) -> object:
    """An id no real patient has: the original with a ``-B<n>`` suffix."""
    return f"{original}-B{j + 1}"


def _death_column(file: FileProfile) -> str | None:
    return next((c.source for c in file.columns if c.event == "death" and c.attribute is None),
                None)


def _out_of_range(col: Col, file: FileProfile):  # type: ignore[no-untyped-def]
    column = model_column(col)
    low, high = column.valid_range or (0.0, 0.0)
    factor = site_factor(col)
    integer = column.dtype.is_integer()

    def value(_row: Row, rng: np.random.Generator) -> object:
        canonical = high * 3 + 7 if rng.random() < 0.7 or low <= 0 else low / 10 - 1
        site_value = round(canonical * factor, 0 if integer else 2)
        if file.format == "parquet" and not integer:
            return site_value
        return format_number(site_value, decimal_comma=file.decimal_comma)

    return value


def _before(diagnosis: str, file: FileProfile):  # type: ignore[no-untyped-def]
    def value(row: Row, rng: np.random.Generator) -> object:
        return shifted_date(row[diagnosis], file.date_format, -int(rng.integers(10, 400)))

    return value
