"""NPM1-mutated AML cohorts (trial training, real-world, external trial).

Overall survival is Weibull (shape 0.8) with the planted co-mutation group hazard times the ELN 2022
adverse hazard (:data:`~loaders.synthetic.hazards.AML_OS_COMUTATION`,
:data:`~loaders.synthetic.hazards.AML_OS_ELN_ADVERSE`). Complete remission follows induction for
most patients; relapse precedes most deaths of remitters; allo-HSCT in first CR is given more often
in worse groups; its disease status is CR1, its graft peripheral blood (75 %) or bone marrow,
cord blood for a cord-blood donor (drawn last, so the cohort's other draws are unchanged).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl
from lake.model import CONDITIONING, DONOR_TYPES, FIRST_REMISSION_STATUS, STEM_CELL_SOURCES

from loaders.synthetic import scores
from loaders.synthetic.hazards import AML_OS_COMUTATION, AML_OS_ELN_ADVERSE
from loaders.synthetic.sampling import (
    birth_years,
    categorical,
    censoring_days,
    date_series,
    labels,
    lognormal,
    rounded,
    tri_state,
    uniform_days,
    weibull_ph_days,
)
from loaders.synthetic.truth import (
    Truth,
    assemble_events,
    conform,
    constant,
    event_rows,
    patients_frame,
)

#: Latent prevalence of each co-mutation in NPM1-mutated AML; ``gene`` group for not_tested.
MUTATIONS: Final = {
    "flt3_itd": 0.35,
    "flt3_tkd": 0.10,
    "dnmt3a": 0.50,
    "idh1": 0.14,
    "idh2": 0.16,
    "tet2": 0.15,
    "tp53": 0.03,
    "cebpa_bzip": 0.01,
    "asxl1": 0.02,
    "bcor": 0.01,
    "ezh2": 0.01,
    "runx1": 0.01,
    "sf3b1": 0.01,
    "srsf2": 0.03,
    "stag2": 0.02,
    "u2af1": 0.01,
    "zrsr2": 0.01,
}
MR_GENES: Final = ("asxl1", "bcor", "ezh2", "runx1", "sf3b1", "srsf2", "stag2", "u2af1", "zrsr2")
#: Karyotype lesions (model names) and their latent prevalence alongside NPM1.
KARYOTYPE: Final = {
    "t8_21": 0.0,
    "inv16": 0.0,
    "t9_11": 0.0,
    "t6_9": 0.0,
    "kmt2a_r": 0.0,
    "t9_22": 0.0,
    "t8_16": 0.0,
    "inv3_t3_3": 0.0,
    "mecom_r": 0.002,
    "minus5_del5q": 0.01,
    "minus7": 0.015,
    "minus17_abn17p": 0.005,
    "complex_karyotype": 0.02,
    "monosomal_karyotype": 0.008,
}
_ADVERSE_CYTO: Final = tuple(k for k in KARYOTYPE if k not in ("t8_21", "inv16", "t9_11"))


@dataclass(frozen=True, slots=True)
class AmlCohort:
    """How one AML source's patients are drawn."""

    site: str
    id_prefix: str
    source_study: str
    data_origin: str
    start: dt.date
    end: dt.date
    cutoff: dt.date
    ldh_uln: float
    age_mean: float
    ngs_not_tested: float
    karyotype_not_tested: float = 0.05
    loss_per_year: float = 0.03


