"""Bundled myeloma site profiles: Italian and Spanish trials, German real world, allo registry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace

from loaders.synthetic.profile import Col, FileProfile, SiteProfile
from loaders.synthetic.truth_allo import AlloCohort
from loaders.synthetic.truth_mm import (
    DARA_VTD,
    DRD,
    RD,
    TD,
    VMP,
    VMPT_VT,
    VRD,
    VTD,
    MyelomaCohort,
    Study,
)

CUTOFF = dt.date(2025, 6, 30)
FISH = ("del17p", "t4_14", "t14_16", "gain1q")


def markers(present: str, absent: str, not_tested: str) -> dict[str, str]:
    """Tri-state marker codes in the site's spelling."""
    return {present: "present", absent: "absent", not_tested: "not_tested"}


def agent_codes(names: Mapping[str, str]) -> dict[str, str]:
    """Site agent spelling -> model agent."""
    return dict(names)


_IT_AGENTS = agent_codes(
    {
        "BORT": "bortezomib",
        "TAL": "thalidomide",
        "LEN": "lenalidomide",
        "DARA": "daratumumab",
        "DEX": "dexamethasone",
        "MEL": "melphalan",
        "PRED": "prednisone",
        "CARF": "carfilzomib",
        "POM": "pomalidomide",
    }
)
_IT_FISH = markers("Sì", "No", "n.e.")
IT_MMT = SiteProfile(
    code="IT-MMT",
    name="Rete italiana studi mieloma (synthetic)",
    language="Italian",
    n_patients=1100,
    ldh_uln_u_l=248,
    cohort=MyelomaCohort(
        site="IT-MMT",
        id_prefix="IT",
        data_origin="trial",
        cutoff=CUTOFF,
        ldh_uln=248,
        studies=(
            Study(
                "MM-IT-2006", (("VTD", VTD), ("TD", TD)), dt.date(2006, 5, 1), dt.date(2009, 12, 31)
            ),
            Study(
                "MM-IT-2011",
                (("VMP", VMP), ("VMPT-VT", VMPT_VT)),
                dt.date(2011, 1, 1),
                dt.date(2014, 6, 30),
            ),
            Study(
                "MM-IT-2016",
                (("D-VTD", DARA_VTD), ("VTD", VTD)),
                dt.date(2016, 3, 1),
                dt.date(2019, 12, 31),
            ),
        ),
    ),
    files=(
        FileProfile(
            path="pazienti.csv",
            format="csv",
            separator=";",
            decimal_comma=True,
            id_column="codice_paz",
            date_format="%d/%m/%Y",
            missing=("", "NA", "n.d."),
            constants={"patients.disease": "MM", "patients.data_origin": "trial"},
            columns=(
                Col("studio", to="patients.source_study"),
                Col("braccio", to="patients.study_arm"),
                Col("sesso", to="patients.sex", codes={"M": "M", "F": "F"}),
                Col("anno_nascita", to="patients.birth_year"),
                Col("eta_diagnosi", to="patients.age_at_diagnosis"),
                Col("data_diagnosi", to="patients.diagnosis_date"),
                Col("b2m", to="baseline.beta2m_mg_l", unit="nmol/L"),
                Col("albumina", to="baseline.albumin_g_dl", unit="g/L"),
                Col("ldh", to="baseline.ldh_u_l"),
                Col("ldh_lsn", to="baseline.ldh_uln_u_l"),
                Col("creatinina", to="baseline.creatinine_mg_dl", unit="µmol/L"),
                Col("emoglobina", to="baseline.hemoglobin_g_dl"),
                Col("piastrine", to="baseline.platelets_10e9_l"),
                Col("del17p", to="genetics.del17p", codes=_IT_FISH),
                Col("t4_14", to="genetics.t4_14", codes=_IT_FISH),
                Col("t14_16", to="genetics.t14_16", codes=_IT_FISH),
                Col("guadagno_1q", to="genetics.gain1q", codes=_IT_FISH),
                Col("data_progressione", event="progression"),
                Col("data_decesso", event="death"),
                Col(
                    "causa_decesso",
                    event="death",
                    attribute="death_cause",
                    codes={
                        "malattia": "disease",
                        "infezione": "infection",
                        "tossicità": "toxicity",
                        "altro": "other",
                        "ignota": "unknown",
                    },
                ),
                Col("data_ultimo_contatto", event="last_follow_up"),
            ),
        ),
        FileProfile(
            path="terapie.csv",
            format="csv",
            separator=";",
            decimal_comma=True,
            id_column="codice_paz",
            date_format="%d/%m/%Y",
            missing=("", "NA", "n.d."),
            table="treatment_lines",
            columns=(
                Col("linea", to="treatment_lines.line_number"),
                Col("schema", to="treatment_lines.regimen"),
                Col("farmaci", to="treatment_lines.agents", split="+", codes=_IT_AGENTS),
                Col("inizio", to="treatment_lines.start_date"),
                Col("fine", to="treatment_lines.end_date"),
                Col(
                    "strategia",
                    to="treatment_lines.strategy",
                    codes={"durata fissa": "fixed_duration", "continua": "continuous"},
                ),
                Col(
                    "miglior_risposta",
                    to="treatment_lines.best_response",
                    codes={
                        "PD": "PD",
                        "SD": "SD",
                        "MR": "MR",
                        "PR": "PR",
                        "VGPR": "VGPR",
                        "CR": "CR",
                        "sCR": "sCR",
                        "NV": "NE",
                    },
                ),
            ),
        ),
        FileProfile(
            path="trapianti.csv",
            format="csv",
            separator=";",
            decimal_comma=True,
            id_column="codice_paz",
            date_format="%d/%m/%Y",
            missing=("", "NA", "n.d."),
            table="transplants",
            columns=(
                Col(
                    "tipo",
                    to="transplants.transplant_type",
                    codes={"autologo": "autologous", "allogenico": "allogeneic"},
                ),
                Col("data_trapianto", to="transplants.transplant_date"),
                Col(
                    "condizionamento",
                    to="transplants.conditioning",
                    codes={"mieloablativo": "MAC", "ridotto": "RIC", "non mieloablativo": "NMA"},
                ),
            ),
        ),
    ),
)

