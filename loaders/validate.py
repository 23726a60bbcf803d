"""Validation of a site's mapped parts: run every check, split accepted rows from quarantine.

Order: row checks per part, then per table duplicate keys, then orphans against the accepted
patients, then date order across tables. A row with any issue is quarantined in every
stage after it. Row conservation holds per (file, table): rows in = accepted + quarantined,
counted on the load-wide row id ``_rid``.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from lake.model import CLINICAL_TABLES, TABLES_BY_NAME

from loaders.checks import run_row_checks
from loaders.checks_cross import ID_COLUMN, date_order, duplicate_keys, orphan_rows, related_rows
from loaders.derived import derive_columns
from loaders.issues import concat_issues
from loaders.mapping import FILE, PKEY, RID, MappedPart
from loaders.readers import ROW
from loaders.system_tables import QUARANTINE

COUNTS_SCHEMA = pl.Schema(
    {
        "file": pl.String(),
        "table": pl.String(),
        "rows_in": pl.Int64(),
        "rows_accepted": pl.Int64(),
        "rows_quarantined": pl.Int64(),
    }
)


@dataclass(frozen=True, slots=True)
class Validated:
    """Accepted rows per harmonised table, the quarantine, and row counts per (file, table).

    ``tables`` has every clinical table of the model, empty for those the spec does not feed:
    a load replaces the site's rows in all of them, so a table a corrected spec stops feeding
    loses its stale rows. ``keyed`` holds the fed tables plus the load's integer patient key
    ``_pkey``, for cross-table work after validation (data queries); only ``tables`` is
    written to the lake.
    """

    tables: dict[str, pl.DataFrame]
    quarantine: pl.DataFrame
    counts: pl.DataFrame
    keyed: dict[str, pl.DataFrame]


def validate(parts: list[MappedPart], *, site: str, load_id: str) -> Validated:
    """Check every part and assemble the harmonised tables of one site load.

    ``parts`` carry pseudonymised ``patient_id``; the returned tables have exactly the model's
    schema (``lake.model``), with ``site`` filled.
    """
    row_issues = concat_issues([run_row_checks(part) for part in parts])
    rows = {
        table.name: pl.concat(
            [
                p.frame.with_columns(
                    pl.lit(p.table).alias("_table"), pl.lit(p.id_column).alias(ID_COLUMN)
                )
                for p in parts
                if p.table == table.name
            ],
            how="diagonal_relaxed",
        )
        for table in CLINICAL_TABLES
        if any(p.table == table.name for p in parts)
    }
    accepted = {name: _without(frame, row_issues) for name, frame in rows.items()}
    dup_issues = concat_issues([duplicate_keys(n, f) for n, f in accepted.items()])
    accepted = {name: _without(frame, dup_issues) for name, frame in accepted.items()}
    patients = accepted.get("patients", pl.DataFrame(schema={PKEY: pl.UInt32}))
    orphan_issues = concat_issues(
        [
            orphan_rows(name, frame, patients)
            for name, frame in accepted.items()
            if name != "patients"
        ]
    )
    accepted = {name: _without(frame, orphan_issues) for name, frame in accepted.items()}
    order_issues = date_order(accepted) if "patients" in accepted else concat_issues([])
    all_issues = concat_issues(
        [row_issues, dup_issues, orphan_issues, order_issues, related_rows(accepted)]
    )
    everything = pl.concat(
        [f.select(RID, FILE, ROW, "_table", "patient_id") for f in rows.values()]
    )
    kept = {name: _without(frame, all_issues) for name, frame in rows.items()}
    keyed = {
        name: _to_model(name, derive_columns(name, frame), site).with_columns(
            frame.get_column(PKEY)
        )
        for name, frame in kept.items()
    }
    return Validated(
        tables={
            table.name: keyed[table.name].drop(PKEY)
            if table.name in keyed
            else table.schema.to_frame()
            for table in CLINICAL_TABLES
        },
        keyed=keyed,
        quarantine=_quarantine(everything, all_issues, site=site, load_id=load_id),
        counts=_counts(parts, everything, all_issues),
    )


def _without(frame: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
    if found.is_empty():
        return frame
    return frame.join(found.select(RID).unique(), on=RID, how="anti")


def _to_model(table_name: str, frame: pl.DataFrame, site: str) -> pl.DataFrame:
    """Exactly the model's columns and dtypes, absent columns as typed nulls."""
    schema = TABLES_BY_NAME[table_name].schema
    frame = frame.with_columns(pl.lit(site).alias("site"))
    return frame.select(
        pl.col(name).cast(dtype) if name in frame.columns else pl.lit(None, dtype).alias(name)
        for name, dtype in schema.items()
    )


def _quarantine(
    everything: pl.DataFrame, found: pl.DataFrame, *, site: str, load_id: str
) -> pl.DataFrame:
    joined = found.join(everything, on=RID, how="inner").sort(FILE, ROW, "check")
    return joined.select(
        pl.lit(site).alias("site"),
        pl.lit(load_id).alias("load_id"),
        pl.col(FILE).alias("source_file"),
        pl.col(ROW).alias("row"),
        pl.col("_table").alias("table"),
        "check",
        "column",
        "message",
        "patient_id",
    ).cast(dict(QUARANTINE))  # type: ignore[arg-type]


def _counts(parts: list[MappedPart], everything: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
    """Rows in, accepted and quarantined per (file, table) that has rows. Rows in come from
    the part sizes; only the quarantined rows are looked up (no pass over every row)."""
    rows_in = pl.DataFrame(
        {
            "file": [p.file for p in parts],
            "table": [p.table for p in parts],
            "rows_in": [p.frame.height for p in parts],
        },
        schema={"file": pl.String, "table": pl.String, "rows_in": pl.Int64},
    )
    bad = found.get_column(RID).unique().implode()
    quarantined = (
        everything.filter(pl.col(RID).is_in(bad))
        .group_by(FILE, "_table")
        .agg(pl.len().cast(pl.Int64).alias("rows_quarantined"))
        .rename({FILE: "file", "_table": "table"})
    )
    counts = (
        rows_in.group_by("file", "table")
        .agg(pl.col("rows_in").sum())
        .filter(pl.col("rows_in") > 0)
        .join(quarantined, on=["file", "table"], how="left")
        .with_columns(pl.col("rows_quarantined").fill_null(0))
    )
    return counts.select(
        "file",
        "table",
        "rows_in",
        (pl.col("rows_in") - pl.col("rows_quarantined")).alias("rows_accepted"),
        "rows_quarantined",
    ).sort("file", "table")
