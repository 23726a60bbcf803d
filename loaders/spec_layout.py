"""Layout rules of a file entry: wide versus long, required columns, attribute pairing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml
from lake.model import TABLES_BY_NAME

from loaders import yaml_nodes as yn
from loaders.spec_omop import check_omop_constants
from loaders.spec_targets import DERIVED_COLUMNS
from loaders.spec_types import FileSpec


def is_per_patient(table_name: str) -> bool:
    """A per-patient table has one row per patient (its key is the patient id alone)."""
    return TABLES_BY_NAME[table_name].key == ("patient_id",)


def check_layout(path: Path, node: yaml.Node, spec: FileSpec) -> None:
    """Validate the table layout of a non-OMOP file entry.

    A file either feeds per-patient tables (plus wide-layout ``event:`` columns) or exactly one
    multi-row table, one source row per target row. Each fed table must receive all its
    required columns; each ``attribute:`` needs its event's date column in the same file; a
    target may be mapped once.
    """
    if spec.omop is not None:
        check_omop_constants(path, node, spec)
        return
    direct = {m.table for m in spec.columns if m.event is None}
    direct |= {key.split(".")[0] for key in spec.constants}
    has_events = any(m.event is not None for m in spec.columns)
    multi_row = sorted(t for t in direct if not is_per_patient(t))
    if multi_row and (len(direct) > 1 or has_events):
        raise yn.fail(
            path,
            node,
            f"file {spec.name} mixes the multi-row table {multi_row[0]} "
            f"with other tables ({', '.join(sorted(direct - {multi_row[0]}))}"
            f"{', wide-layout events' if has_events else ''}); split it into one "
            "file entry per multi-row table",
        )
    _check_unique_targets(path, spec)
    _check_required(path, node, spec, direct)
    _check_attributes(path, spec)


def _check_unique_targets(path: Path, spec: FileSpec) -> None:
    targets = Counter((m.table, m.column, m.event) for m in spec.columns) + Counter(
        (*key.split("."), None) for key in spec.constants
    )
    for mapping in spec.columns:
        if targets[(mapping.table, mapping.column, mapping.event)] > 1:
            what = (
                f"event {mapping.event} {mapping.column}"
                if mapping.event
                else f"{mapping.table}.{mapping.column}"
            )
            raise yn.fail_at(
                path,
                mapping.line,
                f"{what} is mapped more than once in file {spec.name}; keep one mapping",
            )


def _check_required(path: Path, node: yaml.Node, spec: FileSpec, direct: set[str]) -> None:
    mapped = {(m.table, m.column) for m in spec.columns if m.event is None}
    mapped |= {tuple(key.split(".", 1)) for key in spec.constants}  # type: ignore[misc]
    for table_name in sorted(direct):
        for column in TABLES_BY_NAME[table_name].columns:
            if (
                column.required
                and column.name not in DERIVED_COLUMNS
                and (table_name, column.name) not in mapped
            ):
                raise yn.fail(
                    path,
                    node,
                    f"file {spec.name} feeds {table_name} but maps no "
                    f"source column to the required column {table_name}."
                    f"{column.name}; map one or add a constant",
                )


def _check_attributes(path: Path, spec: FileSpec) -> None:
    dated = {m.event for m in spec.columns if m.event is not None and m.column == "event_date"}
    for mapping in spec.columns:
        if (
            mapping.event is not None
            and mapping.column != "event_date"
            and mapping.event not in dated
        ):
            raise yn.fail_at(
                path,
                mapping.line,
                f"attribute {mapping.column} of event "
                f"{mapping.event} needs a date column mapped with "
                f"'event: {mapping.event}' in the same file",
            )
