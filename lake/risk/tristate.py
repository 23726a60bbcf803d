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
  is classified when exactly one category is possible (conservative where rules share inputs).
  A rule list over few encoded states is better a lookup table (:mod:`lake.risk.lookup`),
  reduced exactly over the completions of the states.
- An additive score carries an interval ``[points_min, points_max]`` over the completions of its
  unknown items; :meth:`Categories.interval` classifies it when both ends fall in one band.
- Categories are computed as integer indexes and labelled once (:class:`Categories`).
- ``missing_inputs`` lists, for a ``NOT_CLASSIFIABLE`` row, the inputs that block it, as
  ``table.column``: an unknown input is named only if it could change the result given the known
  ones (some completion of the other unknowns makes the category depend on it). A score gives one
  *blocking* condition per input (:class:`ScoreParts`); the default, "the input is unknown", is
  exact only for a score that is ``NOT_CLASSIFIABLE`` whenever any input is unknown. On a
  classified (or not applicable) row the list is empty; with exact blocking conditions (lookup
  tables, the CML, HCT-CI and MR-level scores) a ``NOT_CLASSIFIABLE`` row names at least one
  input, or a pseudo-input for what is missing besides the patient's data. The list is built
  from a bit mask and literal lookup tables of name lists (:func:`named_inputs`), which keeps it
  cheap on 10^7 rows.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import reduce
from typing import Any, Final, Protocol, TypeVar

import polars as pl

from lake.model import table

NOT_CLASSIFIABLE: Final = "NOT_CLASSIFIABLE"
NOT_APPLICABLE: Final = "NOT_APPLICABLE"
_MASK_CHUNK: Final = 8  # inputs per lookup table: 2**8 = 256 lists
_MAX_INPUTS: Final = 64  # one UInt64 mask
FrameT = TypeVar("FrameT", pl.DataFrame, pl.LazyFrame)
#: Per-input blocking conditions from the last stage's value accessor (see :class:`ScoreParts`).
Blocking = Callable[[Callable[[str], pl.Expr]], Sequence[pl.Expr]]


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
        """Whether the model's codes for the column include ``not_tested`` (e.g. markers)."""
        table_name, column = self.qualified.split(".", 1)
        try:
            codes = table(table_name).column(column).codes
        except KeyError:
            return False
        return codes is not None and "not_tested" in codes

    def unknown(self) -> pl.Expr:
        """True where the input is unknown (null, or ``not_tested`` for a marker)."""
        if self.is_marker:
            return self.col.is_null() | (self.col == "not_tested")
        return self.col.is_null()


def marker(inp: Input) -> pl.Expr:
    """Kleene Boolean of a tri-state marker: present -> True, absent -> False, else null.

    Written as ``(x == present) | (null & (x == not_tested))`` rather than ``when/then`` so that
    Polars' common-subexpression elimination can share it between the uses of one score.
    """
    unknown_if_not_tested = pl.lit(None, dtype=pl.Boolean) & (inp.col == "not_tested")
    return (inp.col == "present") | unknown_if_not_tested


def maybe(condition: pl.Expr) -> pl.Expr:
    """True unless the condition is certainly false."""
    return condition.fill_null(value=True)


def surely(condition: pl.Expr) -> pl.Expr:
    """True only if the condition is certainly true."""
    return condition.fill_null(value=False)


