"""The issue frame every check returns: which row failed which check, and why.

One issue = one failing (row, check, column). A row with any issue is quarantined; the
quarantine keeps every issue so the data manager sees all problems of a row at once.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from loaders.mapping import FILE, RID
from loaders.readers import ROW

ISSUE_SCHEMA: Final = pl.Schema(
    {RID: pl.Int64(), "check": pl.String(), "column": pl.String(), "message": pl.String()}
)


def where() -> pl.Expr:
    """``row 17 of pazienti.csv``: the location prefix of every message."""
    return pl.format("row {} of {}", pl.col(ROW), pl.col(FILE))


def issues(
    frame: pl.DataFrame,
    mask: pl.Expr | None,
    *,
    check: str,
    column: str | pl.Expr | None,
    message: pl.Expr,
) -> pl.DataFrame:
    """The rows of ``frame`` where ``mask`` holds (every row if ``None``), as issues of
    ``check`` with ``message``; ``column`` is a name or a per-row expression. A null mask
    value counts as "no issue"."""
    failing = frame if mask is None else frame.filter(mask.fill_null(value=False))
    # rechunk: polars 2.1 panics in str.format over string views of a filtered frame
    # (binview index assertion, seen on EU-AMLT's tp53_vaf out-of-range rows)
    return failing.rechunk().select(
        pl.col(RID),
        pl.lit(check).alias("check"),
        (column if isinstance(column, pl.Expr) else pl.lit(column, pl.String)).alias("column"),
        message.cast(pl.String).alias("message"),
    )


def no_issues() -> pl.DataFrame:
    """An empty issue frame."""
    return ISSUE_SCHEMA.to_frame()


def concat_issues(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """All issues of several checks in one frame (empty frame when there are none)."""
    return pl.concat([no_issues(), *frames], how="vertical")
