"""Declarative site profiles: how a site's export looks and how its cohort is drawn.

One :class:`SiteProfile` drives both the export files (:mod:`loaders.synthetic.render`) and the
``mapping.yaml`` (:mod:`loaders.synthetic.spec_writer`), so the spec and the export cannot
disagree. ``codes`` are written in the spec's direction (site spelling -> harmonised code); the
renderer uses the first spelling of each harmonised code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from loaders.synthetic.truth_allo import AlloCohort
from loaders.synthetic.truth_aml import AmlCohort
from loaders.synthetic.truth_cml import CmlCohort
from loaders.synthetic.truth_mm import MyelomaCohort

FileFormat = Literal["csv", "xlsx", "parquet"]
Cohort = MyelomaCohort | AlloCohort | AmlCohort | CmlCohort
CodeValue = str | bool


@dataclass(frozen=True, slots=True)
class Col:
    """One export column: ``to`` a model column, or a wide-layout ``event`` (+ ``attribute``)."""

    source: str
    to: str | None = None
    event: str | None = None
    attribute: str | None = None
    codes: Mapping[str, CodeValue] | None = None
    unit: str | None = None
    split: str | None = None
    decimals: int = 4


@dataclass(frozen=True, slots=True)
class FileProfile:
    """One export file (or one sheet of a workbook).

    ``table`` names the multi-row table of a long-layout file (``None``: wide, per-patient
    tables plus ``event`` columns); ``event_types`` restricts a long events file.
    """

    path: str
    format: FileFormat
    id_column: str
    columns: tuple[Col, ...]
    date_format: str
    missing: tuple[str, ...]
    table: str | None = None
    event_types: tuple[str, ...] | None = None
    separator: str = ","
    decimal_comma: bool = False
    encoding: Literal["utf-8", "latin-1"] = "utf-8"
    sheet: str | None = None
    constants: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OmopProfile:
    """An OMOP CDM v5.4 CSV extract directory and its concept / source-value maps."""

    path: str
    gender: Mapping[str, str]
    measurements: Mapping[str, tuple[str, str | None]]
    drugs: Mapping[str, str]
    constants: Mapping[str, str]
    date_format: str = "%Y-%m-%d"
    #: ``operator_concept_id`` and ``value_source_value`` of an undetectable BCR::ABL1 sample.
    undetectable_operator: str | None = None
    undetectable_value: str | None = None
    #: ``measurement_source_value`` of the ABL1 control-gene copies row of each sample.
    abl1_copies_source: str | None = None
    #: ``measurement_source_value`` of the transcript-type row and its spellings -> codes.
    transcript_source: str | None = None
    transcript_codes: Mapping[str, str] = field(default_factory=dict)
    #: ``drug_exposure.stop_reason`` of the exposure ended for a TFR attempt.
    tki_stop_reason: str | None = None
    #: ``condition_status_source_value`` spellings -> ``patients.cml_phase``.
    cml_phase_codes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SiteProfile:
    """A bundled (or scaled) synthetic site."""

    code: str
    name: str
    language: str
    cohort: Cohort
    n_patients: int
    files: tuple[FileProfile, ...] = ()
    omop: OmopProfile | None = None
    ldh_uln_u_l: float | None = None
    spec_version: str = "2026.1"
