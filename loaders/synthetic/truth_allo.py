"""Allogeneic HSCT in myeloma: an EBMT-like registry cohort.

Day 0 is the infusion date. Relapse and non-relapse mortality (NRM) compete as cause-specific
exponential hazards planted by conditioning (:data:`~loaders.synthetic.hazards.ALLO_RELAPSE`), by
the latent HCT-CI group (:data:`~loaders.synthetic.hazards.ALLO_NRM`) and by severe early
toxicity (:data:`~loaders.synthetic.hazards.ALLO_NRM_TOXICITY`, adverse events and donor lymphocyte
infusions in :mod:`loaders.synthetic.toxicity`); death after relapse follows
at relapse + Exp(median 0.6 years). Two-year OS comes out near 55-60%. Acute GVHD (grade I-IV,
day 14-100) and chronic GVHD (NIH severity, systemic IST, day 100-500) are drawn among patients
alive at onset, with the organs involved; chronic GVHD is more likely after a peripheral-blood
graft (:data:`~loaders.synthetic.hazards.ALLO_CGVHD_SOURCE`; donor, graft source and disease status
at transplant in :mod:`loaders.synthetic.graft`). Every transplant date leaves at least 24 months
of potential follow-up.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import numpy as np
import polars as pl
from lake.model import (
    AGVHD_GRADES,
    CGVHD_SEVERITIES,
    COMORBIDITIES,
    CONDITIONING,
    FIRST_REMISSION_STATUS,
)

from loaders.synthetic import scores
from loaders.synthetic.graft import Graft, draw_graft, gvhd_organs, myeloma_status
from loaders.synthetic.hazards import (
    ALLO_CGVHD_SOURCE,
    ALLO_NRM,
    ALLO_NRM_TOXICITY,
    ALLO_RELAPSE,
)
from loaders.synthetic.mm_labs import myeloma_baseline
from loaders.synthetic.sampling import (
    DAYS_PER_YEAR,
    birth_years,
    categorical,
    censoring_days,
    date_series,
    day_number,
    labels,
    rounded,
    tri_state,
    weibull_ph_days,
)
from loaders.synthetic.toxicity import adverse_events, dli_days, severe_toxicity
from loaders.synthetic.truth import (
    Truth,
    assemble_events,
    conform,
    constant,
    event_rows,
    patients_frame,
)

#: HCT-CI weight and latent prevalence of each comorbidity item (Sorror 2005), model order.
HCTCI_ITEMS: Final = {
    "arrhythmia": (1, 0.06),
    "cardiac": (1, 0.06),
    "inflammatory_bowel_disease": (1, 0.01),
    "diabetes": (1, 0.07),
    "cerebrovascular": (1, 0.02),
    "psychiatric": (1, 0.10),
    "hepatic_mild": (1, 0.0),
    "obesity": (1, 0.05),
    "infection": (1, 0.12),
    "rheumatologic": (2, 0.02),
    "peptic_ulcer": (2, 0.02),
    "renal_moderate_severe": (2, 0.06),
    "pulmonary_moderate": (2, 0.0),
    "prior_solid_tumour": (3, 0.05),
    "heart_valve_disease": (3, 0.02),
    "pulmonary_severe": (3, 0.0),
    "hepatic_moderate_severe": (3, 0.0),
}
_ORGAN_LEVELS: Final = {  # (mild item, severe item): P(none), P(mild), P(severe)
    ("hepatic_mild", "hepatic_moderate_severe"): (0.88, 0.09, 0.03),
    ("pulmonary_moderate", "pulmonary_severe"): (0.80, 0.14, 0.06),
}
_RELAPSE_DEATH_MEDIAN_YEARS: Final = 0.6


@dataclass(frozen=True, slots=True)
class AlloCohort:
    """How the allo-HSCT registry's patients are drawn."""

    site: str
    id_prefix: str
    source_study: str
    first_transplant: dt.date
    cutoff: dt.date
    ldh_uln: float
    item_not_tested: float = 0.03
    loss_per_year: float = 0.03


