"""Helpers for the risk-engine tests: cohort frames typed as in lake.model."""

from __future__ import annotations

from typing import Any

import polars as pl

from lake.model import BASELINE, COMORBIDITIES, GENETICS, PATIENTS, TREATMENT_LINES
from lake.risk.tristate import ScoreParts

COHORT_SCHEMA = pl.Schema(
    {
        name: dtype
        for table in (PATIENTS, BASELINE, GENETICS, COMORBIDITIES, TREATMENT_LINES)
        for name, dtype in table.schema.items()
    }
)


def cohort(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """A cohort frame holding only the given columns, typed as in lake.model."""
    columns = sorted({k for row in rows for k in row})
    schema = {c: COHORT_SCHEMA[c] for c in columns}
    return pl.DataFrame(rows, schema=schema)


def evaluate(parts: ScoreParts, row: dict[str, Any]) -> dict[str, Any]:
    """The score struct of one row as a plain dict (staged path, as the registry computes it)."""
    result: dict[str, Any] = (
        parts.apply(cohort([row]), "s").select("s").unnest("s").row(0, named=True)
    )
    return result
