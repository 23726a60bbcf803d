"""Validation of spec values against the harmonised model: targets, codes, units, constants.

Each function raises a :class:`~lake.errors.ConfigError` located at the offending YAML node.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Final

import polars as pl
import yaml
from lake.model import EVENT_TYPES, TABLES_BY_NAME, Column, Table

from loaders import yaml_nodes as yn
from loaders.units import accepted_units, conversion_factor

#: Event columns a wide-layout ``attribute:`` may attach to an event.
EVENT_ATTRIBUTES: Final = ("grade", "systemic_ist", "death_cause", "gvhd_organs")
#: Columns the loader fills itself; a spec may not map onto them.
DERIVED_COLUMNS: Final = ("patient_id", "site")
BOOLEAN_CODES: Final = ("true", "false")


def resolve_target(path: Path, node: yaml.Node, target: str) -> tuple[Table, Column]:
    """The model table and column named ``<table>.<column>`` by ``target``."""
    table_name, dot, column_name = target.partition(".")
    if not dot:
        raise yn.fail(path, node, f"target {target!r} must be <table>.<column>")
    if table_name not in TABLES_BY_NAME:
        raise yn.fail(
            path,
            node,
            f"unknown table {table_name!r} in {target!r}; valid tables: "
            f"{', '.join(TABLES_BY_NAME)}",
        )
    table = TABLES_BY_NAME[table_name]
    names = [c.name for c in table.columns if c.name not in DERIVED_COLUMNS]
    if column_name in DERIVED_COLUMNS:
        raise yn.fail(
            path,
            node,
            f"{target!r} is filled by the loader (pseudonym and site); "
            "map the patient id with id_column instead",
        )
    if column_name not in names:
        raise yn.fail(
            path,
            node,
            f"table {table_name!r} has no column {column_name!r}; valid "
            f"columns: {', '.join(names)}",
        )
    return table, table.column(column_name)


def allowed_codes(column: Column) -> tuple[str, ...] | None:
    """The values a coded column may hold (``None``: free text); booleans are true/false."""
    if column.dtype == pl.Boolean():
        return BOOLEAN_CODES
    return column.codes


def check_codes(path: Path, node: yaml.Node, column: Column) -> None:
    """Every value of the code map at ``node`` must be a valid code of ``column``."""
    is_text = column.dtype == pl.String() or isinstance(column.dtype, pl.List)
    codes = allowed_codes(column)
    if codes is None and not is_text:
        raise yn.fail(path, node, f"column {column.name!r} is not coded; remove 'codes:'")
    if codes is None:
        return
    for key, (value, value_node) in yn.string_map(path, node, where="codes").items():
        if value not in codes:
            raise yn.fail(
                path,
                value_node,
                f"code {key!r} maps to {value!r}, which is not a "
                f"valid {column.name} code; valid codes: {', '.join(codes)}",
            )


def check_unit(path: Path, node: yaml.Node, column: Column, unit: str) -> None:
    """``unit`` must convert to ``column``'s canonical unit."""
    if column.unit is None:
        raise yn.fail(path, node, f"column {column.name!r} has no unit; remove 'unit:'")
    try:
        conversion_factor(column, unit)
    except ValueError:
        raise yn.fail(
            path,
            node,
            f"unit {unit!r} cannot be converted to {column.unit} for "
            f"{column.name}; accepted units: "
            f"{', '.join(accepted_units(column))}",
        ) from None


def check_constant(
    path: Path, node: yaml.Node, column: Column, value: str, date_format: str
) -> None:
    """A constant must be a valid value of its column (code, number or date)."""
    codes = allowed_codes(column)
    if codes is not None and value not in codes:
        raise yn.fail(
            path,
            node,
            f"constant {value!r} is not a valid {column.name} code; "
            f"valid codes: {', '.join(codes)}",
        )
    if column.dtype.is_numeric():
        yn.number(path, node, where=f"the constant for {column.name}")
    if column.dtype == pl.Date():
        try:
            datetime.strptime(value, date_format)
        except ValueError:
            raise yn.fail(
                path, node, f"constant {value!r} is not a date in format {date_format}"
            ) from None
    if isinstance(column.dtype, pl.List):
        raise yn.fail(path, node, f"list column {column.name!r} cannot take a constant")


def event_type(path: Path, node: yaml.Node) -> str:
    """The event type named at ``node``; must be one of the model's event types."""
    value = yn.scalar(path, node, where="event")
    if value not in EVENT_TYPES:
        raise yn.fail(
            path, node, f"unknown event type {value!r}; valid event types: {', '.join(EVENT_TYPES)}"
        )
    return value