_ES_FISH = markers("Sí", "No", "No realizado")
_ES_SHEET = FileProfile(
    path="datos_mieloma.xlsx",
    format="xlsx",
    id_column="id_paciente",
    date_format="%d/%m/%Y",
    missing=("", "ND"),
    columns=(),
)
ES_MMT = SiteProfile(
    code="ES-MMT",
    name="Grupo español ensayos mieloma (synthetic)",
    language="Spanish",
    n_patients=900,
    cohort=MyelomaCohort(
        site="ES-MMT",
        id_prefix="ES",
        data_origin="trial",
        cutoff=CUTOFF,
        ldh_uln=225,
        studies=(
            Study(
                "MM-ES-2010",
                (("VRD-TASPE", VRD), ("VTD-TASPE", VTD)),
                dt.date(2010, 2, 1),
                dt.date(2013, 12, 31),
            ),
            Study(
                "MM-ES-2013", (("VMP", VMP), ("Rd", RD)), dt.date(2013, 6, 1), dt.date(2017, 12, 31)
            ),
        ),
    ),
    files=(
        replace(
            _ES_SHEET,
            sheet="Pacientes",
            constants={"patients.disease": "MM", "patients.data_origin": "trial"},
            columns=(
                Col("ensayo", to="patients.source_study"),
                Col("brazo", to="patients.study_arm"),
                Col("sexo", to="patients.sex", codes={"Hombre": "M", "Mujer": "F"}),
                Col("año_nacimiento", to="patients.birth_year"),
                Col("edad_diagnóstico", to="patients.age_at_diagnosis"),
                Col("fecha_diagnóstico", to="patients.diagnosis_date"),
                Col("b2m_mg_l", to="baseline.beta2m_mg_l"),
                Col("albúmina_g_dl", to="baseline.albumin_g_dl"),
                Col("ldh", to="baseline.ldh_u_l"),
                Col("ldh_lsn", to="baseline.ldh_uln_u_l"),
                Col("creatinina_mg_dl", to="baseline.creatinine_mg_dl"),
                Col("hemoglobina_g_l", to="baseline.hemoglobin_g_dl", unit="g/L"),
                Col("plaquetas_ul", to="baseline.platelets_10e9_l", unit="/µL"),
                Col("peso_kg", to="baseline.weight_kg"),
                *(Col(f"fish_{m}", to=f"genetics.{m}", codes=_ES_FISH) for m in FISH),
                Col("fecha_progresión", event="progression"),
                Col("fecha_muerte", event="death"),
                Col(
                    "causa_muerte",
                    event="death",
                    attribute="death_cause",
                    codes={
                        "enfermedad": "disease",
                        "infección": "infection",
                        "toxicidad": "toxicity",
                        "otra": "other",
                        "desconocida": "unknown",
                    },
                ),
                Col("fecha_último_control", event="last_follow_up"),
            ),
        ),
        replace(
            _ES_SHEET,
            sheet="Líneas",
            table="treatment_lines",
            columns=(
                Col("línea", to="treatment_lines.line_number"),
                Col("esquema", to="treatment_lines.regimen"),
                Col(
                    "fármacos",
                    to="treatment_lines.agents",
                    split="/",
                    codes={
                        "bortezomib": "bortezomib",
                        "talidomida": "thalidomide",
                        "lenalidomida": "lenalidomide",
                        "daratumumab": "daratumumab",
                        "dexametasona": "dexamethasone",
                        "melfalán": "melphalan",
                        "prednisona": "prednisone",
                        "carfilzomib": "carfilzomib",
                        "pomalidomida": "pomalidomide",
                    },
                ),
                Col("inicio", to="treatment_lines.start_date"),
                Col("fin", to="treatment_lines.end_date"),
                Col(
                    "estrategia",
                    to="treatment_lines.strategy",
                    codes={"duración fija": "fixed_duration", "continua": "continuous"},
                ),
                Col(
                    "mejor_respuesta",
                    to="treatment_lines.best_response",
                    codes={
                        "PE": "PD",
                        "EE": "SD",
                        "RM": "MR",
                        "RP": "PR",
                        "MBRP": "VGPR",
                        "RC": "CR",
                        "RCe": "sCR",
                        "NE": "NE",
                    },
                ),
            ),
        ),
        replace(
            _ES_SHEET,
            sheet="Trasplantes",
            table="transplants",
            columns=(
                Col(
                    "tipo",
                    to="transplants.transplant_type",
                    codes={"autólogo": "autologous", "alogénico": "allogeneic"},
                ),
                Col("fecha_trasplante", to="transplants.transplant_date"),
                Col(
                    "acondicionamiento",
                    to="transplants.conditioning",
                    codes={
                        "mieloablativo": "MAC",
                        "intensidad reducida": "RIC",
                        "no mieloablativo": "NMA",
                    },
                ),
            ),
        ),
    ),
)

