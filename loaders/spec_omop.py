"""The ``omop:`` block of an OMOP CDM v5.4 file entry (``loaders/SPEC.md`` "format: omop")."""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl
import yaml
from lake.model import AGENTS, CML_PHASES, SEXES, TKIS, TRANSPLANT_TYPES, Column, Table

from loaders import yaml_nodes as yn
from loaders.spec_targets import allowed_codes, check_codes, check_unit, resolve_target
from loaders.spec_types import (
    FileSpec,
    OmopCondition,
    OmopMaps,
    OmopMeasurement,
    OmopUndetectable,
)

_OMOP_KEYS: Final = ("gender", "measurements", "drugs", "procedures", "cml_phase", "tki_stop")
_MEASUREMENT_KEYS: Final = ("to", "unit", "codes", "undetectable")
_UNDETECTABLE_KEYS: Final = ("operator_concept_id", "value_source_value")
#: ``condition_occurrence`` columns the CML phase may be read from.
CONDITION_SOURCES: Final = (
    "condition_status_source_value",
    "condition_status_concept_id",
    "condition_source_value",
)
#: Patients columns an OMOP extract cannot carry: the spec must give them as constants.
OMOP_CONSTANT_COLUMNS: Final = ("source_study", "data_origin", "disease")


def parse_omop_maps(path: Path, node: yaml.Node) -> OmopMaps:
    """Parse and validate the ``omop:`` maps of a file entry."""
    entries = yn.mapping(path, node, where="omop", allowed=_OMOP_KEYS, required=("gender",))
    drugs = _coded_map(path, entries.get("drugs"), "drugs", AGENTS)
    stop_reasons: tuple[str, ...] = ()
    if "tki_stop" in entries:
        stop_reasons = _tki_stop(path, entries["tki_stop"], drugs)
    measurements = _measurements(path, entries.get("measurements"))
    return OmopMaps(
        gender=_coded_map(path, entries["gender"], "gender", SEXES),
        measurements=measurements,
        drugs=drugs,
        procedures=_coded_map(path, entries.get("procedures"), "procedures", TRANSPLANT_TYPES),
        cml_phase=_cml_phase(path, entries["cml_phase"]) if "cml_phase" in entries else None,
        tki_stop_reasons=stop_reasons,
    )


