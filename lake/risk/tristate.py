"""Three-valued (Kleene) building blocks shared by every risk score.

Domain convention C1 (``/work/shared/domain/README.md``): an input is either known or unknown,
and a category is returned only if it is the same for every possible value of the unknown inputs;
otherwise the result is ``NOT_CLASSIFIABLE`` together with the unknown inputs that block it.

Representation
--------------
- A *condition* is a Polars Boolean expression whose null means UNKNOWN. Polars' ``&``, ``|`` and
  ``~`` already follow Kleene's strong three-valued logic (``null & False = False``,
  ``null | True = True``), and comparisons with a null operand are null, so a rule written as an
  ordinary expression over canonical columns is automatically three-valued.
- A tri-state marker column (``present`` / ``absent`` / ``not_tested``) is read by
  :func:`marker`; ``not_tested`` and null are both UNKNOWN, never absent.
- An ordered rule list ("first rule that fires wins") is evaluated by :func:`cascade`: category
  ``k_i`` is *possible* when rule ``i`` may be true and no earlier rule is certainly true. The row
  is classified when exactly one category is possible.
- An additive score carries an interval ``[points_min, points_max]`` over the completions of its
  unknown items; :func:`interval_category` classifies it when both ends fall in one band.
- ``missing_inputs`` (:func:`missing_inputs`) lists, for a ``NOT_CLASSIFIABLE`` row, the score's
  inputs that are unknown on that row, as ``table.column``. Supplying all of them always resolves
  the row; on a classified (or not applicable) row the list is empty. The list is built from a bit
  mask and a literal lookup table, which keeps it cheap on 10^7 rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Final

import polars as pl
from polars.expr.whenthen import ChainedThen, Then

from lake.model import MARKER_CODES, table

NOT_CLASSIFIABLE: Final = "NOT_CLASSIFIABLE"
NOT_APPLICABLE: Final = "NOT_APPLICABLE"
_MASK_CHUNK: Final = 8  # inputs per lookup table: 2**8 = 256 lists


@dataclass(frozen=True, slots=True)
class Input:
    """One score input, named ``table.column`` as in :mod:`lake.model`.

    Inputs of derived frames that are not lake tables (e.g. the TKI-stop frame) use their frame's
    name as the table part; they carry no model metadata.
    """

    qualified: str

    @property
    def column(self) -> str:
        """The column name in a cohort frame (the part after the dot)."""
        return self.qualified.split(".", 1)[1]

    @property
    def col(self) -> pl.Expr:
        """The column expression."""
        return pl.col(self.column)

    @property
    def valid_range(self) -> tuple[float, float]:
        """The loader-enforced range of a numeric model column (bounds of an unknown value)."""
        table_name, column = self.qualified.split(".", 1)
        bounds = table(table_name).column(column).valid_range
        if bounds is None:
            raise ValueError(f"{self.qualified} has no valid_range in lake.model")
        return bounds

    @property
    def is_marker(self) -> bool:
        """Whether the model declares the column as a tri-state marker."""
        table_name, column = self.qualified.split(".", 1)
        try:
            return table(table_name).column(column).codes == MARKER_CODES
        except KeyError:
            return False

    def unknown(self) -> pl.Expr:
        """True where the input is unknown (null, or ``not_tested`` for a marker)."""
        if self.is_marker:
            return self.col.is_null() | (self.col == "not_tested")
        return self.col.is_null()


def marker(inp: Input) -> pl.Expr:
    """Kleene Boolean of a tri-state marker: present -> True, absent -> False, else null."""
    return pl.when(inp.col != "not_tested").then(inp.col == "present")


def maybe(condition: pl.Expr) -> pl.Expr:
    """True unless the condition is certainly false."""
    return condition.fill_null(value=True)


def surely(condition: pl.Expr) -> pl.Expr:
    """True only if the condition is certainly true."""
    return condition.fill_null(value=False)


def category_dtype(categories: Sequence[str]) -> pl.Enum:
    """The Enum of a score's category column: its codes plus the two C6 non-results."""
    return pl.Enum([*categories, NOT_CLASSIFIABLE, NOT_APPLICABLE])


def cascade(rules: Sequence[tuple[pl.Expr, str]], default: str) -> dict[str, pl.Expr]:
    """Which categories an ordered rule list can still produce, per row.

    Rule ``i`` with category ``k_i`` is possible when its condition is not certainly false and no
    earlier condition is certainly true; ``default`` is possible when no condition is certainly
    true. Returns one plain Boolean expression per category.
    """
    possible: dict[str, pl.Expr] = {}
    no_earlier_true: pl.Expr = pl.lit(value=True)
    for condition, category in rules:
        here = no_earlier_true & maybe(condition)
        possible[category] = possible[category] | here if category in possible else here
        no_earlier_true = no_earlier_true & ~surely(condition)
    possible[default] = (
        possible[default] | no_earlier_true if default in possible else no_earlier_true
    )
    return possible


