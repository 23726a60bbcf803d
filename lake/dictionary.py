"""The data dictionary, generated from :mod:`lake.model` so it can never drift from the code.

``render_markdown()`` produces ``docs/data-dictionary.md`` (committed; a test fails when it is
stale) and ``entries()`` gives the same content as plain records for the API.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lake.model import CLINICAL_TABLES, MODEL_VERSION, Column, Table


@dataclass(frozen=True, slots=True)
class DictionaryEntry:
    """One column of the dictionary as plain values (what the API publishes)."""

    table: str
    column: str
    dtype: str
    description: str
    required: bool
    unit: str | None
    codes: tuple[str, ...] | None
    valid_range: tuple[float, float] | None
    omop: str | None
    loinc: str | None


_DTYPE_NAMES: dict[object, str] = {
    pl.String: "string",
    pl.Float64: "float",
    pl.Int16: "integer",
    pl.Int32: "integer",
    pl.Int64: "integer",
    pl.Date: "date",
    pl.Boolean: "boolean",
}


def _dtype_name(dtype: object) -> str:
    if isinstance(dtype, pl.List):
        return f"list[{_dtype_name(dtype.inner)}]"
    key = dtype if isinstance(dtype, type) else type(dtype)
    return _DTYPE_NAMES.get(key, str(dtype))


def _entry(table: Table, col: Column) -> DictionaryEntry:
    return DictionaryEntry(
        table=table.name,
        column=col.name,
        dtype=_dtype_name(col.dtype),
        description=col.description,
        required=col.required,
        unit=col.unit,
        codes=col.codes,
        valid_range=col.valid_range,
        omop=col.omop,
        loinc=col.loinc,
    )


def entries() -> list[DictionaryEntry]:
    """Every column of every harmonised table, in model order."""
    return [_entry(t, c) for t in CLINICAL_TABLES for c in t.columns]


def _cell(text: str | None) -> str:
    return "" if text is None else text.replace("|", "\\|")


def _range(valid_range: tuple[float, float] | None) -> str:
    if valid_range is None:
        return ""
    low, high = valid_range
    return f"{low:g} – {high:g}"


def render_markdown() -> str:
    """The whole dictionary as Markdown, one section per table."""
    lines = [
        "# hemalake data dictionary",
        "",
        f"Model version **{MODEL_VERSION}**. Generated from `lake/model.py` by "
        "`hemalake dictionary`; do not edit by hand.",
        "",
        "Markers are tri-state: `present`, `absent`, `not_tested`; a missing value is unknown, "
        "never absent. Measurements are in the canonical unit named in the column. Every table "
        "is a Delta table partitioned by `site`.",
        "",
    ]
    for tbl in CLINICAL_TABLES:
        lines += [
            f"## `{tbl.name}`",
            "",
            tbl.description,
            "",
            f"Key: {', '.join(f'`{k}`' for k in tbl.key)}. OMOP: {tbl.omop}.",
            "",
            "| column | type | required | unit | codes | valid range | OMOP | LOINC "
            "| description |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for e in (_entry(tbl, c) for c in tbl.columns):
            codes = ", ".join(f"`{c}`" for c in e.codes) if e.codes else ""
            lines.append(
                f"| `{e.column}` | {e.dtype} | {'yes' if e.required else ''} | {_cell(e.unit)} "
                f"| {codes} | {_range(e.valid_range)} | {_cell(e.omop)} | {_cell(e.loinc)} "
                f"| {_cell(e.description)} |"
            )
        lines.append("")
    return "\n".join(lines)
