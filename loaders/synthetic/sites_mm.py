"""Bundled myeloma trial sites: Italian (CSV, decimal comma) and Spanish (XLSX)."""

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
    treatment_line_columns,
)
from loaders.synthetic.truth_mm import (
    DARA_VTD,
    RD,
    TD,
    VMP,
    VMPT_VT,
    VRD,
    VTD,
    MyelomaCohort,
    Study,
)

_IT = FileProfile(
    path="",
    format="csv",
    separator=";",
    decimal_comma=True,
    id_column="codice_paz",
    date_format="%d/%m/%Y",
    missing=("", "NA", "n.d."),
    columns=(),
)
_IT_AGENTS = {
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
        replace(
            _IT,
            path="pazienti.csv",
            constants=patient_constants(disease="MM", data_origin="trial"),
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
                death_cause(
                    "causa_decesso",
                    {
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
        replace(
            _IT,
            path="terapie.csv",
            table="treatment_lines",
            columns=treatment_line_columns(
                line="linea",
                regimen="schema",
                agents="farmaci",
                agents_split="+",
                agent_codes=_IT_AGENTS,
                start="inizio",
                end="fine",
                strategy="strategia",
                strategy_codes={"durata fissa": "fixed_duration", "continua": "continuous"},
                best_response="miglior_risposta",
                response_codes={
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
        replace(
            _IT,
            path="trapianti.csv",
            table="transplants",
            columns=transplant_columns(
                transplant_type="tipo",
                type_codes={"autologo": "autologous", "allogenico": "allogeneic"},
                date="data_trapianto",
                conditioning="condizionamento",
                conditioning_codes={
                    "mieloablativo": "MAC",
                    "ridotto": "RIC",
                    "non mieloablativo": "NMA",
                },
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
            constants=patient_constants(disease="MM", data_origin="trial"),
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
                death_cause(
                    "causa_muerte",
                    {
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
            columns=treatment_line_columns(
                line="línea",
                regimen="esquema",
                agents="fármacos",
                agents_split="/",
                agent_codes={
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
                start="inicio",
                end="fin",
                strategy="estrategia",
                strategy_codes={"duración fija": "fixed_duration", "continua": "continuous"},
                best_response="mejor_respuesta",
                response_codes={
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
        replace(
            _ES_SHEET,
            sheet="Trasplantes",
            table="transplants",
            columns=transplant_columns(
                transplant_type="tipo",
                type_codes={"autólogo": "autologous", "alogénico": "allogeneic"},
                date="fecha_trasplante",
                conditioning="acondicionamiento",
                conditioning_codes={
                    "mieloablativo": "MAC",
                    "intensidad reducida": "RIC",
                    "no mieloablativo": "NMA",
                },
            ),
        ),
    ),
)