def decide(possible: Mapping[str, pl.Expr], dtype: pl.Enum) -> pl.Expr:
    """The single possible category, else ``NOT_CLASSIFIABLE``."""
    flags = list(possible.items())
    count = pl.sum_horizontal([flag.cast(pl.UInt8) for _, flag in flags])
    chain: Then | ChainedThen = pl.when(count != 1).then(pl.lit(NOT_CLASSIFIABLE))
    for category, flag in flags:
        chain = chain.when(flag).then(pl.lit(category))
    return chain.otherwise(pl.lit(NOT_CLASSIFIABLE)).cast(dtype)


@dataclass(frozen=True, slots=True)
class Band:
    """A category covering values up to ``upper`` (inclusive when ``inclusive``)."""

    upper: float
    category: str
    inclusive: bool = True


def band_of(value: pl.Expr, bands: Sequence[Band]) -> pl.Expr:
    """The band of a value (bands in increasing order, the last one open-ended); null stays null."""
    *closed, last = bands
    if not closed:
        return pl.when(value.is_not_null()).then(pl.lit(last.category))
    first, *rest = closed
    chain: Then | ChainedThen = pl.when(_below(value, first)).then(pl.lit(first.category))
    for band in rest:
        chain = chain.when(_below(value, band)).then(pl.lit(band.category))
    return pl.when(value.is_not_null()).then(chain.otherwise(pl.lit(last.category)))


def _below(value: pl.Expr, band: Band) -> pl.Expr:
    return value <= band.upper if band.inclusive else value < band.upper


def interval_category(
    low: pl.Expr, high: pl.Expr, bands: Sequence[Band], dtype: pl.Enum
) -> pl.Expr:
    """The band holding the whole interval ``[low, high]``, else ``NOT_CLASSIFIABLE``."""
    low_band = band_of(low, bands)
    high_band = band_of(high, bands)
    return (
        pl.when(low_band == high_band)
        .then(low_band)
        .otherwise(pl.lit(NOT_CLASSIFIABLE))
        .cast(pl.String)
        .cast(dtype)
    )


def item_interval(condition: pl.Expr, weight: float) -> tuple[pl.Expr, pl.Expr]:
    """Contribution ``[min, max]`` of a weighted yes/no item: known -> 0 or w, unknown -> [0, w]."""
    return (
        surely(condition).cast(pl.Float64) * weight,
        maybe(condition).cast(pl.Float64) * weight,
    )


def add_intervals(items: Sequence[tuple[pl.Expr, pl.Expr]]) -> tuple[pl.Expr, pl.Expr]:
    """Sum of intervals, end by end."""
    low = reduce(lambda a, b: a + b, (lo for lo, _ in items))
    high = reduce(lambda a, b: a + b, (hi for _, hi in items))
    return low, high


def exact(low: pl.Expr, high: pl.Expr) -> pl.Expr:
    """The point value when the interval has collapsed, else null (the score is not computable)."""
    return pl.when(low == high).then(low)


def missing_inputs(inputs: Sequence[Input], blocked: pl.Expr) -> pl.Expr:
    """``List[String]`` of the unknown inputs on rows where ``blocked`` is true, else ``[]``.

    Each chunk of up to eight inputs becomes a bit mask (bit ``i`` = input ``i`` unknown) that
    indexes a literal table of the 256 possible name lists; chunks are concatenated.
    """
    chunks = [inputs[i : i + _MASK_CHUNK] for i in range(0, len(inputs), _MASK_CHUNK)]
    lists = [_chunk_list(chunk, blocked) for chunk in chunks]
    return lists[0] if len(lists) == 1 else pl.concat_list(lists)


def _chunk_list(chunk: Sequence[Input], blocked: pl.Expr) -> pl.Expr:
    mask = pl.sum_horizontal(
        [inp.unknown().cast(pl.UInt32) * (1 << bit) for bit, inp in enumerate(chunk)]
    )
    mask = pl.when(surely(blocked)).then(mask).otherwise(pl.lit(0, dtype=pl.UInt32))
    names = [inp.qualified for inp in chunk]
    lookup = pl.Series(
        [[n for bit, n in enumerate(names) if code >> bit & 1] for code in range(1 << len(names))],
        dtype=pl.List(pl.String),
    )
    return pl.lit(lookup).gather(mask)


def score_struct(
    *,
    category: pl.Expr,
    missing: pl.Expr,
    points: pl.Expr | None = None,
    points_min: pl.Expr | None = None,
    points_max: pl.Expr | None = None,
) -> pl.Expr:
    """The result of one score as a struct: category, [points, points_min, points_max], missing."""
    fields: dict[str, pl.Expr] = {"category": category}
    if points is not None:
        fields["points"] = points.cast(pl.Float64)
    if points_min is not None and points_max is not None:
        fields["points_min"] = points_min.cast(pl.Float64)
        fields["points_max"] = points_max.cast(pl.Float64)
    fields["missing_inputs"] = missing
    return pl.struct([expr.alias(name) for name, expr in fields.items()])


def is_classified(category: pl.Expr) -> pl.Expr:
    """True where the category is neither ``NOT_CLASSIFIABLE`` nor ``NOT_APPLICABLE``."""
    return ~category.cast(pl.String).is_in([NOT_CLASSIFIABLE, NOT_APPLICABLE])
