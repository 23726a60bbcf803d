"""Cross-table data queries: plausible-but-incomplete records a site should complete.

Unlike checks, a data query quarantines nothing: the rows are valid, but an analysis will have
to drop the patient (e.g. ISS cannot be staged without beta2-microglobulin and albumin). Each
query returns one row per patient and field with the value in question, what is expected and
a message the site's data manager can act on; the load stores them in ``_data_queries``, named
in the site's own file and column names (:func:`in_site_terms`), each with an id that stays the
same across loads (:func:`query_id`). Their lifecycle (open, answered, closed) is
:mod:`loaders.query_lifecycle`.

The queries run on the accepted tables *with* the load's integer patient key ``_pkey``
(:attr:`loaders.validate.Validated.keyed`): joining on it instead of the 32-character pseudonym
is what keeps them cheap at a million patients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl
import polars_hash
from lake.model import TABLES_BY_NAME

from loaders.mapping import PKEY
from loaders.spec_types import SiteSpec
from loaders.system_tables import DATA_QUERIES

#: Hex characters of a query id (64 bits: unique among any registry's queries).
QUERY_ID_CHARS: Final = 16

Tables = Mapping[str, pl.DataFrame]


@dataclass(frozen=True, slots=True)
class DataQuery:
    """A named query over a site's accepted tables: patient ids plus a message."""

    name: str
    table: str
    run: Callable[[Tables], pl.DataFrame]


def _get(tables: Tables, name: str) -> pl.DataFrame:
    if name in tables:
        return tables[name]
    return TABLES_BY_NAME[name].schema.to_frame().with_columns(pl.lit(None, pl.UInt32).alias(PKEY))


def _missing_last_follow_up(tables: Tables) -> pl.DataFrame:
    seen = _get(tables, "events").filter(pl.col("event_type") == "last_follow_up").select(PKEY)
    return (
        _get(tables, "patients")
        .join(seen, on=PKEY, how="anti")
        .select(
            "patient_id",
            pl.lit("last_follow_up").alias("field"),
            pl.lit(None, pl.String).alias("value"),
            pl.lit("the date of last contact").alias("expected"),
            pl.lit(
                "no last_follow_up event: add the date of last contact so follow-up can be "
                "censored correctly"
            ).alias("message"),
        )
    )


def _mm_missing_iss(tables: Tables) -> pl.DataFrame:
    """One query per missing lab (each is a field the site completes on its own)."""
    mm = _get(tables, "patients").filter(pl.col("disease") == "MM").select(PKEY, "patient_id")
    baseline = _get(tables, "baseline").select(PKEY, "beta2m_mg_l", "albumin_g_dl")
    labs = mm.join(baseline, on=PKEY, how="left")
    return pl.concat(
        [
            labs.filter(pl.col(field).is_null()).select(
                "patient_id",
                pl.lit(field).alias("field"),
                pl.lit(None, pl.String).alias("value"),
                pl.lit(f"the {name} at diagnosis").alias("expected"),
                pl.lit(
                    f"myeloma patient without baseline {field}: ISS cannot be staged; add the "
                    "value at diagnosis"
                ).alias("message"),
            )
            for field, name in (
                ("beta2m_mg_l", "beta-2 microglobulin"),
                ("albumin_g_dl", "serum albumin"),
            )
        ]
    ).unique(maintain_order=True)


def _allo_missing_comorbidities(tables: Tables) -> pl.DataFrame:
    allo = _get(tables, "transplants").filter(pl.col("transplant_type") == "allogeneic")
    lacking = (
        allo.select(PKEY, "patient_id")
        .unique()
        .join(_get(tables, "comorbidities").select(PKEY), on=PKEY, how="anti")
    )
    return lacking.select(
        "patient_id",
        pl.lit(None, pl.String).alias("field"),
        pl.lit(None, pl.String).alias("value"),
        pl.lit("the HCT-CI comorbidity assessment before conditioning").alias("expected"),
        pl.lit(
            "allogeneic transplant without HCT-CI comorbidities: add the pre-conditioning "
            "comorbidity assessment"
        ).alias("message"),
    )