def check_omop_constants(path: Path, node: yaml.Node, spec: FileSpec) -> None:
    """The constants an OMOP file needs, and none that the ``omop:`` maps also feed."""
    for column in OMOP_CONSTANT_COLUMNS:
        if f"patients.{column}" not in spec.constants:
            raise yn.fail(
                path,
                node,
                f"OMOP file {spec.name} needs the constant "
                f"patients.{column}; an OMOP extract does not carry it",
            )
    phase = spec.omop.cml_phase if spec.omop is not None else None
    if phase is not None and "patients.cml_phase" in spec.constants:
        raise yn.fail_at(
            path,
            phase.line,
            f"OMOP file {spec.name} gives patients.cml_phase both as a constant and "
            "through 'cml_phase:'; keep one",
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


def _tki_stop(path: Path, node: yaml.Node, drugs: dict[str, str]) -> tuple[str, ...]:
    entries = yn.mapping(
        path, node, where="tki_stop", allowed=("stop_reason",), required=("stop_reason",)
    )
    reasons = tuple(
        r.strip() for r in yn.string_list(path, entries["stop_reason"], where="stop_reason")
    )
    if not all(reasons):
        raise yn.fail(path, entries["stop_reason"], "an empty stop_reason cannot mark a TKI stop")
    if not any(agent in TKIS for agent in drugs.values()):
        raise yn.fail(
            path,
            node,
            "tki_stop needs 'drugs:' mapping at least one drug_source_value to a TKI "
            f"({', '.join(TKIS)})",
        )
    return reasons


def _cml_phase(path: Path, node: yaml.Node) -> OmopCondition:
    entries = yn.mapping(
        path, node, where="cml_phase", allowed=("from", "codes"), required=("from", "codes")
    )
    source = yn.scalar(path, entries["from"], where="from")
    if source not in CONDITION_SOURCES:
        raise yn.fail(
            path,
            entries["from"],
            f"cml_phase is read from one of {', '.join(CONDITION_SOURCES)}, not {source!r}",
        )
    codes = _coded_map(path, entries["codes"], "cml_phase codes", CML_PHASES)
    return OmopCondition(source, codes, yn.line_of(node))


def _measurements(path: Path, node: yaml.Node | None) -> dict[str, OmopMeasurement]:
    if node is None:
        return {}
    result = {}
    for source, value in yn.mapping(path, node, where="measurements").items():
        where = f"measurement {source!r}"
        entries = yn.mapping(path, value, where=where, allowed=_MEASUREMENT_KEYS, required=("to",))
        table, column = resolve_target(
            path, entries["to"], yn.scalar(path, entries["to"], where="to")
        )
        _check_measurement_target(path, entries, table, column, where=where)
        unit = yn.scalar(path, entries["unit"], where="unit") if "unit" in entries else None
        if unit is not None:
            check_unit(path, entries["unit"], column, unit)
        codes = None
        if "codes" in entries:
            check_codes(path, entries["codes"], column)
            codes = {
                k: v for k, (v, _n) in yn.string_map(path, entries["codes"], where="codes").items()
            }
        undetectable = None
        if "undetectable" in entries:
            undetectable = _undetectable(path, entries["undetectable"])
        result[source] = OmopMeasurement(
            table.name, column.name, unit, yn.line_of(value), codes, undetectable
        )
    targets = [(m.table, m.column) for m in result.values()]
    for source, measurement in result.items():
        if measurement.column == "abl1_copies" and ("bcr_abl1", "is_pct") not in targets:
            raise yn.fail_at(
                path,
                measurement.line,
                f"measurement {source!r} gives ABL1 copies of BCR::ABL1 samples, but no "
                "measurement maps to bcr_abl1.is_pct",
            )
        if targets.count((measurement.table, measurement.column)) > 1 and (
            measurement.table != "bcr_abl1" or measurement.column != "is_pct"
        ):
            raise yn.fail_at(
                path,
                measurement.line,
                f"{measurement.table}.{measurement.column} is mapped from more than one "
                "measurement; keep one",
            )
    return result


def _check_measurement_target(
    path: Path, entries: dict[str, yaml.Node], table: Table, column: Column, *, where: str
) -> None:
    """Numeric baseline columns, BCR::ABL1 samples and their copies, coded genetics columns."""
    numeric = table.name == "baseline" and column.dtype == pl.Float64()
    sample = table.name == "bcr_abl1" and column.name in ("is_pct", "abl1_copies")
    coded = table.name == "genetics" and allowed_codes(column) is not None
    if not (numeric or sample or coded):
        raise yn.fail(
            path,
            entries["to"],
            f"{where} must map to a numeric baseline column, bcr_abl1.is_pct, "
            "bcr_abl1.abl1_copies or a coded genetics column",
        )
    if "codes" in entries and not coded:
        raise yn.fail(path, entries["codes"], f"'codes:' of {where} is for genetics targets only")
    if "unit" in entries and coded:
        raise yn.fail(path, entries["unit"], f"{where} maps to a coded column; remove 'unit:'")
    if "undetectable" in entries and column.name != "is_pct":
        raise yn.fail(
            path, entries["undetectable"], f"'undetectable:' of {where} is for bcr_abl1.is_pct only"
        )


def _undetectable(path: Path, node: yaml.Node) -> OmopUndetectable:
    entries = yn.mapping(path, node, where="undetectable", allowed=_UNDETECTABLE_KEYS)
    if not entries:
        raise yn.fail(
            path, node, f"undetectable needs at least one of {', '.join(_UNDETECTABLE_KEYS)}"
        )

    def spellings(key: str) -> tuple[str, ...]:
        if key not in entries:
            return ()
        return tuple(s.strip() for s in yn.string_list(path, entries[key], where=key))

    return OmopUndetectable(spellings("operator_concept_id"), spellings("value_source_value"))
