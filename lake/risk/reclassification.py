"""Reclassification between two classifications of the same patients.

Used, e.g., to compare the HARMONY NPM1 classification with ELN 2022 (the paper reports 42.7% of
NPM1-mutated patients reassigned) or two versions of one rule.

Counting of non-results (``not_classified`` option):

- ``"exclude"`` (default): a patient whose category is ``NOT_CLASSIFIABLE`` or ``NOT_APPLICABLE``
  (or null) under EITHER classification is left out of the moved share's denominator; the
  cross-tab still shows them and ``n_excluded`` counts them. The share then answers "of the
  patients both systems classify, how many change group".
- ``"as_category"``: ``NOT_CLASSIFIABLE`` / ``NOT_APPLICABLE`` are ordinary categories, so a
  patient going from ``NOT_CLASSIFIABLE`` to a group counts as moved.

Categories are compared by their code (text), so two versions whose Enums differ still compare.
The cross-tab lists each side in its own declared order (a score's category Enum: its categories,
then ``NOT_CLASSIFIABLE``, ``NOT_APPLICABLE``), text order only for a column without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from lake.errors import AnalysisError, EmptyCohortError
from lake.risk.tristate import NOT_APPLICABLE, NOT_CLASSIFIABLE

NotClassified = Literal["exclude", "as_category"]


@dataclass(frozen=True, slots=True)
class Reclassification:
    """Cross-tab (``from``, ``to``, ``n``) and the share of compared patients that moved."""

    table: pl.DataFrame
    n_compared: int
    n_moved: int
    n_excluded: int
    not_classified: NotClassified

    @property
    def share_moved(self) -> float:
        """Moved / compared (0..1)."""
        return self.n_moved / self.n_compared


def reclassification(
    frame: pl.DataFrame,
    before: str,
    after: str,
    *,
    not_classified: NotClassified = "exclude",
) -> Reclassification:
    """Compare category columns ``before`` and ``after`` (or score structs with a ``category``)."""
    missing = [c for c in (before, after) if c not in frame.columns]
    if missing:
        raise AnalysisError(f"reclassification: columns {missing} not in frame {frame.columns}")
    ordered = frame.select(
        _category(frame, before).alias("from"), _category(frame, after).alias("to")
    )
    if ordered.height == 0:
        raise EmptyCohortError("reclassification of an empty cohort")
    table = (
        ordered.group_by("from", "to")
        .len("n")
        .sort("from", "to", nulls_last=True)
        .with_columns(pl.col("from", "to").cast(pl.String))
    )
    pairs = ordered.select(pl.col("from", "to").cast(pl.String))
    non_results = [NOT_CLASSIFIABLE, NOT_APPLICABLE]
    if not_classified == "exclude":
        usable = ~(
            pl.col("from").is_in(non_results).fill_null(True)
            | pl.col("to").is_in(non_results).fill_null(True)
            | pl.col("from").is_null()
            | pl.col("to").is_null()
        )
    else:
        usable = pl.lit(value=True)
    compared = pairs.filter(usable)
    if compared.height == 0:
        raise EmptyCohortError("no patient is classified under both classifications")
    moved = compared.filter(pl.col("from").ne_missing(pl.col("to"))).height
    return Reclassification(
        table=table,
        n_compared=compared.height,
        n_moved=moved,
        n_excluded=pairs.height - compared.height,
        not_classified=not_classified,
    )


def _category(frame: pl.DataFrame, column: str) -> pl.Expr:
    """The category (an Enum keeps its declared order for sorting)."""
    dtype = frame.schema[column]
    return (
        pl.col(column).struct.field("category") if isinstance(dtype, pl.Struct) else pl.col(column)
    )