def generate_allo(cohort: AlloCohort, ids: pl.Series, rng: np.random.Generator) -> Truth:
    """Draw the allo-transplanted myeloma patients ``ids``."""
    n, site = ids.len(), cohort.site
    last_transplant = cohort.cutoff - dt.timedelta(days=731)
    day0 = rng.integers(day_number(cohort.first_transplant), day_number(last_transplant), n)
    diagnosis = day0 - rng.integers(300, 1800, n)
    age = rounded(np.clip(rng.normal(54, 7.5, n), 30, 72), 1)
    labs = myeloma_baseline(
        rng, ids, site=site, ldh_uln=cohort.ldh_uln, fish_not_tested=0.15, gain1q_not_tested=0.3
    )
    items, weights = _comorbidities(rng, n)
    hct_score, hct_group = scores.hctci(weights)
    conditioning = categorical(rng, (0.30, 0.60, 0.10), n)
    later = rng.spawn(1)[0]  # toxicity and DLI: a child stream, the cohort's draws unchanged
    graft_rng = rng.spawn(1)[0]  # donor, graft source, status, GVHD organs: a second child
    graft = draw_graft(graft_rng, n)
    severe = severe_toxicity(later, n)
    t_relapse = weibull_ph_days(
        rng,
        np.asarray(ALLO_RELAPSE.hazard_ratios)[conditioning],
        median_years=ALLO_RELAPSE.reference_median_years,
    )
    t_nrm = weibull_ph_days(
        rng,
        np.asarray(ALLO_NRM.hazard_ratios)[hct_group]
        * np.asarray(ALLO_NRM_TOXICITY.hazard_ratios)[severe.astype(np.int64)],
        median_years=ALLO_NRM.reference_median_years,
    )
    t_after = rng.exponential(_RELAPSE_DEATH_MEDIAN_YEARS / np.log(2) * DAYS_PER_YEAR, n)
    t_relapse, t_nrm = np.maximum(t_relapse, 20), np.maximum(t_nrm, 5)
    relapse_first = t_relapse < t_nrm
    t_death = np.where(relapse_first, t_relapse + np.maximum(t_after, 10), t_nrm)
    censor = np.maximum(
        censoring_days(rng, day0, cutoff=cohort.cutoff, loss_per_year=cohort.loss_per_year), 30
    )
    relapsed = relapse_first & (t_relapse <= censor)
    dead = t_death <= censor
    follow = np.floor(np.minimum(t_death, censor)).astype(np.int64)
    relapse_day = day0 + np.minimum(t_relapse.astype(np.int64), follow - 1)
    last_day = day0 + follow
    agvhd_day = day0 + rng.integers(14, 100, n)
    has_agvhd = (rng.random(n) < 0.40) & (agvhd_day < last_day)
    cgvhd_day = day0 + rng.integers(100, 500, n)
    cgvhd_risk = np.asarray(ALLO_CGVHD_SOURCE.probabilities)[graft.source]
    has_cgvhd = (rng.random(n) < cgvhd_risk) & (cgvhd_day < last_day)
    severity = categorical(rng, (0.4, 0.4, 0.2), n)
    ist = np.where(severity == 0, rng.random(n) < 0.2, rng.random(n) < 0.9)
    nrm_cause = (
        np.where(
            has_agvhd | has_cgvhd,
            categorical(rng, (0.35, 0.40, 0.15, 0.10), n),
            categorical(rng, (0.55, 0.0, 0.25, 0.20), n),
        )
        + 1
    )
    cause = np.where(relapse_first, 0, nrm_cause)
    dli_day, has_dli = dli_days(
        later, day0=day0, relapse_day=relapse_day, relapsed=relapsed, last_day=last_day
    )
    events = assemble_events(
        [
            event_rows(
                ids,
                site,
                "agvhd",
                agvhd_day,
                has_agvhd,
                grade=labels(categorical(rng, (0.35, 0.35, 0.2, 0.1), n), AGVHD_GRADES),
                gvhd_organs=gvhd_organs(graft_rng, n, acute=True),
            ),
            event_rows(
                ids,
                site,
                "cgvhd",
                cgvhd_day,
                has_cgvhd,
                grade=labels(severity, CGVHD_SEVERITIES),
                systemic_ist=pl.Series(ist),
                gvhd_organs=gvhd_organs(graft_rng, n, acute=False),
            ),
            event_rows(ids, site, "relapse", relapse_day, relapsed),
            event_rows(ids, site, "dli", dli_day, has_dli),
            event_rows(
                ids,
                site,
                "death",
                last_day,
                dead,
                death_cause=labels(cause, ("disease", "infection", "gvhd", "toxicity", "other")),
            ),
            event_rows(ids, site, "last_follow_up", last_day, np.ones(n, dtype=bool)),
        ]
    )
    patients = patients_frame(
        ids,
        site=site,
        source_study=cohort.source_study,
        data_origin="real_world",
        disease="MM",
        sex=labels((rng.random(n) < 0.4).astype(np.int64), ("M", "F")),
        birth_year=birth_years(diagnosis, age),
        age_at_diagnosis=age,
        diagnosis=diagnosis,
    )
    comorbidities = pl.DataFrame(
        {
            "patient_id": ids,
            "site": constant(site, n),
            **{
                name: tri_state(rng, present, not_tested=cohort.item_not_tested)
                for name, present in items.items()
            },
        }
    )
    groups = pl.DataFrame(
        {
            "patient_id": ids,
            "hctci_score": hct_score,
            "hctci_group": hct_group,
            "conditioning": conditioning,
            "riss": labs.riss,
            "follow_days": follow,
            "relapse_event": relapsed,
            "nrm_event": dead & ~relapse_first,
            "os_event": dead,
            "severe_toxicity": severe,
            "stem_cell_source": graft.source,
            "cgvhd_event": has_cgvhd,
        }
    )
    return Truth(
        tables={
            "patients": conform(patients, "patients"),
            "baseline": conform(labs.baseline, "baseline"),
            "genetics": conform(labs.genetics, "genetics"),
            "comorbidities": conform(comorbidities, "comorbidities"),
            "transplants": _transplants(
                rng,
                ids,
                site,
                day0=day0,
                diagnosis=diagnosis,
                conditioning=conditioning,
                graft=graft,
                status_rng=graft_rng,
            ),
            "events": events,
            "adverse_events": adverse_events(
                later, ids, site, day0=day0, last_day=last_day, severe=severe
            ),
        },
        groups=groups,
    )


