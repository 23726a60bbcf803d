"""Bundled German real-world myeloma site (Parquet, ISO dates, SI haemoglobin)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from loaders.synthetic.profile import Col, FileProfile, SiteProfile
from loaders.synthetic.registry_entry import RegistryEntry
from loaders.synthetic.site_codes import (
    CUTOFF,
    FISH,
    markers,
    patient_constants,
    transplant_columns,
    treatment_line_columns,
)
from loaders.synthetic.truth_mm import (
    DARA_VTD,
    DRD,
    RD,
    VMP,
    VRD,
    VTD,
    MyelomaCohort,
    Study,
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
        registry_entry=RegistryEntry(at_diagnosis=0.4, max_delay_years=4.0),
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
            constants=patient_constants(
                disease="MM", data_origin="real_world", source_study=_DE_REGISTRY
            ),
            columns=(
                Col("geschlecht", to="patients.sex", codes={"m": "M", "w": "F"}),
                Col("geburtsjahr", to="patients.birth_year"),
                Col("alter_bei_diagnose", to="patients.age_at_diagnosis"),
                Col("diagnosedatum", to="patients.diagnosis_date"),
                Col("registrierungsdatum", to="patients.registry_entry_date"),
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
            columns=treatment_line_columns(
                line="linie",
                regimen="schema",
                agents="substanzen",
                agents_split=",",
                agent_codes={
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
                start="beginn",
                end="ende",
                strategy="strategie",
                strategy_codes={"befristet": "fixed_duration", "kontinuierlich": "continuous"},
                best_response="bestes_ansprechen",
                response_codes={
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
        replace(
            _DE,
            path="transplantationen.parquet",
            table="transplants",
            columns=transplant_columns(
                transplant_type="art",
                type_codes={"autolog": "autologous", "allogen": "allogeneic"},
                date="datum",
                conditioning="konditionierung",
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
