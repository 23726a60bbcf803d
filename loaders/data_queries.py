"""Cross-table data queries: plausible-but-incomplete records a site should complete.

Unlike checks, a data query quarantines nothing: the rows are valid, but an analysis will have
to drop the patient (e.g. ISS cannot be staged without beta2-microglobulin and albumin). Each
query returns one row per patient with a message the site's data manager can act on; the load
stores them in ``_data_queries``.

The queries run on the accepted tables *with* the load's integer patient key ``_pkey``
(:attr:`loaders.validate.Validated.keyed`): joining on it instead of the 32-character pseudonym
is what keeps them cheap at a million patients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

import polars as pl
from lake.model import TABLES_BY_NAME

from loaders.mapping import PKEY
from loaders.system_tables import DATA_QUERIES

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
            pl.lit(
                "no last_follow_up event: add the date of last contact so follow-up can be "
                "censored correctly"
            ).alias("message"),
        )
    )


def _mm_missing_iss(tables: Tables) -> pl.DataFrame:
    mm = _get(tables, "patients").filter(pl.col("disease") == "MM").select(PKEY, "patient_id")
    baseline = _get(tables, "baseline").select(PKEY, "beta2m_mg_l", "albumin_g_dl")
    labs = mm.join(baseline, on=PKEY, how="left")
    lacking = labs.filter(pl.col("beta2m_mg_l").is_null() | pl.col("albumin_g_dl").is_null())
    missing = pl.concat_str(
        [
            pl.when(pl.col("beta2m_mg_l").is_null()).then(pl.lit("beta2m_mg_l")),
            pl.when(pl.col("albumin_g_dl").is_null()).then(pl.lit("albumin_g_dl")),
        ],
        separator=" and ",
        ignore_nulls=True,
    )
    return lacking.select(
        "patient_id",
        pl.format(
            "myeloma patient without baseline {}: ISS cannot be staged; add the value at diagnosis",
            missing,
        ).alias("message"),
    )


def _allo_missing_comorbidities(tables: Tables) -> pl.DataFrame:
    allo = _get(tables, "transplants").filter(pl.col("transplant_type") == "allogeneic")
    lacking = (
        allo.select(PKEY, "patient_id")
        .unique()
        .join(_get(tables, "comorbidities").select(PKEY), on=PKEY, how="anti")
    )
    return lacking.select(
        "patient_id",
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
    :data:`DATA_QUERIES` schema."""
    frames = [
        rule.run(tables).select(
            pl.lit(site).alias("site"),
            pl.lit(load_id).alias("load_id"),
            pl.lit(rule.name).alias("query"),
            "patient_id",
            pl.lit(rule.table).alias("table"),
            "message",
        )
        for rule in DATA_QUERY_RULES
    ]
    return pl.concat([DATA_QUERIES.to_frame(), *frames], how="vertical_relaxed").sort(
        "query", "patient_id"
    )
