"""Vectorised conversion of raw text columns to the model's types (one expression per column).

Each function takes the *cleaned* raw expression (trimmed, missing spellings already null) and
returns the typed value; a value that cannot be converted becomes null, which the checks in
:mod:`loaders.checks` compare with the raw text to report it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl
from lake.model import Column

from loaders.spec_targets import allowed_codes


def clean(raw: pl.Expr, missing: Sequence[str]) -> pl.Expr:
    """Trim whitespace and turn the file's spellings of "missing" into null."""
    text = raw.cast(pl.String).str.strip_chars()
    return pl.when(text.is_in(list(missing))).then(None).otherwise(text)


def to_number(raw: pl.Expr, *, decimal_comma: bool, factor: float = 1.0) -> pl.Expr:
    """Text to Float64 in the canonical unit (``reported * factor``)."""
    text = raw.str.replace(",", ".", literal=True) if decimal_comma else raw
    value = text.cast(pl.Float64, strict=False)
    return value if factor == 1.0 else value * factor


def to_integer(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Text to a whole number of ``dtype``; decimals and overflow become null."""
    return raw.cast(pl.Int64, strict=False).cast(dtype, strict=False)


def to_date(raw: pl.Expr, date_format: str) -> pl.Expr:
    """Text to Date with a strict strptime pattern; impossible dates (31/02) become null."""
    return raw.str.strptime(pl.Date, date_format, strict=False)


def to_code(raw: pl.Expr, column: Column, codes: Mapping[str, str] | None) -> pl.Expr:
    """Site spelling to harmonised code via ``codes``; without a map, values must already be
    valid codes. Booleans come out as Boolean."""
    valid = allowed_codes(column)
    if codes is not None:
        code = raw.replace_strict(
            list(codes), list(codes.values()), default=None, return_dtype=pl.String
        )
    elif column.dtype == pl.Boolean():
        code = raw.str.to_lowercase()
    else:
        code = raw
    if valid is not None:
        code = pl.when(code.is_in(list(valid))).then(code)
    return code == "true" if column.dtype == pl.Boolean() else code


def to_list(raw: pl.Expr, column: Column, codes: Mapping[str, str] | None, sep: str) -> pl.Expr:
    """Split a list cell on ``sep`` and map each item; an unknown item becomes a null item."""
    items = raw.str.split(sep).list.eval(pl.element().str.strip_chars())
    items = items.list.eval(pl.element().filter(pl.element() != ""))
    return items.list.eval(to_code(pl.element(), column, codes))


def convert(
    raw: pl.Expr,
    column: Column,
    *,
    decimal_comma: bool,
    date_format: str,
    factor: float = 1.0,
    codes: Mapping[str, str] | None = None,
    split: str | None = None,
) -> pl.Expr:
    """The typed value of ``column`` from its cleaned raw text."""
    dtype = column.dtype
    if isinstance(dtype, pl.List):
        return to_list(raw, column, codes, split or "\x00")
    if dtype == pl.Date():
        return to_date(raw, date_format)
    if dtype == pl.Float64():
        return to_number(raw, decimal_comma=decimal_comma, factor=factor)
    if dtype.is_integer():
        return to_integer(raw, dtype)
    if codes is not None or allowed_codes(column) is not None:
        return to_code(raw, column, codes)
    return raw