def generate_aml(cohort: AmlCohort, ids: pl.Series, rng: np.random.Generator) -> Truth:
    """Draw the NPM1-mutated AML patients ``ids``."""
    n, site = ids.len(), cohort.site
    diagnosis = uniform_days(rng, cohort.start, cohort.end, n)
    age = rounded(np.clip(rng.normal(cohort.age_mean, 11, n), 18, 85), 1)
    mutated = {k: rng.random(n) < p for k, p in MUTATIONS.items()}
    vaf = np.where(mutated["tp53"], rounded(rng.uniform(2, 60, n), 1), np.nan)
    lesions = {k: rng.random(n) < p for k, p in KARYOTYPE.items()}
    adverse_cyto = np.logical_or.reduce([lesions[k] for k in _ADVERSE_CYTO])
    eln = scores.eln2022_npm1(
        flt3_itd=mutated["flt3_itd"],
        adverse_cytogenetics=adverse_cyto,
        tp53_vaf_ge_10=mutated["tp53"] & (vaf >= 10),
        mr_gene=np.logical_or.reduce([mutated[g] for g in MR_GENES]),
    )
    group = comutation_group(mutated)
    hr = np.asarray(AML_OS_COMUTATION.hazard_ratios)[group]
    hr = hr * np.where(eln == 2, AML_OS_ELN_ADVERSE.hazard_ratios[1], 1.0)
    t_death = np.maximum(
        weibull_ph_days(
            rng,
            hr,
            median_years=AML_OS_COMUTATION.reference_median_years,
            shape=AML_OS_COMUTATION.shape,
        ),
        7,
    )
    censor = np.maximum(
        censoring_days(rng, diagnosis, cutoff=cohort.cutoff, loss_per_year=cohort.loss_per_year), 60
    )
    dead = t_death <= censor
    follow = np.floor(np.minimum(t_death, censor)).astype(np.int64)
    last_day = diagnosis + follow
    cr_offset = rng.integers(28, 45, n)
    in_cr = (rng.random(n) < np.array([0.92, 0.82, 0.70])[group]) & (cr_offset < follow - 1)
    relapse_offset = cr_offset + np.floor(rng.uniform(0.3, 0.9, n) * (t_death - cr_offset))
    relapses = in_cr & (rng.random(n) < np.where(dead, 0.8, 0.1))
    relapse_offset = np.where(
        dead, relapse_offset, cr_offset + rng.uniform(0.3, 1.0, n) * (follow - cr_offset)
    )
    relapsed = relapses & (relapse_offset < follow) & (relapse_offset > cr_offset)
    relapse_day = diagnosis + relapse_offset.astype(np.int64)
    allo_day = diagnosis + cr_offset + rng.integers(90, 150, n)
    allo_cr1 = (
        in_cr
        & (rng.random(n) < np.array([0.10, 0.35, 0.50])[group])
        & (allo_day < np.where(relapsed, relapse_day, last_day))
    )
    cause = np.where(relapsed | ~in_cr, 0, categorical(rng, (0.5, 0.3, 0.2), n) + 1)
    events = assemble_events(
        [
            event_rows(ids, site, "complete_remission", diagnosis + cr_offset, in_cr),
            event_rows(ids, site, "relapse", relapse_day, relapsed),
            event_rows(
                ids,
                site,
                "death",
                last_day,
                dead,
                death_cause=labels(cause, ("disease", "infection", "toxicity", "other")),
            ),
            event_rows(ids, site, "last_follow_up", last_day, np.ones(n, dtype=bool)),
        ]
    )
    patients = patients_frame(
        ids,
        site=site,
        source_study=cohort.source_study,
        data_origin=cohort.data_origin,
        disease="AML",
        sex=labels((rng.random(n) < 0.5).astype(np.int64), ("M", "F")),
        birth_year=birth_years(diagnosis, age),
        age_at_diagnosis=age,
        diagnosis=diagnosis,
    )
    baseline = pl.DataFrame(
        {
            "patient_id": ids,
            "site": constant(site, n),
            "ldh_u_l": rounded(cohort.ldh_uln * lognormal(rng, median=1.6, sigma=0.5, n=n)),
            "ldh_uln_u_l": np.full(n, float(cohort.ldh_uln)),
            "hemoglobin_g_dl": rounded(np.clip(rng.normal(9.0, 1.6, n), 4.0, 15.0), 1),
            "platelets_10e9_l": rounded(np.clip(lognormal(rng, median=60, sigma=0.7, n=n), 3, 600)),
            "wbc_10e9_l": rounded(np.clip(lognormal(rng, median=25, sigma=1.1, n=n), 0.5, 400), 1),
            "pb_blasts_pct": rounded(rng.uniform(5, 95, n)),
            "bm_blasts_pct": rounded(rng.uniform(20, 98, n)),
        }
    )
    ngs_missing = rng.random(n) < cohort.ngs_not_tested
    kary_missing = rng.random(n) < cohort.karyotype_not_tested
    ratio = np.where(
        mutated["flt3_itd"],
        rounded(np.clip(lognormal(rng, median=0.5, sigma=0.8, n=n), 0.01, 20), 2),
        np.nan,
    )
    genetics = pl.DataFrame(
        {
            "patient_id": ids,
            "site": constant(site, n),
            "npm1": constant("present", n),
            **{
                k: tri_state(
                    rng, v, not_tested=np.where(ngs_missing & (k != "flt3_itd"), 1.0, 0.01)
                )
                for k, v in mutated.items()
            },
            "flt3_itd_ratio": pl.Series(ratio, nan_to_null=True),
            "tp53_vaf": pl.Series(vaf, nan_to_null=True),
            **{
                k: tri_state(rng, v, not_tested=np.where(kary_missing, 1.0, 0.0))
                for k, v in lesions.items()
            },
        }
    )
    genetics = genetics.with_columns(
        pl.when(pl.col("flt3_itd") == "present").then("flt3_itd_ratio").alias("flt3_itd_ratio"),
        pl.when(pl.col("tp53") == "present").then("tp53_vaf").alias("tp53_vaf"),
    )
    groups = pl.DataFrame(
        {
            "patient_id": ids,
            "comutation_group": group,
            "eln2022": eln,
            "os_days": follow,
            "os_event": dead,
        }
    )
    return Truth(
        tables={
            "patients": conform(patients, "patients"),
            "baseline": conform(baseline, "baseline"),
            "genetics": conform(genetics, "genetics"),
            "treatment_lines": _induction(ids, site, diagnosis, mutated["flt3_itd"], last_day),
            "transplants": _allo(rng, ids, site, allo_day, allo_cr1),
            "events": events,
        },
        groups=groups,
    )