@dataclass(frozen=True, slots=True)
class Categories:
    """The category codes of a score, handled as integer indexes until the final label.

    Rules compute a ``UInt32`` index (fast integer work); :meth:`label` turns it into the Enum
    ``dtype`` (the codes plus ``NOT_CLASSIFIABLE`` and ``NOT_APPLICABLE``, C6) by a gather on a
    literal, which is several times cheaper than building strings per row.
    """

    codes: tuple[str, ...]

    @property
    def dtype(self) -> pl.Enum:
        """The Enum of the category column."""
        return pl.Enum([*self.codes, NOT_CLASSIFIABLE, NOT_APPLICABLE])

    @property
    def nc(self) -> int:
        """Index of ``NOT_CLASSIFIABLE``."""
        return len(self.codes)

    @property
    def na(self) -> int:
        """Index of ``NOT_APPLICABLE``."""
        return len(self.codes) + 1

    def index(self, code: str) -> int:
        """Index of one category code."""
        return self.codes.index(code)

    def lit(self, code: str) -> pl.Expr:
        """The index of ``code`` as a ``UInt32`` literal."""
        return pl.lit(self.index(code), dtype=pl.UInt32)

    def label(self, index: pl.Expr) -> pl.Expr:
        """The Enum category of a ``UInt32`` index (a null index is ``NOT_CLASSIFIABLE``)."""
        labels = pl.Series([*self.codes, NOT_CLASSIFIABLE, NOT_APPLICABLE], dtype=self.dtype)
        return pl.lit(labels).gather(index.fill_null(self.nc))

    def decide(self, possible: Mapping[str, pl.Expr]) -> pl.Expr:
        """Index of the single possible category, else ``NOT_CLASSIFIABLE`` (C1).

        The possible flags form a bit mask (bit ``i`` = category ``i`` possible); a literal table
        maps every mask with exactly one bit set to that category and every other mask to
        ``NOT_CLASSIFIABLE``.
        """
        mask = pl.sum_horizontal(
            [flag.cast(pl.UInt32) * (1 << self.index(code)) for code, flag in possible.items()]
        )
        table = [
            (code.bit_length() - 1) if code and not code & (code - 1) else self.nc
            for code in range(1 << len(self.codes))
        ]
        return pl.lit(pl.Series(table, dtype=pl.UInt32)).gather(mask)

    def band(self, value: pl.Expr, bands: Sequence[Band]) -> pl.Expr:
        """Index of the band holding ``value``; null or NaN value -> ``NOT_CLASSIFIABLE``.

        Bands are in increasing order of value, the last one open-ended. The value is in the
        first band whose limit it does not lie beyond (``<= u`` for an inclusive limit, ``< u``
        for an exclusive one): a nested ``when`` of vectorised comparisons, about half the cost
        on 10^7 rows of summing the casted comparisons and gathering from a table.
        """
        value = value.cast(pl.Float64).fill_nan(None)
        index = self.lit(bands[-1].category)
        for band in reversed(bands[:-1]):
            inside = value <= band.upper if band.inclusive else value < band.upper
            index = pl.when(inside).then(self.lit(band.category)).otherwise(index)
        return pl.when(value.is_null()).then(pl.lit(self.nc, dtype=pl.UInt32)).otherwise(index)

    def interval(self, low: pl.Expr, high: pl.Expr, bands: Sequence[Band]) -> pl.Expr:
        """Index of the band holding all of ``[low, high]``, else ``NOT_CLASSIFIABLE``.

        The pair of band indexes addresses a literal table (diagonal -> that band, else
        ``NOT_CLASSIFIABLE``), avoiding ``when/then``.
        """
        size = len(self.codes) + 1
        pair = self.band(low, bands) * size + self.band(high, bands)
        table = [lo if lo == hi else self.nc for lo in range(size) for hi in range(size)]
        return pl.lit(pl.Series(table, dtype=pl.UInt32)).gather(pair)


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


@dataclass(frozen=True, slots=True)
class Band:
    """A category covering values up to ``upper`` (inclusive when ``inclusive``)."""

    upper: float
    category: str
    inclusive: bool = True


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


def unknown_mask(inputs: Sequence[Input]) -> pl.Expr:
    """``UInt64`` bit mask of the unknown inputs of a row (bit ``i`` = ``inputs[i]``)."""
    return _bits([inp.unknown() for inp in inputs]).cast(pl.UInt64)


def named_inputs(names: Sequence[str], mask: pl.Expr) -> pl.Expr:
    """``List[String]`` of the ``names`` whose bit is set in the unsigned integer ``mask``.

    Each chunk of up to eight names is a byte of the mask that indexes a literal table of the 256
    possible name lists; chunks are concatenated. The mask has no bit beyond ``len(names)``, so
    the last chunk is the mask shifted down, without a modulo (and a single chunk is the mask).
    """
    if len(names) > _MAX_INPUTS:
        raise ValueError(f"at most {_MAX_INPUTS} inputs can be named, got {len(names)}")
    lists = []
    for first in range(0, len(names), _MASK_CHUNK):
        chunk = names[first : first + _MASK_CHUNK]
        byte = mask // (1 << first) if first else mask
        if first + _MASK_CHUNK < len(names):
            byte %= 1 << _MASK_CHUNK
        lookup = pl.Series(
            [
                [n for bit, n in enumerate(chunk) if code >> bit & 1]
                for code in range(1 << len(chunk))
            ],
            dtype=pl.List(pl.String),
        )
        lists.append(pl.lit(lookup).gather(byte))
    return lists[0] if len(lists) == 1 else pl.concat_list(lists)


def missing_inputs(inputs: Sequence[Input], blocking: Sequence[pl.Expr]) -> pl.Expr:
    """``List[String]`` of the inputs whose blocking condition is (surely) true."""
    return named_inputs([inp.qualified for inp in inputs], _bits(blocking))


