"""One attribute row per patient, built from the harmonised tables on demand.

Cohort filters and summaries read *attributes*: the columns of the one-row-per-patient tables
(``patients``, ``baseline``, ``genetics``, ``comorbidities``) plus a few per-patient facts derived
from the long tables (treatment lines, transplants, events). :func:`attribute_frame` joins only
the tables that provide the attributes asked for, so a cohort over ``disease`` and ``age`` never
reads genetics, and Delta projection pushdown reads only the columns used.

Derived attributes
------------------
``n_lines``
    Number of treatment lines (0 when none recorded).
``agents_received``
    Sorted unique agents over all lines (list).
``strategies``
    Sorted unique therapy strategies over all lines (list).
``best_response``
    Best IMWG response over all lines on the ordered scale; ``NE`` only when nothing better.
``had_autologous`` / ``had_allogeneic``
    At least one transplant of that type.
``event_types``
    Sorted unique event types recorded for the patient (list).
``had_dli``
    At least one donor lymphocyte infusion (``dli`` event); null at a site that records none.
``max_ae_grade``
    Worst CTCAE grade of the patient's adverse events; 0 when the patient has none at a site
    that reports adverse events, null at a site that reports none (not collected is not
    "no adverse event": a null never means absent).
``registry_entry_days``
    Days from diagnosis to registry entry (0: registered at diagnosis); null without an entry
    date. A positive delay left-truncates analyses from diagnosis (``delayed entry``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final, Protocol

import polars as pl

from lake.errors import AnalysisError, LakeError
from lake.model import (
    BASELINE,
    COMORBIDITIES,
    GENETICS,
    IMWG_RESPONSES,
    PATIENTS,
    TREATMENT_LINES,
    Column,
)
from lake.model import table as model_table

#: Rank of each IMWG response on the ordered scale, worst (0) first.
RESPONSE_RANK: Final = {code: rank for rank, code in enumerate(IMWG_RESPONSES)}

_WIDE_TABLES: Final = (PATIENTS, BASELINE, GENETICS, COMORBIDITIES)
#: Table providing each stored attribute (``patient_id`` and ``site`` come from ``patients``).
STORED_HOME: Final = {
    c.name: t.name
    for t in _WIDE_TABLES
    for c in t.columns
    if c.name != "patient_id" and (t is PATIENTS or c.name != "site")
}

TREATMENT_COLUMNS: Final = ("n_lines", "agents_received", "strategies", "best_response")
TRANSPLANT_COLUMNS: Final = ("had_autologous", "had_allogeneic")
EVENT_COLUMNS: Final = ("event_types",)
#: Derived from a table or event type some sites do not collect: null at those sites.
SITE_REPORTED_COLUMNS: Final = ("had_dli", "max_ae_grade")
ENTRY_COLUMNS: Final = ("registry_entry_days",)
DERIVED_COLUMNS: Final = (
    *TREATMENT_COLUMNS,
    *TRANSPLANT_COLUMNS,
    *EVENT_COLUMNS,
    *SITE_REPORTED_COLUMNS,
    *ENTRY_COLUMNS,
)
ATTRIBUTES: Final = (*STORED_HOME, *DERIVED_COLUMNS)


class TableSource(Protocol):
    """What the frame builder needs from a lake snapshot (:func:`lake.storage.open_lake`)."""

    @property
    def version(self) -> int:
        """The lake version the snapshot reads."""
        ...

    def scan(self, table_name: str) -> pl.LazyFrame:
        """The harmonised table ``table_name`` as of this version."""
        ...


def scan_or_empty(source: TableSource, table_name: str) -> pl.LazyFrame:
    """The table, or no rows (with the model's schema) when no load has created it yet.

    A lake version only lists the tables some load wrote; an absent table has no rows.
    """
    try:
        return source.scan(table_name)
    except LakeError:
        return pl.LazyFrame(schema=model_table(table_name).schema)


def _treatment_facts(source: TableSource) -> pl.LazyFrame:
    rank = pl.col("best_response").replace_strict(RESPONSE_RANK, default=None, return_dtype=pl.Int8)
    code_of_rank = {rank: code for code, rank in RESPONSE_RANK.items()}
    return (
        scan_or_empty(source, "treatment_lines")
        .group_by("patient_id")
        .agg(
            n_lines=pl.len().cast(pl.Int32),
            agents_received=pl.col("agents").explode().drop_nulls().unique().sort(),
            strategies=pl.col("strategy").drop_nulls().unique().sort(),
            best_rank=rank.max(),
            any_ne=(pl.col("best_response") == "NE").any(),
        )
        .with_columns(
            best_response=pl.when(pl.col("best_rank").is_not_null())
            .then(pl.col("best_rank").replace_strict(code_of_rank, return_dtype=pl.String))
            .when(pl.col("any_ne"))
            .then(pl.lit("NE"))
        )
        .drop("best_rank", "any_ne")
    )


def _transplant_facts(source: TableSource) -> pl.LazyFrame:
    kind = pl.col("transplant_type")
    return (
        scan_or_empty(source, "transplants")
        .group_by("patient_id")
        .agg(
            had_autologous=(kind == "autologous").any(),
            had_allogeneic=(kind == "allogeneic").any(),
        )
    )


def _event_facts(source: TableSource) -> pl.LazyFrame:
    return (
        scan_or_empty(source, "events")
        .group_by("patient_id")
        .agg(event_types=pl.col("event_type").unique().sort())
    )


def _site_reported(
    source: TableSource, facts: pl.LazyFrame, reporting: pl.LazyFrame, fill: dict[str, pl.Expr]
) -> pl.LazyFrame:
    """Per-patient ``facts`` with ``fill`` for patients without any, at the ``reporting`` sites;
    null at the other sites (they do not collect the data)."""
    sites = reporting.select("site").unique().with_columns(_reports=pl.lit(value=True))
    return (
        source.scan("patients")
        .select("patient_id", "site")
        .join(facts, on="patient_id", how="left")
        .join(sites, on="site", how="left")
        .select(
            "patient_id",
            *(
                pl.when(pl.col("_reports")).then(pl.col(name).fill_null(value))
                for name, value in fill.items()
            ),
        )
    )


def _reported_facts(source: TableSource) -> pl.LazyFrame:
    events = scan_or_empty(source, "events")
    adverse = scan_or_empty(source, "adverse_events")
    dli = _site_reported(
        source,
        events.filter(pl.col("event_type") == "dli")
        .select("patient_id", had_dli=pl.lit(True))
        .unique(),
        events.filter(pl.col("event_type") == "dli"),
        {"had_dli": pl.lit(value=False)},
    )
    worst = _site_reported(
        source,
        adverse.group_by("patient_id").agg(max_ae_grade=pl.col("grade").max()),
        adverse,
        {"max_ae_grade": pl.lit(0, dtype=pl.Int8)},
    )
    return dli.join(worst, on="patient_id", how="left")


def _entry_facts(source: TableSource) -> pl.LazyFrame:
    delay = pl.col("registry_entry_date") - pl.col("diagnosis_date")
    return source.scan("patients").select(
        "patient_id", registry_entry_days=delay.dt.total_days().cast(pl.Int32)
    )


_EMPTY_FILL: Final = {
    "n_lines": pl.lit(0, dtype=pl.Int32),
    "agents_received": pl.lit([], dtype=pl.List(pl.String)),
    "strategies": pl.lit([], dtype=pl.List(pl.String)),
    "had_autologous": pl.lit(value=False),
    "had_allogeneic": pl.lit(value=False),
    "event_types": pl.lit([], dtype=pl.List(pl.String)),
}


def attribute_frame(source: TableSource, columns: Collection[str]) -> pl.LazyFrame:
    """``patient_id`` plus the attribute ``columns``, one row per patient of ``patients``.

    Raises
    ------
    AnalysisError
        If a column is not an attribute; the message lists the valid ones.
    """
    unknown = sorted(set(columns) - set(ATTRIBUTES))
    if unknown:
        raise AnalysisError(
            f"unknown cohort attribute(s) {unknown}; valid attributes: {', '.join(ATTRIBUTES)}"
        )
    wanted = set(columns)
    frame = source.scan("patients").select(
        "patient_id", *(c for c in columns if STORED_HOME.get(c) == "patients")
    )
    for table in (BASELINE, GENETICS, COMORBIDITIES):
        cols = [c for c in columns if STORED_HOME.get(c) == table.name]
        if cols:
            frame = frame.join(
                scan_or_empty(source, table.name).select("patient_id", *cols),
                on="patient_id",
                how="left",
            )
    derived = (
        (TREATMENT_COLUMNS, _treatment_facts),
        (TRANSPLANT_COLUMNS, _transplant_facts),
        (EVENT_COLUMNS, _event_facts),
        (SITE_REPORTED_COLUMNS, _reported_facts),
        (ENTRY_COLUMNS, _entry_facts),
    )
    for group, build in derived:
        cols = [c for c in group if c in wanted]
        if cols:
            facts = build(source).select("patient_id", *cols)
            frame = frame.join(facts, on="patient_id", how="left").with_columns(
                pl.col(c).fill_null(_EMPTY_FILL[c]) for c in cols if c in _EMPTY_FILL
            )
    return frame


def attribute_column(name: str) -> Column | None:
    """The model column declaring an attribute's codes (``None`` for a derived count or flag)."""
    if name in STORED_HOME:
        return model_table(STORED_HOME[name]).column(name)
    if name == "best_response":
        return TREATMENT_LINES.column(name)
    return None


def _stored_dtype(name: str) -> pl.DataType:
    return next(t.schema[name] for t in _WIDE_TABLES if name in t.schema)


#: Attributes a cohort can be broken down by (coded, free-text category, boolean or list).
CATEGORICAL_ATTRIBUTES: Final = (
    *(name for name in STORED_HOME if _stored_dtype(name) in (pl.String(), pl.Boolean())),
    "agents_received",
    "strategies",
    "best_response",
    *TRANSPLANT_COLUMNS,
    "event_types",
    "had_dli",
)
#: Attributes a histogram can be drawn of.
NUMERIC_ATTRIBUTES: Final = (
    *(name for name in STORED_HOME if _stored_dtype(name).is_numeric()),
    "n_lines",
    "max_ae_grade",
    "registry_entry_days",
)
