"""Bundled NPM1-mutated AML sources: trial training, French real world, UK-like external trial."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from loaders.synthetic.profile import Col, FileProfile, SiteProfile
from loaders.synthetic.site_codes import (
    CUTOFF,
    death_cause,
    markers,
    patient_constants,
    transplant_columns,
    treatment_line_columns,
    yes_no,
)
from loaders.synthetic.truth_aml import KARYOTYPE, MR_GENES, AmlCohort

GENES = (
    "npm1",
    "flt3_itd",
    "flt3_tkd",
    "dnmt3a",
    "idh1",
    "idh2",
    "tet2",
    "tp53",
    "cebpa_bzip",
    *MR_GENES,
)


def _genetics(
    gene_codes: dict[str, str], karyotype_codes: dict[str, str], prefix: str = ""
) -> tuple[Col, ...]:
    return (
        *(Col(f"{prefix}{g}", to=f"genetics.{g}", codes=gene_codes) for g in GENES),
        Col(f"{prefix}flt3_itd_ratio", to="genetics.flt3_itd_ratio"),
        Col(f"{prefix}tp53_vaf", to="genetics.tp53_vaf"),
        *(Col(f"{prefix}{k}", to=f"genetics.{k}", codes=karyotype_codes) for k in KARYOTYPE),
    )


_EN = FileProfile(
    path="",
    format="csv",
    id_column="subject_id",
    date_format="%Y-%m-%d",
    missing=("", "NA"),
    columns=(),
)
EU_AMLT = SiteProfile(
    code="EU-AMLT",
    name="NPM1-mutated AML trials, training cohort (synthetic)",
    language="English",
    n_patients=1001,
    cohort=AmlCohort(
        site="EU-AMLT",
        id_prefix="AT",
        source_study="AML-TRIALS-POOL",
        data_origin="trial",
        start=dt.date(2004, 1, 1),
        end=dt.date(2017, 12, 31),
        cutoff=CUTOFF,
        ldh_uln=250,
        age_mean=50,
        ngs_not_tested=0.08,
    ),
    files=(
        replace(
            _EN,
            path="patients.csv",
            constants=patient_constants(
                disease="AML", data_origin="trial", source_study="AML-TRIALS-POOL"
            ),
            columns=(
                Col("sex", to="patients.sex", codes={"male": "M", "female": "F"}),
                Col("birth_year", to="patients.birth_year"),
                Col("age", to="patients.age_at_diagnosis"),
                Col("diagnosis_date", to="patients.diagnosis_date"),
                Col("wbc", to="baseline.wbc_10e9_l"),
                Col("hb", to="baseline.hemoglobin_g_dl"),
                Col("plt", to="baseline.platelets_10e9_l"),
                Col("pb_blasts", to="baseline.pb_blasts_pct"),
                Col("bm_blasts", to="baseline.bm_blasts_pct"),
                Col("ldh", to="baseline.ldh_u_l"),
                Col("ldh_uln", to="baseline.ldh_uln_u_l"),
                *_genetics(markers("mut", "wt", "nd"), markers("yes", "no", "failed")),
                Col("cr1_date", event="complete_remission"),
                Col("relapse_date", event="relapse"),
                Col("death_date", event="death"),
                death_cause(
                    "death_cause",
                    {
                        "AML": "disease",
                        "infection": "infection",
                        "toxicity": "toxicity",
                        "other": "other",
                        "unknown": "unknown",
                    },
                ),
                Col("last_contact", event="last_follow_up"),
            ),
        ),
        replace(
            _EN,
            path="treatment.csv",
            table="treatment_lines",
            columns=treatment_line_columns(
                line="line",
                regimen="regimen",
                agents="drugs",
                agents_split=";",
                agent_codes={"ARA-C": "cytarabine", "DNR": "daunorubicin", "MIDO": "midostaurin"},
                start="start",
                end="stop",
                strategy="intent",
                strategy_codes={"fixed": "fixed_duration", "continuous": "continuous"},
            ),
        ),
        replace(
            _EN,
            path="hsct.csv",
            table="transplants",
            columns=transplant_columns(
                transplant_type="hsct_type",
                type_codes={"allo": "allogeneic", "auto": "autologous"},
                date="hsct_date",
                conditioning="conditioning",
                donor="donor",
                in_first_remission="in_cr1",
                remission_codes=yes_no("yes", "no"),
                stem_cell_source="graft_source",
                source_codes={
                    "marrow": "bone_marrow",
                    "pbsc": "peripheral_blood",
                    "cord": "cord_blood",
                },
                disease_status="status",
                status_codes={
                    "CR1": "CR1",
                    "CR2": "CR2",
                    "CR3+": "CR3_plus",
                    "PIF": "refractory",
                    "relapse": "relapse",
                    "untreated": "untreated",
                },
            ),
        ),
    ),
)

_FR = FileProfile(
    path="",
    format="csv",
    separator=";",
    decimal_comma=True,
    encoding="latin-1",
    id_column="num_patient",
    date_format="%d/%m/%Y",
    missing=("", "NR", "inconnu"),
    columns=(),
)
FR_AMLRW = SiteProfile(
    code="FR-AMLRW",
    name="Cohorte LAM NPM1 en vie réelle (synthetic)",
    language="French (latin-1)",
    n_patients=762,
    cohort=AmlCohort(
        site="FR-AMLRW",
        id_prefix="FR",
        source_study="LAM-NPM1-VR",
        data_origin="real_world",
        start=dt.date(2010, 1, 1),
        end=dt.date(2021, 12, 31),
        cutoff=CUTOFF,
        ldh_uln=246,
        age_mean=58,
        ngs_not_tested=0.25,
        karyotype_not_tested=0.10,
        loss_per_year=0.06,
    ),
    files=(
        replace(
            _FR,
            path="patients.csv",
            constants=patient_constants(
                disease="AML", data_origin="real_world", source_study="LAM-NPM1-VR"
            ),
            columns=(
                Col("sexe", to="patients.sex", codes={"H": "M", "F": "F"}),
                Col("annee_naissance", to="patients.birth_year"),
                Col("age_diag", to="patients.age_at_diagnosis"),
                Col("date_diag", to="patients.diagnosis_date"),
                Col("leucocytes_mm3", to="baseline.wbc_10e9_l", unit="/µL"),
                Col("hemoglobine_g_l", to="baseline.hemoglobin_g_dl", unit="g/L"),
                Col("plaquettes", to="baseline.platelets_10e9_l"),
                Col("blastes_sang", to="baseline.pb_blasts_pct"),
                Col("blastes_moelle", to="baseline.bm_blasts_pct"),
                Col("ldh", to="baseline.ldh_u_l"),
                Col("ldh_lsn", to="baseline.ldh_uln_u_l"),
                *_genetics(
                    markers("Oui", "Non", "Non testé"), markers("Oui", "Non", "Échec"), "g_"
                ),
            ),
        ),
        replace(
            _FR,
            path="evenements.csv",
            table="events",
            columns=(
                Col(
                    "evenement",
                    to="events.event_type",
                    codes={
                        "RC": "complete_remission",
                        "Rechute": "relapse",
                        "Décès": "death",
                        "Dernières nouvelles": "last_follow_up",
                    },
                ),
                Col("date_evenement", to="events.event_date"),
                Col(
                    "cause_deces",
                    to="events.death_cause",
                    codes={
                        "LAM": "disease",
                        "infection": "infection",
                        "toxicité": "toxicity",
                        "autre": "other",
                    },
                ),
            ),
        ),
        replace(
            _FR,
            path="greffes.csv",
            table="transplants",
            columns=transplant_columns(
                transplant_type="type_greffe",
                type_codes={"allogreffe": "allogeneic", "autogreffe": "autologous"},
                date="date_greffe",
                conditioning="conditionnement",
                donor="donneur",
                donor_codes={
                    "géno-identique": "matched_related",
                    "phéno-identique": "matched_unrelated",
                    "non apparenté mismatch": "mismatched_unrelated",
                    "haplo-identique": "haploidentical",
                    "sang placentaire": "cord_blood",
                },
                in_first_remission="en_rc1",
                remission_codes=yes_no("Oui", "Non"),
            ),
        ),
    ),
)

_UK = FileProfile(
    path="",
    format="csv",
    id_column="trial_no",
    date_format="%d/%m/%Y",
    missing=("", "."),
    columns=(),
)
UK_AMLX = SiteProfile(
    code="UK-AMLX",
    name="UK-like external validation trials (synthetic)",
    language="English (UK)",
    n_patients=585,
    cohort=AmlCohort(
        site="UK-AMLX",
        id_prefix="UK",
        source_study="AML-EXT-TRIALS",
        data_origin="trial",
        start=dt.date(2009, 1, 1),
        end=dt.date(2016, 12, 31),
        cutoff=CUTOFF,
        ldh_uln=234,
        age_mean=49,
        ngs_not_tested=0.15,
    ),
    files=(
        replace(
            _UK,
            path="patients.csv",
            constants=patient_constants(
                disease="AML", data_origin="trial", source_study="AML-EXT-TRIALS"
            ),
            columns=(
                Col("sex", to="patients.sex", codes={"M": "M", "F": "F"}),
                Col("yob", to="patients.birth_year"),
                Col("age_at_entry", to="patients.age_at_diagnosis"),
                Col("date_of_diagnosis", to="patients.diagnosis_date"),
                Col("wbc_x10_9", to="baseline.wbc_10e9_l"),
                Col("hb_g_l", to="baseline.hemoglobin_g_dl", unit="g/L"),
                Col("platelets", to="baseline.platelets_10e9_l"),
                *_genetics(
                    markers("Positive", "Negative", "Not done"),
                    markers("Positive", "Negative", "Not done"),
                ),
                Col("date_cr", event="complete_remission"),
                Col("date_relapse", event="relapse"),
                Col("date_death", event="death"),
                death_cause(
                    "cause_of_death",
                    {
                        "Disease": "disease",
                        "Infection": "infection",
                        "Toxicity": "toxicity",
                        "Other": "other",
                    },
                ),
                Col("date_last_seen", event="last_follow_up"),
            ),
        ),
        replace(
            _UK,
            path="transplants.csv",
            table="transplants",
            columns=transplant_columns(
                transplant_type="sct_type",
                type_codes={"Allo": "allogeneic", "Auto": "autologous"},
                date="sct_date",
                conditioning="conditioning",
                donor="donor",
                in_first_remission="in_cr1",
                remission_codes=yes_no("Y", "N"),
            ),
        ),
    ),
)
