"""Descriptive summaries of a cohort: breakdowns, histograms and data completeness.

Pure functions over an attribute frame (``patient_id`` plus attributes, one row per patient of
the cohort, see :mod:`lake.cohort.frame`). Counts are exact here; disclosure control is applied
afterwards by :mod:`lake.query.gateway`, which is why count fields are typed ``int | None``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import polars as pl

from lake.cohort.attributes import LIST_ATTRIBUTES
from lake.errors import AnalysisError, EmptyCohortError


@dataclass(frozen=True, slots=True)
class CategoryCount:
    """Patients in one category; ``category`` is ``None`` for a missing value."""

    category: str | None
    n: int | None


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Counts of a cohort by the values of one categorical attribute.

    ``total`` is the cohort size; for list attributes the counts may add up to more.
    """

    attribute: str
    total: int | None
    counts: tuple[CategoryCount, ...]


@dataclass(frozen=True, slots=True)
class HistogramBin:
    """Patients with ``lower <= value < upper`` (the last bin includes its upper edge)."""

    lower: float
    upper: float
    n: int | None


@dataclass(frozen=True, slots=True)
class Histogram:
    """Equal-width histogram of a numeric attribute.

    ``below`` and ``above`` count known values outside the edges, ``missing`` unknown values,
    so the bins, ``below``, ``above`` and ``missing`` add up to ``total``: no patient is counted
    in the total but in no cell.
    """

    attribute: str
    total: int | None
    bins: tuple[HistogramBin, ...]
    missing: int | None
    below: int | None = 0
    above: int | None = 0


@dataclass(frozen=True, slots=True)
class FieldCompleteness:
    """How many patients of the cohort have a known value of ``attribute``.

    ``not_tested`` counts tri-state markers recorded as ``not_tested`` (known to be unknown);
    ``missing`` counts nulls. ``known + not_tested + missing == total``.
    """

    attribute: str
    total: int | None
    known: int | None
    not_tested: int | None
    missing: int | None


def _require_rows(frame: pl.DataFrame) -> None:
    if frame.height == 0:
        raise EmptyCohortError("the cohort has no patients; widen the filter")


def _require_column(frame: pl.DataFrame, attribute: str) -> None:
    if attribute not in frame.columns:
        raise AnalysisError(f"attribute {attribute!r} is not in the cohort frame")


def breakdown(frame: pl.DataFrame, *, attribute: str) -> Breakdown:
    """Counts of ``frame`` by ``attribute``, categories sorted, missing last.

    Examples
    --------
    >>> f = pl.DataFrame({"patient_id": ["a", "b", "c"], "sex": ["M", "F", "M"]})
    >>> [(c.category, c.n) for c in breakdown(f, attribute="sex").counts]
    [('F', 1), ('M', 2)]
    """
    _require_rows(frame)
    _require_column(frame, attribute)
    values = frame.get_column(attribute)
    if attribute in LIST_ATTRIBUTES:
        values = values.explode().drop_nulls()
    else:
        values = values.cast(pl.String)
    counts = values.value_counts(name="n").sort(attribute, nulls_last=True)
    return Breakdown(
        attribute=attribute,
        total=frame.height,
        counts=tuple(
            CategoryCount(category=row[attribute], n=row["n"])
            for row in counts.iter_rows(named=True)
        ),
    )


def histogram(
    frame: pl.DataFrame,
    *,
    attribute: str,
    bins: int = 10,
    lower: float | None = None,
    upper: float | None = None,
) -> Histogram:
    """Equal-width histogram of ``attribute`` over ``[lower, upper]`` (default: observed range).

    Values outside ``[lower, upper]`` are counted in ``below`` / ``above``.

    Examples
    --------
    >>> f = pl.DataFrame({"patient_id": list("abcd"), "age": [40.0, 45.0, 60.0, None]})
    >>> h = histogram(f, attribute="age", bins=2, lower=40.0, upper=60.0)
    >>> [(b.lower, b.upper, b.n) for b in h.bins], h.missing
    ([(40.0, 50.0, 2), (50.0, 60.0, 1)], 1)
    """
    _require_rows(frame)
    _require_column(frame, attribute)
    if not 1 <= bins <= 100:
        raise AnalysisError(f"histogram bins must be between 1 and 100 (got {bins})")
    values = frame.get_column(attribute)
    if not values.dtype.is_numeric():
        raise AnalysisError(f"attribute {attribute!r} is not numeric; use a breakdown instead")
    known = values.drop_nulls().cast(pl.Float64)
    observed_low = cast("float | None", known.min())
    observed_high = cast("float | None", known.max())
    low = lower if lower is not None else (observed_low or 0.0)
    high = upper if upper is not None else (observed_high or 0.0)
    if high < low:
        raise AnalysisError(f"histogram lower bound {low} exceeds upper bound {high}")
    width = (high - low) / bins if high > low else 1.0
    edges = [low + i * width for i in range(bins + 1)]
    inside = known.filter((known >= low) & (known <= high))
    index = ((inside - low) / width).floor().cast(pl.Int64).clip(0, bins - 1)
    per_bin = index.value_counts(name="n")
    tally = dict(zip(per_bin.get_column(index.name), per_bin.get_column("n"), strict=True))
    return Histogram(
        attribute=attribute,
        total=frame.height,
        bins=tuple(
            HistogramBin(lower=edges[i], upper=edges[i + 1], n=int(tally.get(i, 0)))
            for i in range(bins)
        ),
        missing=values.null_count(),
        below=int((known < low).sum()),
        above=int((known > high).sum()),
    )


def completeness(
    frame: pl.DataFrame, *, attributes: tuple[str, ...]
) -> tuple[FieldCompleteness, ...]:
    """Known / not tested / missing counts of each attribute over the cohort."""
    _require_rows(frame)
    result = []
    for attribute in attributes:
        _require_column(frame, attribute)
        values = frame.get_column(attribute)
        missing = values.null_count()
        not_tested = not_tested_count(values)
        result.append(
            FieldCompleteness(
                attribute=attribute,
                total=frame.height,
                known=frame.height - missing - not_tested,
                not_tested=not_tested,
                missing=missing,
            )
        )
    return tuple(result)


def not_tested_count(values: pl.Series) -> int:
    """How many of a tri-state marker's ``values`` are recorded as ``not_tested`` (0 for an
    attribute that has no such code); text, or the Enum of the declared codes."""
    if isinstance(values.dtype, pl.Enum):
        coded = "not_tested" in values.dtype.categories
    else:
        coded = values.dtype == pl.String
    return int((values == "not_tested").sum()) if coded else 0
