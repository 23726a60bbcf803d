"""The parsed form of a site mapping spec: frozen dataclasses, no parsing logic.

See ``loaders/SPEC.md`` for the YAML format and :func:`loaders.spec.parse_spec` for the parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from lake.model import CLINICAL_TABLES

FileFormat = Literal["csv", "xlsx", "parquet", "omop"]
Encoding = Literal["utf-8", "latin-1"]

FILE_FORMATS: Final[tuple[FileFormat, ...]] = ("csv", "xlsx", "parquet", "omop")
ENCODINGS: Final[tuple[Encoding, ...]] = ("utf-8", "latin-1")
DEFAULT_MISSING: Final = ("", "NA")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """How one source column maps onto the model (``to:``) or onto a wide-layout event."""

    source: str
    line: int
    table: str
    column: str
    event: str | None = None
    unit: str | None = None
    codes: dict[str, str] | None = None
    split: str | None = None
    date_format: str | None = None


@dataclass(frozen=True, slots=True)
class OmopUndetectable:
    """How an OMOP extract marks an undetectable (censored, "<") BCR::ABL1 sample: any of the
    listed ``operator_concept_id`` or ``value_source_value`` spellings."""

    operators: tuple[str, ...]
    value_sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OmopMeasurement:
    """One OMOP ``measurement_source_value`` mapped to a harmonised column.

    ``codes`` maps ``value_source_value`` for a coded target (genetics); ``undetectable`` is the
    censoring convention of a ``bcr_abl1.is_pct`` measurement.
    """

    table: str
    column: str
    unit: str | None
    line: int
    codes: dict[str, str] | None = None
    undetectable: OmopUndetectable | None = None


@dataclass(frozen=True, slots=True)
class OmopCondition:
    """A patients column read from the diagnosis ``condition_occurrence`` row through codes."""

    source: str
    codes: dict[str, str]
    line: int


@dataclass(frozen=True, slots=True)
class OmopMaps:
    """Concept and source-value maps of an OMOP CDM v5.4 extract.

    ``tki_stop_reasons``: ``drug_exposure.stop_reason`` spellings that make the end of a TKI
    exposure a ``tki_stop`` event (empty: no TKI stop / restart events).
    """

    gender: dict[str, str]
    measurements: dict[str, OmopMeasurement]
    drugs: dict[str, str]
    procedures: dict[str, str]
    cml_phase: OmopCondition | None = None
    tki_stop_reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FileSpec:
    """One export file (or OMOP directory) of a site and how its columns map."""

    name: str
    path: Path
    line: int
    format: FileFormat
    separator: str = ","
    decimal_comma: bool = False
    encoding: Encoding = "utf-8"
    sheet: str | None = None
    date_format: str = "%Y-%m-%d"
    missing: tuple[str, ...] = DEFAULT_MISSING
    id_column: str | None = None
    constants: dict[str, str] = field(default_factory=dict)
    columns: tuple[ColumnMapping, ...] = ()
    omop: OmopMaps | None = None

    @property
    def tables(self) -> tuple[str, ...]:
        """Names of the harmonised tables this file feeds, in model order."""
        fed = {m.table for m in self.columns} | {k.split(".")[0] for k in self.constants}
        if self.omop is not None:
            fed |= {"patients", "events", "treatment_lines", "transplants"}
            fed |= {m.table for m in self.omop.measurements.values()}
        return tuple(t.name for t in CLINICAL_TABLES if t.name in fed)

    def date_format_of(self, mapping: ColumnMapping) -> str:
        """The strptime pattern for a date mapping: its own override or the file's."""
        return mapping.date_format or self.date_format


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """A parsed, validated site mapping spec."""

    path: Path
    format_version: int
    spec_version: str
    site: str
    name: str
    ldh_uln_u_l: float | None
    files: tuple[FileSpec, ...]