def _bits(flags: Sequence[pl.Expr]) -> pl.Expr:
    """Bit mask of the surely true flags, in the narrowest unsigned type holding every bit.

    A plain sum (the terms are never null and their bits are disjoint) in ``UInt8`` for up to
    eight flags is markedly cheaper on 10^7 rows than ``sum_horizontal`` in ``UInt64``.
    """
    dtype = next(t for t, width in _MASK_DTYPES if len(flags) <= width)
    terms = [surely(flag).cast(dtype) * (1 << bit) for bit, flag in enumerate(flags)]
    return reduce(operator.add, terms) if terms else pl.lit(0, dtype=dtype)


#: Unsigned mask types by the number of bits they hold.
_MASK_DTYPES: Final = ((pl.UInt8, 8), (pl.UInt16, 16), (pl.UInt32, 32), (pl.UInt64, _MAX_INPUTS))


class Encoding(Protocol):
    """An encoded input of a :class:`CategoryTable`: its helper column's name and expression."""

    @property
    def key(self) -> str: ...

    @property
    def expr(self) -> pl.Expr: ...


class CategoryTable(Protocol):
    """What :class:`ScoreParts` reads of a precomputed table of categories.

    :class:`lake.risk.lookup.StateTable` is the implementation; this module names only the
    protocol, so the lookup tables build on the tri-state logic and not the other way round.
    """

    @property
    def encoders(self) -> Sequence[Encoding]: ...

    @property
    def points(self) -> pl.Series | None: ...

    def index(self, state: Callable[[Any], pl.Expr]) -> pl.Expr:
        """The combined state index from each encoder's state expression."""
        ...

    def fields(self, index: pl.Expr) -> list[pl.Expr]:
        """The result struct's fields gathered at ``index``."""
        ...


@dataclass(frozen=True, slots=True)
class Staged:
    """The stages of one or more scores (see :meth:`ScoreParts.staged`)."""

    encodings: dict[str, pl.Expr]
    helpers: dict[str, pl.Expr]
    result: pl.Expr
    #: Helpers computed from the ``helpers`` columns (a category index from the points).
    derived: dict[str, pl.Expr] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ScoreParts:
    """One score as expressions: the category index, optional points, and the input list.

    A categorical score may instead carry a :class:`~lake.risk.lookup.StateTable`: ``code`` is
    then unused and every field is a gather from the table at the combined state index. A
    numeric score may give ``code_of_points`` instead of ``code``: its category is then computed
    from the (once evaluated) ``points`` column, so an expensive formula is not re-evaluated per
    band limit.

    ``blocking`` gives, per input, the condition under which a ``NOT_CLASSIFIABLE`` row names it
    (it must imply that the input is unknown and could change the result); without it every
    unknown input of a ``NOT_CLASSIFIABLE`` row is named. It is a function of the value accessor
    of the last stage, so it can read the ``extra`` values (computed once, next to the points).

    :meth:`to_struct` gives the result as one struct expression (category, [points, points_min,
    points_max], missing_inputs). :meth:`staged` gives the same struct in three stages (shared
    input encodings, then per-score index and points, then labels and ``missing_inputs`` from
    those columns), because Polars does not share sub-expressions between the fields of one
    struct nor between scores.
    """

    code: pl.Expr
    categories: Categories
    inputs: tuple[Input, ...]
    points: pl.Expr | None = None
    points_min: pl.Expr | None = None
    points_max: pl.Expr | None = None
    table: CategoryTable | None = None
    code_of_points: Callable[[pl.Expr], pl.Expr] | None = None
    blocking: Blocking | None = None
    extra: tuple[tuple[str, pl.Expr], ...] = ()

    def _values(self) -> dict[str, pl.Expr]:
        values: dict[str, pl.Expr] = {}
        if self.table is not None:
            values["code"] = self.table.index(lambda enc: enc.expr)
        elif self.code_of_points is None:
            values["code"] = self.code.cast(pl.UInt32).fill_null(self.categories.nc)
        for name in ("points", "points_min", "points_max"):
            expr = getattr(self, name)
            if expr is not None:
                values[name] = expr.cast(pl.Float64)
        return values | dict(self.extra)

    def _code_of(self, points: pl.Expr) -> pl.Expr:
        if self.code_of_points is None:
            raise ValueError("the score has no category function of its points")
        return self.code_of_points(points).cast(pl.UInt32).fill_null(self.categories.nc)

    def _assemble(self, value: Callable[[str], pl.Expr], names: Sequence[str]) -> pl.Expr:
        code = value("code") if self.code_of_points is None else self._code_of(value("points"))
        if self.table is not None:
            fields = self.table.fields(code)
            if "points" in names:  # an arithmetic value next to a table category (LDH/ULN)
                fields.insert(1, value("points").alias("points"))
            return pl.struct(fields)
        fields = [self.categories.label(code).alias("category")]
        extra = {k for k, _ in self.extra}
        fields += [value(n).alias(n) for n in names if n != "code" and n not in extra]
        blocked = code == self.categories.nc
        blocking: Sequence[pl.Expr] = (
            [inp.unknown() for inp in self.inputs]
            if self.blocking is None
            else self.blocking(value)
        )
        if len(blocking) != len(self.inputs):
            raise ValueError("one blocking condition per input")
        flags = [blocked & flag for flag in blocking]
        fields.append(missing_inputs(self.inputs, flags).alias("missing_inputs"))
        return pl.struct(fields)

    def to_struct(self) -> pl.Expr:
        """The result as one struct expression."""
        values = self._values()
        return self._assemble(values.__getitem__, list(values))

    def staged(self, name: str) -> Staged:
        """Shared encodings, stage-2 helper columns (index, points) and the stage-3 struct.

        Encodings are named by what they encode (scores reading the same encoding share one
        column); helpers are named ``__<name>__<field>``. A category index computed from the
        points (``code_of_points``) is a derived helper read from the points column, so the
        struct reads it once instead of re-evaluating it for the label and every blocking flag.
        The caller adds the encodings, the helpers, the derived helpers and the struct, then
        drops the helper columns (:meth:`apply` for one score, the registry for many at once).
        """
        values = self._values()
        encodings: dict[str, pl.Expr] = {}
        if self.table is not None:
            encodings = {enc.key: enc.expr for enc in self.table.encoders}
            values["code"] = self.table.index(lambda enc: pl.col(enc.key))
        helpers = {f"__{name}__{k}": v for k, v in values.items()}
        derived: dict[str, pl.Expr] = {}
        parts, names = self, list(values)
        if self.code_of_points is not None:
            derived[f"__{name}__code"] = self._code_of(pl.col(f"__{name}__points"))
            parts, names = replace(self, code_of_points=None), [*names, "code"]
        result = parts._assemble(lambda k: pl.col(f"__{name}__{k}"), names)
        return Staged(encodings, helpers, result.alias(name), derived)

    def apply(self, frame: FrameT, name: str) -> FrameT:
        """``frame`` with the result struct added as column ``name``."""
        return add_staged(frame, [self.staged(name)])