def comutation_group(mutated: dict[str, np.ndarray]) -> np.ndarray:
    """Synthetic NPM1 co-mutation group 0/1/2 (see ``AML_OS_COMUTATION.grouping``)."""
    itd, dnmt3a = mutated["flt3_itd"], mutated["dnmt3a"]
    protective = mutated["idh1"] | mutated["idh2"] | mutated["tet2"]
    adverse = itd & dnmt3a
    favourable = ~itd & (~dnmt3a | protective)
    return np.where(adverse, 2, np.where(favourable, 0, 1)).astype(np.int64)


def _induction(
    ids: pl.Series, site: str, diagnosis: np.ndarray, itd: np.ndarray, last_day: np.ndarray
) -> pl.DataFrame:
    n = ids.len()
    start = diagnosis + 3
    end = np.minimum(start + 180, last_day)
    agents = pl.Series(
        [["cytarabine", "daunorubicin"], ["cytarabine", "daunorubicin", "midostaurin"]],
        dtype=pl.List(pl.String),
    )
    which = pl.Series((itd & (diagnosis >= 17167)).astype(np.int64))  # midostaurin from 2017
    lines = pl.DataFrame(
        {
            "patient_id": ids,
            "site": constant(site, n),
            "line_number": pl.Series([1] * n, dtype=pl.Int16),
            "regimen": pl.Series(["7+3", "7+3+midostaurin"]).gather(which),
            "agents": agents.gather(which),
            "start_date": date_series(start),
            "end_date": date_series(end),
            "strategy": pl.Series(["fixed_duration"] * n),
        }
    )
    return conform(lines, "treatment_lines")


def _allo(
    rng: np.random.Generator, ids: pl.Series, site: str, day: np.ndarray, mask: np.ndarray
) -> pl.DataFrame:
    index = np.flatnonzero(mask)
    m = index.size
    frame = pl.DataFrame(
        {
            "patient_id": ids.gather(index),
            "site": constant(site, m),
            "transplant_type": pl.Series(["allogeneic"] * m),
            "transplant_date": date_series(day[index]),
            "conditioning": labels(categorical(rng, (0.7, 0.3, 0.0), m), CONDITIONING),
            "donor_type": labels(categorical(rng, (0.3, 0.4, 0.1, 0.15, 0.05), m), DONOR_TYPES),
            "in_first_remission": pl.Series([True] * m),
            "disease_status": constant(FIRST_REMISSION_STATUS, m),
        }
    )
    cord = pl.col("donor_type") == "cord_blood"
    adult = labels(categorical(rng, (0.25, 0.75), m), STEM_CELL_SOURCES[:2])
    frame = frame.with_columns(
        stem_cell_source=pl.when(cord).then(pl.lit("cord_blood")).otherwise(adult)
    )
    return conform(frame, "transplants")
