"""The corruptions applicable to a rendered (non-OMOP) export file, derived from its profile."""

from __future__ import annotations

from functools import partial

import numpy as np
import polars as pl

from loaders.synthetic.corrupt import (
    UNPARSEABLE,
    Corruption,
    Row,
    ValueFn,
    format_number,
    impossible_date,
    shifted_date,
    unknown_code,
)
from loaders.synthetic.profile import Col, FileProfile
from loaders.synthetic.render import model_column, site_factor


def file_corruptions(file: FileProfile, frame: pl.DataFrame) -> list[Corruption]:
    """Every corruption the columns of ``file`` allow, one per (kind, column).

    Long files and the ``patients`` cells of wide files get extra bad rows. The other cells of
    a wide file (baseline, genetics, comorbidities, wide events) are spoiled *in place* in a
    real patient's row, because a loader quarantines per harmonised row: the patient stays and
    only the spoiled row (recorded as ``lost_table``) is missing from the accepted rows.
    """
    wide = file.table is None
    result = [_duplicate(file)]
    for col in file.columns:
        column = model_column(col)
        dtype = column.dtype
        table = "events" if col.event else (col.to or ".").split(".")[0]
        in_place = wide and table != "patients"
        rows = _event_rows(frame, file, col.event) if col.event is not None else None

        spoil = partial(
            Corruption, rows=rows, in_place=in_place, lost_table=table if in_place else None
        )
        if dtype == pl.Date() and frame[col.source].dtype == pl.String:
            result.append(spoil("impossible_date", col.source, _impossible(file.date_format)))
        elif col.codes is not None and col.split is None:
            result.append(
                spoil("unknown_code", col.source, unknown_code([*col.codes, *file.missing]))
            )
        elif (dtype == pl.Float64() or dtype.is_integer()) and column.valid_range is not None:
            result.append(spoil("out_of_range", col.source, _out_of_range(col, file)))
            if file.format != "parquet" and dtype == pl.Float64():
                result.append(spoil("unparseable_number", col.source, _unparseable))
    death = _death_column(file)
    diagnosis = next((c.source for c in file.columns if c.to == "patients.diagnosis_date"), None)
    entry = next((c.source for c in file.columns if c.to == "patients.registry_entry_date"), None)
    if entry is not None and diagnosis is not None:
        result.append(Corruption("entry_before_diagnosis", entry, _before(diagnosis, file)))
    if death is not None and diagnosis is not None:
        alive = np.flatnonzero(
            (frame[death].is_null() | frame[death].is_in(list(file.missing))).to_numpy()
        )
        result.append(
            Corruption(
                "death_before_diagnosis",
                death,
                _before(diagnosis, file),
                rows=alive,
                in_place=True,
            )
        )
    return result


def _event_rows(frame: pl.DataFrame, file: FileProfile, event: str) -> np.ndarray:
    """Rows whose wide ``event`` date is filled: only they have an event row to lose."""
    source = next(c.source for c in file.columns if c.event == event and c.attribute is None)
    cells = frame[source]
    return np.flatnonzero((cells.is_not_null() & ~cells.is_in(list(file.missing))).to_numpy())


def _impossible(date_format: str) -> ValueFn:
    def value(_row: Row, rng: np.random.Generator) -> object:
        return impossible_date(date_format, rng)

    return value


def _unparseable(_row: Row, rng: np.random.Generator) -> object:
    return UNPARSEABLE[int(rng.integers(0, len(UNPARSEABLE)))]


def _duplicate(file: FileProfile) -> Corruption:
    """A pair of rows sharing a key no real row has: a fresh id (wide files, renamed by the
    injector), a new line number, or the row's key date moved by 1-3 days."""
    by_target = {c.to: c.source for c in file.columns if c.to}
    line = by_target.get("treatment_lines.line_number")
    key_date = next(
        (
            by_target[t]
            for t in (
                "events.event_date",
                "transplants.transplant_date",
                "adverse_events.onset_date",
            )
            if t in by_target
        ),
        None,
    )

    def value(row: Row, rng: np.random.Generator) -> object:
        return row[file.id_column]

    def rewrite(row: Row, rng: np.random.Generator) -> Row:
        if line is not None:
            return row | {line: str(int(rng.integers(15, 21)))}
        if key_date is not None:
            days = int(rng.integers(1, 4))
            return row | {key_date: shifted_date(row[key_date], file.date_format, days)}
        return row

    return Corruption("duplicate_id", file.id_column, value, rewrite=rewrite)


def fresh_patient_id(original: object, j: int) -> object:
    """An id no real patient has: the original with a ``-B<n>`` suffix."""
    return f"{original}-B{j + 1}"


def _death_column(file: FileProfile) -> str | None:
    return next(
        (c.source for c in file.columns if c.event == "death" and c.attribute is None), None
    )


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
