"""The synthetic truth: harmonised frames (columns as ``lake/model.py``) plus latent groups.

A :class:`Truth` holds, per harmonised table, the rows a correct loader must produce for one site
(``patient_id`` here is the *site's* id, before pseudonymisation), and a ``groups`` frame with the
latent risk groups the hazards were planted on. Tables hold the model's columns in model order,
restricted to those the disease uses; a column a site does not export is simply not loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from lake.model import EVENTS, TABLES_BY_NAME

from loaders.synthetic.sampling import Codes, Days, Floats, date_series


@dataclass(frozen=True, slots=True)
class Truth:
    """Harmonised frames of one site plus its latent risk groups (one row per patient)."""

    tables: dict[str, pl.DataFrame]
    groups: pl.DataFrame

    @property
    def n_patients(self) -> int:
        """Number of patients."""
        return self.tables["patients"].height


def patient_ids(prefix: str, n: int, *, first: int = 1) -> pl.Series:
    """Site patient ids ``<prefix><zero-padded number>`` numbered from ``first``; the width
    fits ``n`` so ids sort like their numbers."""
    width = max(6, len(str(n)))
    numbers = pl.int_range(first, first + n, eager=True).cast(pl.String).str.zfill(width)
    return (prefix + numbers).alias("patient_id")


def conform(frame: pl.DataFrame, table_name: str) -> pl.DataFrame:
    """``frame`` with the model's dtypes and column order, keeping only columns it has."""
    schema = TABLES_BY_NAME[table_name].schema
    unknown = set(frame.columns) - set(schema)
    if unknown:
        raise KeyError(f"table {table_name} has no columns {sorted(unknown)}")
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items() if name in frame)


def patients_frame(
    ids: pl.Series,
    *,
    site: str,
    source_study: str | pl.Series,
    data_origin: str,
    disease: str,
    sex: pl.Series,
    birth_year: pl.Series | Codes,
    age_at_diagnosis: Floats,
    diagnosis: Days,
    **extra: pl.Series,
) -> pl.DataFrame:
    """The ``patients`` rows of one site: constants repeated per patient, then ``extra`` columns.

    ``source_study`` is either one study name for every patient or a per-patient series (pooled
    trials); the caller draws ``sex`` etc. so its random stream keeps its order.
    """
    n = ids.len()
    study = source_study if isinstance(source_study, pl.Series) else constant(source_study, n)
    return pl.DataFrame(
        {
            "patient_id": ids,
            "site": constant(site, n),
            "source_study": study,
            "data_origin": constant(data_origin, n),
            "sex": sex,
            "birth_year": birth_year,
            "age_at_diagnosis": age_at_diagnosis,
            "disease": constant(disease, n),
            "diagnosis_date": date_series(diagnosis),
            **extra,
        }
    )


def constant(value: str, n: int) -> pl.Series:
    """A String series holding ``value`` on each of ``n`` rows."""
    return pl.Series([value] * n, dtype=pl.String)


def event_rows(
    ids: pl.Series,
    site: str,
    event_type: str,
    days: Days,
    mask: np.ndarray,
    **attributes: pl.Series,
) -> pl.DataFrame:
    """Events of one type for the patients flagged in ``mask``; attributes are full-length."""
    index = np.flatnonzero(mask)
    columns: dict[str, pl.Series] = {
        "patient_id": ids.gather(index),
        "event_type": pl.Series([event_type] * index.size, dtype=pl.String),
        "event_date": date_series(days[index]),
        "_order": pl.Series(index, dtype=pl.Int64),
    }
    for name, series in attributes.items():
        columns[name] = series.gather(index)
    frame = pl.DataFrame(columns).with_columns(site=pl.lit(site))
    missing = [c.name for c in EVENTS.columns if c.name not in frame.columns]
    return frame.with_columns(pl.lit(None).alias(name) for name in missing)


def assemble_events(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate event frames, ordered by patient then date, in model shape."""
    events = pl.concat([conform_keep_order(p) for p in parts], how="vertical")
    return events.sort("_order", "event_date", maintain_order=True).drop("_order")


def conform_keep_order(frame: pl.DataFrame) -> pl.DataFrame:
    """An events part in model dtypes plus its ``_order`` key."""
    return conform(frame.drop("_order"), "events").with_columns(frame["_order"])
