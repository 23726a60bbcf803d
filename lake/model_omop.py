"""OMOP CDM v5.4 (+ Oncology extension) homes and standard concepts of the model's codes and units.

:mod:`lake.model` names each column's OMOP home (``table.field``); this module holds the per-code
maps where the home or the concept depends on the value (an event type picks its table, an agent
its RxNorm ingredient) and the UCUM concept of every canonical unit. The data dictionary renders
them as tables.

Source: ``07-omop.md`` (OHDSI CDM v5.4 field-level specification; Oncology Working Group Episode /
Episode_Event). A concept ID is recorded only where ``07-omop.md`` gives one; everything else names
the vocabulary and the concept code or name to look up, as ``07-omop.md`` §7.2 asks ("do not
hard-code concept IDs").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

#: ``CONFIRMED``: code confirmed in ``07-omop.md``; ``UNCONFIRMED``: a concept ID from a secondary
#: source (named where it is recorded), to be verified against the OMOP vocabulary before use;
#: ``LOOK_UP``: no ID recorded, resolve by vocabulary and code or name.
ConceptStatus = Literal["CONFIRMED", "UNCONFIRMED", "LOOK_UP"]


@dataclass(frozen=True, slots=True)
class Concept:
    """A standard concept: the ``vocabulary_id`` and the concept code or name to look up in it."""

    vocabulary: str
    lookup: str
    status: ConceptStatus
    concept_id: int | None = None


@dataclass(frozen=True, slots=True)
class CodeHome:
    """Where rows with one code of a coded column go in OMOP, and the concept they carry.

    ``concept`` is ``None`` where the row itself is the fact (a death) or no row is written.
    """

    code: str
    home: str
    concept: Concept | None = None


def _look_up(vocabulary: str, lookup: str) -> Concept:
    return Concept(vocabulary, lookup, "LOOK_UP")


def agent_homes(agents: tuple[str, ...]) -> tuple[CodeHome, ...]:
    """Each agent as a ``drug_exposure`` row with its RxNorm ingredient (07-omop.md §7.1).

    The model's agent codes are the RxNorm ingredient names (lower case, INN spelling).
    """
    return tuple(
        CodeHome(a, "drug_exposure.drug_concept_id", _look_up("RxNorm (Ingredient)", a))
        for a in agents
    )


#: Gender concept IDs: not in 07-omop.md; the IDs the OMOP loader's site mappings use
#: (``loaders/sites/EU-CMLSTOP/mapping.yaml``), hence UNCONFIRMED.
SEX_HOMES: Final = (
    CodeHome("M", "person.gender_concept_id", Concept("Gender", "MALE", "UNCONFIRMED", 8507)),
    CodeHome("F", "person.gender_concept_id", Concept("Gender", "FEMALE", "UNCONFIRMED", 8532)),
)

#: Oncology extension: the cancer diagnosis is a condition with an ICD-O-3 histology/topography
#: concept (07-omop.md §7.1).
DISEASE_HOMES: Final = (
    CodeHome(
        "MM", "condition_occurrence.condition_concept_id", _look_up("ICDO3", "Multiple myeloma")
    ),
    CodeHome(
        "AML",
        "condition_occurrence.condition_concept_id",
        _look_up("ICDO3", "Acute myeloid leukemia, NOS"),
    ),
    CodeHome(
        "CML",
        "condition_occurrence.condition_concept_id",
        _look_up("ICDO3", "Chronic myelogenous leukemia, BCR-ABL1 positive"),
    ),
)

#: Provenance goes in the type concept field of every row (``condition_type_concept_id``,
#: ``death_type_concept_id`` ...; Type Concept vocabulary).
DATA_ORIGIN_HOMES: Final = (
    CodeHome(
        "trial", "each row's type_concept_id field", _look_up("Type Concept", "Case Report Form")
    ),
    CodeHome(
        "real_world",
        "each row's type_concept_id field",
        _look_up("Type Concept", "EHR or Registry"),
    ),
)

#: A marker is a ``measurement`` of its test with the lab's positivity call as the value
#: (07-omop.md §7.1); a test not done writes no row.
MARKER_HOMES: Final = (
    CodeHome("present", "measurement.value_as_concept_id", _look_up("SNOMED", "Present")),
    CodeHome("absent", "measurement.value_as_concept_id", _look_up("SNOMED", "Absent")),
    CodeHome("not_tested", "no measurement row (test not done)"),
)

#: An HCT-CI comorbidity present is a diagnosis; an attested absence an observation
#: (07-omop.md §7.1: comorbidities for HCT-CI in condition_occurrence, attestations in
#: observation).
COMORBIDITY_HOMES: Final = (
    CodeHome("present", "condition_occurrence.condition_concept_id (the comorbidity)"),
    CodeHome(
        "absent",
        "observation.value_as_concept_id (attested absence)",
        _look_up("SNOMED", "Absent"),
    ),
    CodeHome("not_tested", "no row (not assessed)"),
)

TRANSPLANT_TYPE_HOMES: Final = (
    CodeHome(
        "autologous",
        "procedure_occurrence.procedure_concept_id",
        _look_up("SNOMED", "Autologous hematopoietic stem cell transplant"),
    ),
    CodeHome(
        "allogeneic",
        "procedure_occurrence.procedure_concept_id",
        _look_up("SNOMED", "Allogeneic hematopoietic stem cell transplant"),
    ),
)

#: The graft source is an observation of the transplant procedure (no procedure concept
#: distinguishes it reliably across vocabularies; look the values up in SNOMED).
STEM_CELL_SOURCE_HOMES: Final = (
    CodeHome(
        "bone_marrow",
        "observation.value_as_concept_id",
        _look_up("SNOMED", "Bone marrow stem cell"),
    ),
    CodeHome(
        "peripheral_blood",
        "observation.value_as_concept_id",
        _look_up("SNOMED", "Peripheral blood stem cell"),
    ),
    CodeHome(
        "cord_blood",
        "observation.value_as_concept_id",
        _look_up("SNOMED", "Umbilical cord blood stem cell"),
    ),
)

#: Disease status at transplant is a cancer modifier (Oncology extension) of the transplant
#: procedure: a measurement whose value is the status (07-omop.md §7.1: disease-state modifiers
#: in ``measurement``). No concept IDs are recorded; look the status up by name.
DISEASE_STATUS_HOMES: Final = tuple(
    CodeHome(code, "measurement.value_as_concept_id", _look_up(vocabulary, name))
    for code, vocabulary, name in (
        ("CR1", "SNOMED", "First complete remission"),
        ("CR2", "SNOMED", "Second complete remission"),
        ("CR3_plus", "SNOMED", "Complete remission (third or later)"),
        ("VGPR", "SNOMED", "Very good partial response"),
        ("PR", "SNOMED", "Partial response"),
        ("stable_disease", "SNOMED", "Stable disease"),
        ("relapse", "SNOMED", "Relapse"),
        ("refractory", "SNOMED", "Refractory"),
        ("untreated", "SNOMED", "Untreated"),
    )
)

#: Each organ GVHD involves is its own condition row with the organ-specific GVHD concept
#: (e.g. "Acute graft-versus-host disease of skin"), dated like the GVHD event.
GVHD_ORGAN_HOMES: Final = tuple(
    CodeHome(
        code,
        "condition_occurrence.condition_concept_id",
        _look_up("SNOMED", f"Graft-versus-host disease of {name}"),
    )
    for code, name in (
        ("skin", "skin"),
        ("liver", "liver"),
        ("upper_gi", "upper gastrointestinal tract"),
        ("lower_gi", "lower gastrointestinal tract"),
        ("esophagus", "oesophagus"),
        ("mouth", "mouth"),
        ("eye", "eye"),
        ("lung", "lung"),
        ("joints_fascia", "joints and fascia"),
        ("genital_tract", "genital tract"),
    )
)

#: Each event type has its own table; ``events.event_date`` is that table's date field.
#: Disease episodes carry ``episode_object_concept_id`` = the disease's condition concept; the
#: Episode concept IDs other than 32531 are UNCONFIRMED in 07-omop.md (look up by name).
EVENT_HOMES: Final = (
    CodeHome(
        "progression",
        "episode.episode_start_date (disease episode)",
        _look_up("Episode", "Disease Progression"),
    ),
    CodeHome(
        "relapse",
        "episode.episode_start_date (disease episode)",
        _look_up("Episode", "Disease Recurrence"),
    ),
    CodeHome("death", "death.death_date (one row per person)"),
    CodeHome("last_follow_up", "observation_period.observation_period_end_date (the latest)"),
    CodeHome(
        "complete_remission",
        "episode.episode_start_date (disease episode)",
        _look_up("Episode", "Disease Remission"),
    ),
    CodeHome(
        "agvhd",
        "condition_occurrence.condition_start_date",
        _look_up("SNOMED", "Acute graft-versus-host disease"),
    ),
    CodeHome(
        "cgvhd",
        "condition_occurrence.condition_start_date",
        _look_up("SNOMED", "Chronic graft-versus-host disease"),
    ),
    CodeHome(
        "tki_stop",
        "drug_exposure.drug_exposure_end_date of the TKI exposure whose stop_reason is the "
        "TFR attempt (records are not merged, loaders/omop_tki.py)",
    ),
    CodeHome(
        "tki_restart",
        "drug_exposure.drug_exposure_start_date of the next TKI exposure after the stop",
    ),
    CodeHome(
        "dli",
        "procedure_occurrence.procedure_date",
        _look_up("SNOMED", "Donor lymphocyte infusion"),
    ),
)

#: ``unit_concept_id`` of every canonical unit of a stored measurement (07-omop.md §7.3: the IDs
#: there come from a third-party mapping and are UNCONFIRMED; mg/L and the others: look up).
UNIT_CONCEPTS: Final = {
    "mg/L": _look_up("UCUM", "mg/L"),
    "g/dL": Concept("UCUM", "g/dL", "UNCONFIRMED", 8713),
    "U/L": Concept("UCUM", "U/L", "UNCONFIRMED", 8645),
    "mg/dL": Concept("UCUM", "mg/dL", "UNCONFIRMED", 8840),
    "10^9/L": _look_up("UCUM", "10*9/L"),
    "%": Concept("UCUM", "%", "UNCONFIRMED", 8554),
    "cm": _look_up("UCUM", "cm"),
    "kg": _look_up("UCUM", "kg"),
}