def _comorbidities(rng: np.random.Generator, n: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Latent item flags and the HCT-CI weight matrix (organ levels mutually exclusive)."""
    items = {name: rng.random(n) < p for name, (_, p) in HCTCI_ITEMS.items()}
    for (mild, severe), probs in _ORGAN_LEVELS.items():
        level = categorical(rng, probs, n)
        items[mild], items[severe] = level == 1, level == 2
    names = [c.name for c in COMORBIDITIES.columns if c.name in HCTCI_ITEMS]
    weights = np.column_stack([items[k] * HCTCI_ITEMS[k][0] for k in names]).astype(np.float64)
    return {k: items[k] for k in names}, weights


def _transplants(
    rng: np.random.Generator,
    ids: pl.Series,
    site: str,
    *,
    day0: np.ndarray,
    diagnosis: np.ndarray,
    conditioning: np.ndarray,
    graft: Graft,
    status_rng: np.random.Generator,
) -> pl.DataFrame:
    """Allo row per patient, preceded by an autologous transplant for 80% of them.

    A tandem allograft (within 200 days of the autograft) is first-line consolidation; its
    disease status is CR1, VGPR or PR, any other allograft's a later status
    (:func:`~loaders.synthetic.graft.myeloma_status`). ``in_first_remission`` follows the
    model's rule (status CR1). Autografts are peripheral blood, their status not collected.
    """
    n = ids.len()
    auto_day = np.maximum(diagnosis + rng.integers(150, 260, n), diagnosis + 1)
    has_auto = (rng.random(n) < 0.8) & (auto_day < day0 - 60)
    tandem = has_auto & (day0 - auto_day < 200)
    status = myeloma_status(status_rng, tandem)
    index = np.flatnonzero(has_auto)
    auto = pl.DataFrame(
        {
            "patient_id": ids.gather(index),
            "transplant_type": "autologous",
            "transplant_date": date_series(auto_day[index]),
            "conditioning": "MAC",
            "donor_type": pl.Series([None] * index.size, dtype=pl.String),
            "in_first_remission": pl.Series([None] * index.size, dtype=pl.Boolean),
            "stem_cell_source": "peripheral_blood",
            "disease_status": pl.Series([None] * index.size, dtype=pl.String),
            "_order": 2 * index,
        }
    )
    allo = pl.DataFrame(
        {
            "patient_id": ids,
            "transplant_type": "allogeneic",
            "transplant_date": date_series(day0),
            "conditioning": labels(conditioning, CONDITIONING),
            "donor_type": graft.donor_labels(),
            "in_first_remission": status == FIRST_REMISSION_STATUS,
            "stem_cell_source": graft.source_labels(),
            "disease_status": status,
            "_order": 2 * np.arange(n) + 1,
        }
    )
    both = pl.concat([auto, allo], how="vertical").sort("_order").drop("_order")
    return conform(both.with_columns(site=pl.lit(site)), "transplants")