def _tki_stop_without_monitoring(tables: Tables) -> pl.DataFrame:
    events = _get(tables, "events")
    stops = (
        events.filter(pl.col("event_type") == "tki_stop")
        .group_by(PKEY)
        .agg(pl.col("patient_id").first(), pl.col("event_date").max().alias("_stop"))
    )
    cml = _get(tables, "patients").filter(pl.col("disease") == "CML").select(PKEY)
    stops = stops.join(cml, on=PKEY, how="semi")
    samples = _get(tables, "bcr_abl1").select(PKEY, "sample_date")
    after = stops.join(samples, on=PKEY, how="inner").filter(
        pl.col("sample_date") > pl.col("_stop")
    )
    lacking = stops.join(after.select(PKEY).unique(), on=PKEY, how="anti")
    return lacking.select(
        "patient_id",
        pl.lit("sample_date").alias("field"),
        pl.format("TKI stopped {}", pl.col("_stop")).alias("value"),
        pl.format("a BCR::ABL1 sample dated after {}", pl.col("_stop")).alias("expected"),
        pl.format(
            "CML patient stopped TKI on {} but has no BCR::ABL1 sample after the stop: "
            "add the treatment-free-remission monitoring samples",
            pl.col("_stop"),
        ).alias("message"),
    )


DATA_QUERY_RULES: Final[tuple[DataQuery, ...]] = (
    DataQuery("missing_last_follow_up", "events", _missing_last_follow_up),
    DataQuery("mm_missing_iss_inputs", "baseline", _mm_missing_iss),
    DataQuery("allo_missing_comorbidities", "comorbidities", _allo_missing_comorbidities),
    DataQuery("cml_tki_stop_without_monitoring", "bcr_abl1", _tki_stop_without_monitoring),
)


def run_data_queries(tables: Tables, *, site: str, load_id: str) -> pl.DataFrame:
    """Every data query over a site's accepted tables (model columns plus ``_pkey``), in
    :data:`DATA_QUERIES` schema, with its stable :func:`query_id` (``source_file`` and
    ``source_column`` are null until :func:`in_site_terms`)."""
    frames = [
        rule.run(tables).select(
            pl.lit(site).alias("site"),
            pl.lit(load_id).alias("load_id"),
            pl.lit(rule.name).alias("query"),
            "patient_id",
            pl.lit(rule.table).alias("table"),
            "message",
            "field",
            "value",
            "expected",
        )
        for rule in DATA_QUERY_RULES
    ]
    found = pl.concat([DATA_QUERIES.to_frame(), *frames], how="diagonal_relaxed")
    return (
        found.with_columns(query_id(site))
        .select(DATA_QUERIES.names())
        .sort("query", "patient_id", "field")
    )


def query_id(site: str) -> pl.Expr:
    """The query's id: SHA-256 of site, check, pseudonym and field, 16 hex characters.

    The same check on the same patient and field keeps its id across loads (the pseudonym is
    stable under one key), which is what lets an answer or a waiver follow the query.
    """
    message = pl.concat_str(
        pl.lit(site),
        pl.col("query"),
        pl.col("patient_id"),
        pl.col("field").fill_null(""),
        separator="\x1f",
    )
    return (
        polars_hash.CryptographicHashingNameSpace(message)
        .sha2_256()
        .str.slice(0, QUERY_ID_CHARS)
        .alias("query_id")
    )


def in_site_terms(queries: pl.DataFrame, spec: SiteSpec) -> pl.DataFrame:
    """``queries`` with ``source_file`` and ``source_column``: the site's own file and column
    that feed each query's table and field, from the mapping spec (inverted). A query about a
    whole table (no field) names the file that feeds the table; an OMOP extract has no
    site column names, so its queries keep the model's."""
    sources = site_columns(spec)
    by_field = sources.filter(pl.col("field").is_not_null()).unique(
        ["table", "field"], keep="first", maintain_order=True
    )
    by_table = sources.unique(["table"], keep="first", maintain_order=True).select(
        "table", pl.col("source_file").alias("_table_file")
    )
    return (
        queries.drop("source_file", "source_column")
        .join(by_field, on=["table", "field"], how="left")
        .join(by_table, on="table", how="left")
        .with_columns(pl.col("source_file").fill_null(pl.col("_table_file")))
        .select(DATA_QUERIES.names())
    )


def site_columns(spec: SiteSpec) -> pl.DataFrame:
    """One row per mapped source column: harmonised ``table`` and ``field`` (the event type
    for a wide-layout event column), the site's ``source_file`` and ``source_column``."""
    rows: list[tuple[str, str | None, str, str | None]] = []
    for file_spec in spec.files:
        for mapping in file_spec.columns:
            rows.append(
                (mapping.table, mapping.event or mapping.column, file_spec.name, mapping.source)
            )
        rows.extend((table, None, file_spec.name, None) for table in file_spec.tables)
    return pl.DataFrame(
        rows,
        schema={
            "table": pl.String,
            "field": pl.String,
            "source_file": pl.String,
            "source_column": pl.String,
        },
        orient="row",
    )
