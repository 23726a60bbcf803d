"""Bundled CML TKI-stop site (EURO-SKI-like), exported as an OMOP CDM v5.4 CSV extract."""

from __future__ import annotations

import datetime as dt

from loaders.synthetic.profile import OmopProfile, SiteProfile
from loaders.synthetic.site_codes import CUTOFF, patient_constants
from loaders.synthetic.truth_cml import CmlCohort

EU_CMLSTOP = SiteProfile(
    code="EU-CMLSTOP",
    name="European TKI stop cohort, OMOP extract (synthetic, EURO-SKI-like)",
    language="OMOP CDM v5.4 (LOINC / concept ids)",
    n_patients=450,
    cohort=CmlCohort(
        site="EU-CMLSTOP",
        first_person_id=100001,
        source_study="TKI-STOP-EU",
        start=dt.date(2000, 1, 1),
        end=dt.date(2012, 12, 31),
        cutoff=CUTOFF,
    ),
    omop=OmopProfile(
        path="omop/",
        gender={"8507": "M", "8532": "F"},
        measurements={
            "69380-4": ("bcr_abl1.is_pct", "%"),
            "777-3": ("baseline.platelets_10e9_l", "10^9/L"),
            "6690-2": ("baseline.wbc_10e9_l", "10^9/L"),
            "718-7": ("baseline.hemoglobin_g_dl", "g/dL"),
            "709-8": ("baseline.pb_blasts_pct", "%"),
            "707-2": ("baseline.basophils_pct", "%"),
            "714-9": ("baseline.eosinophils_pct", "%"),
            "SPLEEN_CM": ("baseline.spleen_cm", "cm"),
            "29463-7": ("baseline.weight_kg", "kg"),
        },
        drugs={
            "imatinib": "imatinib",
            "nilotinib": "nilotinib",
            "dasatinib": "dasatinib",
            "bosutinib": "bosutinib",
        },
        constants=patient_constants(
            disease="CML", data_origin="real_world", source_study="TKI-STOP-EU"
        ),
        # OMOP operator concept "<" (look-up in the vocabulary, UNCONFIRMED in 07-omop.md)
        undetectable_operator="4171756",
        undetectable_value="undetectable",
        abl1_copies_source="ABL1_COPIES",
        transcript_source="BCR_ABL1_TYPE",
        # 07-omop.md §7.2: b2a2 = e13a2, b3a2 = e14a2
        transcript_codes={"b2a2": "e13a2", "b3a2": "e14a2", "b2a2+b3a2": "e13a2_e14a2"},
        tki_stop_reason="TFR attempt",
        cml_phase_codes={"CP": "chronic", "AP": "accelerated", "BP": "blast"},
    ),
)
