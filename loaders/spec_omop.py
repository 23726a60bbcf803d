"""The ``omop:`` block of an OMOP CDM v5.4 file entry (``loaders/SPEC.md`` "format: omop")."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl
import yaml
from lake.model import AGENTS, SEXES, TRANSPLANT_TYPES

from loaders import yaml_nodes as yn
from loaders.spec_targets import check_unit, resolve_target
from loaders.spec_types import OmopMaps, OmopMeasurement

_OMOP_KEYS: Final = ("gender", "measurements", "drugs", "procedures")
#: Tables a measurement may feed: baseline values and BCR::ABL1 IS% samples.
_MEASUREMENT_TABLES: Final = ("baseline", "bcr_abl1")
#: Patients columns an OMOP extract cannot carry: the spec must give them as constants.
OMOP_CONSTANT_COLUMNS: Final = ("source_study", "data_origin", "disease")


def parse_omop_maps(path: Path, node: yaml.Node) -> OmopMaps:
    """Parse and validate the ``omop:`` maps of a file entry."""
    entries = yn.mapping(path, node, where="omop", allowed=_OMOP_KEYS, required=("gender",))
    return OmopMaps(
        gender=_coded_map(path, entries["gender"], "gender", SEXES),
        measurements=_measurements(path, entries.get("measurements")),
        drugs=_coded_map(path, entries.get("drugs"), "drugs", AGENTS),
        procedures=_coded_map(path, entries.get("procedures"), "procedures", TRANSPLANT_TYPES),
    )


def _coded_map(
    path: Path, node: yaml.Node | None, where: str, codes: tuple[str, ...]
) -> dict[str, str]:
    if node is None:
        return {}
    result = {}
    for key, (value, value_node) in yn.string_map(path, node, where=where).items():
        if value not in codes:
            raise yn.fail(
                path,
                value_node,
                f"{where} code {key!r} maps to {value!r}; valid values: {', '.join(codes)}",
            )
        result[key] = value
    return result


def _measurements(path: Path, node: yaml.Node | None) -> dict[str, OmopMeasurement]:
    if node is None:
        return {}
    result = {}
    for source, value in yn.mapping(path, node, where="measurements").items():
        where = f"measurement {source!r}"
        entries = yn.mapping(path, value, where=where, allowed=("to", "unit"), required=("to",))
        table, column = resolve_target(
            path, entries["to"], yn.scalar(path, entries["to"], where="to")
        )
        if table.name not in _MEASUREMENT_TABLES or column.dtype != pl.Float64():
            raise yn.fail(
                path,
                entries["to"],
                f"{where} must map to a numeric baseline column or bcr_abl1.is_pct",
            )
        unit = yn.scalar(path, entries["unit"], where="unit") if "unit" in entries else None
        if unit is not None:
            check_unit(path, entries["unit"], column, unit)
        result[source] = OmopMeasurement(table.name, column.name, unit, yn.line_of(value))
    return result