def add_staged(frame: FrameT, stages: Sequence[Staged]) -> FrameT:
    """Add the result structs of several scores, each stage one parallel ``with_columns``."""
    encodings: dict[str, pl.Expr] = {}
    helpers: dict[str, pl.Expr] = {}
    derived: dict[str, pl.Expr] = {}
    for stage in stages:
        encodings |= stage.encodings
        helpers |= stage.helpers
        derived |= stage.derived
    if encodings:
        frame = frame.with_columns(**encodings)
    frame = frame.with_columns(**helpers)
    if derived:
        frame = frame.with_columns(**derived)
    frame = frame.with_columns(stage.result for stage in stages)
    return frame.drop([*encodings, *helpers, *derived])


def score_parts(
    *,
    code: pl.Expr,
    categories: Categories,
    inputs: Sequence[Input],
    points: pl.Expr | None = None,
    points_min: pl.Expr | None = None,
    points_max: pl.Expr | None = None,
    blocking: Blocking | Sequence[pl.Expr] | None = None,
    extra: Mapping[str, pl.Expr] | None = None,
) -> ScoreParts:
    """Bundle a score's expressions (``code`` is the :class:`Categories` index)."""
    if blocking is not None and not callable(blocking):
        conditions = tuple(blocking)
        blocking = lambda _value: conditions  # noqa: E731 - a constant accessor function
    return ScoreParts(
        code,
        categories,
        tuple(inputs),
        points,
        points_min,
        points_max,
        blocking=blocking,
        extra=tuple((extra or {}).items()),
    )


def banded_parts(
    *,
    points: pl.Expr,
    code_of_points: Callable[[pl.Expr], pl.Expr],
    categories: Categories,
    inputs: Sequence[Input],
) -> ScoreParts:
    """A numeric score whose category index is a function of its ``points`` value."""
    return ScoreParts(
        pl.lit(None), categories, tuple(inputs), points, code_of_points=code_of_points
    )


def table_parts(
    table: CategoryTable,
    *,
    categories: Categories,
    inputs: Sequence[Input],
    points: pl.Expr | None = None,
) -> ScoreParts:
    """A categorical score read from a precomputed :class:`~lake.risk.lookup.StateTable`.

    ``points`` is an arithmetic value reported next to the table's category (the table then
    has no points of its own).
    """
    if points is not None and table.points is not None:
        raise ValueError("points come either from the table or from an expression, not both")
    return ScoreParts(pl.lit(None), categories, tuple(inputs), points=points, table=table)