_DE = FileProfile(
    path="",
    format="parquet",
    id_column="pat_nr",
    date_format="%Y-%m-%d",
    missing=("", "k.A.", "unbekannt"),
    columns=(),
)
_DE_FISH = markers("ja", "nein", "nicht untersucht")
_DE_REGISTRY = "DE-MM-REGISTER"
DE_MMRW = SiteProfile(
    code="DE-MMRW",
    name="Deutsches Myelom-Register, Versorgungsdaten (synthetic)",
    language="German",
    n_patients=1000,
    cohort=MyelomaCohort(
        site="DE-MMRW",
        id_prefix="DE",
        data_origin="real_world",
        cutoff=CUTOFF,
        ldh_uln=250,
        age_mean=69.0,
        fish_not_tested=0.30,
        gain1q_not_tested=0.35,
        loss_per_year=0.05,
        studies=(
            Study(
                _DE_REGISTRY, ((None, VMP), (None, VTD)), dt.date(2008, 1, 1), dt.date(2012, 12, 31)
            ),
            Study(
                _DE_REGISTRY, ((None, VRD), (None, RD)), dt.date(2013, 1, 1), dt.date(2017, 12, 31)
            ),
            Study(
                _DE_REGISTRY,
                ((None, DRD), (None, DARA_VTD)),
                dt.date(2018, 1, 1),
                dt.date(2022, 12, 31),
            ),
        ),
    ),
    files=(
        replace(
            _DE,
            path="patienten.parquet",
            constants={
                "patients.disease": "MM",
                "patients.data_origin": "real_world",
                "patients.source_study": _DE_REGISTRY,
            },
            columns=(
                Col("geschlecht", to="patients.sex", codes={"m": "M", "w": "F"}),
                Col("geburtsjahr", to="patients.birth_year"),
                Col("alter_bei_diagnose", to="patients.age_at_diagnosis"),
                Col("diagnosedatum", to="patients.diagnosis_date"),
                Col("beta2m_mg_l", to="baseline.beta2m_mg_l"),
                Col("albumin_g_l", to="baseline.albumin_g_dl", unit="g/L"),
                Col("ldh_u_l", to="baseline.ldh_u_l"),
                Col("ldh_ogw_u_l", to="baseline.ldh_uln_u_l"),
                Col("kreatinin_mg_dl", to="baseline.creatinine_mg_dl"),
                Col("haemoglobin_mmol_l", to="baseline.hemoglobin_g_dl", unit="mmol/L"),
                Col("thrombozyten", to="baseline.platelets_10e9_l"),
                Col("gewicht_kg", to="baseline.weight_kg"),
                *(Col(f"fish_{m}", to=f"genetics.{m}", codes=_DE_FISH) for m in FISH),
            ),
        ),
        replace(
            _DE,
            path="therapielinien.parquet",
            table="treatment_lines",
            columns=(
                Col("linie", to="treatment_lines.line_number"),
                Col("schema", to="treatment_lines.regimen"),
                Col(
                    "substanzen",
                    to="treatment_lines.agents",
                    split=",",
                    codes={
                        "Bortezomib": "bortezomib",
                        "Thalidomid": "thalidomide",
                        "Lenalidomid": "lenalidomide",
                        "Daratumumab": "daratumumab",
                        "Dexamethason": "dexamethasone",
                        "Melphalan": "melphalan",
                        "Prednison": "prednisone",
                        "Carfilzomib": "carfilzomib",
                        "Pomalidomid": "pomalidomide",
                    },
                ),
                Col("beginn", to="treatment_lines.start_date"),
                Col("ende", to="treatment_lines.end_date"),
                Col(
                    "strategie",
                    to="treatment_lines.strategy",
                    codes={"befristet": "fixed_duration", "kontinuierlich": "continuous"},
                ),
                Col(
                    "bestes_ansprechen",
                    to="treatment_lines.best_response",
                    codes={
                        "PD": "PD",
                        "SD": "SD",
                        "MR": "MR",
                        "PR": "PR",
                        "VGPR": "VGPR",
                        "CR": "CR",
                        "sCR": "sCR",
                        "n.b.": "NE",
                    },
                ),
            ),
        ),
        replace(
            _DE,
            path="transplantationen.parquet",
            table="transplants",
            columns=(
                Col(
                    "art",
                    to="transplants.transplant_type",
                    codes={"autolog": "autologous", "allogen": "allogeneic"},
                ),
                Col("datum", to="transplants.transplant_date"),
                Col(
                    "konditionierung",
                    to="transplants.conditioning",
                    codes={"MAC": "MAC", "RIC": "RIC", "NMA": "NMA"},
                ),
            ),
        ),
        replace(
            _DE,
            path="ereignisse.parquet",
            table="events",
            columns=(
                Col(
                    "ereignis",
                    to="events.event_type",
                    codes={
                        "Progress": "progression",
                        "Tod": "death",
                        "Letzter Kontakt": "last_follow_up",
                    },
                ),
                Col("datum", to="events.event_date"),
                Col(
                    "todesursache",
                    to="events.death_cause",
                    codes={
                        "Myelom": "disease",
                        "Infektion": "infection",
                        "Toxizität": "toxicity",
                        "Sonstige": "other",
                        "Ursache unklar": "unknown",
                    },
                ),
            ),
        ),
    ),
)

