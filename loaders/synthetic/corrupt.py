"""Inject deliberately bad rows into an export frame and record exactly which and why.

Bad rows are built so that the accepted rows of every harmonised table equal the truth:
- in a wide (per-patient) file a bad row is a corrupted copy of a real row under a fresh patient
  id that appears nowhere else; the whole source row must be quarantined;
- in a long file it is a corrupted copy of a real row of the same patient;
- ``duplicate_id`` adds a *pair* of rows sharing a new key (fresh id, or a new line number /
  shifted date), so quarantining every copy of a duplicated key loses no real row;
- ``death_before_diagnosis`` in a wide file spoils an alive patient's empty death cell in
  place: only that death event is quarantined, never the patient row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import polars as pl

BadKind = Literal[
    "impossible_date",
    "death_before_diagnosis",
    "entry_before_diagnosis",
    "unknown_code",
    "out_of_range",
    "duplicate_id",
    "unparseable_number",
]
Row = dict[str, object]
ValueFn = Callable[[Row, np.random.Generator], object]

UNPARSEABLE: Final = ("12,3,4", "n/a?", "1.2.3", "<>")
UNKNOWN_CODES: Final = ("??", "X", "99", "unk")
_IMPOSSIBLE_DAYS: Final = (("31", "02"), ("30", "02"), ("31", "04"), ("31", "06"), ("31", "09"))


@dataclass(frozen=True, slots=True)
class Corruption:
    """One way to spoil a row: ``value`` computes the bad cell of ``column`` from the source
    row; ``rows`` restricts which rows may be copied (``None``: any); ``rewrite`` may then
    change other cells of the copy (e.g. move it to another patient). An ``in_place``
    corruption spoils a real row instead of adding one; the harmonised row it feeds in
    ``lost_table`` is then quarantined and missing from the accepted rows."""

    kind: BadKind
    column: str
    value: ValueFn
    rows: np.ndarray | None = None
    rewrite: Callable[[Row, np.random.Generator], Row] | None = None
    in_place: bool = False
    lost_table: str | None = None


@dataclass(frozen=True, slots=True)
class BadRow:
    """A bad row: 0-based data-row index in the written file, kind, column, value, and the
    harmonised table that loses a real row because of it (in-place corruptions)."""

    index: int
    kind: BadKind
    column: str
    value: str
    lost_table: str | None = None
    in_place: bool = False


def inject_bad_rows(
    frame: pl.DataFrame,
    corruptions: Sequence[Corruption],
    *,
    id_column: str,
    fresh_id: Callable[[object, int], object] | None,
    rate: float,
    rng: np.random.Generator,
) -> tuple[pl.DataFrame, list[BadRow]]:
    """``frame`` with about ``rate * rows`` (at least one) bad rows spliced in.

    Kinds cycle in a seeded random order (the column at random among that kind's corruptions)
    so every kind occurs when the count allows. ``fresh_id`` renames the copy of a wide-file
    row (``None``: keep the id). A ``duplicate_id`` corruption adds a *pair* of copies sharing
    one new key; an ``in_place`` corruption spoils an existing row instead of adding one.
    """
    n = frame.height
    if n == 0 or not corruptions:
        return frame, []
    count = max(1, round(rate * n))
    kinds = sorted({c.kind for c in corruptions})
    order = [kinds[i] for i in rng.permutation(len(kinds))]
    added: list[Row] = []
    keys: list[float] = []
    made: list[tuple[BadKind, str, str]] = []
    replaced: dict[int, tuple[Row, tuple[BadKind, str, str, str | None]]] = {}
    j = 0
    while len(made) + len(replaced) < count:
        candidates = [c for c in corruptions if c.kind == order[j % len(order)]]
        corruption = candidates[int(rng.integers(0, len(candidates)))]
        j += 1
        pool_size = corruption.rows.size if corruption.rows is not None else n
        if j > 10 * count:
            break
        if pool_size == 0:
            continue
        drawn = int(rng.integers(0, pool_size))
        source = int(corruption.rows[drawn]) if corruption.rows is not None else drawn
        if source in replaced:
            continue
        row = dict(frame.row(source, named=True))
        row[corruption.column] = corruption.value(row, rng)
        if corruption.rewrite is not None:
            row = corruption.rewrite(row, rng)
        if corruption.in_place:
            replaced[source] = (row, (*record_of(corruption, row), corruption.lost_table))
            continue
        if fresh_id is not None:
            row[id_column] = fresh_id(row[id_column], j)
        record = record_of(corruption, row)
        copies = 2 if corruption.kind == "duplicate_id" else 1
        for _ in range(copies):
            added.append(row)
            keys.append(int(rng.integers(0, n + 1)) - 0.5 + len(keys) / (10.0 * count + 10))
            made.append(record)
    frame = _replace_rows(frame, {index: row for index, (row, _record) in replaced.items()})
    bad = pl.DataFrame(added, schema=frame.schema, orient="row")
    merged = pl.concat(
        [
            frame.with_columns(
                _key=pl.int_range(0, n).cast(pl.Float64), _bad=pl.lit(None, dtype=pl.Int64)
            ),
            bad.with_columns(
                _key=pl.Series(keys, dtype=pl.Float64),
                _bad=pl.int_range(0, len(added), dtype=pl.Int64),
            ),
        ],
        how="vertical",
    )
    merged = merged.sort("_key").with_row_index("_index")
    placed = merged.filter(pl.col("_bad").is_not_null()).sort("_bad")["_index"].to_list()
    final_index = merged.filter(pl.col("_bad").is_null())["_index"].to_list()
    records = [BadRow(int(i), *m) for i, m in zip(placed, made, strict=True)]
    records += [
        BadRow(int(final_index[i]), *rec, in_place=True) for i, (_row, rec) in replaced.items()
    ]
    records.sort(key=lambda r: r.index)
    return merged.drop("_key", "_bad", "_index"), records


def _replace_rows(frame: pl.DataFrame, rows: dict[int, Row]) -> pl.DataFrame:
    """``frame`` with the rows at the given indices replaced, one scatter per column."""
    if not rows:
        return frame
    index = list(rows)
    replacement = pl.DataFrame(list(rows.values()), schema=frame.schema, orient="row")
    return frame.with_columns(frame[c].scatter(index, replacement[c]) for c in frame.columns)


def record_of(corruption: Corruption, row: Row) -> tuple[BadKind, str, str]:
    """(kind, column, spoiled text) of a bad row."""
    value = row[corruption.column]
    return corruption.kind, corruption.column, "" if value is None else str(value)


def impossible_date(date_format: str, rng: np.random.Generator) -> str:
    """A calendar-impossible date (31/02, 31/04 ...) spelled with ``date_format``."""
    day, month = _IMPOSSIBLE_DAYS[int(rng.integers(0, len(_IMPOSSIBLE_DAYS)))]
    year = str(int(rng.integers(2005, 2024)))
    names = {"02": "Feb", "04": "Apr", "06": "Jun", "09": "Sep"}
    return (
        date_format.replace("%d", day)
        .replace("%m", month)
        .replace("%Y", year)
        .replace("%b", names[month])
    )


def shifted_date(text: object, date_format: str, days: int) -> str:
    """``text`` (a date in ``date_format``) moved by ``days``, in the same format."""
    day = dt.datetime.strptime(str(text), date_format).date() + dt.timedelta(days=days)
    return day.strftime(date_format)


def format_number(value: float, *, decimal_comma: bool) -> str:
    """A number written the site's way."""
    text = repr(float(value)) if not float(value).is_integer() else str(int(value))
    return text.replace(".", ",") if decimal_comma else text


def unknown_code(known: Sequence[str]) -> ValueFn:
    """A value function returning a spelling absent from ``known``."""
    choices = [c for c in UNKNOWN_CODES if c not in known]

    def value(_row: Row, rng: np.random.Generator) -> object:
        return choices[int(rng.integers(0, len(choices)))]

    return value
