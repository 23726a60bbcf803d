"""The study cohorts of the demo lake as (time, status/cause, group...) rows for the R goldens.

Each study question of the issue, derived with the project's own lake/ functions: cohort filters
(:func:`lake.cohort.filters.compile_filter`), risk scores (:func:`lake.cohort.risk.scored_frame`)
and the
API's endpoint catalogue (:func:`lake.cohort.endpoints.endpoint_frame`, the derivation the service
runs). ``golden/make_inputs.py`` writes these frames to ``golden/inputs/demo_*.csv``, which
``golden/make_golden.R`` reads; ``test_demo_lake_golden.py`` derives them again from a freshly
built demo lake and requires the committed files to be identical.

Rows carry no patient id: time in whole days from the origin, the status (0 censored, 1 event;
for competing endpoints 2 = competing event), for a delayed-entry cohort the entry (whole days
from the origin to registry entry), the group labels the API reports (score categories,
NOT_CLASSIFIABLE included; disease codes) and, for the model cohorts, numeric covariates as
stored (empty when missing). Patient ids are keyed pseudonyms that
change with the pseudonymisation key, so rows are sorted by every column instead.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from lake.cohort.attribute_sources import TableSource
from lake.cohort.endpoints import EndpointKey, EndpointName, endpoint_frame
from lake.cohort.entry import entry_frame
from lake.cohort.exposure import exposure_frame
from lake.cohort.filters import And, CategoryIn, CohortFilter, compile_filter
from lake.cohort.filters import required_columns as filter_columns
from lake.cohort.frame import attribute_frame
from lake.cohort.risk import category, scored_frame
from lake.endpoints.exposures import Exposure
from lake.endpoints.origins import OriginKind

MM: Final[CohortFilter] = CategoryIn(attribute="disease", values=("MM",))
#: the NPM1 study's validation sites (the derived table was fitted on EU-AMLT)
AML_NPM1: Final[CohortFilter] = And(
    (
        CategoryIn(attribute="disease", values=("AML",)),
        CategoryIn(attribute="site", values=("FR-AMLRW", "UK-AMLX")),
        CategoryIn(attribute="npm1", values=("present",)),
    )
)
AML: Final[CohortFilter] = CategoryIn(attribute="disease", values=("AML",))
ALLO: Final[CohortFilter] = CategoryIn(attribute="had_allogeneic", values=("true",))
CML: Final[CohortFilter] = CategoryIn(attribute="disease", values=("CML",))
MM_REGISTRY: Final[CohortFilter] = And((MM, CategoryIn(attribute="site", values=("DE-MMRW",))))

#: input file -> (cohort, endpoint, origin, group columns: output name -> score version or
#: attribute)
COHORTS: Final[
    dict[str, tuple[CohortFilter, EndpointName, OriginKind, dict[str, tuple[str, bool]]]]
] = {
    # study 1 (OS by R-ISS) and 2 (R-ISS vs ISS vs cytogenetics vs LDH)
    "demo_mm_os": (
        MM,
        "OS",
        "diagnosis",
        {
            "riss": ("riss_palumbo2015", True),
            "iss": ("iss_greipp2005", True),
            "cyto": ("mm_cytogenetic_palumbo2015", True),
            "ldh": ("ldh_uln", True),
        },
    ),
    # study 3: NPM1-mutated AML, OS by ELN 2022 and by the derived NPM1 table
    "demo_aml_npm1_os": (
        AML_NPM1,
        "OS",
        "diagnosis",
        {
            "eln2022": ("eln2022_intensive", True),
            "npm1_derived": ("harmony_npm1_derived_demo_v1", True),
        },
    ),
    # AML outcome measures of ELN 2022 Table 9 by ELN 2022 risk: EFS from diagnosis (induction
    # failures are events at time 0) and CIR from the first complete remission
    "demo_aml_efs": (AML, "EFS", "diagnosis", {"eln2022": ("eln2022_intensive", True)}),
    "demo_aml_cir": (
        AML,
        "CIR",
        "complete_remission",
        {"eln2022": ("eln2022_intensive", True)},
    ),
    # study 4: allogeneic HSCT, NRM with relapse competing, and OS, by disease
    "demo_allo_nrm": (ALLO, "NRM", "allo_transplant", {"disease": ("disease", False)}),
    "demo_allo_os": (ALLO, "OS", "allo_transplant", {"disease": ("disease", False)}),
    # study 5: CML molecular relapse-free survival after TKI stop by Sokal
    "demo_cml_mrfs": (CML, "MRFS", "tki_stop", {"sokal": ("sokal1984", True)}),
    # Cox models of myeloma OS on covariates (reference levels, trend, transforms, interaction,
    # Breslow ties, cox.zph) and a Fine-Gray model of NRM after allogeneic HSCT
    "demo_mm_os_cov": (
        MM,
        "OS",
        "diagnosis",
        {
            "riss": ("riss_palumbo2015", True),
            "iss": ("iss_greipp2005", True),
            "sex": ("sex", False),
        },
    ),
    "demo_allo_nrm_cov": (ALLO, "NRM", "allo_transplant", {"disease": ("disease", False)}),
    # the German real-world registry registers patients after diagnosis: OS from diagnosis by
    # R-ISS with delayed entry (left truncation), rows carry each patient's entry
    "demo_mm_rw_os_entry": (MM_REGISTRY, "OS", "diagnosis", {"riss": ("riss_palumbo2015", True)}),
}
#: Numeric covariate columns (output name -> numeric attribute, kept as numbers) of the cohorts
#: the Cox and Fine-Gray goldens model; their group columns above are the categorical ones.
COVARIATES: Final[dict[str, dict[str, str]]] = {
    "demo_mm_os_cov": {"age": "age_at_diagnosis", "b2m": "beta2m_mg_l"},
    "demo_allo_nrm_cov": {"age": "age_at_diagnosis"},
}
#: Cohorts analysed with delayed entry: rows carry ``entry`` (days from the origin to registry
#: entry, :func:`lake.cohort.entry.entry_frame`) after the status.
DELAYED_ENTRY: Final = frozenset({"demo_mm_rw_os_entry"})


def demo_cohort(source: TableSource, name: str) -> pl.DataFrame:
    """``time, status, <groups>`` of one study cohort (patients with the endpoint), sorted.

    ``status`` is named ``cause`` for a competing-risk endpoint (cmprsk's ``fstatus``).
    """
    cohort, endpoint, origin, groups = COHORTS[name]
    scores = [ref for ref, is_score in groups.values() if is_score]
    attributes = [ref for ref, is_score in groups.values() if not is_score]
    numeric = COVARIATES.get(name, {})
    attributes += list(numeric.values())
    patients = (
        scored_frame(source, sorted(filter_columns(cohort) | set(attributes)), scores)
        .filter(compile_filter(cohort))
        .select(
            "patient_id",
            *(
                (category(ref) if is_score else pl.col(ref).cast(pl.String)).alias(out)
                for out, (ref, is_score) in groups.items()
            ),
            *(pl.col(ref).alias(out) for out, ref in numeric.items()),
        )
        .collect()
    )
    key = EndpointKey(endpoint=endpoint, origin=origin)
    status = "cause" if key.competing else "status"
    rows = endpoint_frame(source, key).join(patients, on="patient_id")
    entry = []
    if name in DELAYED_ENTRY:
        entries = entry_frame(source, key).collect()
        rows = rows.join(entries, on="patient_id", how="left")
        entry = [pl.col("entry_days").alias("entry")]
    rows = rows.filter(pl.col("time_days").is_not_null()).select(
        pl.col("time_days").cast(pl.Int64).alias("time"),
        pl.col("status").cast(pl.Int64).alias(status),
        *entry,
        *groups,
        *numeric,
    )
    return rows.sort(rows.columns)


#: Time-dependent exposures: input file -> (cohort, endpoint, origin, landmark days, exposure).
#: Rows carry ``exposure``: days from time zero to the exposure (null: never exposed;
#: :func:`lake.cohort.exposure.exposure_frame`), from which R builds the counting-process data
#: with ``tmerge`` and the status at the landmark.
EXPOSED: Final[dict[str, tuple[CohortFilter, EndpointName, OriginKind, int, Exposure]]] = {
    # AML OS from diagnosis, allogeneic transplant as a time-dependent covariate
    "demo_aml_os_allo": (AML, "OS", "diagnosis", 0, Exposure(transplant_type="allogeneic")),
    # ... and a 180-day landmark, grouped by transplant status at the landmark
    "demo_aml_os_allo_lm180": (
        AML,
        "OS",
        "diagnosis",
        180,
        Exposure(transplant_type="allogeneic"),
    ),
    # myeloma PFS from diagnosis, autologous transplant as a time-dependent covariate
    "demo_mm_pfs_auto": (MM, "PFS", "diagnosis", 0, Exposure(transplant_type="autologous")),
}


def exposure_cohort(source: TableSource, name: str) -> pl.DataFrame:
    """``time, status, exposure`` of one cohort of :data:`EXPOSED` (patients with the
    endpoint), sorted."""
    cohort, endpoint, origin, landmark, exposure = EXPOSED[name]
    patients = (
        attribute_frame(source, sorted(filter_columns(cohort)))
        .filter(compile_filter(cohort))
        .select("patient_id")
        .collect()
    )
    key = EndpointKey(endpoint=endpoint, origin=origin, landmark_days=landmark)
    rows = (
        endpoint_frame(source, key)
        .join(patients, on="patient_id")
        .join(exposure_frame(source, key, exposure).collect(), on="patient_id", how="left")
        .filter(pl.col("time_days").is_not_null())
        .select(
            pl.col("time_days").cast(pl.Int64).alias("time"),
            pl.col("status").cast(pl.Int64),
            pl.col("exposure_days").alias("exposure"),
        )
    )
    return rows.sort(rows.columns)


def demo_cohorts(source: TableSource) -> dict[str, pl.DataFrame]:
    """Every study cohort of :data:`COHORTS` and :data:`EXPOSED`, by input file name."""
    return {name: demo_cohort(source, name) for name in COHORTS} | {
        name: exposure_cohort(source, name) for name in EXPOSED
    }
