"""One attribute row per patient, built from the harmonised tables on demand.

Cohort filters and summaries read *attributes*: the columns of the one-row-per-patient tables
(``patients``, ``baseline``, ``genetics``, ``comorbidities``) plus the per-patient facts derived
from the long tables, declared once in :mod:`lake.cohort.attributes`. :func:`attribute_frame`
joins only the tables and sources that provide the attributes asked for, so a cohort over
``disease`` and ``age`` never reads genetics, and Delta projection pushdown reads only the
columns used.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

import polars as pl

from lake.cohort.attribute_sources import TableSource, scan_or_empty, source_rows
from lake.cohort.attributes import DERIVED, DERIVED_BY_NAME, FLAGS, LIST_ATTRIBUTES, Derived
from lake.errors import AnalysisError
from lake.model import BASELINE, COMORBIDITIES, GENETICS, IMWG_RESPONSES, PATIENTS, Column
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
DERIVED_COLUMNS: Final = tuple(a.name for a in DERIVED)
ATTRIBUTES: Final = (*STORED_HOME, *DERIVED_COLUMNS)


def _derived_facts(source: TableSource, name: str, wanted: list[Derived]) -> pl.LazyFrame:
    """``patient_id`` and the ``wanted`` attributes of source ``name``, one row per patient of
    ``patients`` (filled where the attribute declares a fill)."""
    rows = source_rows(source, name)
    facts = rows.group_by("patient_id").agg(a.aggregation() for a in wanted)
    frame = (
        source.scan("patients")
        .select("patient_id", "site")
        .join(facts, on="patient_id", how="left")
    )
    if any(a.site_reported for a in wanted):
        reporting = rows.select("site").unique().with_columns(_reports=pl.lit(value=True))
        frame = frame.join(reporting, on="site", how="left")
    return frame.select("patient_id", *(_filled(a) for a in wanted))


def _filled(attribute: Derived) -> pl.Expr:
    """The attribute with its fill for patients without rows (only at reporting sites)."""
    value = pl.col(attribute.name).cast(attribute.data_type)
    if attribute.fill is None:
        return value.alias(attribute.name)
    filled = value.fill_null(pl.lit(attribute.fill, dtype=attribute.data_type))
    if attribute.site_reported:
        filled = pl.when(pl.col("_reports")).then(filled)
    return filled.alias(attribute.name)


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
    by_source: dict[str, list[Derived]] = {}
    for name in dict.fromkeys(columns):
        if name in DERIVED_BY_NAME:
            spec = DERIVED_BY_NAME[name]
            by_source.setdefault(spec.source, []).append(spec)
    for name, wanted in by_source.items():
        frame = frame.join(_derived_facts(source, name, wanted), on="patient_id", how="left")
    return frame.select("patient_id", *dict.fromkeys(columns))


def attribute_column(name: str) -> Column | None:
    """The column declaring an attribute's type, codes, order, unit and range (``None``: not an
    attribute)."""
    if name in STORED_HOME:
        return model_table(STORED_HOME[name]).column(name)
    if name in DERIVED_BY_NAME:
        return DERIVED_BY_NAME[name].column()
    return None


def attribute_codes(name: str) -> tuple[str, ...] | None:
    """The values a categorical attribute takes: its codes, ``false``/``true`` for a flag,
    ``None`` for free text."""
    column = attribute_column(name)
    if column is None:
        return None
    if column.dtype == pl.Boolean():
        return FLAGS
    return column.codes


def _dtype(name: str) -> pl.DataType:
    if name in DERIVED_BY_NAME:
        return DERIVED_BY_NAME[name].data_type
    return model_table(STORED_HOME[name]).schema[name]


#: Attributes a cohort can be filtered on by codes and broken down by (coded, free-text
#: category, flag or list).
CATEGORICAL_ATTRIBUTES: Final = tuple(
    name
    for name in ATTRIBUTES
    if _dtype(name) in (pl.String(), pl.Boolean()) or isinstance(_dtype(name), pl.List)
)
#: Attributes filtered on by a range, cut into groups or drawn as a histogram.
NUMERIC_ATTRIBUTES: Final = tuple(name for name in ATTRIBUTES if _dtype(name).is_numeric())
#: Categorical attributes with one value per patient: what an analysis can group, stratify or
#: model by. The list attributes (a patient may hold several values) can only be counted
#: (breakdown) or filtered on.
GROUPING_ATTRIBUTES: Final = tuple(a for a in CATEGORICAL_ATTRIBUTES if a not in LIST_ATTRIBUTES)
