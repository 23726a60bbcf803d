"""The harmonised model: every table of the lake, its columns, types, units, codes and OMOP homes.

This module is the single source of truth for the lake's shape. Loaders map site exports onto it,
the risk and survival engines read it, the GraphQL schema exposes it, and the data dictionary
(``docs/data-dictionary.md``, ``hemalake dictionary``) is generated from it.

Conventions
-----------
- Every table carries ``patient_id`` (an HMAC pseudonym, never the site's id) and ``site`` (the
  Delta partition column).
- Measurements are stored in one canonical unit (``01-myeloma.md`` §1.0); the column name ends with
  that unit so nobody has to guess.
- Marker and comorbidity columns are tri-state (:data:`MARKER_CODES`): ``present``, ``absent`` or
  ``not_tested``. A null never means "absent" (domain convention C1).
- Outcomes are dated events (:data:`EVENT_TYPES`); endpoints are derived from them, never stored.
- Every column names its OMOP CDM v5.4 home (``07-omop.md``) or says why it has none; per-code
  homes and concepts live in :mod:`lake.model_omop`.

Versioning
----------
:data:`MODEL_VERSION` is the data contract stored with every load and result. It must be bumped
for any change to the structure: tables, keys, columns and their order, dtypes, required flags,
units, code lists and valid ranges (:func:`structure_fingerprint`; the fingerprint of each
released version is committed in :data:`STRUCTURE_FINGERPRINTS` and a test fails when they
disagree). Descriptions and OMOP / LOINC / concept annotations are documentation, not contract:
they change the data dictionary without a bump, so results stored under a version stay
comparable.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import polars as pl

from lake.model_omop import (
    COMORBIDITY_HOMES,
    DATA_ORIGIN_HOMES,
    DISEASE_HOMES,
    DISEASE_STATUS_HOMES,
    EVENT_HOMES,
    GVHD_ORGAN_HOMES,
    MARKER_HOMES,
    SEX_HOMES,
    STEM_CELL_SOURCE_HOMES,
    TRANSPLANT_TYPE_HOMES,
    CodeHome,
    agent_homes,
)

MODEL_VERSION: Final = "1.2.0"
#: :func:`structure_fingerprint` of every released :data:`MODEL_VERSION`, oldest first. When the
#: structure changes, bump the version and append its new fingerprint; never edit a released one.
STRUCTURE_FINGERPRINTS: Final = {
    "1.0.0": "d534cd751e9ff8bf88bdb4646baf4e192d57dd62149b1700c2e7256d0f3b522f",
    "1.1.0": "be94897cadad5a80ca863462d2358ad928ab5659e0e5ecb9592786a40031dbb8",
    "1.2.0": "12843f0fde6d49597bfbd27c9ebb7b5425a804b0683328466bbc952d0867755e",
}

DISEASES: Final = ("MM", "AML", "CML")
SEXES: Final = ("M", "F")
DATA_ORIGINS: Final = ("trial", "real_world")
MARKER_CODES: Final = ("present", "absent", "not_tested")
CML_PHASES: Final = ("chronic", "accelerated", "blast")
BCR_ABL1_TRANSCRIPTS: Final = ("e13a2", "e14a2", "e13a2_e14a2", "atypical", "not_tested")
THERAPY_STRATEGIES: Final = ("fixed_duration", "continuous")
#: IMWG 2016 ordered response scale, worst first (Kumar 2016, doi:10.1016/S1470-2045(16)30206-6).
#: ``NE`` (not evaluable) is outside the order.
IMWG_RESPONSES: Final = ("PD", "SD", "MR", "PR", "VGPR", "CR", "sCR")
RESPONSE_CODES: Final = (*IMWG_RESPONSES, "NE")
TRANSPLANT_TYPES: Final = ("autologous", "allogeneic")
CONDITIONING: Final = ("MAC", "RIC", "NMA")
DONOR_TYPES: Final = (
    "matched_related",
    "matched_unrelated",
    "mismatched_unrelated",
    "haploidentical",
    "cord_blood",
)
#: Graft source of a haematopoietic cell transplant (EBMT registry "stem cell source").
STEM_CELL_SOURCES: Final = ("bone_marrow", "peripheral_blood", "cord_blood")
#: Disease status at transplant, best first (EBMT registry convention): complete remission by
#: number (CR1, CR2, third or later), then the myeloma response levels short of CR (IMWG 2016
#: VGPR and PR, Kumar 2016), stable disease, untreated relapse or progression, refractory
#: disease (primary induction failure, or relapse not responding to its last therapy) and
#: ``untreated`` (transplanted without prior therapy). Rule: ``in_first_remission`` is true
#: exactly when the status is ``CR1`` (the loader derives it where only the status is given and
#: quarantines a row where the two disagree).
DISEASE_STATUSES: Final = (
    "CR1",
    "CR2",
    "CR3_plus",
    "VGPR",
    "PR",
    "stable_disease",
    "relapse",
    "refractory",
    "untreated",
)
FIRST_REMISSION_STATUS: Final = "CR1"
EVENT_TYPES: Final = (
    "progression",
    "relapse",
    "death",
    "last_follow_up",
    "complete_remission",
    "agvhd",
    "cgvhd",
    "tki_stop",
    "tki_restart",
    "dli",
)
AGVHD_GRADES: Final = ("I", "II", "III", "IV")
CGVHD_SEVERITIES: Final = ("mild", "moderate", "severe")
#: Organs GVHD involves. Acute GVHD stages skin, liver, upper and lower GI (MAGIC: Harris 2016,
#: doi:10.1016/j.bbmt.2015.09.001); chronic GVHD scores skin, mouth, eyes, GI tract (oesophagus,
#: upper and lower GI), liver, lungs, joints and fascia, and the genital tract (NIH 2014:
#: Jagasia 2015, doi:10.1016/j.bbmt.2014.12.001).
AGVHD_ORGANS: Final = ("skin", "liver", "upper_gi", "lower_gi")
GVHD_ORGANS: Final = (
    *AGVHD_ORGANS,
    "esophagus",
    "mouth",
    "eye",
    "lung",
    "joints_fascia",
    "genital_tract",
)
#: What an adverse event is attributed to; the related row is named by ``line_number`` or
#: ``transplant_date`` (CTCAE v5.0 "attribution" reduced to the treatment the registry records).
AE_RELATIONS: Final = ("treatment_line", "transplant", "unrelated")
DEATH_CAUSES: Final = ("disease", "infection", "gvhd", "toxicity", "other", "unknown")
AGENTS: Final = (
    "thalidomide",
    "bortezomib",
    "lenalidomide",
    "pomalidomide",
    "carfilzomib",
    "daratumumab",
    "isatuximab",
    "melphalan",
    "cyclophosphamide",
    "dexamethasone",
    "prednisone",
    "cytarabine",
    "daunorubicin",
    "idarubicin",
    "midostaurin",
    "gilteritinib",
    "azacitidine",
    "venetoclax",
    "imatinib",
    "dasatinib",
    "nilotinib",
    "bosutinib",
    "ponatinib",
    "asciminib",
)
TKIS: Final = ("imatinib", "dasatinib", "nilotinib", "bosutinib", "ponatinib", "asciminib")


@dataclass(frozen=True, slots=True)
class Column:
    """One harmonised column.

    ``codes`` lists the allowed values of a coded column, in the order analyses follow (groups,
    Cox levels); ``ordinal`` marks codes that form a scale in that order (lowest first), apart
    from the ``unranked`` ones listed last (e.g. IMWG ``NE``): only an ordinal attribute has a
    trend across its groups. ``unit`` is the canonical unit of a measurement (``None`` for
    unitless columns); ``valid_range`` is the physiological range a loader enforces (inclusive).
    ``omop`` names the OMOP CDM v5.4 home (``07-omop.md``) and ``no_omop`` why there is none:
    exactly one of them is set. ``omop_codes`` maps each code to its own home and concept where
    they depend on the value (one entry per code, in order).
    """

    name: str
    dtype: pl.DataType
    description: str
    required: bool = False
    unit: str | None = None
    codes: tuple[str, ...] | None = None
    valid_range: tuple[float, float] | None = None
    omop: str | None = None
    loinc: str | None = None
    no_omop: str | None = None
    omop_codes: tuple[CodeHome, ...] = ()
    ordinal: bool = False
    unranked: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.ordinal and self.codes is None:
            raise ValueError(f"column {self.name!r}: only a coded column can be ordinal")
        if self.unranked and not (
            self.ordinal and self.codes and self.codes[-len(self.unranked) :] == self.unranked
        ):
            raise ValueError(
                f"column {self.name!r}: unranked codes {self.unranked} must be the last codes of "
                "an ordinal column"
            )
        if (self.omop is None) == (self.no_omop is None):
            raise ValueError(
                f"column {self.name!r}: give either its OMOP home (omop=) or the reason it has "
                "none (no_omop=), not both or neither"
            )
        if self.omop_codes and tuple(h.code for h in self.omop_codes) != self.codes:
            raise ValueError(
                f"column {self.name!r}: omop_codes must map exactly its codes {self.codes}, "
                "in order"
            )


@dataclass(frozen=True, slots=True)
class Table:
    """One harmonised Delta table, partitioned by ``site``.

    ``key`` lists the columns that identify a row; a loader quarantines duplicates on it.
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    omop: str
    notes: tuple[str, ...] = field(default=())

    @property
    def schema(self) -> pl.Schema:
        """The Polars schema of the table, columns in declaration order."""
        return pl.Schema({c.name: c.dtype for c in self.columns})

    def column(self, name: str) -> Column:
        """The column called ``name``; raises ``KeyError`` naming the table otherwise."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def _pid() -> Column:
    return Column(
        "patient_id",
        pl.String(),
        "Pseudonym: HMAC-SHA256 of site and site patient id under a secret held outside the lake.",
        required=True,
        omop="person.person_source_value (pseudonymised)",
    )


def _site() -> Column:
    return Column(
        "site",
        pl.String(),
        "Contributing site code; the Delta partition column.",
        required=True,
        omop="care_site.care_site_source_value",
    )


def _marker(name: str, description: str) -> Column:
    return Column(
        name,
        pl.String(),
        description,
        codes=MARKER_CODES,
        omop="measurement.value_as_concept_id (measurement_concept_id: the marker's test)",
        omop_codes=MARKER_HOMES,
    )


def _comorbidity(name: str, description: str) -> Column:
    return Column(
        name,
        pl.String(),
        description,
        codes=MARKER_CODES,
        omop="condition_occurrence / observation (by code)",
        omop_codes=COMORBIDITY_HOMES,
    )


def _lab(
    name: str,
    description: str,
    unit: str,
    valid_range: tuple[float, float],
    loinc: str | None = None,
    *,
    omop: str = "measurement.value_as_number",
) -> Column:
    return Column(
        name,
        pl.Float64(),
        description,
        unit=unit,
        valid_range=valid_range,
        omop=omop,
        loinc=loinc,
    )


PATIENTS = Table(
    name="patients",
    description="One row per patient: demographics, disease, diagnosis and study context.",
    key=("patient_id",),
    omop="person + condition_occurrence",
    columns=(
        _pid(),
        _site(),
        Column(
            "source_study",
            pl.String(),
            "Trial or registry the record comes from.",
            required=True,
            omop="observation_period / cohort_definition",
        ),
        Column(
            "study_arm",
            pl.String(),
            "Randomised arm within the source study, if any.",
            omop="observation.value_as_string (a fact without a better home, 07-omop.md §7.1)",
        ),
        Column(
            "data_origin",
            pl.String(),
            "Trial or real-world practice.",
            required=True,
            codes=DATA_ORIGINS,
            omop="the type_concept_id field of every row (provenance, Type Concept vocabulary)",
            omop_codes=DATA_ORIGIN_HOMES,
        ),
        Column(
            "sex",
            pl.String(),
            "Sex at birth.",
            required=True,
            codes=SEXES,
            omop="person.gender_concept_id",
            omop_codes=SEX_HOMES,
        ),
        Column(
            "birth_year",
            pl.Int32(),
            "Year of birth.",
            valid_range=(1900, 2030),
            omop="person.year_of_birth",
        ),
        Column(
            "age_at_diagnosis",
            pl.Float64(),
            "Age in years at diagnosis.",
            required=True,
            unit="years",
            valid_range=(0, 110),
            no_omop=(
                "derived, not stored: OMOP computes age at index from person.year_of_birth "
                "(or birth_datetime) and condition_occurrence.condition_start_date"
            ),
        ),
        Column(
            "disease",
            pl.String(),
            "Haematological malignancy.",
            required=True,
            codes=DISEASES,
            omop="condition_occurrence.condition_concept_id",
            omop_codes=DISEASE_HOMES,
        ),
        Column(
            "diagnosis_date",
            pl.Date(),
            "Date of diagnosis.",
            required=True,
            omop="condition_occurrence.condition_start_date",
        ),
        Column(
            "registry_entry_date",
            pl.Date(),
            (
                "Date the patient entered the registry or study (first observed by the source): "
                "at or after diagnosis. A later entry left-truncates analyses from diagnosis "
                "(delayed entry)."
            ),
            omop="observation_period.observation_period_start_date (the earliest)",
        ),
        Column(
            "cml_phase",
            pl.String(),
            "CML phase at diagnosis (CML only).",
            codes=CML_PHASES,
            ordinal=True,
            omop=(
                "measurement.value_as_concept_id (cancer modifier; measurement_event_id -> the "
                "CML condition_occurrence)"
            ),
        ),
    ),
)

BASELINE = Table(
    name="baseline",
    description=(
        "One row per patient: laboratory and clinical values at diagnosis, in canonical units "
        "(01-myeloma.md §1.0; 03-cml.md §3.0). LDH is judged against the reporting lab's ULN."
    ),
    key=("patient_id",),
    omop="measurement",
    columns=(
        _pid(),
        _site(),
        _lab("beta2m_mg_l", "Serum beta2-microglobulin.", "mg/L", (0.1, 100), "1952-1"),
        _lab("albumin_g_dl", "Serum albumin.", "g/dL", (0.5, 7.0), "1751-7"),
        _lab("ldh_u_l", "Serum lactate dehydrogenase.", "U/L", (10, 20000), "2532-0"),
        _lab(
            "ldh_uln_u_l",
            "Upper limit of normal of the reporting lab's LDH assay (OMOP measurement.range_high).",
            "U/L",
            (50, 2000),
            omop="measurement.range_high of the LDH row (source lab range, 07-omop.md §7.1)",
        ),
        _lab("creatinine_mg_dl", "Serum creatinine.", "mg/dL", (0.1, 20), "2160-0"),
        _lab("hemoglobin_g_dl", "Haemoglobin.", "g/dL", (2, 25), "718-7"),
        _lab("platelets_10e9_l", "Platelet count.", "10^9/L", (1, 5000), "777-3"),
        _lab("wbc_10e9_l", "White blood cell count.", "10^9/L", (0.05, 1000), "6690-2"),
        _lab("pb_blasts_pct", "Peripheral-blood blasts, % of differential.", "%", (0, 100)),
        _lab("bm_blasts_pct", "Bone-marrow blasts.", "%", (0, 100)),
        _lab("basophils_pct", "Peripheral-blood basophils, % of differential.", "%", (0, 100)),
        _lab("eosinophils_pct", "Peripheral-blood eosinophils, % of differential.", "%", (0, 100)),
        _lab(
            "spleen_cm",
            "Spleen palpable below the left costal margin (0 if not palpable).",
            "cm",
            (0, 40),
        ),
        _lab("weight_kg", "Body weight.", "kg", (25, 250), "29463-7"),
    ),
)

GENETICS = Table(
    name="genetics",
    description=(
        "One row per patient: cytogenetics (FISH, karyotype) and mutations at diagnosis. Every "
        "marker is present / absent / not_tested; a null is never read as absent."
    ),
    key=("patient_id",),
    omop="measurement (value_as_concept_id present/absent)",
    columns=(
        _pid(),
        _site(),
        # Myeloma FISH (Palumbo 2015; D'Agostino 2022)
        _marker("del17p", "del(17p) by FISH."),
        _marker("t4_14", "t(4;14) by FISH."),
        _marker("t14_16", "t(14;16) by FISH."),
        _marker("gain1q", "1q gain (3 copies) or amplification (>= 4 copies) by FISH."),
        # AML mutations (Döhner 2022)
        _marker("npm1", "NPM1 mutation."),
        _marker("flt3_itd", "FLT3 internal tandem duplication."),
        Column(
            "flt3_itd_ratio",
            pl.Float64(),
            "FLT3-ITD allelic ratio (not used by ELN 2022).",
            valid_range=(0, 100),
            omop="measurement.value_as_number (of the FLT3-ITD test row)",
        ),
        _marker("flt3_tkd", "FLT3 tyrosine-kinase-domain mutation."),
        _marker("dnmt3a", "DNMT3A mutation."),
        _marker("idh1", "IDH1 mutation."),
        _marker("idh2", "IDH2 mutation."),
        _marker("tet2", "TET2 mutation."),
        _marker("tp53", "TP53 mutation (any VAF)."),
        Column(
            "tp53_vaf",
            pl.Float64(),
            "TP53 variant allele frequency, %.",
            unit="%",
            valid_range=(0, 100),
            omop="measurement.value_as_number (of the TP53 test row; kept for the VAF >= 10% rule)",
        ),
        _marker("cebpa_bzip", "CEBPA in-frame bZIP mutation."),
        _marker("asxl1", "ASXL1 mutation (myelodysplasia-related gene)."),
        _marker("bcor", "BCOR mutation (myelodysplasia-related gene)."),
        _marker("ezh2", "EZH2 mutation (myelodysplasia-related gene)."),
        _marker("runx1", "RUNX1 mutation (myelodysplasia-related gene)."),
        _marker("sf3b1", "SF3B1 mutation (myelodysplasia-related gene)."),
        _marker("srsf2", "SRSF2 mutation (myelodysplasia-related gene)."),
        _marker("stag2", "STAG2 mutation (myelodysplasia-related gene)."),
        _marker("u2af1", "U2AF1 mutation (myelodysplasia-related gene)."),
        _marker("zrsr2", "ZRSR2 mutation (myelodysplasia-related gene)."),
        # AML karyotype lesions (ELN 2022 Table 6)
        _marker("t8_21", "t(8;21)(q22;q22.1) RUNX1::RUNX1T1."),
        _marker("inv16", "inv(16)(p13.1q22) or t(16;16)(p13.1;q22) CBFB::MYH11."),
        _marker("t9_11", "t(9;11)(p21.3;q23.3) MLLT3::KMT2A."),
        _marker("t6_9", "t(6;9)(p23.3;q34.1) DEK::NUP214."),
        _marker("kmt2a_r", "t(v;11q23.3) KMT2A rearrangement other than t(9;11); not KMT2A-PTD."),
        _marker("t9_22", "t(9;22)(q34.1;q11.2) BCR::ABL1 (in AML)."),
        _marker("t8_16", "t(8;16)(p11.2;p13.3) KAT6A::CREBBP."),
        _marker("inv3_t3_3", "inv(3)(q21.3q26.2) or t(3;3)(q21.3;q26.2) GATA2, MECOM."),
        _marker("mecom_r", "t(3q26.2;v) other MECOM rearrangement."),
        _marker("minus5_del5q", "-5 or del(5q)."),
        _marker("minus7", "-7."),
        _marker("minus17_abn17p", "-17 or abn(17p)."),
        _marker("complex_karyotype", "Complex karyotype (>= 3 unrelated abnormalities, ELN 2022)."),
        _marker("monosomal_karyotype", "Monosomal karyotype (ELN 2022)."),
        # CML
        Column(
            "bcr_abl1_transcript",
            pl.String(),
            "BCR::ABL1 transcript type (CML).",
            codes=BCR_ABL1_TRANSCRIPTS,
            omop=(
                "measurement.value_as_concept_id (measurement_concept_id: BCR::ABL1 transcript "
                "type)"
            ),
        ),
    ),
)

COMORBIDITIES = Table(
    name="comorbidities",
    description=(
        "One row per transplanted patient: HCT-CI comorbidity items assessed before conditioning "
        "(Sorror 2005, doi:10.1182/blood-2005-05-2004); each present / absent / not_tested."
    ),
    key=("patient_id",),
    omop="condition_occurrence (present) / observation (attested absent)",
    columns=(
        _pid(),
        _site(),
        _comorbidity("arrhythmia", "AF/flutter, sick sinus syndrome or ventricular arrhythmia."),
        _comorbidity("cardiac", "CAD, congestive heart failure, MI or EF <= 50%."),
        _comorbidity("inflammatory_bowel_disease", "Crohn's disease or ulcerative colitis."),
        _comorbidity("diabetes", "Diabetes requiring insulin or oral hypoglycaemics."),
        _comorbidity("cerebrovascular", "TIA or stroke."),
        _comorbidity("psychiatric", "Depression/anxiety requiring consultation or treatment."),
        _comorbidity(
            "hepatic_mild", "Chronic hepatitis, bilirubin > ULN-1.5xULN or AST/ALT > ULN-2.5xULN."
        ),
        _comorbidity("obesity", "BMI > 35 kg/m2."),
        _comorbidity("infection", "Infection requiring treatment continued after day 0."),
        _comorbidity("rheumatologic", "SLE, RA, polymyositis, MCTD or polymyalgia rheumatica."),
        _comorbidity("peptic_ulcer", "Peptic ulcer requiring treatment."),
        _comorbidity(
            "renal_moderate_severe", "Creatinine > 2 mg/dL, dialysis or renal transplant."
        ),
        _comorbidity(
            "pulmonary_moderate", "DLCO and/or FEV1 66-80% or dyspnoea on slight activity."
        ),
        _comorbidity(
            "prior_solid_tumour", "Treated solid tumour, excluding non-melanoma skin cancer."
        ),
        _comorbidity("heart_valve_disease", "Heart valve disease except mitral valve prolapse."),
        _comorbidity("pulmonary_severe", "DLCO and/or FEV1 <= 65%, dyspnoea at rest or oxygen."),
        _comorbidity(
            "hepatic_moderate_severe", "Cirrhosis, bilirubin > 1.5xULN or AST/ALT > 2.5xULN."
        ),
    ),
)

TREATMENT_LINES = Table(
    name="treatment_lines",
    description="One row per line of therapy: regimen, agents, dates, strategy and best response.",
    key=("patient_id", "line_number"),
    omop="episode (Treatment Regimen, concept 32531) + drug_exposure",
    columns=(
        _pid(),
        _site(),
        Column(
            "line_number",
            pl.Int16(),
            "Line of therapy, 1 = first line.",
            required=True,
            valid_range=(1, 20),
            omop="episode.episode_number",
        ),
        Column(
            "regimen",
            pl.String(),
            "Regimen name as reported (e.g. VTD, VRd, imatinib).",
            omop="episode.episode_source_value",
        ),
        Column(
            "agents",
            pl.List(pl.String()),
            "Agents given in the line.",
            codes=AGENTS,
            omop="drug_exposure.drug_concept_id (RxNorm), one exposure per agent",
            omop_codes=agent_homes(AGENTS),
        ),
        Column(
            "start_date",
            pl.Date(),
            "Start of the line.",
            required=True,
            omop="episode.episode_start_date",
        ),
        Column(
            "end_date",
            pl.Date(),
            "End of the line (null while ongoing).",
            omop="episode.episode_end_date",
        ),
        Column(
            "strategy",
            pl.String(),
            "Fixed-duration or continuous therapy.",
            codes=THERAPY_STRATEGIES,
            omop=(
                "observation.value_as_concept_id (observation_event_id -> the treatment episode; "
                "no episode field holds the intended duration)"
            ),
        ),
        Column(
            "best_response",
            pl.String(),
            "Best response on the IMWG 2016 scale (myeloma).",
            codes=RESPONSE_CODES,
            ordinal=True,
            unranked=("NE",),
            omop=(
                "measurement.value_as_concept_id (cancer modifier; measurement_event_id -> the "
                "treatment episode)"
            ),
        ),
    ),
)

TRANSPLANTS = Table(
    name="transplants",
    description="One row per haematopoietic cell transplant; day 0 is the infusion date.",
    key=("patient_id", "transplant_date"),
    omop="procedure_occurrence",
    columns=(
        _pid(),
        _site(),
        Column(
            "transplant_type",
            pl.String(),
            "Autologous or allogeneic.",
            required=True,
            codes=TRANSPLANT_TYPES,
            omop="procedure_occurrence.procedure_concept_id",
            omop_codes=TRANSPLANT_TYPE_HOMES,
        ),
        Column(
            "transplant_date",
            pl.Date(),
            "Infusion date (day 0).",
            required=True,
            omop="procedure_occurrence.procedure_date",
        ),
        Column(
            "conditioning",
            pl.String(),
            "Conditioning intensity.",
            codes=CONDITIONING,
            omop=(
                "observation.value_as_concept_id (observation_event_id -> the transplant "
                "procedure_occurrence; the conditioning drugs themselves are drug_exposure)"
            ),
        ),
        Column(
            "donor_type",
            pl.String(),
            "Donor (allogeneic only).",
            codes=DONOR_TYPES,
            omop=(
                "observation.value_as_concept_id (observation_event_id -> the transplant "
                "procedure_occurrence)"
            ),
        ),
        Column(
            "in_first_remission",
            pl.Boolean(),
            "Transplanted in first complete remission: true exactly when disease_status is CR1.",
            omop=(
                "measurement.value_as_concept_id (cancer modifier: disease status at transplant; "
                "measurement_event_id -> the procedure_occurrence)"
            ),
        ),
        Column(
            "stem_cell_source",
            pl.String(),
            "Graft source: bone marrow, mobilised peripheral blood or umbilical cord blood.",
            codes=STEM_CELL_SOURCES,
            omop=(
                "observation.value_as_concept_id (observation_event_id -> the transplant "
                "procedure_occurrence)"
            ),
            omop_codes=STEM_CELL_SOURCE_HOMES,
        ),
        Column(
            "disease_status",
            pl.String(),
            (
                "Disease status at transplant (EBMT convention): CR1, CR2, CR3 or later, VGPR or "
                "PR (myeloma, IMWG 2016), stable disease, untreated relapse, refractory, or "
                "untreated. CR1 is the status of in_first_remission = true."
            ),
            codes=DISEASE_STATUSES,
            omop=(
                "measurement.value_as_concept_id (cancer modifier: disease status at transplant; "
                "measurement_event_id -> the procedure_occurrence), the same row as "
                "in_first_remission"
            ),
            omop_codes=DISEASE_STATUS_HOMES,
        ),
    ),
)

EVENTS = Table(
    name="events",
    description=(
        "Dated clinical events; endpoints (OS, PFS, NRM, GRFS, MRFS ...) are derived from these. "
        "Death carries its cause; acute GVHD its grade; chronic GVHD its NIH severity and whether "
        "it needed systemic immunosuppression; either GVHD the organs involved. A donor "
        "lymphocyte infusion (dli) is dated by its infusion. Every patient has one "
        "last_follow_up (last contact)."
    ),
    key=("patient_id", "event_type", "event_date"),
    omop=(
        "death / episode / condition_occurrence / drug_exposure / observation_period / "
        "procedure_occurrence, by event type"
    ),
    columns=(
        _pid(),
        _site(),
        Column(
            "event_type",
            pl.String(),
            "Kind of event.",
            required=True,
            codes=EVENT_TYPES,
            omop="the table of the event type (see its map): the row itself is the event",
            omop_codes=EVENT_HOMES,
        ),
        Column(
            "event_date",
            pl.Date(),
            "Date of the event.",
            required=True,
            omop="the date field of the event type's table (see the event_type map)",
        ),
        Column(
            "grade",
            pl.String(),
            "Acute GVHD grade (I-IV, MAGIC) or chronic GVHD NIH severity (mild/moderate/severe).",
            codes=(*AGVHD_GRADES, *CGVHD_SEVERITIES),
            omop=(
                "measurement.value_as_concept_id (cancer-modifier style; measurement_event_id -> "
                "the GVHD condition_occurrence)"
            ),
        ),
        Column(
            "systemic_ist",
            pl.Boolean(),
            "Chronic GVHD requiring systemic immunosuppression.",
            omop=(
                "drug_exposure of systemic immunosuppressants after cGVHD onset (the flag is "
                "read from those rows)"
            ),
        ),
        Column(
            "death_cause",
            pl.String(),
            "Cause of death.",
            codes=DEATH_CAUSES,
            omop="death.cause_concept_id",
        ),
        Column(
            "gvhd_organs",
            pl.List(pl.String()),
            (
                "Organs involved by acute (MAGIC: skin, liver, upper and lower GI) or chronic "
                "GVHD (NIH 2014: also oesophagus, mouth, eyes, lungs, joints and fascia, genital "
                "tract); GVHD events only, null where not collected."
            ),
            codes=GVHD_ORGANS,
            omop=(
                "condition_occurrence.condition_concept_id of one row per organ (the organ-"
                "specific GVHD concept), same start date as the GVHD event"
            ),
            omop_codes=GVHD_ORGAN_HOMES,
        ),
    ),
)

BCR_ABL1 = Table(
    name="bcr_abl1",
    description=(
        "BCR::ABL1 monitoring samples on the International Scale (LOINC 69380-4). An undetectable "
        "sample has detectable = false, is_pct null and its ABL1 control copies."
    ),
    key=("patient_id", "sample_date"),
    omop="measurement",
    columns=(
        _pid(),
        _site(),
        Column(
            "sample_date",
            pl.Date(),
            "Sample date.",
            required=True,
            omop="measurement.measurement_date",
        ),
        Column(
            "detectable",
            pl.Boolean(),
            "Transcript detected.",
            required=True,
            omop=(
                "measurement.value_as_concept_id (detected / not detected); an undetectable "
                "sample also has operator_concept_id '<' (07-omop.md §7.1)"
            ),
        ),
        _lab("is_pct", "BCR::ABL1 / ABL1 on the International Scale.", "%", (0, 1000), "69380-4"),
        Column(
            "abl1_copies",
            pl.Int64(),
            "ABL1 control-gene copies (assay sensitivity).",
            valid_range=(0, 1e8),
            omop=(
                "measurement.value_as_number of the ABL1 control-gene row of the same "
                "measurement_date"
            ),
        ),
    ),
)

ADVERSE_EVENTS = Table(
    name="adverse_events",
    description=(
        "One row per adverse event: CTCAE v5.0 term and grade (1 mild - 5 death related to the "
        "event), onset and resolution dates, and the treatment line or transplant it is "
        "attributed to (the transplant study counts post-transplant toxicity)."
    ),
    key=("patient_id", "ctcae_term", "onset_date"),
    omop="condition_occurrence (the event) + measurement (its grade)",
    columns=(
        _pid(),
        _site(),
        Column(
            "ctcae_term",
            pl.String(),
            "CTCAE v5.0 term (a MedDRA lowest-level term), as reported (e.g. Febrile neutropenia).",
            required=True,
            omop=(
                "condition_occurrence.condition_source_value (condition_concept_id: the MedDRA "
                "term mapped to SNOMED)"
            ),
        ),
        Column(
            "grade",
            pl.Int8(),
            (
                "CTCAE v5.0 grade (NCI 2017): 1 mild, 2 moderate, 3 severe, 4 life-threatening, "
                "5 death related to the adverse event."
            ),
            required=True,
            valid_range=(1, 5),
            omop=(
                "measurement.value_as_concept_id (cancer-modifier style; measurement_event_id -> "
                "the adverse event's condition_occurrence)"
            ),
        ),
        Column(
            "onset_date",
            pl.Date(),
            "Onset of the adverse event.",
            required=True,
            omop="condition_occurrence.condition_start_date",
        ),
        Column(
            "resolution_date",
            pl.Date(),
            "Resolution (null while ongoing, and for a fatal event).",
            omop="condition_occurrence.condition_end_date",
        ),
        Column(
            "related_to",
            pl.String(),
            "What the event is attributed to: a treatment line, a transplant, or neither.",
            codes=AE_RELATIONS,
            omop=(
                "fact_relationship (the condition_occurrence to the treatment episode or the "
                "transplant procedure_occurrence)"
            ),
        ),
        Column(
            "line_number",
            pl.Int16(),
            "The treatment line the event is attributed to (related_to = treatment_line).",
            valid_range=(1, 20),
            omop="fact_relationship -> episode.episode_number of the treatment episode",
        ),
        Column(
            "transplant_date",
            pl.Date(),
            "Day 0 of the transplant the event is attributed to (related_to = transplant).",
            omop="fact_relationship -> procedure_occurrence.procedure_date of the transplant",
        ),
    ),
)

CLINICAL_TABLES: Final = (
    PATIENTS,
    BASELINE,
    GENETICS,
    COMORBIDITIES,
    TREATMENT_LINES,
    TRANSPLANTS,
    EVENTS,
    BCR_ABL1,
    ADVERSE_EVENTS,
)
TABLES_BY_NAME: Final = {t.name: t for t in CLINICAL_TABLES}


def table(name: str) -> Table:
    """The harmonised table called ``name``; the error lists the valid names."""
    try:
        return TABLES_BY_NAME[name]
    except KeyError:
        valid = ", ".join(TABLES_BY_NAME)
        raise KeyError(f"unknown harmonised table {name!r}; valid tables: {valid}") from None


def _dtype_id(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.List):
        inner = dtype.inner
        return f"List({_dtype_id(inner if isinstance(inner, pl.DataType) else inner())})"
    return type(dtype).__name__


def structure(tables: Sequence[Table] = CLINICAL_TABLES) -> list[dict[str, object]]:
    """The data contract of the tables as plain values: what :data:`MODEL_VERSION` versions.

    Table names, keys and, per column in order: name, dtype, required, unit, codes and valid
    range. Descriptions and OMOP / LOINC annotations are left out (documentation, not contract),
    and so is whether the codes form a scale (``ordinal``, ``unranked``): that is how analyses read
    the stored codes, whose order is already part of the contract.
    """
    return [
        {
            "table": t.name,
            "key": list(t.key),
            "columns": [
                {
                    "name": c.name,
                    "dtype": _dtype_id(c.dtype),
                    "required": c.required,
                    "unit": c.unit,
                    "codes": None if c.codes is None else list(c.codes),
                    "valid_range": None if c.valid_range is None else list(c.valid_range),
                }
                for c in t.columns
            ],
        }
        for t in tables
    ]


def structure_fingerprint(tables: Sequence[Table] = CLINICAL_TABLES) -> str:
    """SHA-256 (hex) of :func:`structure` serialised as canonical JSON (sorted keys)."""
    canonical = json.dumps(structure(tables), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
