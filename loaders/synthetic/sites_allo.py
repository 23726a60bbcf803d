"""Bundled allo-HSCT in myeloma registry extract (EBMT-like CSV, dd-Mon-yyyy dates)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from loaders.synthetic.profile import Col, FileProfile, SiteProfile
from loaders.synthetic.site_codes import (
    CUTOFF,
    FISH,
    death_cause,
    markers,
    patient_constants,
    transplant_columns,
    yes_no,
)
from loaders.synthetic.truth_allo import AlloCohort

_ALLO = FileProfile(
    path="",
    format="csv",
    id_column="patient_code",
    date_format="%d-%b-%Y",
    missing=("", "NA", "N/A"),
    columns=(),
)
_YN = markers("Y", "N", "ND")
#: EBMT-style organ spellings (MAGIC acute, NIH 2014 chronic GVHD organs).
GVHD_ORGAN_CODES = {
    "SKIN": "skin",
    "LIVER": "liver",
    "GI_UPPER": "upper_gi",
    "GI_LOWER": "lower_gi",
    "OESOPHAGUS": "esophagus",
    "MOUTH": "mouth",
    "EYES": "eye",
    "LUNG": "lung",
    "JOINTS_FASCIA": "joints_fascia",
    "GENITAL": "genital_tract",
}
_HCTCI = (
    "arrhythmia",
    "cardiac",
    "inflammatory_bowel_disease",
    "diabetes",
    "cerebrovascular",
    "psychiatric",
    "hepatic_mild",
    "obesity",
    "infection",
    "rheumatologic",
    "peptic_ulcer",
    "renal_moderate_severe",
    "pulmonary_moderate",
    "prior_solid_tumour",
    "heart_valve_disease",
    "pulmonary_severe",
    "hepatic_moderate_severe",
)
EU_ALLOMM = SiteProfile(
    code="EU-ALLOMM",
    name="European allo-HSCT in myeloma registry extract (synthetic, EBMT-like)",
    language="English (registry codes)",
    n_patients=450,
    ldh_uln_u_l=240,
    cohort=AlloCohort(
        site="EU-ALLOMM",
        id_prefix="AL",
        source_study="ALLO-MM-REGISTRY",
        first_transplant=dt.date(2009, 1, 1),
        cutoff=CUTOFF,
        ldh_uln=240,
    ),
    files=(
        replace(
            _ALLO,
            path="patients.csv",
            constants=patient_constants(
                disease="MM", data_origin="real_world", source_study="ALLO-MM-REGISTRY"
            ),
            columns=(
                Col("sex", to="patients.sex", codes={"1": "M", "2": "F"}),
                Col("year_of_birth", to="patients.birth_year"),
                Col("age_at_dx", to="patients.age_at_diagnosis"),
                Col("dx_date", to="patients.diagnosis_date"),
                Col("b2m_dx_mg_dl", to="baseline.beta2m_mg_l", unit="mg/dL"),
                Col("alb_dx_g_dl", to="baseline.albumin_g_dl"),
                Col("ldh_dx", to="baseline.ldh_u_l"),
                Col("creat_dx", to="baseline.creatinine_mg_dl"),
                *(Col(f"fish_{m}", to=f"genetics.{m}", codes=_YN) for m in FISH),
                *(Col(f"hctci_{m}", to=f"comorbidities.{m}", codes=_YN) for m in _HCTCI),
                Col("relapse_date", event="relapse"),
                Col("death_date", event="death"),
                death_cause(
                    "death_cause",
                    {
                        "RELAPSE": "disease",
                        "INFECTION": "infection",
                        "GVHD": "gvhd",
                        "TOXICITY": "toxicity",
                        "OTHER": "other",
                        "UNKNOWN": "unknown",
                    },
                ),
                Col("dli_date", event="dli"),
                Col("last_contact", event="last_follow_up"),
            ),
        ),
        replace(
            _ALLO,
            path="transplants.csv",
            table="transplants",
            columns=transplant_columns(
                transplant_type="hct_type",
                type_codes={"AUTO": "autologous", "ALLO": "allogeneic"},
                date="hct_date",
                conditioning="conditioning",
                donor="donor",
                donor_codes={
                    "MRD": "matched_related",
                    "MUD": "matched_unrelated",
                    "MMUD": "mismatched_unrelated",
                    "HAPLO": "haploidentical",
                    "CB": "cord_blood",
                },
                in_first_remission="cr1",
                remission_codes=yes_no("Y", "N"),
                stem_cell_source="source",
                disease_status="status_at_hct",
            ),
        ),
        replace(
            _ALLO,
            path="gvhd.csv",
            table="events",
            event_types=("agvhd", "cgvhd"),
            columns=(
                Col("gvhd", to="events.event_type", codes={"ACUTE": "agvhd", "CHRONIC": "cgvhd"}),
                Col("onset_date", to="events.event_date"),
                Col(
                    "grade_severity",
                    to="events.grade",
                    codes={
                        "I": "I",
                        "II": "II",
                        "III": "III",
                        "IV": "IV",
                        "MILD": "mild",
                        "MODERATE": "moderate",
                        "SEVERE": "severe",
                    },
                ),
                Col("systemic_ist", to="events.systemic_ist", codes={"Y": True, "N": False}),
                Col("organs", to="events.gvhd_organs", split="|", codes=GVHD_ORGAN_CODES),
            ),
        ),
        replace(
            _ALLO,
            path="toxicity.csv",
            table="adverse_events",
            columns=(
                Col("ctcae_term", to="adverse_events.ctcae_term"),
                Col("ctcae_grade", to="adverse_events.grade"),
                Col("onset_date", to="adverse_events.onset_date"),
                Col("resolution_date", to="adverse_events.resolution_date"),
                Col(
                    "attribution",
                    to="adverse_events.related_to",
                    codes={"HCT": "transplant", "LINE": "treatment_line", "NONE": "unrelated"},
                ),
                Col("hct_date", to="adverse_events.transplant_date"),
            ),
        ),
    ),
)
