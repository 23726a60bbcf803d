"""Additive schema migration of stored Delta tables to the current model (pure schema logic).

A lake written under an older :data:`~lake.model.MODEL_VERSION` holds tables without the columns
the model has since gained. Such a table is migrated by the next load that writes it: the new
columns join the table schema in the same Delta commit as the load's rows
(:func:`lake.storage.commit_site_load`), so the migration becomes visible with the load's lake
version and not before; rows written earlier read them as null. Reads of a version written
before the migration fill the missing columns with typed nulls (:func:`with_model_columns`), so
every lake version reads with the model's columns and old versions still time-travel.

Only *additive* changes are migrated: a new column that the model does not require. Anything
else (a stored column whose type differs from the model's, a stored column the model no longer
has, a new required column that old rows cannot satisfy) raises
:class:`~lake.errors.SchemaMigrationError` naming the table, the column and both types; such a
change needs the lake rebuilt by reloading every site into a new lake root.
"""

from __future__ import annotations

import polars as pl

from lake.errors import SchemaMigrationError
from lake.model import MODEL_VERSION, TABLES_BY_NAME

_REBUILD = (
    "only new nullable columns are migrated automatically; rebuild the lake by loading every "
    "site into a new lake root"
)


def added_columns(table_name: str, stored: pl.Schema, incoming: pl.Schema) -> tuple[str, ...]:
    """The columns ``incoming`` (the load's frame) adds to the ``stored`` table, in its order.

    Columns are matched by name, not position (a migrated table keeps its new columns last).

    Raises
    ------
    SchemaMigrationError
        A stored column is missing from ``incoming`` or has another type there, or an added
        column of a harmonised table is not in the model or is required by it (old rows
        would hold null in it).
    """
    for name, dtype in stored.items():
        if name not in incoming:
            raise SchemaMigrationError(
                f"table {table_name!r}: stored column {name!r} ({dtype}) is not in model "
                f"{MODEL_VERSION}; {_REBUILD}"
            )
        if incoming[name] != dtype:
            raise SchemaMigrationError(
                f"table {table_name!r}: column {name!r} is stored as {dtype}, model "
                f"{MODEL_VERSION} has {incoming[name]}; {_REBUILD}"
            )
    added = tuple(name for name in incoming if name not in stored)
    model = TABLES_BY_NAME.get(table_name)
    for name in added:
        if model is not None and name not in model.schema:
            raise SchemaMigrationError(
                f"table {table_name!r}: column {name!r} ({incoming[name]}) is not in model "
                f"{MODEL_VERSION}; only model columns are stored"
            )
        if model is not None and model.column(name).required:
            raise SchemaMigrationError(
                f"table {table_name!r}: model {MODEL_VERSION} adds required column {name!r} "
                f"({incoming[name]}), which the stored rows cannot hold; {_REBUILD}"
            )
    return added


def with_model_columns(frame: pl.LazyFrame, table_name: str) -> pl.LazyFrame:
    """A harmonised table read from any lake version with the model's columns in model order:
    columns the stored version predates are typed nulls (delta-rs may also move the partition
    column when it merges a schema). Other tables are returned unchanged."""
    model = TABLES_BY_NAME.get(table_name)
    if model is None:
        return frame
    present = frame.collect_schema()
    return frame.select(
        pl.col(name) if name in present else pl.lit(None, dtype).alias(name)
        for name, dtype in model.schema.items()
    )