_ALLO = FileProfile(
    path="",
    format="csv",
    id_column="patient_code",
    date_format="%d-%b-%Y",
    missing=("", "NA", "N/A"),
    columns=(),
)
_YN = markers("Y", "N", "ND")
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
            constants={
                "patients.disease": "MM",
                "patients.data_origin": "real_world",
                "patients.source_study": "ALLO-MM-REGISTRY",
            },
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
                Col(
                    "death_cause",
                    event="death",
                    attribute="death_cause",
                    codes={
                        "RELAPSE": "disease",
                        "INFECTION": "infection",
                        "GVHD": "gvhd",
                        "TOXICITY": "toxicity",
                        "OTHER": "other",
                        "UNKNOWN": "unknown",
                    },
                ),
                Col("last_contact", event="last_follow_up"),
            ),
        ),
        replace(
            _ALLO,
            path="transplants.csv",
            table="transplants",
            columns=(
                Col(
                    "hct_type",
                    to="transplants.transplant_type",
                    codes={"AUTO": "autologous", "ALLO": "allogeneic"},
                ),
                Col("hct_date", to="transplants.transplant_date"),
                Col(
                    "conditioning",
                    to="transplants.conditioning",
                    codes={"MAC": "MAC", "RIC": "RIC", "NMA": "NMA"},
                ),
                Col(
                    "donor",
                    to="transplants.donor_type",
                    codes={
                        "MRD": "matched_related",
                        "MUD": "matched_unrelated",
                        "MMUD": "mismatched_unrelated",
                        "HAPLO": "haploidentical",
                        "CB": "cord_blood",
                    },
                ),
                Col(
                    "tandem_cr1", to="transplants.in_first_remission", codes={"Y": True, "N": False}
                ),
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
            ),
        ),
    ),
)
